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
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** The inode of the socket with local port `localPort` connected to port `peerPort` (IPv4 or IPv6 tables). */
function socketInode(localPort: number, peerPort: number): string | undefined {
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
      const port = (address: string) => parseInt(address.split(':').pop()!, 16);
      if (port(fields[1]!) === localPort && port(fields[2]!) === peerPort) return fields[9];
    }
  }
  return undefined;
}
