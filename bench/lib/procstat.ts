// Per-process CPU and memory from /proc (Linux only), summed over a process and its descendants.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcSample {
  /** CPU seconds (user + system) since the process started. */
  cpuSeconds: number;
  /** Resident set size now, bytes. */
  rssBytes: number;
}

/** Proportional set size (shared pages divided among their users), bytes: fair for PostgreSQL backends. */
export function readPss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return { ppid, cpuTicks: utime + stime };
  } catch {
    return undefined;
  }
}

function readRss(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The pid and all its descendants (one scan of /proc). */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(pid);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0 && out.length < 10_000) {
    const pid = stack.pop()!;
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/** Sums CPU and RSS over the given pids (processes that have exited count as zero). */
export function sample(pids: readonly number[]): ProcSample {
  let ticks = 0;
  let rss = 0;
  for (const pid of pids) {
    const st = readStat(pid);
    if (!st) continue;
    ticks += st.cpuTicks;
    rss += readRss(pid);
  }
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rss };
}

/** Whole-machine CPU seconds (all cores, busy time) from /proc/stat, and the core count. */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busySeconds: (total - idle) / TICKS_PER_SECOND, totalSeconds: total / TICKS_PER_SECOND };
}

export interface Tracked {
  name: string;
  /** Returns the pids to measure now (may change, e.g. PostgreSQL backends). */
  pids: () => number[];
}

export interface ResourceSummary {
  /** Highest sum of RSS over the process (tree) at one sample. */
  peakRssMB: number;
  /** Highest sum of PSS at one sample (shared memory counted once). */
  peakPssMB: number;
  cpuSeconds: number;
  /** Mean cores busy over the whole run (1.0 = one core fully). */
  meanCores: number;
  /** Highest cores busy over any one sampling interval. */
  peakCores: number;
}

/**
 * Samples tracked processes every `intervalMs`, keeping peak RSS, total CPU and peak
 * per-interval CPU, plus cumulative CPU so callers can take deltas over a phase.
 */
export class ResourceMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly state = new Map<string, { peakRss: number; peakPss: number; peakCores: number; accumulated: number; pidCpu: Map<number, number>; regularAt: number; regularAcc: number }>();
  private readonly startedAt = Date.now();
  private readonly machineStart = machineCpu();

  constructor(private readonly tracked: Tracked[], private readonly intervalMs = 1_000) {}

  start(): void {
    this.update(true);
    this.timer = setInterval(() => this.update(true), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.update(false);
  }

  /**
   * Cumulative CPU seconds per tracked name since monitoring began. Per-pid deltas are
   * accumulated, so processes that come and go (PostgreSQL backends) are counted correctly.
   */
  cpuNow(): Record<string, number> {
    this.update(false);
    const out: Record<string, number> = {};
    for (const [name, s] of this.state) out[name] = s.accumulated;
    return out;
  }

  /** Busy CPU seconds of the whole machine (all processes, all cores) since monitoring began. */
  machineBusyNow(): number {
    return machineCpu().busySeconds - this.machineStart.busySeconds;
  }

  private update(regular: boolean): void {
    const now = Date.now();
    for (const t of this.tracked) {
      let pids: number[];
      try {
        pids = t.pids();
      } catch {
        continue;
      }
      let s = this.state.get(t.name);
      if (!s) {
        s = { peakRss: 0, peakPss: 0, peakCores: 0, accumulated: 0, pidCpu: new Map(), regularAt: now, regularAcc: 0 };
        this.state.set(t.name, s);
      }
      let rss = 0;
      let pss = 0;
      const seen = new Map<number, number>();
      for (const pid of pids) {
        const one = sample([pid]);
        if (one.cpuSeconds === 0 && one.rssBytes === 0) continue;
        rss += one.rssBytes;
        if (regular) pss += readPss(pid);
        const before = s.pidCpu.get(pid);
        // A pid seen for the first time sets its baseline (CPU used before monitoring is not counted).
        if (before !== undefined) s.accumulated += Math.max(0, one.cpuSeconds - before);
        seen.set(pid, one.cpuSeconds);
      }
      s.pidCpu = seen;
      s.peakRss = Math.max(s.peakRss, rss);
      s.peakPss = Math.max(s.peakPss, pss);
      if (regular) {
        const dt = (now - s.regularAt) / 1000;
        if (dt > 0.2) s.peakCores = Math.max(s.peakCores, (s.accumulated - s.regularAcc) / dt);
        s.regularAt = now;
        s.regularAcc = s.accumulated;
      }
    }
  }

  summary(): Record<string, ResourceSummary> {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const out: Record<string, ResourceSummary> = {};
    for (const [name, s] of this.state) {
      out[name] = {
        peakRssMB: Math.round((s.peakRss / 1048576) * 10) / 10,
        peakPssMB: Math.round((s.peakPss / 1048576) * 10) / 10,
        cpuSeconds: Math.round(s.accumulated * 100) / 100,
        meanCores: Math.round((s.accumulated / Math.max(elapsed, 1)) * 100) / 100,
        peakCores: Math.round(s.peakCores * 100) / 100,
      };
    }
    return out;
  }
}
