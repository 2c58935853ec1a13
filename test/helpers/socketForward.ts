import net from 'node:net';

/** A TCP port on 127.0.0.1 or a Unix socket path. */
export type Endpoint = { port: number } | { path: string };

/**
 * Listens on `from` and pipes every connection to `to`. Unix socket paths live in the file system,
 * which network namespaces share, so a pair of these carries TCP across a namespace boundary.
 */
export function forward(from: Endpoint, to: Endpoint): Promise<net.Server> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect('path' in to ? { path: to.path } : { port: to.port, host: '127.0.0.1' });
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close);
    outbound.on('error', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if ('path' in from) server.listen(from.path, () => resolve(server));
    else server.listen(from.port, '127.0.0.1', () => resolve(server));
  });
}

/** `tcp:4000` or `unix:/tmp/x.sock` */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('tcp:')) return { port: Number(text.slice(4)) };
  if (text.startsWith('unix:')) return { path: text.slice(5) };
  throw new Error(`not an endpoint: ${text}`);
}
