import { createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 signatures over the exact bytes sent.
 *
 * Standard Webhooks (always sent): `webhook-signature: v1,<base64>` over `id.timestamp.body`,
 * keyed as the official libraries key it: the base64 after `whsec_`. A secret the user chose
 * without that prefix is used as raw UTF-8 bytes (verify with `{ format: 'raw' }`).
 *
 * Seed styles (configurable): `X-Webhook-Signature: sha256=<hex>` and a bare-hex header
 * (e.g. `X-Kakiyo-Signature`), both over the raw body, keyed with the secret string as is.
 */
export const STANDARD_SECRET_PREFIX = 'whsec_';

export function standardWebhooksKey(secret: string): Buffer {
  if (secret.startsWith(STANDARD_SECRET_PREFIX)) return Buffer.from(secret.slice(STANDARD_SECRET_PREFIX.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

export function standardWebhooksSignature(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export function hexSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export interface SignatureInput {
  msgId: string;
  timestampSeconds: number;
  body: string;
  /** Active secrets, current first; during rotation the previous one is still listed. */
  secrets: readonly string[];
  sha256Header?: string;
  hexHeader?: string;
}

export function signatureHeaders(input: SignatureInput): Record<string, string> {
  const [current] = input.secrets;
  if (!current) throw new Error('at least one secret is required to sign');
  const headers: Record<string, string> = {
    'webhook-id': input.msgId,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': input.secrets.map((s) => standardWebhooksSignature(s, input.msgId, input.timestampSeconds, input.body)).join(' '),
  };
  if (input.sha256Header) headers[input.sha256Header] = `sha256=${hexSignature(current, input.body)}`;
  if (input.hexHeader) headers[input.hexHeader] = hexSignature(current, input.body);
  return headers;
}
