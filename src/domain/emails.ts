import type { FailureNote } from './attemptResult';

export interface DisabledNoticeInput {
  teamName: string;
  webhookName: string;
  webhookId: string;
  url: string;
  reason: 'consecutive_failures' | 'endpoint_gone';
  consecutiveFailures: number;
  disabledAt: string;
  failures: FailureNote[];
  dashboardUrl: string;
  apiUrl: string;
}

/** The email a team gets when Hookferry disables one of its webhooks. */
export function disabledNoticeEmail(n: DisabledNoticeInput): { subject: string; text: string } {
  const why =
    n.reason === 'endpoint_gone'
      ? 'the endpoint answered 410 Gone, which tells senders to stop'
      : `its last ${n.consecutiveFailures} deliveries failed in a row`;
  const failureLines = n.failures.length
    ? n.failures.map((f) => `  - ${f.at}  ${f.error ?? (f.statusCode !== null ? `HTTP ${f.statusCode}` : 'no response')}  (delivery ${f.deliveryId})`)
    : ['  (none recorded)'];
  const text = [
    `Hello ${n.teamName},`,
    '',
    `Hookferry disabled your webhook "${n.webhookName}" (${n.webhookId}) at ${n.disabledAt} because ${why}.`,
    '',
    `URL: ${n.url}`,
    '',
    'Most recent failures:',
    ...failureLines,
    '',
    'No further deliveries are sent to it until you re-enable it. Re-enabling resets its failure count.',
    `  Dashboard: ${n.dashboardUrl}`,
    `  API:       curl -X POST ${n.apiUrl}/v1/webhooks/${n.webhookId}/enable -H "Authorization: Bearer $HOOKFERRY_API_KEY"`,
    'Failed deliveries can be re-sent afterwards with POST /v1/webhooks/:id/recover.',
    '',
    '— Hookferry',
  ].join('\n');
  return { subject: `[Hookferry] Webhook "${n.webhookName}" was disabled`, text };
}
