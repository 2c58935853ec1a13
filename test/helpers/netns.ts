import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { forward } from './socketForward';
import { spawnUntilLogLine, type SpawnedProcess } from '../../scripts/lib/spawnProcess';

/**
 * A Linux network namespace: a loopback of its own on which nothing listens (so 127.0.0.1:5432 is
 * unreachable inside it, whatever runs on this machine), joined to this one only through the
 * ports a test names, carried over Unix sockets.
 */
export interface NetworkNamespace {
  name: string;
  /** Runs a command inside: `[...prefix, command, ...args]`. */
  prefix: string[];
  /** The Unix socket here that reaches `port` on the namespace's loopback (one of `expose`). */
  socketFor(port: number): string;
  destroy(): Promise<void>;
}

export interface NetworkNamespaceOptions {
  /** Ports on the namespace's loopback to reach from here (see socketFor). */
  expose: number[];
  /** Namespace port → port on this machine's 127.0.0.1: inside, 127.0.0.1:<key> reaches it. */
  bringIn: Record<number, number>;
}

/** Why a network namespace cannot be made here, or undefined if it can. */
export function networkNamespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return '`ip netns add` needs root';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return '`ip netns` is not available (apt-get install iproute2)';
  return undefined;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

export async function startNetworkNamespace(opts: NetworkNamespaceOptions): Promise<NetworkNamespace> {
  const name = `hookferry-test-${process.pid}`;
  spawnSync('ip', ['netns', 'delete', name]); // left by an earlier run that had this pid, if any
  ip('netns', 'add', name);
  const prefix = ['ip', 'netns', 'exec', name];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hf-ns-'));
  const hostServers: net.Server[] = [];
  let bridge: SpawnedProcess | undefined;
  const destroy = async () => {
    await bridge?.kill('SIGTERM', 5_000);
    await Promise.all(hostServers.map((s) => new Promise((resolve) => s.close(resolve))));
    // Whatever a failed test left running in there (all of it started by the test) would outlive the namespace's name.
    const leftovers = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'delete', name]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    const specs: string[] = [];
    for (const port of opts.expose) specs.push(`unix:${path.join(dir, `out-${port}.sock`)}=tcp:${port}`);
    for (const [nsPort, hostPort] of Object.entries(opts.bringIn)) {
      const socket = path.join(dir, `in-${nsPort}.sock`);
      hostServers.push(await forward({ path: socket }, { port: hostPort }));
      specs.push(`tcp:${nsPort}=unix:${socket}`);
    }
    bridge = await spawnUntilLogLine({ name: 'network namespace bridge', entry: 'test/helpers/netnsBridge.ts', args: specs, prefix, line: 'bridge ready' });
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    name,
    prefix,
    socketFor: (port) => {
      if (!opts.expose.includes(port)) throw new Error(`port ${port} is not exposed`);
      return path.join(dir, `out-${port}.sock`);
    },
    destroy,
  };
}
