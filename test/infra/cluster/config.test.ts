import * as path from 'node:path';
import { parse } from 'yaml';
import {
  bootstrapObjects,
  CGROUP_ROOT,
  CLUSTER_NETWORK,
  clusterFiles,
  cniConfig,
  containerdConfig,
  corefile,
  kubeconfig,
  kubeletConfig,
  kubeProxyConfig,
  processPlans,
  VOLUME_POOL,
} from '../../../infra/cluster/config';
import { localClusterPaths } from '../../../infra/cluster/layout';

const home = '/tmp/dp-home';
const f = clusterFiles(home);

describe('local cluster config', () => {
  test('keeps to the layout contract (kubeconfig, containerd socket, volumes)', () => {
    const layout = localClusterPaths(home);
    expect(f.kubeconfig).toBe(layout.kubeconfig);
    expect(f.containerdSocket).toBe(layout.containerdSocket);
    expect(f.volumes).toBe(layout.volumes);
  });

  test("containerd's config keeps all state under the cluster folder and restricts oom_score_adj", () => {
    const toml = containerdConfig(f, 'dp.local/pause:3.10', '/usr/sbin/runc');
    expect(toml).toContain('version = 3');
    expect(toml).toContain(`address = '${f.containerdSocket}'`);
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain("sandbox = 'dp.local/pause:3.10'");
    expect(toml).toContain("bin_dirs = ['/usr/lib/cni']");
    for (const line of toml.split('\n').filter((l) => /^\s*(root|state|path|Root) = /.test(l))) {
      expect(line).toContain(f.root);
    }
  });

  test('the kubelet config suits a cgroup v1 hybrid machine without systemd or swap accounting', () => {
    const config = parse(kubeletConfig(f)) as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      failSwapOn: false,
      cgroupRoot: CGROUP_ROOT,
      clusterDNS: [CLUSTER_NETWORK.nodeIp],
      containerRuntimeEndpoint: `unix://${f.containerdSocket}`,
      protectKernelDefaults: true,
    });
  });

  test('kube-proxy runs iptables mode and leaves the conntrack sysctls alone', () => {
    const config = parse(kubeProxyConfig(f)) as { mode: string; conntrack: Record<string, unknown> };
    expect(config.mode).toBe('iptables');
    expect(config.conntrack.maxPerCore).toBe(0);
  });

  test('the CNI network hands out pod addresses from the pod CIDR, with state under the cluster folder', () => {
    const cni = JSON.parse(cniConfig(f)) as { plugins: { type: string; ipam?: Record<string, unknown> }[] };
    expect(cni.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(cni.plugins[0].ipam).toMatchObject({
      dataDir: f.cniDataDir,
      ranges: [[{ subnet: '10.244.0.0/24' }]],
    });
  });

  test('CoreDNS binds the node address and reads the API with its own kubeconfig', () => {
    const text = corefile(f);
    expect(text).toContain(`bind ${CLUSTER_NETWORK.nodeIp}`);
    expect(text).toContain(`kubeconfig ${f.kubeconfigFor('coredns')} dp-local`);
    expect(text).not.toContain('forward');
  });

  test('every component gets a command line that names the cluster folder (the pid files match on it)', () => {
    const bin = {
      containerd: '/c',
      etcd: '/e',
      apiserver: '/a',
      controllerManager: '/m',
      scheduler: '/s',
      kubelet: '/k',
      kubeProxy: '/p',
      coredns: '/d',
    };
    const plans = processPlans(f, bin);
    expect(plans.map((p) => p.name)).toEqual([
      'containerd',
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kubelet',
      'kube-proxy',
      'coredns',
    ]);
    for (const plan of plans) expect(plan.args.join(' ')).toContain(f.root);
    const apiserver = plans.find((p) => p.name === 'kube-apiserver')!;
    expect(apiserver.args).toContain('--kubelet-preferred-address-types=InternalIP');
    expect(apiserver.args).toContain(`--service-cluster-ip-range=${CLUSTER_NETWORK.serviceCidr}`);
  });

  test('a kubeconfig with the dp-local context and client certificate files', () => {
    const config = parse(kubeconfig('https://127.0.0.1:16443', '/p/ca.crt', '/p/a.crt', '/p/a.key')) as {
      'current-context': string;
      clusters: { cluster: { server: string } }[];
    };
    expect(config['current-context']).toBe('dp-local');
    expect(config.clusters[0].cluster.server).toBe('https://127.0.0.1:16443');
  });

  test('a default StorageClass and a pool of hostPath volumes under the volumes folder', () => {
    const objects = bootstrapObjects(f) as {
      kind: string;
      metadata: { annotations?: object };
      spec?: { hostPath?: { path: string } };
    }[];
    const sc = objects.find((o) => o.kind === 'StorageClass')!;
    expect(sc.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    const pvs = objects.filter((o) => o.kind === 'PersistentVolume');
    expect(pvs).toHaveLength(VOLUME_POOL.count);
    for (const pv of pvs) expect(path.dirname(pv.spec!.hostPath!.path)).toBe(f.volumes);
  });
});
