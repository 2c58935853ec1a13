import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { parseAllowedCidrs } from '../../src/domain/addressPolicy';
import { sendWebhook, type Resolver, type SendResult, type WebhookRequest } from '../../src/delivery/sendWebhook';

interface TestServer {
  server: http.Server;
  port: number;
  url: string;
  /** TCP connections accepted. */
  connections: number;
  /** Requests received, with their headers and body. */
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

async function startServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, ipv6Only: false }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const loopbackAllowed = parseAllowedCidrs('127.0.0.0/8');
const emptyPolicy = parseAllowedCidrs('');

function request(url: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    headers: { 'content-type': 'application/json', 'x-hookferry-test': 'yes' },
    body: '{"hello":"world"}',
    timeoutMs: 5_000,
    maxResponseBytes: 64 * 1024,
    ...extra,
  };
}

function expectError(result: SendResult, errorClass: string): void {
  expect(result).toMatchObject({ kind: 'error', errorClass });
  if (result.kind === 'error') {
    expect(result.message).toEqual(expect.any(String));
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  }
}

describe('sendWebhook against real loopback servers (loopback allowlisted)', () => {
  const servers: TestServer[] = [];
  const track = async (p: Promise<TestServer>) => {
    const s = await p;
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  test('2xx: POSTs the body with the caller headers and returns status, headers, body', async () => {
    const srv = await track(
      startServer((_req, res) => {
        res.setHeader('X-Custom', 'Value');
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('créé ✓');
      }),
    );
    const result = await sendWebhook(request(`${srv.url}/hooks?x=1`), { policy: loopbackAllowed });
    expect(result).toMatchObject({ kind: 'response', statusCode: 201, body: 'créé ✓', truncated: false });
    if (result.kind !== 'response') throw new Error('unreachable');
    expect(result.headers['x-custom']).toBe('Value');
    expect(result.headers['set-cookie']).toBe('a=1, b=2');
    expect(result.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    expect(srv.requests).toHaveLength(1);
    const got = srv.requests[0];
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hooks?x=1');
    expect(got.body).toBe('{"hello":"world"}');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-hookferry-test']).toBe('yes');
    expect(got.headers['user-agent']).toBeUndefined();
  });

  test('3xx is returned as a response and Location is not followed', async () => {
    const target = await track(startServer((_req, res) => res.end('should not be reached')));
    const redirector = await track(
      startServer((_req, res) => {
        res.writeHead(302, { Location: `${target.url}/elsewhere` });
        res.end();
      }),
    );
    const result = await sendWebhook(request(`${redirector.url}/`), { policy: loopbackAllowed });
    expect(result).toMatchObject({ kind: 'response', statusCode: 302 });
    if (result.kind === 'response') expect(result.headers.location).toBe(`${target.url}/elsewhere`);
    expect(redirector.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });

  test('times out on a receiver that never sends headers', async () => {
    const srv = await track(startServer(() => undefined /* never answers */));
    const result = await sendWebhook(request(srv.url, { timeoutMs: 500 }), { policy: loopbackAllowed });
    expectError(result, 'timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
    expect(result.durationMs).toBeLessThan(1_500);
  });

  test('times out on a receiver that sends headers then trickles a byte every 200 ms', async () => {
    const timers: NodeJS.Timeout[] = [];
    const srv = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.flushHeaders();
        const t = setInterval(() => {
          if (res.destroyed) return clearInterval(t);
          res.write('x');
        }, 200);
        timers.push(t);
        res.on('close', () => clearInterval(t));
      }),
    );
    try {
      const started = Date.now();
      const result = await sendWebhook(request(srv.url, { timeoutMs: 1_000 }), { policy: loopbackAllowed });
      const wall = Date.now() - started;
      expectError(result, 'timeout');
      expect(result.durationMs).toBeGreaterThanOrEqual(950);
      expect(result.durationMs).toBeLessThan(2_500);
      expect(wall).toBeLessThan(2_500);
    } finally {
      timers.forEach(clearInterval);
    }
  });

  test('a 64 MB response is read only up to maxResponseBytes, quickly and without buffering it', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    const srv = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(total) });
        const pump = () => {
          while (written < total && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          if (written >= total) res.end();
        };
        res.on('error', () => undefined);
        pump();
      }),
    );
    if (global.gc) global.gc();
    const before = process.memoryUsage();
    const result = await sendWebhook(request(srv.url, { maxResponseBytes: 64 * 1024, timeoutMs: 10_000 }), {
      policy: loopbackAllowed,
    });
    const after = process.memoryUsage();
    expect(result).toMatchObject({ kind: 'response', statusCode: 200, truncated: true });
    if (result.kind !== 'response') throw new Error('unreachable');
    expect(Buffer.byteLength(result.body)).toBe(64 * 1024);
    expect(result.durationMs).toBeLessThan(2_000);
    // We stopped reading: the server could only push what fits in socket buffers.
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toBeLessThan(total / 2);
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(grown).toBeLessThan(32 * 1024 * 1024);
  });

  test('maxResponseBytes larger than the body: not truncated', async () => {
    const srv = await track(startServer((_req, res) => res.end('short')));
    const result = await sendWebhook(request(srv.url, { maxResponseBytes: 100 }), { policy: loopbackAllowed });
    expect(result).toMatchObject({ kind: 'response', body: 'short', truncated: false });
  });

  test('connection refused', async () => {
    const port = await closedPort();
    const result = await sendWebhook(request(`http://127.0.0.1:${port}/`), { policy: loopbackAllowed });
    expectError(result, 'connection_refused');
  });

  test('connection reset mid-response', async () => {
    const srv = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100000' });
        res.write('partial body');
        setTimeout(() => res.socket?.resetAndDestroy(), 50);
      }),
    );
    const result = await sendWebhook(request(srv.url), { policy: loopbackAllowed });
    expectError(result, 'connection_reset');
  });

  test('connection closed before any response', async () => {
    const srv = await track(startServer((req) => req.socket.destroy()));
    const result = await sendWebhook(request(srv.url), { policy: loopbackAllowed });
    expectError(result, 'connection_reset');
  });

  test('https to a receiver that does not speak TLS is a TLS error', async () => {
    // A raw TCP server that answers the ClientHello with plain text and keeps the socket open.
    const open = new Set<Socket>();
    const raw = net.createServer((socket) => {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = raw.address() as AddressInfo;
      const result = await sendWebhook(request(`https://127.0.0.1:${port}/`), { policy: loopbackAllowed });
      expectError(result, 'tls');
    } finally {
      await new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        raw.close(() => resolve());
      });
    }
  });

  test('resolver failures are dns errors', async () => {
    const resolver: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    expectError(await sendWebhook(request('http://nowhere.test/'), { policy: loopbackAllowed, resolver }), 'dns');
    const empty: Resolver = async () => [];
    expectError(await sendWebhook(request('http://nowhere.test/'), { policy: loopbackAllowed, resolver: empty }), 'dns');
  });

  test.each([
    ['not a url'],
    ['ftp://127.0.0.1/file'],
    ['file:///etc/passwd'],
    ['gopher://127.0.0.1:70/'],
    ['javascript:alert(1)'],
    ['http://user:secret@127.0.0.1/'],
    ['http://user@127.0.0.1/'],
    ['https://:pw@example.com/'],
  ])('%s is invalid_url', async (url) => {
    expectError(await sendWebhook(request(url), { policy: loopbackAllowed }), 'invalid_url');
  });
});

describe('SSRF guard against a real loopback server', () => {
  let srv: TestServer;
  let dualStack = true;

  beforeEach(async () => {
    // Listen dual-stack when possible so that IPv6 loopback forms would really
    // reach the server if the guard let them through.
    try {
      srv = await startServer((_req, res) => res.end('reached'), '::');
    } catch {
      dualStack = false;
      srv = await startServer((_req, res) => res.end('reached'), '127.0.0.1');
    }
  });
  afterEach(async () => {
    await srv.close();
  });

  const loopbackUrls = (port: number) => [
    `http://127.0.0.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f.0.0.1:${port}/`,
    `http://017700000001:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::1]:${port}/`,
    `http://localhost:${port}/`,
  ];

  test('with an empty allowlist every loopback spelling is blocked and nothing connects', async () => {
    for (const url of loopbackUrls(srv.port)) {
      const result = await sendWebhook(request(url), { policy: emptyPolicy });
      expect([url, result.kind, result.kind === 'error' ? result.errorClass : result.statusCode]).toEqual([
        url,
        'error',
        'blocked_address',
      ]);
    }
    expect(srv.connections).toBe(0);
    expect(srv.requests).toHaveLength(0);
  });

  test('DNS rebinding: a resolver that answers a permitted address first, then 127.0.0.1, is blocked on the second call', async () => {
    // No traffic may leave this machine, so 127.0.0.2 (allowlisted on its own) stands in for
    // "a public address": the guard treats both the same way, and 127.0.0.1 stays blocked.
    const permitted = await startServer((_req, res) => res.end('permitted'), '127.0.0.2');
    try {
      const policy = parseAllowedCidrs('127.0.0.2/32');
      const calls: string[] = [];
      const resolver: Resolver = async (hostname) => {
        calls.push(hostname);
        return calls.length === 1 ? [{ address: '127.0.0.2', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
      };
      const first = await sendWebhook(request(`http://rebind.test:${permitted.port}/`), { policy, resolver });
      expect(first).toMatchObject({ kind: 'response', statusCode: 200, body: 'permitted' });

      const second = await sendWebhook(request(`http://rebind.test:${srv.port}/`), { policy, resolver });
      expectError(second, 'blocked_address');
      expect(calls).toEqual(['rebind.test', 'rebind.test']);
      expect(srv.connections).toBe(0);
    } finally {
      await permitted.close();
    }
  });

  test('a hostname resolving to several addresses is checked address by address', async () => {
    const resolver: Resolver = async () => [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ];
    // Empty allowlist: neither address may be used.
    const blocked = await sendWebhook(request(`http://multi.test:${srv.port}/`), { policy: emptyPolicy, resolver });
    expectError(blocked, 'blocked_address');
    expect(srv.connections).toBe(0);
    // 127.0.0.0/8 allowlisted: only 127.0.0.1 is handed to the socket, ::1 is dropped.
    const reached = await sendWebhook(request(`http://multi.test:${srv.port}/`), { policy: loopbackAllowed, resolver });
    expect(reached).toMatchObject({ kind: 'response', statusCode: 200, body: 'reached' });
    expect(srv.connections).toBe(1);
  });

  test('with allowlist 127.0.0.0/8 the same loopback server is reached', async () => {
    for (const url of loopbackUrls(srv.port)) {
      if (url.includes('[::1]')) continue; // ::1 is not in 127.0.0.0/8
      if (url.includes('[::ffff:') && !dualStack) continue;
      const result = await sendWebhook(request(url), { policy: loopbackAllowed });
      expect([url, result]).toEqual([url, expect.objectContaining({ kind: 'response', statusCode: 200, body: 'reached' })]);
    }
    const blocked = await sendWebhook(request(`http://[::1]:${srv.port}/`), { policy: loopbackAllowed });
    expectError(blocked, 'blocked_address');

    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const rebound = await sendWebhook(request(`http://rebind.test:${srv.port}/`), { policy: loopbackAllowed, resolver });
    expect(rebound).toMatchObject({ kind: 'response', statusCode: 200, body: 'reached' });

    expect(srv.connections).toBeGreaterThan(0);
    expect(srv.requests.length).toBe(loopbackUrls(srv.port).length - (dualStack ? 1 : 2) + 1);
  });
});
