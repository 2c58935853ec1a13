/** Samples of a Prometheus text exposition, for tests: `name{a="1",b="2"} value` lines. */
export interface Scrape {
  text: string;
  /** Every metric family named in HELP/TYPE lines and every sample name. */
  names: Set<string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Scrape {
  const names = new Set<string>();
  const samples: Scrape['samples'] = [];
  for (const line of text.split('\n')) {
    const meta = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (meta) {
      names.add(meta[1]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    names.add(m[1]!);
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { text, names, samples };
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return parsePrometheusText(await res.text());
}
