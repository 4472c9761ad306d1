// The node's own network and mount namespaces, held open by one process (the holder). Everything of the
// node runs in them through `nsenter -t <holder> -m -n`: no address, route, iptables rule or sysctl of the
// cluster ever lands in the machine's own namespaces, and every mount it makes dies with the holder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../lib/exec';
import type { Reporter } from '../../lib/progress';
import { CLUSTER_NETWORK } from '../../infra/cluster/config';

/**
 * The machine-wide sysctls the kubelet insists on, with the values it wants. Each is bind-mounted from a
 * small file over /proc/sys inside the node's private mount namespace; with protectKernelDefaults the
 * kubelet then finds them right and never writes the machine's values.
 */
export const NODE_SYSCTL_FILES: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/** Per-network-namespace sysctls, written from inside the node's namespace only. */
export const NODE_NET_SYSCTLS: [string, string][] = [
  // ip_forward first: writing it resets every interface's forwarding flag.
  ['net/ipv4/ip_forward', '1'],
  ['net/ipv4/conf/all/route_localnet', '1'],
  // The gateway end forwards nothing: a packet for anywhere outside the node dies there.
  [`net/ipv4/conf/${CLUSTER_NETWORK.gatewayLink}/forwarding`, '0'],
];

/** The commands that give the node its network, in order (each run inside the namespace). */
export function networkSetupCommands(): string[][] {
  const n = CLUSTER_NETWORK;
  return [
    ['ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'link', 'add', n.nodeLink, 'type', 'veth', 'peer', 'name', n.gatewayLink],
    ['ip', 'addr', 'add', `${n.nodeIp}/${n.prefixLength}`, 'dev', n.nodeLink],
    // A host address on the peer without a subnet route of its own: the node's subnet stays on nodeLink.
    ['ip', 'addr', 'add', `${n.gatewayIp}/32`, 'dev', n.gatewayLink],
    ['ip', 'link', 'set', n.nodeLink, 'up'],
    ['ip', 'link', 'set', n.gatewayLink, 'up'],
    ['ip', 'route', 'add', 'default', 'via', n.gatewayIp, 'dev', n.nodeLink],
  ];
}

function nsId(pid: number | 'self', kind: 'net' | 'mnt'): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
}

/**
 * Throws unless `holder` lives in network and mount namespaces of its own: the guard before anything that
 * would otherwise change the machine (addresses, sysctls, mounts).
 */
export function assertOwnNamespaces(holder: number): void {
  for (const kind of ['net', 'mnt'] as const) {
    let theirs: string;
    try {
      theirs = nsId(holder, kind);
    } catch {
      throw new Error(
        `cluster: the node's namespace holder (pid ${holder}) is gone; run dp cluster down, then up`,
      );
    }
    if (theirs === nsId('self', kind)) {
      throw new Error(
        `cluster: pid ${holder} shares this machine's ${kind} namespace; refusing to configure it`,
      );
    }
  }
}

/** nsenter's arguments to run a command in the node's namespaces. */
export function nsenterArgs(
  holder: number,
  command: string[],
  kinds: ('net' | 'mnt')[] = ['mnt', 'net'],
): string[] {
  return ['-t', String(holder), ...kinds.map((k) => (k === 'mnt' ? '-m' : '-n')), '--', ...command];
}

async function inNode(holder: number, command: string[], report: Reporter) {
  assertOwnNamespaces(holder);
  await run('nsenter', nsenterArgs(holder, command), { component: 'cluster', report });
}

/** Network, per-namespace sysctls and the bind-mounted VM sysctls of a fresh holder. */
export async function setUpNode(holder: number, sysctlDir: string, report: Reporter): Promise<void> {
  for (const command of networkSetupCommands()) await inNode(holder, command, report);
  for (const [key, value] of NODE_NET_SYSCTLS) {
    await inNode(holder, ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', value, `/proc/sys/${key}`], report);
  }
  fs.mkdirSync(sysctlDir, { recursive: true });
  for (const [key, value] of Object.entries(NODE_SYSCTL_FILES)) {
    const file = path.join(sysctlDir, key.replace(/\//g, '.'));
    fs.writeFileSync(file, `${value}\n`);
    await inNode(holder, ['mount', '--bind', '-o', 'ro', file, `/proc/sys/${key}`], report);
  }
}
