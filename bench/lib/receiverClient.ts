import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ReceiverReply, ReceiverRequest, ReceiverStats } from './receiverProtocol';

type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface ReceiverHandle {
  url: string;
  pid: number;
  process: ChildProcess;
  stats(): Promise<ReceiverStats>;
  drainFirsts(): Promise<Array<[string, number]>>;
  events(ids: string[]): Promise<Array<{ first: number; last: number; count: number } | null>>;
  resetMaxInFlight(): Promise<void>;
  /** `count` more base URLs, each its own origin (port), served like `url`. */
  listenMore(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Forks bench/receiver.ts and waits until it listens. */
export async function startReceiverProcess(secret: string): Promise<ReceiverHandle> {
  const child = fork(path.join(__dirname, '..', 'receiver.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_SECRET: secret },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let seq = 0;
  const waiting = new Map<number, { resolve: (r: ReceiverReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let listening: ((url: string) => void) | undefined;
  child.on('message', (msg: ReceiverReply) => {
    if (msg.type === 'listening') return listening?.(msg.url);
    const w = waiting.get(msg.seq);
    if (!w) return;
    waiting.delete(msg.seq);
    clearTimeout(w.timer);
    w.resolve(msg);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error(`receiver exited (${code})`));
    }
    waiting.clear();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start within 30s')), 30_000);
    listening = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    child.once('exit', (code) => reject(new Error(`receiver exited early (${code})`)));
  });

  function ask(req: Without<ReceiverRequest, 'seq'>): Promise<ReceiverReply> {
    const s = ++seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(s);
        reject(new Error(`receiver did not answer ${req.type} within 30s`));
      }, 30_000);
      waiting.set(s, { resolve, reject, timer });
      child.send({ ...req, seq: s } as ReceiverRequest);
    });
  }

  return {
    url,
    pid: child.pid!,
    process: child,
    async stats() {
      const r = await ask({ type: 'stats' });
      if (r.type !== 'stats') throw new Error('unexpected reply');
      const { type: _t, seq: _s, ...stats } = r;
      return stats;
    },
    async drainFirsts() {
      const r = await ask({ type: 'drainFirsts' });
      if (r.type !== 'firsts') throw new Error('unexpected reply');
      return r.firsts;
    },
    async events(ids) {
      const r = await ask({ type: 'events', ids });
      if (r.type !== 'events') throw new Error('unexpected reply');
      return r.events;
    },
    async resetMaxInFlight() {
      await ask({ type: 'resetMaxInFlight' });
    },
    async listenMore(count) {
      const r = await ask({ type: 'listenMore', count });
      if (r.type !== 'urls') throw new Error('unexpected reply');
      return r.urls;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask({ type: 'stop' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
