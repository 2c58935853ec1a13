import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which of `pids` holds the TCP socket with local port `localPort` connected to port `peerPort`:
 * for a receiver on this machine, the process that sent a request is the one holding the socket
 * whose local port is the request's remote port, connected to the receiver's port. Linux only:
 * reads /proc/net/tcp for the socket's inode, then each process's open file descriptors.
 */
export function processOwningConnection(localPort: number, peerPort: number, pids: readonly number[]): number | undefined {
  const inode = socketInode(localPort, peerPort);
  if (inode === undefined) return undefined;
  const wanted = `socket:[${inode}]`;
  for (const pid of pids) if (openFiles(pid).includes(wanted)) return pid;
  return undefined;
}

/**
 * The local ports of the TCP sockets process `pid` holds that are connected to port `peerPort`.
 * Read while the process is stopped, this names every connection it opened, including those still
 * waiting in the receiver's accept queue.
 */
export function connectionsHeldBy(pid: number, peerPort: number): number[] {
  const byInode = new Map(tcpSockets().filter((s) => s.peerPort === peerPort).map((s) => [`socket:[${s.inode}]`, s.localPort]));
  return openFiles(pid).flatMap((file) => byInode.get(file) ?? []);
}

/** What each of a process's file descriptors points at (`socket:[inode]` for a socket); none once it has exited. */
function openFiles(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // exited
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** The inode of the socket with local port `localPort` connected to port `peerPort`. */
function socketInode(localPort: number, peerPort: number): string | undefined {
  return tcpSockets().find((s) => s.localPort === localPort && s.peerPort === peerPort)?.inode;
}

/** Every TCP socket on this machine's network namespace (IPv4 and IPv6 tables). */
function tcpSockets(): Array<{ localPort: number; peerPort: number; inode: string }> {
  const sockets: Array<{ localPort: number; peerPort: number; inode: string }> = [];
  const port = (address: string) => parseInt(address.split(':').pop()!, 16);
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      sockets.push({ localPort: port(fields[1]!), peerPort: port(fields[2]!), inode: fields[9]! });
    }
  }
  return sockets;
}
