// Messages between the benchmark and its receiver process.

/** The receiver reads requests under this path and never answers them: the caller has to time out. */
export const HANG_PREFIX = '/hang/';
export type ReceiverRequest =
  | { type: 'stats'; seq: number }
  | { type: 'drainFirsts'; seq: number }
  | { type: 'events'; seq: number; ids: string[] }
  | { type: 'resetMaxInFlight'; seq: number }
  /** Opens `count` more listeners, each its own origin, answering as the first. */
  | { type: 'listenMore'; seq: number; count: number }
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
  /** Requests to the never-answering path prefix, and how many of them are still open. */
  hangingRequests: number;
  hangingOpen: number;
}

export type ReceiverReply =
  | { type: 'listening'; seq: 0; url: string }
  | ({ type: 'stats'; seq: number } & ReceiverStats)
  | { type: 'firsts'; seq: number; firsts: Array<[string, number]> }
  | { type: 'events'; seq: number; events: Array<{ first: number; last: number; count: number } | null> }
  | { type: 'urls'; seq: number; urls: string[] }
  | { type: 'ok'; seq: number };
