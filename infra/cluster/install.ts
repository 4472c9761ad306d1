// What `dp cluster up` runs, installed into the cache like the platform's tools (built aside, renamed into
// place, a stamp per folder):
//
// - kubelet, kube-controller-manager, kube-scheduler, kube-proxy from the wrapper module infra/local/kube
//   (kube-apiserver and etcd come from the same module, see infra/local/install-kube.ts);
// - containerd with its runc shim and ctr, and CoreDNS, from the Go module proxy (CGO_ENABLED=0);
// - the pause image (the sandbox every pod starts with): pause.c of the k8s.io/kubernetes module, linked
//   statically and packed as an OCI image archive, imported into containerd by `dp cluster up`.
//
// The Debian packages the node needs at run time are checked first (clusterPrerequisitesMissing), with one
// message naming the apt-get command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../lib/exec';
import { REPO_ROOT } from '../../lib/config';
import { formatBytes, formatSeconds, type Reporter } from '../../lib/progress';
import { goBuild, goEnv, goProgress, installDir } from '../local/install';
import {
  goModuleDir,
  installApiServer,
  KUBE_WRAPPER_DIR,
  KUBERNETES,
  kubeToolPaths,
  kubeVersionLdflags,
} from '../local/install-kube';
import { withInstallLock } from '../local/install-lock';
import { MissingPrerequisite } from '../local/prereqs';

export const CONTAINERD = { module: 'github.com/containerd/containerd/v2', version: 'v2.4.2' };
export const COREDNS = { module: 'github.com/coredns/coredns', version: 'v1.14.7' };
/**
 * Prometheus 3.16 (its Go module numbers releases v0.3xx): the server the local cluster's monitoring runs,
 * built with only the Kubernetes service discovery (Prometheus's remove_all_sd / enable_*_sd build tags).
 */
export const PROMETHEUS = {
  module: 'github.com/prometheus/prometheus',
  version: 'v0.316.0',
  release: '3.16.0',
  tags: 'remove_all_sd,enable_kubernetes_sd',
};
/**
 * KEDA's operator and metrics API server, built through the wrapper module infra/local/keda (KEDA's go.mod
 * has a replace line that `go install pkg@version` refuses). v2.21.1 needs Go 1.27.4; v2.21.0 builds on 1.26.
 */
export const KEDA = { module: 'github.com/kedacore/keda/v2', version: 'v2.21.0' };
export const KEDA_WRAPPER_DIR = path.join(REPO_ROOT, 'infra', 'local', 'keda');
/** The node's commands built from the wrapper module (kube-apiserver is built by installApiServer). */
export const NODE_COMMANDS = [
  'kubelet',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  // The cluster's own client, of the same release: the tests and the README use it.
  'kubectl',
] as const;
/** The name the pause image is imported under; containerd's CRI config names it as the sandbox image. */
export const PAUSE_IMAGE = 'dp.local/pause:3.10';

/** Where each binary of the cluster lands; computed from the cache dir alone (no install needed to ask). */
export function clusterToolPaths(cacheDir: string) {
  const tools = path.join(cacheDir, 'tools');
  const node = path.join(tools, `kube-node-${KUBERNETES.version}`);
  const containerd = path.join(tools, `containerd-${CONTAINERD.version}`);
  const coredns = path.join(tools, `coredns-${COREDNS.version}`);
  const pause = path.join(tools, `pause-${KUBERNETES.version}`);
  const prometheus = path.join(tools, `prometheus-${PROMETHEUS.version}`);
  const keda = path.join(tools, `keda-${KEDA.version}`);
  const kube = kubeToolPaths(cacheDir);
  return {
    nodeDir: node,
    kubelet: path.join(node, 'kubelet'),
    controllerManager: path.join(node, 'kube-controller-manager'),
    scheduler: path.join(node, 'kube-scheduler'),
    kubeProxy: path.join(node, 'kube-proxy'),
    kubectl: path.join(node, 'kubectl'),
    apiserver: kube.apiserver,
    etcd: kube.etcd,
    /** Holds containerd, containerd-shim-runc-v2 and ctr (containerd finds its shim on PATH: put it first). */
    containerdDir: containerd,
    containerd: path.join(containerd, 'containerd'),
    ctr: path.join(containerd, 'ctr'),
    coredns: path.join(coredns, 'coredns'),
    /** OCI image archive of the pause image, named PAUSE_IMAGE. */
    pauseArchive: path.join(pause, 'pause.oci.tar'),
    prometheus: path.join(prometheus, 'prometheus'),
    kedaOperator: path.join(keda, 'keda'),
    kedaAdapter: path.join(keda, 'keda-adapter'),
    /** KEDA's CRDs as its release ships them (config/crd/bases of the module), one file each. */
    kedaCrds: path.join(keda, 'crds'),
  };
}

/** The Debian packages the node needs, by the command that shows each is there. */
export const CLUSTER_PREREQUISITES: { package: string; file: string }[] = [
  { package: 'runc', file: 'runc' },
  { package: 'containernetworking-plugins', file: '/usr/lib/cni/bridge' },
  { package: 'iptables', file: 'iptables' },
  { package: 'conntrack', file: 'conntrack' },
  { package: 'util-linux', file: 'nsenter' },
  { package: 'util-linux', file: 'unshare' },
  { package: 'iproute2', file: 'ip' },
  { package: 'openssl', file: 'openssl' },
  // The pause image: a static C program packed as an OCI image.
  { package: 'gcc', file: 'gcc' },
  { package: 'libc6-dev', file: '/usr/lib/x86_64-linux-gnu/libc.a' },
  { package: 'umoci', file: 'umoci' },
];

function found(file: string, searchPath: string): boolean {
  const candidates = path.isAbsolute(file)
    ? [file]
    : // sbin too: runc and iptables live there and a non-login PATH may lack it.
      [...searchPath.split(path.delimiter), '/usr/sbin', '/sbin'].map((dir) => path.join(dir, file));
  return candidates.some((candidate) => {
    try {
      // Files named by path (a library) need only exist; commands must be executable.
      fs.accessSync(candidate, path.isAbsolute(file) ? fs.constants.R_OK : fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The packages to install for the ones missing, or undefined when all are there. */
export function clusterPrerequisitesMissing(
  exists: (file: string) => boolean = (file) => found(file, process.env.PATH ?? ''),
): string | undefined {
  const missing = [...new Set(CLUSTER_PREREQUISITES.filter((p) => !exists(p.file)).map((p) => p.package))];
  if (missing.length === 0) return undefined;
  return `The local cluster needs Debian packages that are missing: ${missing.join(', ')}. Install them with: apt-get install -y ${missing.join(' ')}`;
}

export function checkClusterPrerequisites(): void {
  const missing = clusterPrerequisitesMissing();
  if (missing) throw new MissingPrerequisite(missing);
}

/** `go install pkg@version` into `bin`, static (no cgo), stripped as releases are, with Go's progress lines. */
function goInstall(bin: string, packages: string[], report: Reporter): Promise<string> {
  return run('go', ['install', '-v', '-ldflags=-s -w', ...packages], {
    component: 'install',
    report,
    env: { ...goEnv(), GOBIN: bin, GOFLAGS: '', CGO_ENABLED: '0' },
    showLine: goProgress(),
  });
}

async function installNodeCommands(cacheDir: string, report: Reporter) {
  const p = clusterToolPaths(cacheDir);
  const built = await installDir(
    p.nodeDir,
    `${KUBERNETES.module}@${KUBERNETES.version} ${NODE_COMMANDS.join(',')}`,
    async (tmp) => {
      for (const command of NODE_COMMANDS) {
        const started = Date.now();
        report('install', `${command}: building ${KUBERNETES.version} with Go (minutes on a cold cache)`);
        await goBuild(
          KUBE_WRAPPER_DIR,
          [
            `-ldflags=${kubeVersionLdflags()}`,
            '-o',
            path.join(tmp, command),
            `${KUBERNETES.module}/cmd/${command}`,
          ],
          report,
        );
        report('install', `${command}: built (${formatSeconds(Date.now() - started)})`);
      }
    },
  );
  report('install', `${NODE_COMMANDS.join(', ')}: ${built ? 'built' : 'cached'} ${p.nodeDir}`);
}

async function installContainerd(cacheDir: string, report: Reporter) {
  const p = clusterToolPaths(cacheDir);
  const built = await installDir(
    p.containerdDir,
    `${CONTAINERD.module}@${CONTAINERD.version}`,
    async (tmp) => {
      report('install', `containerd: building ${CONTAINERD.version} with Go (a minute on a cold cache)`);
      await goInstall(
        tmp,
        ['containerd', 'containerd-shim-runc-v2', 'ctr'].map(
          (cmd) => `${CONTAINERD.module}/cmd/${cmd}@${CONTAINERD.version}`,
        ),
        report,
      );
    },
  );
  report(
    'install',
    `containerd, containerd-shim-runc-v2, ctr: ${built ? 'built' : 'cached'} ${p.containerdDir}`,
  );
}

async function installCoreDns(cacheDir: string, report: Reporter) {
  const p = clusterToolPaths(cacheDir);
  const built = await installDir(
    path.dirname(p.coredns),
    `${COREDNS.module}@${COREDNS.version}`,
    async (tmp) => {
      report('install', `coredns: building ${COREDNS.version} with Go (minutes on a cold cache)`);
      await goInstall(tmp, [`${COREDNS.module}@${COREDNS.version}`], report);
    },
  );
  report('install', `coredns: ${built ? 'built' : 'cached'} ${p.coredns}`);
}

/** The pause image: pause.c of the Kubernetes release, `gcc -static`, one layer, entrypoint /pause. */
async function installPauseImage(cacheDir: string, report: Reporter) {
  const p = clusterToolPaths(cacheDir);
  const built = await installDir(
    path.dirname(p.pauseArchive),
    `${KUBERNETES.version},${PAUSE_IMAGE}`,
    async (tmp) => {
      const source = path.join(
        await goModuleDir(KUBERNETES.module, KUBERNETES.version, report),
        'build',
        'pause',
        'linux',
        'pause.c',
      );
      const binary = path.join(tmp, 'pause');
      report('install', `pause image: compiling ${source}`);
      await run('gcc', ['-Os', '-static', '-o', binary, source], { component: 'install', report });
      await run('strip', [binary], { component: 'install', report }).catch(() => undefined);
      await packStaticImage(
        binary,
        '/pause',
        PAUSE_IMAGE,
        p.pauseArchive.replace(path.dirname(p.pauseArchive), tmp),
        report,
        '65535:65535', // pause needs no privileges
      );
      fs.rmSync(binary);
    },
  );
  report('install', `pause image: ${built ? 'built' : 'cached'} ${p.pauseArchive}`);
}

const IMAGE_NAME = /^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+$/;

/**
 * Packs one static executable as a one-layer OCI image (umoci), archived as a tar of the OCI layout whose
 * index names the image `name` (containerd's io.containerd.image.name), ready for `ctr images import`.
 */
export async function packStaticImage(
  binary: string,
  inImagePath: string,
  name: string,
  archive: string,
  report: Reporter,
  user?: string,
): Promise<void> {
  if (!IMAGE_NAME.test(name)) throw new Error(`image name '${name}' is not of the form repo/name:tag`);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(inImagePath))
    throw new Error(`image path '${inImagePath}' is not absolute`);
  const work = fs.mkdtempSync(`${archive}.work-`);
  const layout = path.join(work, 'layout');
  const bundle = path.join(work, 'bundle');
  const tag = name.slice(name.lastIndexOf(':') + 1);
  const image = `${layout}:${tag}`;
  const umoci = (args: string[]) => run('umoci', args, { component: 'install', report });
  try {
    await umoci(['init', '--layout', layout]);
    await umoci(['new', '--image', image]);
    await umoci(['unpack', '--image', image, bundle]);
    const target = path.join(bundle, 'rootfs', inImagePath);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(binary, target);
    fs.chmodSync(target, 0o755);
    await umoci(['repack', '--image', image, bundle]);
    const userArgs = user ? ['--config.user', user] : [];
    await umoci(['config', '--image', image, '--config.entrypoint', inImagePath, ...userArgs]);
    await umoci(['gc', '--layout', layout]);
    // ctr names an imported image after this annotation of its index entry.
    const indexFile = path.join(layout, 'index.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[];
    };
    for (const manifest of index.manifests) {
      manifest.annotations = { ...manifest.annotations, 'io.containerd.image.name': name };
    }
    fs.writeFileSync(indexFile, JSON.stringify(index));
    await run('tar', ['-cf', archive, '-C', layout, '.'], { component: 'install', report });
    report('install', `image ${name}: ${formatBytes(fs.statSync(archive).size)} ${archive}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Prometheus, static, with the Kubernetes service discovery only (the rest would triple the build). */
async function installPrometheus(cacheDir: string, report: Reporter) {
  const target = clusterToolPaths(cacheDir).prometheus;
  const built = await installDir(
    path.dirname(target),
    `${PROMETHEUS.module}@${PROMETHEUS.version} ${PROMETHEUS.tags}`,
    async (tmp) => {
      const started = Date.now();
      report('install', `prometheus: building ${PROMETHEUS.release} with Go (minutes on a cold cache)`);
      await goInstall(
        tmp,
        ['-tags', PROMETHEUS.tags, `${PROMETHEUS.module}/cmd/prometheus@${PROMETHEUS.version}`],
        report,
      );
      report('install', `prometheus: built (${formatSeconds(Date.now() - started)})`);
    },
  );
  report('install', `prometheus: ${built ? 'built' : 'cached'} ${target}`);
}

/** KEDA's two commands from the wrapper module, and its CRDs from the same module version. */
async function installKeda(cacheDir: string, report: Reporter) {
  const p = clusterToolPaths(cacheDir);
  const built = await installDir(
    path.dirname(p.kedaOperator),
    `${KEDA.module}@${KEDA.version}`,
    async (tmp) => {
      for (const [command, file] of [
        ['operator', p.kedaOperator],
        ['adapter', p.kedaAdapter],
      ] as const) {
        const started = Date.now();
        report('install', `keda ${command}: building ${KEDA.version} with Go (many minutes on a cold cache)`);
        await goBuild(
          KEDA_WRAPPER_DIR,
          ['-ldflags=-s -w', '-o', path.join(tmp, path.basename(file)), `${KEDA.module}/cmd/${command}`],
          report,
        );
        report('install', `keda ${command}: built (${formatSeconds(Date.now() - started)})`);
      }
      const bases = path.join(await goModuleDir(KEDA.module, KEDA.version, report), 'config', 'crd', 'bases');
      const crds = path.join(tmp, path.basename(p.kedaCrds));
      fs.mkdirSync(crds);
      for (const file of fs.readdirSync(bases).filter((f) => f.endsWith('.yaml'))) {
        fs.copyFileSync(path.join(bases, file), path.join(crds, file));
        fs.chmodSync(path.join(crds, file), 0o644); // the module cache's files are read-only
      }
    },
  );
  report('install', `keda: ${built ? 'built' : 'cached'} ${path.dirname(p.kedaOperator)}`);
}

/**
 * Installs every binary `dp cluster up` runs and the pause image; idempotent (a warm run checks stamps).
 * Holds the same lock as installKubeTools, which builds kube-apiserver and etcd in the same Go module.
 */
export async function installClusterTools(cacheDir: string, report: Reporter): Promise<void> {
  checkClusterPrerequisites();
  await withInstallLock(path.join(cacheDir, 'locks', 'kube'), report, async () => {
    await installApiServer(cacheDir, report);
    await installNodeCommands(cacheDir, report);
  });
  await withInstallLock(path.join(cacheDir, 'locks', 'cluster'), report, async () => {
    await installContainerd(cacheDir, report);
    await installCoreDns(cacheDir, report);
    await installPauseImage(cacheDir, report);
  });
  // What the local cluster's monitoring and autoscaling run (images/local/prometheus, images/local/keda).
  await withInstallLock(path.join(cacheDir, 'locks', 'cluster-addons'), report, async () => {
    await installPrometheus(cacheDir, report);
    await installKeda(cacheDir, report);
  });
}

/** Why the cluster's binaries are not usable, or undefined when they all are. */
export function clusterToolsMissing(cacheDir: string): string | undefined {
  const p = clusterToolPaths(cacheDir);
  const files = [
    p.kubelet,
    p.controllerManager,
    p.scheduler,
    p.kubeProxy,
    p.apiserver,
    p.etcd,
    p.containerd,
    p.ctr,
    p.coredns,
    p.pauseArchive,
    p.prometheus,
    p.kedaOperator,
    p.kedaAdapter,
    p.kedaCrds,
  ];
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: run \`node bin/dp.js cluster up\` (it installs them).`;
}
