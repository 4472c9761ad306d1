// The local cluster's configuration, rendered from one table of addresses and paths: containerd's config,
// the CNI network, the kubelet's and kube-proxy's configs, kubeconfigs, the CoreDNS Corefile, the command
// line of every component and the objects `dp cluster up` creates (StorageClass, PersistentVolumes, RBAC).
// Pure functions: the supervisor (platform/cluster) writes and runs what they return.
import * as path from 'node:path';
import { CONTAINERD_K8S_NAMESPACE, LOCAL_CLUSTER_CONTEXT, localClusterPaths } from './layout';

/** The node's network, all of it inside the node's own network namespace. */
export const CLUSTER_NETWORK = {
  nodeName: 'dp-node',
  /** The node's address, on one end of a veth pair whose both ends stay in the namespace. */
  nodeIp: '10.201.0.2',
  /** The other end: the node's default gateway, which forwards nothing (so no packet leaves). */
  gatewayIp: '10.201.0.1',
  prefixLength: 24,
  nodeLink: 'dpnode0',
  gatewayLink: 'dpnode1',
  podCidr: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/16',
  /** The `kubernetes` Service's ClusterIP: the first address of the service range. */
  apiServiceIp: '10.96.0.1',
  apiPort: 6443,
  etcdClientPort: 2379,
  etcdPeerPort: 2380,
  clusterDomain: 'cluster.local',
  cniBridge: 'cni0',
} as const;

/** The cgroup (under every hierarchy) the kubelet puts pods in; removed by `dp cluster down`. */
export const CGROUP_ROOT = '/dp-cluster';

/** The PersistentVolume pool `dp cluster up` keeps: enough for the platform's stateful pods. */
export const VOLUME_POOL = { count: 12, size: '20Gi', storageClass: 'dp-local' } as const;

/** Every file and folder of the running cluster, under <DP_HOME>/cluster (extends layout.ts). */
export function clusterFiles(home: string) {
  const base = localClusterPaths(home);
  const root = base.root;
  const run = path.join(root, 'run');
  const config = path.join(root, 'config');
  const pki = path.join(root, 'pki');
  return {
    ...base,
    pki,
    config,
    run,
    pids: path.join(run, 'pids'),
    /** The sockets the forwarders' two halves meet at (a Unix socket file crosses network namespaces). */
    forwardSockets: path.join(run, 'fwd'),
    /** The forwards the two halves serve; rewritten when a forward is added, both halves follow it. */
    forwardsFile: path.join(config, 'forwards.json'),
    /** Files holding the sysctl values bind-mounted over /proc/sys inside the node's mount namespace. */
    sysctls: path.join(run, 'sysctl'),
    containerdConfig: path.join(config, 'containerd.toml'),
    containerdRoot: path.join(root, 'containerd'),
    containerdState: path.join(run, 'containerd'),
    runcRoot: path.join(run, 'runc'),
    cniConfDir: path.join(config, 'cni'),
    cniDataDir: path.join(root, 'cni'),
    etcdData: path.join(root, 'etcd'),
    kubeletRoot: path.join(root, 'kubelet'),
    kubeletConfig: path.join(config, 'kubelet.yaml'),
    kubeProxyConfig: path.join(config, 'kube-proxy.yaml'),
    schedulerConfig: path.join(config, 'scheduler.yaml'),
    resolvConf: path.join(config, 'resolv.conf'),
    corefile: path.join(config, 'Corefile'),
    podLogs: path.join(base.logs, 'pods'),
    kubeconfigFor: (user: ComponentUser) => path.join(config, `${user}.kubeconfig`),
  };
}
export type ClusterFiles = ReturnType<typeof clusterFiles>;

/** The identities that hold a client certificate, each a kubeconfig of its own. */
export const COMPONENT_USERS = [
  'admin',
  'controller-manager',
  'scheduler',
  'kubelet',
  'kube-proxy',
  'coredns',
] as const;
export type ComponentUser = (typeof COMPONENT_USERS)[number];

function toml(value: string): string {
  return `'${value.replace(/'/g, '')}'`;
}

export function containerdConfig(f: ClusterFiles, pauseImage: string, runc: string): string {
  return `# Written by dp cluster up; every path under ${f.root}, nothing under /var/lib or /run/containerd.
version = 3
root = ${toml(f.containerdRoot)}
state = ${toml(f.containerdState)}

[grpc]
  address = ${toml(f.containerdSocket)}

[ttrpc]
  address = ${toml(`${f.containerdSocket}.ttrpc`)}

[plugins.'io.containerd.internal.v1.opt']
  path = ${toml(path.join(f.containerdRoot, 'opt'))}

[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${toml(pauseImage)}

[plugins.'io.containerd.cri.v1.runtime']
  # root lacks CAP_SYS_RESOURCE here: a sandbox asking for a lower oom_score_adj fails without this.
  restrict_oom_score_adj = true
  # Pods' network namespaces under the state folder, not /run/netns.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = ${toml(runc)}
        Root = ${toml(f.runcRoot)}
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = ${toml(f.cniConfDir)}
`;
}

/** The CNI network of the pods: a bridge with host-local addresses, port mappings, loopback. */
export function cniConfig(f: ClusterFiles): string {
  const n = CLUSTER_NETWORK;
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'dp-pods',
      plugins: [
        {
          type: 'bridge',
          bridge: n.cniBridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: f.cniDataDir,
            ranges: [[{ subnet: n.podCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** The loopback network every pod also gets (containerd reads it from the same folder). */
export function cniLoopbackConfig(): string {
  return JSON.stringify({ cniVersion: '1.0.0', name: 'lo', type: 'loopback' }, null, 2);
}

export function kubeletConfig(f: ClusterFiles): string {
  const n = CLUSTER_NETWORK;
  return `# Written by dp cluster up.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${JSON.stringify(path.join(f.pki, 'ca.crt'))} }
authorization: { mode: Webhook }
address: ${n.nodeIp}
containerRuntimeEndpoint: ${JSON.stringify(`unix://${f.containerdSocket}`)}
# This machine's cgroups are a v1/v2 hybrid without systemd, and it has no swap accounting to speak of.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: ${CGROUP_ROOT}
failSwapOn: false
# The machine-wide sysctls it wants are bind-mounted in the node's mount namespace: never write them.
protectKernelDefaults: true
# CoreDNS runs as a process of the node, on the node's address.
clusterDNS: [${n.nodeIp}]
clusterDomain: ${n.clusterDomain}
resolvConf: ${JSON.stringify(f.resolvConf)}
podLogsDir: ${JSON.stringify(f.podLogs)}
# Images are imported, never pulled: none may be collected, and a crowded disk must not evict the pods.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
maxPods: 110
`;
}

export function kubeProxyConfig(f: ClusterFiles): string {
  const n = CLUSTER_NETWORK;
  return `# Written by dp cluster up.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: ${JSON.stringify(f.kubeconfigFor('kube-proxy'))}
hostnameOverride: ${n.nodeName}
clusterCIDR: ${n.podCidr}
bindAddress: ${n.nodeIp}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables:
  # Pods on one bridge: masquerading every Service connection brings the reply back through kube-proxy's
  # rules even where bridged packets skip iptables.
  masqueradeAll: true
# Leave the conntrack sysctls alone (some are machine-wide).
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

export function schedulerConfig(f: ClusterFiles): string {
  return `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: ${JSON.stringify(f.kubeconfigFor('scheduler'))}
leaderElection:
  leaderElect: false
`;
}

/** CoreDNS serves the cluster domain from the API server; it forwards nothing (no network leaves the node). */
export function corefile(f: ClusterFiles): string {
  const n = CLUSTER_NETWORK;
  return `.:53 {
    bind ${n.nodeIp}
    errors
    health 127.0.0.1:8181
    ready 127.0.0.1:8182
    kubernetes ${n.clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${f.kubeconfigFor('coredns')} ${LOCAL_CLUSTER_CONTEXT}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
`;
}

/** A kubeconfig with client certificate files (the files stay in the pki folder). */
export function kubeconfig(server: string, caFile: string, certFile: string, keyFile: string): string {
  const c = LOCAL_CLUSTER_CONTEXT;
  return `apiVersion: v1
kind: Config
clusters:
  - name: ${c}
    cluster:
      server: ${server}
      certificate-authority: ${JSON.stringify(caFile)}
users:
  - name: ${c}
    user:
      client-certificate: ${JSON.stringify(certFile)}
      client-key: ${JSON.stringify(keyFile)}
contexts:
  - name: ${c}
    context:
      cluster: ${c}
      user: ${c}
current-context: ${c}
`;
}

/** The URL each kubeconfig names: the host's through the loopback forwarder, the node's own otherwise. */
export function apiServerUrl(where: 'host' | 'node', hostPort: number): string {
  return where === 'host'
    ? `https://127.0.0.1:${hostPort}`
    : `https://${CLUSTER_NETWORK.nodeIp}:${CLUSTER_NETWORK.apiPort}`;
}

export interface ProcessPlan {
  name: ClusterProcess;
  command: string;
  args: string[];
}

export const CLUSTER_PROCESSES = [
  'containerd',
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'coredns',
] as const;
export type ClusterProcess = (typeof CLUSTER_PROCESSES)[number];

export interface Binaries {
  containerd: string;
  etcd: string;
  apiserver: string;
  controllerManager: string;
  scheduler: string;
  kubelet: string;
  kubeProxy: string;
  coredns: string;
}

/** The common name of the API server's front-proxy client certificate (its aggregation layer). */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

/** The command line of every component, in start order. */
export function processPlans(f: ClusterFiles, bin: Binaries): ProcessPlan[] {
  const n = CLUSTER_NETWORK;
  const pki = (file: string) => path.join(f.pki, file);
  const etcd = `http://127.0.0.1:${n.etcdClientPort}`;
  return [
    { name: 'containerd', command: bin.containerd, args: ['--config', f.containerdConfig] },
    {
      name: 'etcd',
      command: bin.etcd,
      args: [
        '--name=dp-node',
        `--data-dir=${f.etcdData}`,
        `--listen-client-urls=${etcd}`,
        `--advertise-client-urls=${etcd}`,
        `--listen-peer-urls=http://127.0.0.1:${n.etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${n.etcdPeerPort}`,
        `--initial-cluster=dp-node=http://127.0.0.1:${n.etcdPeerPort}`,
        '--listen-metrics-urls=',
      ],
    },
    {
      name: 'kube-apiserver',
      command: bin.apiserver,
      args: [
        `--etcd-servers=${etcd}`,
        `--advertise-address=${n.nodeIp}`,
        '--bind-address=0.0.0.0',
        `--secure-port=${n.apiPort}`,
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        '--authorization-mode=Node,RBAC',
        `--service-cluster-ip-range=${n.serviceCidr}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${pki('sa.pub')}`,
        `--service-account-signing-key-file=${pki('sa.key')}`,
        `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
        `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
        // exec and logs go to the kubelet's address as registered; the node has no resolvable hostname.
        '--kubelet-preferred-address-types=InternalIP',
        '--allow-privileged=true',
        // The aggregation layer (KEDA's external metrics): requests it proxies carry the front-proxy client
        // certificate and the caller in X-Remote-* headers; it dials the serving pod directly (endpoints).
        `--requestheader-client-ca-file=${pki('ca.crt')}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${pki('front-proxy-client.crt')}`,
        `--proxy-client-key-file=${pki('front-proxy-client.key')}`,
        '--enable-aggregator-routing=true',
      ],
    },
    {
      name: 'kube-controller-manager',
      command: bin.controllerManager,
      args: [
        `--kubeconfig=${f.kubeconfigFor('controller-manager')}`,
        `--authentication-kubeconfig=${f.kubeconfigFor('controller-manager')}`,
        `--authorization-kubeconfig=${f.kubeconfigFor('controller-manager')}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=false',
        `--service-cluster-ip-range=${n.serviceCidr}`,
        `--service-account-private-key-file=${pki('sa.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        '--use-service-account-credentials=true',
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
      ],
    },
    {
      name: 'kube-scheduler',
      command: bin.scheduler,
      args: [`--config=${f.schedulerConfig}`, '--bind-address=127.0.0.1'],
    },
    {
      name: 'kubelet',
      command: bin.kubelet,
      args: [
        `--config=${f.kubeletConfig}`,
        `--kubeconfig=${f.kubeconfigFor('kubelet')}`,
        `--root-dir=${f.kubeletRoot}`,
        `--cert-dir=${path.join(f.kubeletRoot, 'pki')}`,
        `--hostname-override=${n.nodeName}`,
        `--node-ip=${n.nodeIp}`,
      ],
    },
    { name: 'kube-proxy', command: bin.kubeProxy, args: [`--config=${f.kubeProxyConfig}`] },
    { name: 'coredns', command: bin.coredns, args: ['-conf', f.corefile] },
  ];
}

/** The objects `dp cluster up` applies once the API server runs. */
export function bootstrapObjects(f: ClusterFiles): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'dp:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'dp:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'dp:coredns' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:coredns' }],
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: VOLUME_POOL.storageClass,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'kubernetes.io/no-provisioner',
      // A claim binds when its pod is scheduled; the pool's volumes are all on the one node.
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Retain',
    },
  ];
  for (const pv of volumePool(f)) objects.push(pv);
  return objects;
}

export function volumeName(index: number): string {
  return `dp-local-pv-${String(index).padStart(2, '0')}`;
}

/** hostPath PersistentVolumes under the volumes folder; Retain, so data outlives claims and restarts. */
export function volumePool(f: ClusterFiles): Record<string, unknown>[] {
  return Array.from({ length: VOLUME_POOL.count }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeName(i), labels: { 'dp.local/pool': 'default' } },
    spec: {
      capacity: { storage: VOLUME_POOL.size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: VOLUME_POOL.storageClass,
      hostPath: { path: path.join(f.volumes, volumeName(i)), type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: [CLUSTER_NETWORK.nodeName] },
              ],
            },
          ],
        },
      },
    },
  }));
}

/** ctr's arguments to import an image archive into the kubelet's namespace. */
export function ctrImportArgs(socket: string, archive: string): string[] {
  return ['--address', socket, '-n', CONTAINERD_K8S_NAMESPACE, 'images', 'import', archive];
}
