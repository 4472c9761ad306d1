// `dp cluster up | down | status`: a single-node Kubernetes cluster run as processes of this machine.
//
// up:     installs what is missing, makes the PKI, writes the configs, starts the namespace holder, gives
//         the node its network, starts the loopback forwarder, then containerd, etcd, kube-apiserver, the
//         controller-manager (once the default RBAC exists), the scheduler, the kubelet, kube-proxy and
//         CoreDNS, each through nsenter into the node; creates the StorageClass and the volume pool; waits
//         for the node to be Ready; writes the kubeconfig.
// down:   stops them (deadline, then SIGKILL), kills every pod's processes, removes the pods' cgroups and
//         ends the holder, with which the node's mounts and network go. Data (etcd, volumes, pki, images)
//         stays for the next up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlatformConfig } from '../../lib/config';
import { run, runLines } from '../../lib/exec';
import { isAlive, isPortFree, runningPid, startDetached, stopProcess, tailFile } from '../../lib/process';
import { formatSeconds, type Reporter } from '../../lib/progress';
import { pollUntil, sleep } from '../../lib/time';
import {
  apiServerUrl,
  bootstrapObjects,
  CGROUP_ROOT,
  CLUSTER_NETWORK,
  CLUSTER_PROCESSES,
  clusterFiles,
  cniConfig,
  cniLoopbackConfig,
  containerdConfig,
  corefile,
  ctrImportArgs,
  kubeconfig,
  kubeletConfig,
  kubeProxyConfig,
  processPlans,
  schedulerConfig,
  volumeName,
  VOLUME_POOL,
  COMPONENT_USERS,
  type ClusterFiles,
  type ClusterProcess,
} from '../../infra/cluster/config';
import {
  checkClusterPrerequisites,
  clusterToolPaths,
  installClusterTools,
  PAUSE_IMAGE,
} from '../../infra/cluster/install';
import { CONTAINERD_K8S_NAMESPACE } from '../../infra/cluster/layout';
import { ensurePki } from '../../infra/cluster/pki';
import { parseYamlDocuments } from '../../infra/k8s/yaml';
import { adminApi, apiReady, createMissing, nodeReady } from './api';
import { readForwards, withForward, writeForwards, type Forward } from './forwards';
import { assertOwnNamespaces, nsenterArgs, setUpNode } from './namespace';

export const HOLDER = 'node-holder';
export const FORWARDER_HOST = 'forwarder-host';
export const FORWARDER_NODE = 'forwarder-node';
/** Every process `dp cluster` starts, by the name of its pid and log file. */
export const SUPERVISED = [HOLDER, FORWARDER_HOST, FORWARDER_NODE, ...CLUSTER_PROCESSES] as const;
export type Supervised = (typeof SUPERVISED)[number];

/** The forward of the API server, always present. */
export const API_FORWARD_NAME = 'kube-apiserver';

const pidFile = (f: ClusterFiles, name: string) => path.join(f.pids, `${name}.pid`);
const logFile = (f: ClusterFiles, name: string) => path.join(f.logs, `${name}.log`);

/** PATH of the node's processes: containerd's shim first (containerd looks it up there), then the system's. */
function nodeEnv(cacheDir: string): NodeJS.ProcessEnv {
  return {
    PATH: [
      clusterToolPaths(cacheDir).containerdDir,
      '/usr/local/sbin',
      '/usr/local/bin',
      '/usr/sbin',
      '/usr/bin',
      '/sbin',
      '/bin',
    ].join(':'),
    HOME: process.env.HOME ?? '/root',
  };
}

function forwarderCommand(f: ClusterFiles, half: 'host' | 'node'): string[] {
  const main = path.join(__dirname, 'forwarder-main.ts');
  const extra = half === 'node' ? [CLUSTER_NETWORK.nodeIp] : [];
  return [
    process.execPath,
    '-r',
    require.resolve('tsx/cjs'),
    main,
    half,
    f.forwardsFile,
    f.forwardSockets,
    ...extra,
  ];
}

export interface ProcessState {
  name: Supervised;
  pid?: number;
  alive: boolean;
}

export interface ClusterStatus {
  /** Every process alive, the API server answering and the node Ready. */
  up: boolean;
  processes: ProcessState[];
  apiServer: { url: string; reachable: boolean };
  nodeReady: boolean;
  kubeconfig: string;
  forwards: Forward[];
}

export async function clusterStatus(config: PlatformConfig): Promise<ClusterStatus> {
  const f = clusterFiles(config.home);
  const processes = SUPERVISED.map((name) => {
    const pid = runningPid(pidFile(f, name));
    return { name, pid, alive: pid !== undefined };
  });
  const port = config.ports.clusterApi;
  let reachable = false;
  let ready = false;
  if (fs.existsSync(path.join(f.pki, 'admin.key')) && processes.every((p) => p.alive)) {
    const api = adminApi(port, f.pki);
    reachable = await apiReady(api);
    ready = reachable && (await nodeReady(api, CLUSTER_NETWORK.nodeName));
  }
  let forwards: Forward[] = [];
  try {
    forwards = readForwards(f.forwardsFile);
  } catch {
    // shown as none
  }
  return {
    up: processes.every((p) => p.alive) && reachable && ready,
    processes,
    apiServer: { url: apiServerUrl('host', port), reachable },
    nodeReady: ready,
    kubeconfig: f.kubeconfig,
    forwards,
  };
}

function writeConfigs(config: PlatformConfig, f: ClusterFiles) {
  for (const dir of [f.config, f.cniConfDir, f.pids, f.logs, f.podLogs, f.volumes, f.forwardSockets, f.run]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  // The pool's volumes are made here, writable by every user: pods run as their own non-root users, and
  // a hostPath volume, unlike others, is not handed to the pod's fsGroup.
  for (let i = 0; i < VOLUME_POOL.count; i++) {
    const dir = path.join(f.volumes, volumeName(i));
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o1777);
  }
  const runc = ['/usr/sbin/runc', '/usr/bin/runc', '/sbin/runc'].find((p) => fs.existsSync(p)) ?? 'runc';
  fs.writeFileSync(f.containerdConfig, containerdConfig(f, PAUSE_IMAGE, runc));
  fs.writeFileSync(path.join(f.cniConfDir, '10-dp-pods.conflist'), cniConfig(f));
  fs.writeFileSync(path.join(f.cniConfDir, '99-loopback.conf'), cniLoopbackConfig());
  fs.writeFileSync(f.kubeletConfig, kubeletConfig(f));
  fs.writeFileSync(f.kubeProxyConfig, kubeProxyConfig(f));
  fs.writeFileSync(f.schedulerConfig, schedulerConfig(f));
  fs.writeFileSync(f.corefile, corefile(f));
  fs.writeFileSync(f.resolvConf, `nameserver ${CLUSTER_NETWORK.nodeIp}\n`);
  const ca = path.join(f.pki, 'ca.crt');
  for (const user of COMPONENT_USERS) {
    const cert = path.join(f.pki, `${user}.crt`);
    const key = path.join(f.pki, `${user}.key`);
    fs.writeFileSync(f.kubeconfigFor(user), kubeconfig(apiServerUrl('node', 0), ca, cert, key), {
      mode: 0o600,
    });
  }
  for (let i = 0; i < VOLUME_POOL.count; i++)
    fs.mkdirSync(path.join(f.volumes, volumeName(i)), { recursive: true });
}

function writeHostKubeconfig(config: PlatformConfig, f: ClusterFiles) {
  fs.writeFileSync(
    f.kubeconfig,
    kubeconfig(
      apiServerUrl('host', config.ports.clusterApi),
      path.join(f.pki, 'ca.crt'),
      path.join(f.pki, 'admin.crt'),
      path.join(f.pki, 'admin.key'),
    ),
    { mode: 0o600 },
  );
}

/** Starts a supervised process; fails with its log when it dies within the first moments. */
function start(
  f: ClusterFiles,
  name: Supervised,
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): number {
  return startDetached({
    name,
    command,
    args,
    cwd: f.root,
    env: env ?? process.env,
    logFile: logFile(f, name),
    pidFile: pidFile(f, name),
    marker: f.root,
  });
}

function failIfDead(f: ClusterFiles, name: Supervised, pid: number) {
  if (!isAlive(pid)) {
    throw new Error(
      `cluster: ${name} exited while starting; its log (${logFile(f, name)}) ends with:\n${tailFile(logFile(f, name), 25)}\nRun dp cluster down, fix the cause, then dp cluster up.`,
    );
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  watch: { f: ClusterFiles; name: Supervised; pid: number }[],
  report: Reporter,
  timeoutMs = 120_000,
) {
  const started = Date.now();
  let lastReport = 0;
  const ok = await pollUntil(
    async () => {
      for (const w of watch) failIfDead(w.f, w.name, w.pid);
      return check();
    },
    {
      timeoutMs,
      intervalMs: 250,
      onWait: (waited) => {
        if (waited - lastReport >= 10_000) {
          lastReport = waited;
          report('cluster', `waiting for ${what} (${formatSeconds(waited)})`);
        }
      },
    },
  );
  if (!ok) {
    const logs = watch.map((w) => `--- ${w.name}\n${tailFile(logFile(w.f, w.name), 15)}`).join('\n');
    throw new Error(`cluster: ${what} not after ${formatSeconds(Date.now() - started)}.\n${logs}`);
  }
}

export interface UpResult {
  alreadyUp: boolean;
  elapsedMs: number;
  kubeconfig: string;
}

export async function clusterUp(config: PlatformConfig, report: Reporter): Promise<UpResult> {
  const started = Date.now();
  const f = clusterFiles(config.home);
  checkClusterPrerequisites();
  await installClusterTools(config.cacheDir, report);

  const status = await clusterStatus(config);
  if (status.up) {
    writeHostKubeconfig(config, f);
    report(
      'cluster',
      `already up: node ${CLUSTER_NETWORK.nodeName} Ready, API server ${status.apiServer.url}`,
    );
    return { alreadyUp: true, elapsedMs: Date.now() - started, kubeconfig: f.kubeconfig };
  }
  if (status.processes.some((p) => p.alive)) {
    report('cluster', 'partly running: stopping what runs before starting again');
    await clusterDown(config, report);
  }
  const port = config.ports.clusterApi;
  if (!(await isPortFree(port, '127.0.0.1'))) {
    throw new Error(
      `cluster: 127.0.0.1:${port} (the API server's forward) is in use. Free it or set DP_PORT_CLUSTER_API.`,
    );
  }

  await ensurePki(f.pki, report);
  writeConfigs(config, f);
  writeForwards(
    f.forwardsFile,
    withForward(safeForwards(f), {
      name: API_FORWARD_NAME,
      hostPort: port,
      target: `${CLUSTER_NETWORK.nodeIp}:${CLUSTER_NETWORK.apiPort}`,
    }),
  );

  // The holder: unshare execs sh, so its pid is the namespaces' first process; the loop keeps it alive.
  report('cluster', 'starting the node namespace (network + mount)');
  const holder = start(f, HOLDER, 'unshare', [
    '--mount',
    '--net',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done',
    'dp-node-holder',
    f.root,
  ]);
  await waitFor(
    'the node namespace',
    () => {
      try {
        assertOwnNamespaces(holder);
        return true;
      } catch {
        return false;
      }
    },
    [{ f, name: HOLDER, pid: holder }],
    report,
    10_000,
  );
  await setUpNode(holder, f.sysctls, report);

  const [hostCmd, ...hostArgs] = forwarderCommand(f, 'host');
  start(f, FORWARDER_HOST, hostCmd, hostArgs);
  start(f, FORWARDER_NODE, 'nsenter', nsenterArgs(holder, forwarderCommand(f, 'node'), ['net']));

  const tools = clusterToolPaths(config.cacheDir);
  const plans = processPlans(f, {
    containerd: tools.containerd,
    etcd: tools.etcd,
    apiserver: tools.apiserver,
    controllerManager: tools.controllerManager,
    scheduler: tools.scheduler,
    kubelet: tools.kubelet,
    kubeProxy: tools.kubeProxy,
    coredns: tools.coredns,
  });
  const env = nodeEnv(config.cacheDir);
  const pids = new Map<ClusterProcess, number>();
  const startPlan = (name: ClusterProcess) => {
    const plan = plans.find((p) => p.name === name)!;
    assertOwnNamespaces(holder);
    report('cluster', `starting ${name}`);
    pids.set(name, start(f, name, 'nsenter', nsenterArgs(holder, [plan.command, ...plan.args]), env));
  };
  const watching = () => [...pids].map(([name, pid]) => ({ f, name: name as Supervised, pid }));

  startPlan('containerd');
  await waitFor('containerd', () => fs.existsSync(f.containerdSocket), watching(), report, 30_000);
  await importPause(config.cacheDir, f, report);

  startPlan('etcd');
  startPlan('kube-apiserver');
  const api = adminApi(port, f.pki);
  await waitFor('the API server (/readyz through 127.0.0.1)', () => apiReady(api), watching(), report);
  const created = await createMissing(api, bootstrapObjects(f));
  report('cluster', `API server ready; ${created} of the StorageClass, volume pool and RBAC objects created`);
  // KEDA's kinds exist from the start, so the platform's ScaledObject applies before KEDA itself runs.
  const crds = await createMissing(api, kedaCrds(config.cacheDir));
  if (crds > 0) report('cluster', `KEDA's ${crds} CRDs created`);
  // The controller-manager exits when its RBAC is not there yet.
  await waitFor(
    'the default RBAC',
    async () =>
      (await api.get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:kube-controller-manager'))
        .status === 200,
    watching(),
    report,
  );
  createCgroupRoot();
  for (const name of [
    'kube-controller-manager',
    'kube-scheduler',
    'kubelet',
    'kube-proxy',
    'coredns',
  ] as const) {
    startPlan(name);
  }
  await waitFor(
    `node ${CLUSTER_NETWORK.nodeName} Ready`,
    () => nodeReady(api, CLUSTER_NETWORK.nodeName, started),
    watching(),
    report,
  );
  // Pods can be created once the controller-manager made the default namespace's service account.
  await waitFor(
    'the default service account',
    async () => (await api.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    watching(),
    report,
  );
  writeHostKubeconfig(config, f);
  const elapsedMs = Date.now() - started;
  report('cluster', `up in ${formatSeconds(elapsedMs)}; KUBECONFIG=${f.kubeconfig} (context dp-local)`);
  return { alreadyUp: false, elapsedMs, kubeconfig: f.kubeconfig };
}

/** KEDA's CRDs as `dp install --cluster` copied them from the KEDA module it built. */
function kedaCrds(cacheDir: string): Record<string, unknown>[] {
  const dir = clusterToolPaths(cacheDir).kedaCrds;
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => parseYamlDocuments(fs.readFileSync(path.join(dir, file), 'utf8')))
    .map((doc) => doc as Record<string, unknown>);
}

function safeForwards(f: ClusterFiles): Forward[] {
  try {
    return readForwards(f.forwardsFile);
  } catch {
    return [];
  }
}

async function importPause(cacheDir: string, f: ClusterFiles, report: Reporter) {
  const { ctr, pauseArchive: archive } = clusterToolPaths(cacheDir);
  const listed = await runLines(ctr, [
    '--address',
    f.containerdSocket,
    '-n',
    CONTAINERD_K8S_NAMESPACE,
    'images',
    'ls',
    '-q',
  ]);
  if (listed.code === 0 && listed.output.split('\n').includes(PAUSE_IMAGE)) return;
  report('cluster', `importing ${PAUSE_IMAGE} into containerd`);
  await run(ctr, ctrImportArgs(f.containerdSocket, archive), { component: 'cluster', report });
}

/** Adds (or replaces) a loopback forward; a running forwarder picks it up within a second. */
export function addClusterForward(config: PlatformConfig, forward: Forward): void {
  const f = clusterFiles(config.home);
  writeForwards(f.forwardsFile, withForward(safeForwards(f), forward));
}

/** The cgroup hierarchies of this machine (v1 controllers, named ones and the v2 mount). */
function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(base, 'cgroup.procs'))) return [base]; // pure v2
  return fs
    .readdirSync(base)
    .map((name) => path.join(base, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'cgroup.procs')));
}

/**
 * The kubelet wants its cgroupRoot to exist in every hierarchy. cpuset's needs CPUs and memory nodes before
 * anything can join it: they are copied from the hierarchy's root.
 */
function createCgroupRoot() {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = path.join(hierarchy, CGROUP_ROOT);
    fs.mkdirSync(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = path.join(hierarchy, file);
      const own = path.join(dir, file);
      if (fs.existsSync(parent) && fs.existsSync(own) && fs.readFileSync(own, 'utf8').trim() === '') {
        fs.writeFileSync(own, fs.readFileSync(parent, 'utf8').trim());
      }
    }
  }
}

/** Every cgroup under `dir`, deepest first. */
function cgroupsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...cgroupsUnder(path.join(dir, entry.name)));
  }
  out.push(dir);
  return out;
}

function pidsIn(cgroup: string): number[] {
  try {
    return fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A pod's memory as the kubelet counts its working set: the pod cgroup's usage less its inactive file pages
 * (MiB), or undefined when this machine has no such pod. The kubelet names the cgroup pod<uid>.
 */
export function podWorkingSetMiB(uid: string, cgroupBase = '/sys/fs/cgroup'): number | undefined {
  if (!/^[0-9a-f-]{36}$/.test(uid)) return undefined;
  const v2 = fs.existsSync(path.join(cgroupBase, 'cgroup.procs'));
  const memoryRoot = path.join(cgroupBase, v2 ? '' : 'memory', CGROUP_ROOT);
  const dir = cgroupsUnder(memoryRoot).find((d) => path.basename(d) === `pod${uid}`);
  if (!dir) return undefined;
  try {
    const usage = Number(
      fs.readFileSync(path.join(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'), 'utf8'),
    );
    const stat = fs.readFileSync(path.join(dir, 'memory.stat'), 'utf8');
    const inactive = Number(
      stat.match(new RegExp(`^${v2 ? '' : 'total_'}inactive_file (\\d+)$`, 'm'))?.[1] ?? 0,
    );
    return Math.round(Math.max(0, usage - inactive) / 1024 / 1024);
  } catch {
    return undefined;
  }
}

/** The cluster's cgroups (under CGROUP_ROOT in each hierarchy), deepest first. */
export function clusterCgroups(): string[] {
  return cgroupHierarchies().flatMap((h) => cgroupsUnder(path.join(h, CGROUP_ROOT)));
}

function kill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Processes in the given mount namespace (the node's), but not this one. */
function processesInNamespace(nsLink: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (
        fs.readlinkSync(`/proc/${entry}/ns/mnt`) === nsLink ||
        fs.readlinkSync(`/proc/${entry}/ns/net`) === nsLink
      ) {
        found.push(Number(entry));
      }
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function removeCgroups(report: Reporter) {
  const cgroups = clusterCgroups();
  if (cgroups.length === 0) return;
  for (let attempt = 0; attempt < 20; attempt++) {
    let left = 0;
    for (const cgroup of clusterCgroups()) {
      for (const pid of pidsIn(cgroup)) kill(pid);
      try {
        fs.rmdirSync(cgroup);
      } catch {
        left += 1;
      }
    }
    if (left === 0) break;
    await sleep(250);
  }
  const remaining = clusterCgroups();
  if (remaining.length > 0)
    report('cluster', `could not remove ${remaining.length} cgroups, e.g. ${remaining[0]}`);
  else report('cluster', `removed ${cgroups.length} cgroups under ${CGROUP_ROOT}`);
}

async function killAllTasks(config: PlatformConfig, f: ClusterFiles, report: Reporter) {
  const ctr = clusterToolPaths(config.cacheDir).ctr;
  if (!fs.existsSync(ctr) || !fs.existsSync(f.containerdSocket)) return;
  const base = ['--address', f.containerdSocket, '-n', CONTAINERD_K8S_NAMESPACE, '--timeout', '10s'];
  const listed = await runLines(ctr, [...base, 'tasks', 'ls', '-q']);
  if (listed.code !== 0) return;
  const tasks = listed.output.split('\n').filter((t) => /^[0-9a-f]{64}$/.test(t));
  if (tasks.length > 0) report('cluster', `stopping ${tasks.length} pod containers`);
  for (const task of tasks) await runLines(ctr, [...base, 'tasks', 'kill', '-a', '-s', 'SIGKILL', task]);
  for (const task of tasks) await runLines(ctr, [...base, 'tasks', 'delete', '-f', task]);
}

export async function clusterDown(config: PlatformConfig, report: Reporter): Promise<boolean> {
  const f = clusterFiles(config.home);
  const holder = runningPid(pidFile(f, HOLDER));
  let nodeMnt: string | undefined;
  let nodeNet: string | undefined;
  if (holder !== undefined) {
    try {
      assertOwnNamespaces(holder);
      nodeMnt = fs.readlinkSync(`/proc/${holder}/ns/mnt`);
      nodeNet = fs.readlinkSync(`/proc/${holder}/ns/net`);
    } catch {
      // not ours to sweep
    }
  }
  let stopped = false;
  const stop = async (name: Supervised, graceMs: number) => {
    if (await stopProcess(pidFile(f, name), graceMs)) {
      stopped = true;
      report('cluster', `stopped ${name}`);
    }
  };
  // First whatever would restart pods, then the pods, then the control plane.
  for (const name of [
    FORWARDER_HOST,
    FORWARDER_NODE,
    'kubelet',
    'kube-proxy',
    'coredns',
    'kube-scheduler',
    'kube-controller-manager',
  ] as const) {
    await stop(name, 10_000);
  }
  await killAllTasks(config, f, report);
  await stop('containerd', 10_000);
  // The API server sometimes ignores SIGTERM for minutes: a short deadline, then SIGKILL.
  await stop('kube-apiserver', 10_000);
  await stop('etcd', 15_000);
  for (const ns of [nodeMnt, nodeNet]) {
    if (!ns) continue;
    const left = processesInNamespace(ns).filter((pid) => pid !== holder);
    if (left.length > 0) report('cluster', `killing ${left.length} processes left in the node (shims, pods)`);
    left.forEach(kill);
  }
  await removeCgroups(report);
  await stop(HOLDER, 5_000);
  // Runtime state only; the node's mounts went with its mount namespace. Data, images and pki stay.
  for (const dir of [f.containerdState, f.runcRoot, f.forwardSockets, f.sysctls]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report('cluster', stopped ? 'down; data kept for the next up' : 'was not running');
  return stopped;
}
