// Loopback forwards into the node's network namespace: each names a port on the host's 127.0.0.1 and a
// target (address or in-cluster DNS name, and port) as seen from inside the node. The list lives in one
// JSON file; both halves of the forwarder (forwarder-main.ts) follow it, so a forward can be added while the
// cluster runs (`dp up --target k8s` adds Trino, Temporal, S3, ... this way).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Forward {
  /** Lower-case name; also the Unix socket's file name between the two halves. */
  name: string;
  /** The port on the host's 127.0.0.1. */
  hostPort: number;
  /** host:port inside the node's namespace: an IPv4 address or a DNS name the cluster's CoreDNS answers. */
  target: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
const HOST = /^(\d{1,3}(\.\d{1,3}){3}|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$/;

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** The target's host and port, or an error naming what is wrong. */
export function parseTarget(target: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(target);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !HOST.test(match[1]) || !isPort(port)) {
    throw new Error(
      `forward target '${target}' is not host:port (an IPv4 address or DNS name, a port 1..65535)`,
    );
  }
  return { host: match[1], port };
}

/** Checks one forward; throws with what to fix. */
export function validateForward(value: unknown): Forward {
  const f = value as Partial<Forward>;
  if (typeof f?.name !== 'string' || !NAME.test(f.name)) {
    throw new Error(`forward name '${String(f?.name)}': use lower-case letters, digits and '-' (at most 40)`);
  }
  if (!isPort(f.hostPort))
    throw new Error(`forward ${f.name}: hostPort ${String(f.hostPort)} is not a port 1..65535`);
  if (typeof f.target !== 'string') throw new Error(`forward ${f.name}: target missing`);
  parseTarget(f.target);
  return { name: f.name, hostPort: f.hostPort, target: f.target };
}

/** A forwards file's content: a JSON array of forwards with distinct names and host ports. */
export function parseForwards(text: string): Forward[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`forwards: not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(raw)) throw new Error('forwards: expected a JSON array');
  const forwards = raw.map(validateForward);
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const f of forwards) {
    if (names.has(f.name)) throw new Error(`forwards: the name ${f.name} is used twice`);
    if (ports.has(f.hostPort)) throw new Error(`forwards: host port ${f.hostPort} is used twice`);
    names.add(f.name);
    ports.add(f.hostPort);
  }
  return forwards;
}

/** `name=hostPort:host:port`, the form the CLI takes. */
export function parseForwardSpec(spec: string): Forward {
  const match = /^([^=]+)=(\d+):(.+)$/.exec(spec);
  if (!match)
    throw new Error(`forward '${spec}' is not name=hostPort:host:port (e.g. trino=18080:10.96.0.20:8080)`);
  return validateForward({ name: match[1], hostPort: Number(match[2]), target: match[3] });
}

/** The list with `forward` added, or replacing the one of the same name. */
export function withForward(forwards: Forward[], forward: Forward): Forward[] {
  const rest = forwards.filter((f) => f.name !== forward.name);
  const clash = rest.find((f) => f.hostPort === forward.hostPort);
  if (clash)
    throw new Error(`forward ${forward.name}: host port ${forward.hostPort} is already ${clash.name}'s`);
  return [...rest, forward];
}

export function readForwards(file: string): Forward[] {
  if (!fs.existsSync(file)) return [];
  return parseForwards(fs.readFileSync(file, 'utf8'));
}

/** Replaces the file in one rename, so a half never reads it half-written. */
export function writeForwards(file: string, forwards: Forward[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(forwards, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** The Unix socket between the halves; its path must fit sun_path (108 bytes). */
export function forwardSocket(socketDir: string, name: string): string {
  const socket = path.join(socketDir, `${name}.sock`);
  if (Buffer.byteLength(socket) > 107) {
    throw new Error(`forwarder: socket path ${socket} is longer than 107 bytes; use a shorter DP_HOME`);
  }
  return socket;
}
