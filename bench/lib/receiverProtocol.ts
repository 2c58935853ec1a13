// Messages between the benchmark and its receiver process.
export type ReceiverRequest =
  | { type: 'stats'; seq: number }
  | { type: 'drainFirsts'; seq: number }
  | { type: 'events'; seq: number; ids: string[] }
  | { type: 'resetMaxInFlight'; seq: number }
  | { type: 'stop'; seq: number };

export interface ReceiverStats {
  requests: number;
  verified: number;
  badSignatures: number;
  duplicates: number;
  uniqueEvents: number;
  maxInFlight: number;
  referenceChecked: number;
  referenceFailed: number;
}

export type ReceiverReply =
  | { type: 'listening'; seq: 0; url: string }
  | ({ type: 'stats'; seq: number } & ReceiverStats)
  | { type: 'firsts'; seq: number; firsts: Array<[string, number]> }
  | { type: 'events'; seq: number; events: Array<{ first: number; last: number; count: number } | null> }
  | { type: 'ok'; seq: number };
