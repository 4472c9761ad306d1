// What the tests of the Kubernetes target need, installed by `dp install --kubernetes` (and so by `npm test`):
//
// - kube-apiserver and etcd, built with Go from infra/local/kube/go.mod (a wrapper module that requires
//   k8s.io/kubernetes and maps each of its staging repositories to the published module of the same
//   release, which `go install` cannot do), so the Kubernetes driver is tested against a real API server;
// - the schemas the manifests are validated against: the Kubernetes OpenAPI v3 documents of that same
//   release (from the k8s.io/kubernetes module), the Strimzi CRDs (generated from Strimzi's api jar by
//   Strimzi's own CRD generator, as its release build does) and the Flink operator's FlinkDeployment CRD
//   (shipped inside its api jar).
//
// - kustomize, built with Go from the Go module proxy (`go install` of its release module), which renders
//   infra/manifests for the driver and the tests exactly as `kubectl apply -k` / `kustomize build` do.
//
// Each lands in its own folder under <cache>/tools, built aside and renamed into place when complete.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { run } from '../../lib/exec';
import { formatSeconds, type Reporter } from '../../lib/progress';
import {
  dependencyPom,
  fetchMavenArtifact,
  goBuild,
  goEnv,
  goProgress,
  installDir,
  runMaven,
  writeMavenPom,
} from './install';
import { withInstallLock } from './install-lock';
import { findJavaHome } from './prereqs';
import { mavenCoordinate, type MavenArtifact } from './versions';

/** The Kubernetes release whose kube-apiserver and OpenAPI schemas the tests use. */
export const KUBERNETES = { module: 'k8s.io/kubernetes', version: 'v1.37.2' };
/** etcd's server module at the version k8s.io/kubernetes v1.37.2 requires (see infra/local/kube/go.mod). */
export const ETCD = { module: 'go.etcd.io/etcd/server/v3', version: 'v3.7.0' };
/** kustomize's CLI module; v5.8.2 is the newest release whose go.mod this machine's Go (1.26) accepts. */
export const KUSTOMIZE = { module: 'sigs.k8s.io/kustomize/kustomize/v5', version: 'v5.8.2' };
export const KUBE_WRAPPER_DIR = path.join(REPO_ROOT, 'infra', 'local', 'kube');

/** The Strimzi release infra/k8s/install-operators.sh installs; its api jar holds the annotated model. */
export const STRIMZI_API: MavenArtifact = {
  groupId: 'io.strimzi',
  artifactId: 'api',
  version: '0.48.0',
  packaging: 'jar',
};
/** Strimzi's CRD generator: the newest release of it on Maven Central (0.46 and later are not published). */
export const STRIMZI_CRD_GENERATOR: MavenArtifact = {
  groupId: 'io.strimzi',
  artifactId: 'crd-generator',
  version: '0.45.0',
  packaging: 'jar',
};
/** The newest Flink operator api jar on Maven Central (1.11 and later are not published there). */
export const FLINK_OPERATOR_API: MavenArtifact = {
  groupId: 'org.apache.flink',
  artifactId: 'flink-kubernetes-operator-api',
  version: '1.10.0',
  packaging: 'jar',
};

/** The Strimzi kinds the manifests use, by model class; all served as kafka.strimzi.io/v1beta2. */
export const STRIMZI_KINDS: Record<string, string> = {
  Kafka: 'io.strimzi.api.kafka.model.kafka.Kafka',
  KafkaNodePool: 'io.strimzi.api.kafka.model.nodepool.KafkaNodePool',
  KafkaTopic: 'io.strimzi.api.kafka.model.topic.KafkaTopic',
};
const STRIMZI_API_VERSION = 'v1beta2';

/** The Kubernetes OpenAPI v3 documents of the API groups the manifests use. */
export const OPENAPI_GROUPS = [
  'api__v1',
  'apis__apps__v1',
  'apis__rbac.authorization.k8s.io__v1',
  'apis__networking.k8s.io__v1',
  'apis__policy__v1',
  'apis__autoscaling__v2',
];

const SCHEMAS_VERSION = [
  KUBERNETES.version,
  mavenCoordinate(STRIMZI_API),
  mavenCoordinate(STRIMZI_CRD_GENERATOR),
  mavenCoordinate(FLINK_OPERATOR_API),
].join(',');

export function kubeToolPaths(cacheDir: string) {
  const tools = path.join(cacheDir, 'tools');
  const kube = path.join(tools, `kube-${KUBERNETES.version}`);
  const schemas = path.join(tools, `k8s-schemas-${KUBERNETES.version}-strimzi-${STRIMZI_API.version}`);
  return {
    dir: kube,
    apiserver: path.join(kube, 'kube-apiserver'),
    etcd: path.join(kube, 'etcd'),
    kustomize: path.join(tools, `kustomize-${KUSTOMIZE.version}`, 'kustomize'),
    schemas,
    /** CustomResourceDefinition YAML, one file per kind: <Kind>.yaml. */
    crds: path.join(schemas, 'crds'),
    /** Kubernetes OpenAPI v3 documents: <group>.json as named in OPENAPI_GROUPS. */
    openapi: path.join(schemas, 'openapi'),
  };
}

/** The module's folder in Go's module cache (downloaded if missing). */
export async function goModuleDir(module: string, version: string, report: Reporter): Promise<string> {
  const out = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
    component: 'install',
    report,
    env: { ...process.env, GOFLAGS: '' },
    showLine: () => false,
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir || !fs.existsSync(dir)) throw new Error(`go mod download ${module}@${version} gave no folder`);
  return dir;
}

/** The tiny Maven project whose class path runs Strimzi's CRD generator on Strimzi's api jar. */
export function strimziCrdPom(): string {
  return dependencyPom({
    artifactId: 'strimzi-crds',
    version: STRIMZI_API.version,
    purpose: "the class path of Strimzi's CRD generator and the api it reads.",
    // The api first: its (newer) Kubernetes model classes win over the generator's.
    dependencies: [STRIMZI_API, STRIMZI_CRD_GENERATOR],
  });
}

export async function installKubeSchemas(cacheDir: string, report: Reporter) {
  const p = kubeToolPaths(cacheDir);
  const built = await installDir(p.schemas, SCHEMAS_VERSION, async (tmp) => {
    const crds = path.join(tmp, 'crds');
    const openapi = path.join(tmp, 'openapi');
    fs.mkdirSync(crds);
    fs.mkdirSync(openapi);

    report('install', `k8s schemas: OpenAPI v3 documents of ${KUBERNETES.module}@${KUBERNETES.version}`);
    const k8sDir = await goModuleDir(KUBERNETES.module, KUBERNETES.version, report);
    for (const group of OPENAPI_GROUPS) {
      fs.copyFileSync(
        path.join(k8sDir, 'api', 'openapi-spec', 'v3', `${group}_openapi.json`),
        path.join(openapi, `${group}.json`),
      );
      fs.chmodSync(path.join(openapi, `${group}.json`), 0o644); // the module cache is read-only
    }

    report('install', `k8s schemas: generating the Strimzi ${STRIMZI_API.version} CRDs`);
    const pom = writeMavenPom(cacheDir, `strimzi-crds-${STRIMZI_API.version}`, strimziCrdPom());
    const classpathFile = path.join(tmp, 'classpath.txt');
    await runMaven(['-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`], report);
    const classpath = fs.readFileSync(classpathFile, 'utf8').trim();
    fs.rmSync(classpathFile);
    const java = path.join(findJavaHome(17), 'bin', 'java');
    await run(
      java,
      [
        '-cp',
        classpath,
        'io.strimzi.crdgenerator.CrdGenerator',
        '--yaml',
        '--api-versions',
        STRIMZI_API_VERSION,
        '--storage-version',
        STRIMZI_API_VERSION,
        ...Object.entries(STRIMZI_KINDS).map(([kind, cls]) => `${cls}=${path.join(crds, `${kind}.yaml`)}`),
      ],
      { component: 'install', report },
    );

    report('install', `k8s schemas: the FlinkDeployment CRD of ${mavenCoordinate(FLINK_OPERATOR_API)}`);
    const jar = await fetchMavenArtifact(FLINK_OPERATOR_API, report);
    // fabric8's generator names the file after the CRD's own API version (apiextensions.k8s.io/v1).
    const entry = 'META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml';
    await run('unzip', ['-q', '-o', '-j', jar, entry, '-d', tmp], { component: 'install', report });
    fs.renameSync(path.join(tmp, path.basename(entry)), path.join(crds, 'FlinkDeployment.yaml'));

    for (const kind of [...Object.keys(STRIMZI_KINDS), 'FlinkDeployment']) {
      const file = path.join(crds, `${kind}.yaml`);
      if (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8').includes('openAPIV3Schema')) {
        throw new Error(`k8s schemas: ${file} holds no CRD schema; see the output above.`);
      }
    }
    fs.writeFileSync(
      path.join(tmp, 'SOURCES.json'),
      JSON.stringify(
        {
          kubernetesOpenApi: `${KUBERNETES.module}@${KUBERNETES.version} api/openapi-spec/v3`,
          strimzi: `${mavenCoordinate(STRIMZI_API)} through ${mavenCoordinate(STRIMZI_CRD_GENERATOR)}`,
          flinkOperator: `${mavenCoordinate(FLINK_OPERATOR_API)} META-INF/fabric8`,
        },
        null,
        2,
      ),
    );
  });
  report('install', `k8s schemas: ${built ? 'installed' : 'cached'} ${p.schemas}`);
}

/**
 * The `-ldflags` value of a Kubernetes binary as a release build links it: the release stamped in
 * (`--version`, `/version`), no symbol table or DWARF (`-s -w`: a smaller binary, linked faster).
 */
export function kubeVersionLdflags(): string {
  const [major, minor] = KUBERNETES.version.replace(/^v/, '').split('.');
  return [
    '-s',
    '-w',
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES.version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
}

/** kube-apiserver and etcd into kubeToolPaths().dir; `dp cluster` uses them too. */
export async function installApiServer(cacheDir: string, report: Reporter) {
  const p = kubeToolPaths(cacheDir);
  const version = `${KUBERNETES.module}@${KUBERNETES.version},${ETCD.module}@${ETCD.version}`;
  const built = await installDir(p.dir, version, async (tmp) => {
    const started = Date.now();
    report(
      'install',
      `kube-apiserver: building ${KUBERNETES.version} with Go (many minutes on a cold cache)`,
    );
    const ldflags = kubeVersionLdflags();
    const apiserver = path.join(tmp, 'kube-apiserver');
    await goBuild(
      KUBE_WRAPPER_DIR,
      [`-ldflags=${ldflags}`, '-o', apiserver, `${KUBERNETES.module}/cmd/kube-apiserver`],
      report,
    );
    report(
      'install',
      `kube-apiserver: built (${formatSeconds(Date.now() - started)}); building etcd ${ETCD.version}`,
    );
    await goBuild(KUBE_WRAPPER_DIR, ['-ldflags=-s -w', '-o', path.join(tmp, 'etcd'), './etcd'], report);
  });
  report('install', `kube-apiserver, etcd: ${built ? 'built' : 'cached'} ${p.dir}`);
}

async function installKustomize(cacheDir: string, report: Reporter) {
  const target = kubeToolPaths(cacheDir).kustomize;
  const built = await installDir(path.dirname(target), KUSTOMIZE.version, async (tmp) => {
    const started = Date.now();
    report(
      'install',
      `kustomize: building ${KUSTOMIZE.module}@${KUSTOMIZE.version} with Go (about a minute cold)`,
    );
    // `go install module@version` builds the release exactly as its own go.mod pins it.
    await run('go', ['install', '-v', `${KUSTOMIZE.module}@${KUSTOMIZE.version}`], {
      component: 'install',
      report,
      env: { ...goEnv(), GOBIN: tmp, GOFLAGS: '' },
      showLine: goProgress(),
    });
    report('install', `kustomize: built (${formatSeconds(Date.now() - started)})`);
  });
  report('install', `kustomize: ${built ? 'built' : 'cached'} ${target}`);
}

/**
 * What rendering and validating the manifests needs: kustomize and the schemas; idempotent, a warm run only
 * checks stamps. Holds a lock of its own (not the platform installer's), so it can run beside `installAll`.
 * `afterMaven` delays the schema step (Maven) until the platform's Maven fetches are done, so two Maven
 * processes never write the local repository at once.
 */
export async function installManifestTools(
  cacheDir: string,
  report: Reporter,
  afterMaven: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  await withInstallLock(path.join(cacheDir, 'locks', 'kube'), report, async () => {
    await installKustomize(cacheDir, report);
    await afterMaven;
    await installKubeSchemas(cacheDir, report);
  });
}

/**
 * The manifest tools, then kube-apiserver and etcd (the Kubernetes driver's tests run them): the API server's
 * Go build is the long part, tens of minutes on a cold cache.
 */
export async function installKubeTools(
  cacheDir: string,
  report: Reporter,
  afterMaven: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  await installManifestTools(cacheDir, report, afterMaven);
  await withInstallLock(path.join(cacheDir, 'locks', 'kube'), report, () =>
    installApiServer(cacheDir, report),
  );
}

/** Why the Kubernetes test tools are not usable, or undefined when they are. */
export function kubeToolsMissing(cacheDir: string): string | undefined {
  const p = kubeToolPaths(cacheDir);
  const missing = [p.apiserver, p.etcd, p.kustomize, p.crds, p.openapi].filter((f) => !fs.existsSync(f));
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: run \`node bin/dp.js install --kubernetes\` (npm test does).`;
}
