// The headers of a delivery's POST: content type, user agent and its signatures. The HMACs
// themselves are computed in src/domain/signatures.ts over the exact bytes sent; the stored
// secrets are opened here, at the moment of signing (src/services/webhookSecrets.ts).
import type { Config } from '../config';
import type { KeyRing } from '../domain/secretBox';
import { signatureHeaders } from '../domain/signatures';
import { signingSecrets } from '../services/webhookSecrets';

export const USER_AGENT = 'Hookferry/0.1 (+https://github.com/hookferry/hookferry)';

export interface SignedDelivery {
  /** The delivery's id: the `webhook-id` header, the same for every attempt and re-send. */
  id: string;
  webhook_id: string;
  /** The exact body sent. */
  payload: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * The headers of one attempt, signed at `sentAt` with the webhook's secret and, during a
 * rotation's grace period, its previous one. Throws if a key is missing: never sent unsigned.
 */
export function signedHeaders(
  d: SignedDelivery,
  sentAt: Date,
  secretKeys: KeyRing,
  config: Pick<Config, 'sha256SignatureHeader' | 'hexSignatureHeader'>,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signatureHeaders({
      msgId: d.id,
      timestampSeconds: Math.floor(sentAt.getTime() / 1000),
      body: d.payload,
      secrets: signingSecrets(secretKeys, d, sentAt),
      sha256Header: config.sha256SignatureHeader,
      hexHeader: config.hexSignatureHeader,
    }),
  };
}
