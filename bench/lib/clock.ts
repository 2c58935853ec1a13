/** Milliseconds on the monotonic clock (CLOCK_MONOTONIC): the same timeline in every process on this machine. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
