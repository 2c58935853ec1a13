/**
 * Which subscriptions match an event type. A webhook subscribes with exact ids
 * (`prospect.qualified`), `*` for everything, or a category wildcard (`prospect.*`,
 * which also covers deeper ids such as `prospect.a.b`).
 */
export const ALL_EVENTS = '*';

/** Every subscription string that would match `eventType` — used as `events && $patterns` in SQL. */
export function subscriptionPatternsFor(eventType: string): string[] {
  const patterns = [ALL_EVENTS, eventType];
  const parts = eventType.split('.');
  for (let i = 1; i < parts.length; i++) patterns.push(`${parts.slice(0, i).join('.')}.*`);
  return patterns;
}

export function subscriptionMatches(subscription: string, eventType: string): boolean {
  return subscriptionPatternsFor(eventType).includes(subscription);
}

export function webhookWantsEvent(subscriptions: readonly string[], eventType: string): boolean {
  return subscriptions.some((s) => subscriptionMatches(s, eventType));
}

export function isWildcard(subscription: string): boolean {
  return subscription === ALL_EVENTS || subscription.endsWith('.*');
}
