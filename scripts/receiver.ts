// `npm run receiver -- [--port 4000] [--secret whsec_…] [--status 200]`: a webhook receiver on
// 127.0.0.1 for trying Hookferry out. Prints each delivery and whether its signatures verify.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4000' }, secret: { type: 'string' }, status: { type: 'string', default: '200' } } });
const status = Number(values.status);

function verify(body: string, headers: Record<string, string>): string {
  const secret = values.secret;
  if (!secret) return 'pass --secret to verify signatures';
  const results: string[] = [];
  try {
    new Webhook(secret, secret.startsWith('whsec_') ? undefined : { format: 'raw' }).verify(body, headers);
    results.push('webhook-signature OK');
  } catch (err) {
    results.push(`webhook-signature FAILED (${(err as Error).message})`);
  }
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  if (headers['x-webhook-signature']) results.push(`x-webhook-signature ${headers['x-webhook-signature'] === `sha256=${hex}` ? 'OK' : 'FAILED'}`);
  return results.join(', ');
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      console.log(`\n${new Date().toISOString()} ${req.method} ${req.url}  webhook-id=${headers['webhook-id']}`);
      console.log(`  ${verify(body, headers)}`);
      console.log(`  ${body}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
    });
  })
  .listen(Number(values.port), '127.0.0.1', () => console.log(`receiver listening on http://127.0.0.1:${values.port} (answers ${status})`));
