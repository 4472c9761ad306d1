// The TCP sockets a set of processes listens on, read from /proc (Linux): /proc/net/tcp and tcp6 list every
// socket of the network namespace with its inode; /proc/<pid>/fd links name the inodes a process holds.
import * as fs from 'node:fs';

export interface ListeningSocket {
  /** The local address as text: 127.0.0.1, 0.0.0.0, ::1, :: (IPv4-mapped IPv6 shown as its IPv4). */
  address: string;
  port: number;
  inode: number;
}

const LISTEN = '0A';

/** The IPv4 address of /proc/net/tcp's hex form (the 32-bit word in host byte order, little-endian here). */
function ipv4(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  return [...bytes.reverse()].join('.');
}

/** The IPv6 address of /proc/net/tcp6's hex form: four 32-bit words, each in host byte order. */
function ipv6(hex: string): string {
  const bytes = Buffer.concat([0, 8, 16, 24].map((i) => Buffer.from(hex.slice(i, i + 8), 'hex').reverse()));
  // ::ffff:a.b.c.d, an IPv4 address on a dual-stack socket.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return [...bytes.subarray(12)].join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The canonical short form, for the addresses that matter here.
  const full = groups.join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  return full;
}

/** The LISTEN sockets of a /proc/net/tcp or tcp6 table. */
export function parseTcpTable(text: string, family: 4 | 6): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const [addr, port] = fields[1].split(':');
    out.push({
      address: family === 4 ? ipv4(addr) : ipv6(addr),
      port: parseInt(port, 16),
      inode: Number(fields[9]),
    });
  }
  return out;
}

/** Every LISTEN socket of this network namespace. */
export function listeningSockets(): ListeningSocket[] {
  return [
    ...parseTcpTable(fs.readFileSync('/proc/net/tcp', 'utf8'), 4),
    ...parseTcpTable(fs.readFileSync('/proc/net/tcp6', 'utf8'), 6),
  ];
}

/** The pid and its descendants (by the parent pid in /proc/<pid>/stat). */
export function processTree(roots: number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = new Set<number>();
  const visit = (pid: number) => {
    if (tree.has(pid)) return;
    tree.add(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  roots.forEach(visit);
  return tree;
}

/** The socket inodes the processes hold open. */
export function socketInodes(pids: Iterable<number>): Map<number, number> {
  const owner = new Map<number, number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) owner.set(Number(match[1]), pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return owner;
}
