// Shared by test/, bench/ and scripts/: one definition of a percentile for every latency figure.

/** The p-th percentile (0–100) of ascending `sorted` by nearest rank: a value that was observed; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
