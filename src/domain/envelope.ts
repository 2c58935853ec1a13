/** The JSON envelope every delivery POSTs, as the product seeds describe it (kept with the design notes outside this repository). */
export interface Envelope {
  id: string;
  event: string;
  teamId: string;
  timestamp: string;
  data: Record<string, unknown>;
  test?: true;
}

export function buildEnvelope(input: { id: string; event: string; teamId: string; createdAt: Date; data: Record<string, unknown>; test?: boolean }): Envelope {
  const envelope: Envelope = {
    id: input.id,
    event: input.event,
    teamId: input.teamId,
    timestamp: input.createdAt.toISOString(),
    data: input.data,
  };
  if (input.test) envelope.test = true;
  return envelope;
}

/** The exact bytes sent (and signed) for every attempt of every delivery of the event. */
export function serializeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}
