import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (req: ReceivedRequest, res: http.ServerResponse) => void | Promise<void>;

/** A real HTTP receiver on loopback that records every request; its answer is programmable. */
export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  connections: number;
  respond: Responder;
  /** Called with each new connection, before any request on it. */
  onConnection?: (socket: Socket) => void;
  /** Requests whose path starts with `prefix`. */
  at(prefix: string): ReceivedRequest[];
  close(): Promise<void>;
}

export const ok: Responder = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
};

export async function startReceiver(respond: Responder = ok): Promise<Receiver> {
  const receiver = { requests: [] as ReceivedRequest[], connections: 0, respond } as Receiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
      const record: ReceivedRequest = { at: Date.now(), method: req.method ?? '', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.requests.push(record);
      void Promise.resolve(receiver.respond(record, res)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket: Socket) => {
    receiver.connections++;
    receiver.onConnection?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  receiver.at = (prefix) => receiver.requests.filter((r) => r.path.startsWith(prefix));
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
