// What `dp images build` builds: the images the Kubernetes manifests name, from the project's Dockerfiles,
// on local bases (images/local/*) substituted through each Dockerfile's base-image build ARGs. Pure data and
// pure functions: no I/O here, so the plan, the ordering and the argument substitution are unit-tested.

import { FLINK_PROMETHEUS_REPORTER, FLINK_S3_PLUGIN, type MavenArtifact } from '../local/versions';

/** Version of the project's own images (the tags infra/manifests uses). */
export const IMAGE_VERSION = '0.1.0';

/** Where a file or tree from outside the repository comes from (resolved at build time; see build.ts). */
export type ExternalSource =
  | { kind: 'host'; path: string }
  | { kind: 'tool'; tool: 'temporal' | 'weed' | 'nessieJar' | 'kafkaHome' }
  /** What `dp install --cluster` builds (infra/cluster/install.ts clusterToolPaths). */
  | { kind: 'cluster-tool'; tool: 'prometheus' | 'kedaOperator' | 'kedaAdapter' }
  | { kind: 'maven'; artifact: MavenArtifact }
  /** flink/target/sensor-job.jar, built by `dp stream build`. */
  | { kind: 'stream-jar' }
  | { kind: 'debian-rootfs' };

/** A file or tree staged into the build context under `as` (relative to the context root). */
export interface StagedInput {
  source: ExternalSource;
  as: string;
}

export interface ImageSpec {
  /** Short name: the CLI argument and the archive's file name. */
  name: string;
  /** The reference the image gets (and the archive carries). */
  ref: string;
  /** Repository-relative Dockerfile. */
  dockerfile: string;
  /** Repository-relative directory that the Dockerfile's COPY sources are relative to. */
  context: string;
  /** Build ARG -> name of the local base image (in this plan) that replaces the upstream default. */
  bases: Record<string, string>;
  /** Other build ARGs. */
  args?: Record<string, string>;
  /** Files from outside the repository that the build context must hold. */
  staged?: StagedInput[];
  /** The upstream image the manifests name that this image stands in for on the local cluster. */
  replaces?: string;
  /** A local base: built for other images, not imported into the cluster. */
  base?: boolean;
  /** A command that proves the image's entrypoint runs (`buildah run`, no servers). */
  smoke?: string[];
}

const BASE = 'localhost/dp-local';

/** The machine's JDKs the Java bases copy (Trino 476 needs Java 24+; Flink, Maven and Nessie run on 17). */
export const HOST_JDK25 = '/usr/lib/jvm/temurin-25-jdk-amd64';
export const HOST_JDK17 = '/usr/lib/jvm/java-17-openjdk-amd64';
/** The machine's CA bundle (it includes the intercepting proxy's CA) and Java trust store. */
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
export const HOST_JAVA_CACERTS = '/etc/ssl/certs/java/cacerts';

const ca: StagedInput = { source: { kind: 'host', path: HOST_CA_BUNDLE }, as: 'ca-certificates.crt' };
const javaCacerts: StagedInput = { source: { kind: 'host', path: HOST_JAVA_CACERTS }, as: 'cacerts' };

/**
 * Images the manifests name that have no local build: the flink distribution the flink-job image starts
 * from (and the Flink Kubernetes operator that would run it) are not on the registries this machine reaches
 * (Maven Central has no flink-dist tarball). Users with a registry build it with infra/k8s/build-images.sh;
 * the local cluster runs the job from the `flink` image below instead (standalone, no operator).
 */
export const NOT_BUILT_LOCALLY = ['lakehouse/flink-job:0.1.0'];

export const IMAGES: ImageSpec[] = [
  // Local bases, each the project's own Dockerfile under images/local/.
  {
    name: 'base-debian',
    ref: `${BASE}/debian:bookworm`,
    dockerfile: 'images/local/debian/Dockerfile',
    context: 'images/local/debian',
    bases: {},
    staged: [{ source: { kind: 'debian-rootfs' }, as: 'rootfs.tar' }, ca],
    base: true,
    smoke: ['cat', '/etc/debian_version'],
  },
  {
    name: 'base-node',
    ref: `${BASE}/node:20-bookworm`,
    dockerfile: 'images/local/node/Dockerfile',
    context: 'images/local/node',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [
      { source: { kind: 'host', path: '/usr/bin/node' }, as: 'node' },
      { source: { kind: 'host', path: '/usr/lib/node_modules/npm' }, as: 'npm' },
    ],
    base: true,
    smoke: ['npm', '--version'],
  },
  {
    name: 'base-python',
    ref: `${BASE}/python:3-bookworm`,
    dockerfile: 'images/local/python/Dockerfile',
    context: 'images/local/python',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    base: true,
    smoke: ['python', '-m', 'pip', '--version'],
  },
  {
    name: 'base-jdk25',
    ref: `${BASE}/jdk:25-bookworm`,
    dockerfile: 'images/local/jdk/Dockerfile',
    context: 'images/local/jdk',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [{ source: { kind: 'host', path: HOST_JDK25 }, as: 'jdk' }, javaCacerts],
    base: true,
    smoke: ['java', '-version'],
  },
  {
    name: 'base-jdk17',
    ref: `${BASE}/jdk:17-bookworm`,
    dockerfile: 'images/local/jdk/Dockerfile',
    context: 'images/local/jdk',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [{ source: { kind: 'host', path: HOST_JDK17 }, as: 'jdk' }, javaCacerts],
    base: true,
    smoke: ['java', '-version'],
  },
  // The core platform.
  {
    name: 'worker',
    ref: `lakehouse/worker:${IMAGE_VERSION}`,
    dockerfile: 'images/worker/Dockerfile',
    context: '.',
    bases: { NODE_IMAGE: 'base-node', PYTHON_IMAGE: 'base-python' },
    smoke: ['/usr/bin/tini', '--', 'node', 'bin/dp.js', '--help'],
  },
  {
    name: 'trino',
    ref: `lakehouse/trino:476-${IMAGE_VERSION}`,
    dockerfile: 'images/trino/Dockerfile',
    context: 'images/trino',
    bases: { JDK_IMAGE: 'base-jdk25' },
    smoke: ['/opt/trino/bin/launcher', '--help'],
  },
  {
    name: 'jupyter',
    ref: `lakehouse/jupyter:${IMAGE_VERSION}`,
    dockerfile: 'images/jupyter/Dockerfile',
    context: 'images/jupyter',
    bases: { PYTHON_IMAGE: 'base-python' },
    smoke: ['jupyter', 'lab', '--version'],
  },
  // Local equivalents of the upstream images the base manifests name.
  {
    name: 'postgres',
    ref: 'lakehouse/postgres:15-local',
    dockerfile: 'images/local/postgres/Dockerfile',
    context: 'images/local/postgres',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    replaces: 'postgres:17.6-bookworm',
    smoke: ['postgres', '--version'],
  },
  {
    name: 'nessie',
    ref: 'lakehouse/nessie:0.99.0-local',
    dockerfile: 'images/local/nessie/Dockerfile',
    context: 'images/local/nessie',
    bases: { JDK_IMAGE: 'base-jdk25' },
    staged: [{ source: { kind: 'tool', tool: 'nessieJar' }, as: 'nessie-runner.jar' }],
    replaces: 'ghcr.io/projectnessie/nessie:0.99.0',
    smoke: ['java', '-version'],
  },
  {
    name: 'seaweedfs',
    ref: 'lakehouse/seaweedfs:3.97-local',
    dockerfile: 'images/local/seaweedfs/Dockerfile',
    context: 'images/local/seaweedfs',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [{ source: { kind: 'tool', tool: 'weed' }, as: 'weed' }],
    replaces: 'chrislusf/seaweedfs:3.97',
    smoke: ['weed', 'version'],
  },
  {
    name: 'temporal',
    ref: 'lakehouse/temporal:1.5.1-local',
    dockerfile: 'images/local/temporal/Dockerfile',
    context: 'images/local/temporal',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [{ source: { kind: 'tool', tool: 'temporal' }, as: 'temporal' }],
    smoke: ['temporal', '--version'],
  },
  {
    name: 'kafka',
    ref: 'lakehouse/kafka:4.4.0-local',
    dockerfile: 'images/local/kafka/Dockerfile',
    context: 'images/local/kafka',
    bases: { JDK_IMAGE: 'base-jdk25' },
    staged: [{ source: { kind: 'tool', tool: 'kafkaHome' }, as: 'kafka' }],
    smoke: ['java', '-cp', '/opt/kafka/lib/*', 'kafka.tools.StorageTool', 'random-uuid'],
  },
  {
    name: 'flink',
    ref: 'lakehouse/flink:1.20.3-local',
    dockerfile: 'images/local/flink/Dockerfile',
    context: 'images/local/flink',
    bases: { JDK_IMAGE: 'base-jdk17' },
    staged: [
      { source: { kind: 'stream-jar' }, as: 'sensor-job.jar' },
      { source: { kind: 'maven', artifact: FLINK_S3_PLUGIN }, as: 'flink-s3-fs-hadoop.jar' },
      { source: { kind: 'maven', artifact: FLINK_PROMETHEUS_REPORTER }, as: 'flink-metrics-prometheus.jar' },
    ],
    smoke: ['/opt/flink/bin/flink-start.sh', 'check'],
  },
  // What the local cluster runs in place of kube-prometheus-stack and KEDA's Helm chart.
  {
    name: 'prometheus',
    ref: 'lakehouse/prometheus:3.16.0-local',
    dockerfile: 'images/local/prometheus/Dockerfile',
    context: 'images/local/prometheus',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [{ source: { kind: 'cluster-tool', tool: 'prometheus' }, as: 'prometheus' }],
    smoke: ['prometheus', '--version'],
  },
  {
    name: 'keda',
    ref: 'lakehouse/keda:2.21.0-local',
    dockerfile: 'images/local/keda/Dockerfile',
    context: 'images/local/keda',
    bases: { DEBIAN_IMAGE: 'base-debian' },
    staged: [
      { source: { kind: 'cluster-tool', tool: 'kedaOperator' }, as: 'keda' },
      { source: { kind: 'cluster-tool', tool: 'kedaAdapter' }, as: 'keda-adapter' },
    ],
    smoke: ['keda-adapter', '--help'],
  },
  {
    name: 'base-airflow',
    ref: `${BASE}/airflow:3.3.2-bookworm`,
    dockerfile: 'images/local/airflow/Dockerfile',
    context: '.',
    bases: { PYTHON_IMAGE: 'base-python' },
    base: true,
    smoke: ['airflow', 'version'],
  },
  {
    name: 'airflow',
    ref: `lakehouse/airflow:${IMAGE_VERSION}`,
    dockerfile: 'images/airflow/Dockerfile',
    context: '.',
    bases: { AIRFLOW_IMAGE: 'base-airflow' },
    smoke: ['airflow', 'version'],
  },
  {
    name: 'sensor-producer',
    ref: `lakehouse/sensor-producer:${IMAGE_VERSION}`,
    dockerfile: 'images/sensor-producer/Dockerfile',
    context: '.',
    bases: { NODE_IMAGE: 'base-node' },
    smoke: ['/usr/bin/tini', '--', 'node', 'bin/dp.js', 'sensors', 'produce', '--help'],
  },
];

/**
 * The images the local cluster's overlay runs (test/infra/k8s/local-overlay.test.ts keeps this equal to the
 * rendered overlay): what the cluster needs imported. The others (Airflow) are built by `dp images build`
 * with no names, for clusters that deploy them.
 */
export const LOCAL_OVERLAY_IMAGES = [
  'worker',
  'trino',
  'jupyter',
  'postgres',
  'nessie',
  'seaweedfs',
  'temporal',
  'kafka',
  'sensor-producer',
  'flink',
  'prometheus',
  'keda',
];

/** Splits `name:tag` (the registry part may hold a port: only the last colon after the last slash counts). */
export function splitRef(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return { name: ref, tag: 'latest' };
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/**
 * Upstream image -> local equivalent, for a local-cluster kustomize overlay's `images:` list
 * (`{ name, newName, newTag }`).
 */
export function localImageOverrides(
  specs: ImageSpec[] = IMAGES,
): { name: string; newName: string; newTag: string }[] {
  return specs
    .filter((s) => s.replaces)
    .map((s) => {
      const local = splitRef(s.ref);
      return { name: splitRef(s.replaces as string).name, newName: local.name, newTag: local.tag };
    });
}

/** The same table keyed by the upstream reference, as the manifests spell it. */
export const LOCAL_IMAGE_MAP: Record<string, string> = Object.fromEntries(
  IMAGES.filter((s) => s.replaces).map((s) => [s.replaces as string, s.ref]),
);

export class UnknownImageError extends Error {}

/**
 * The images to build for `names` (all non-base images when empty), each preceded by the bases it needs,
 * in dependency order and without repeats.
 */
export function buildOrder(names: string[], specs: ImageSpec[] = IMAGES): ImageSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0)
    throw new UnknownImageError(
      `Unknown image ${unknown.join(', ')}; known: ${specs.map((s) => s.name).join(', ')}.`,
    );
  const wanted = names.length > 0 ? names : specs.filter((s) => !s.base).map((s) => s.name);
  const order: ImageSpec[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.some((s) => s.name === name)) return;
    if (visiting.has(name)) throw new Error(`images: base cycle through ${name}`);
    visiting.add(name);
    const spec = byName.get(name);
    if (!spec) throw new UnknownImageError(`images: ${name} names an unknown base image`);
    for (const base of Object.values(spec.bases)) visit(base);
    visiting.delete(name);
    order.push(spec);
  };
  wanted.forEach(visit);
  return order;
}

/** The `--build-arg` values: each base ARG set to its local base's reference, then the other args. */
export function buildArgs(spec: ImageSpec, specs: ImageSpec[] = IMAGES): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [arg, base] of Object.entries(spec.bases)) {
    const baseSpec = specs.find((s) => s.name === base);
    if (!baseSpec) throw new UnknownImageError(`images: ${spec.name} names an unknown base ${base}`);
    out[arg] = baseSpec.ref;
  }
  return { ...out, ...spec.args };
}

/** The ARGs a Dockerfile declares (`ARG NAME` or `ARG NAME=default`). */
export function declaredArgs(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)/gim)].map((m) => m[1]);
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(dockerfile: string): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/**
 * The context-relative sources a Dockerfile's COPY/ADD instructions read from the build context (not from
 * another stage): what the staged context must hold and what the input hash covers.
 */
export function contextSources(dockerfile: string): string[] {
  const out = new Set<string>();
  for (const { op, args } of instructions(dockerfile)) {
    if (op !== 'COPY' && op !== 'ADD') continue;
    const parts = args.split(/\s+/);
    if (parts.some((p) => p.startsWith('--from='))) continue;
    let paths: string[];
    if (args.startsWith('[')) paths = JSON.parse(args.slice(args.indexOf('['))) as string[];
    else paths = parts.filter((p) => !p.startsWith('--'));
    for (const src of paths.slice(0, -1)) out.add(src.replace(/^\.\//, '').replace(/\/+$/, ''));
  }
  return [...out];
}

/** A name safe as an argument and a file name. */
export function assertSafeName(value: string, what: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(value))
    throw new Error(`images: ${what} "${value}" is not a plain name`);
  return value;
}

/** Checks a Dockerfile declares every ARG the plan sets, so a renamed ARG fails loudly, not silently. */
export function missingArgs(spec: ImageSpec, dockerfile: string, specs: ImageSpec[] = IMAGES): string[] {
  const declared = new Set(declaredArgs(dockerfile));
  return Object.keys(buildArgs(spec, specs)).filter((a) => !declared.has(a));
}

/** A leading `# syntax=` directive makes BuildKit-aware builders fetch a frontend image: none may have it. */
export function hasSyntaxDirective(dockerfile: string): boolean {
  return /^#\s*syntax\s*=/im.test(dockerfile.split(/\r?\n/).find((l) => !/^\s*$/.test(l)) ?? '');
}
