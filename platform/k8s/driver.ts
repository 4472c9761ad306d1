// The platform driver for Kubernetes: components are the objects of infra/manifests (an overlay rendered by
// `kustomize build`, see infra/k8s/kustomize.ts). ensureRunning applies a component's objects with server-side
// apply, in dependency order, and waits for its workloads to be ready (watching them, with a poll on every
// interval as the fallback), reporting progress while it waits; the bring-up workflow then initialises the
// platform exactly as on the local one (bucket, Nessie, Trino).
//
// The API server is reached through a KubeClient (clients/kubernetes.ts: client-node's object API and
// Watch); when an object is ready is decided by the rules of platform/k8s/readiness.ts.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  clientNodeKubeClient,
  KindNotServedError,
  KubeApiError,
  type KubeClient,
  type KubeJson,
  type KubeRef,
} from '../../clients/kubernetes';
import type { S3Credentials } from '../local/credentials';
import { ensureBucket, s3Client } from '../../clients/s3';
import {
  CATALOG_NAME,
  clusterEndpoints,
  NAMESPACE,
  OPERATORS_KUSTOMIZATION,
  WAREHOUSE_BUCKET,
  type Overlay,
} from '../../infra/k8s/cluster';
import { objectKey, renderKustomization, type KubeObject, type Rendered } from '../../infra/k8s/kustomize';
import { S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV } from '../../lib/catalog';
import { REPO_ROOT } from '../../lib/config';
import type { EnsureResult, ManagedComponent } from '../../domain/platform';
import { pollUntil } from '../../lib/time';
import {
  NeedsOperatorError,
  type ComponentHealth,
  type PlatformDriver,
  type PlatformEndpoints,
} from '../driver';
import type { KubernetesTarget } from '../target';
import { withConfigHash } from './config-hash';
import {
  matchesSelector,
  readiness,
  stuckPodsOfEarlierRevision,
  type LiveObject,
  type PodState,
} from './readiness';

/** Apply order of the kinds the manifests use: what others refer to first; Kafka before its producers. */
export const APPLY_ORDER = [
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'KafkaNodePool',
  'Kafka',
  'KafkaTopic',
  'StatefulSet',
  'Deployment',
  'FlinkDeployment',
  'PodDisruptionBudget',
  'PodMonitor',
  'ScaledObject',
  // Served by a Deployment above (KEDA's metrics API server).
  'APIService',
];

/** The env var of components/kafka-local's broker: the host:port its EXTERNAL listener advertises. */
export const KAFKA_EXTERNAL_ADDRESS_ENV = 'KAFKA_EXTERNAL_ADDRESS';

/**
 * The object with KAFKA_EXTERNAL_ADDRESS set to where this driver reaches Kafka (the loopback forwarder of
 * `dp up --target k8s`, whose port is configurable): the broker must advertise the address its host-side
 * clients connect to. Objects without that variable come back as they are.
 */
export function withKafkaExternalAddress(o: KubeObject, address: string): KubeObject {
  type PodTemplate = {
    template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } };
  };
  const externalAddressVars = (x: KubeObject) =>
    ((x.spec as PodTemplate | undefined)?.template?.spec?.containers ?? [])
      .flatMap((c) => c.env ?? [])
      .filter((e) => e.name === KAFKA_EXTERNAL_ADDRESS_ENV);
  if (externalAddressVars(o).length === 0) return o;
  const copy = structuredClone(o);
  for (const e of externalAddressVars(copy)) e.value = address;
  return copy;
}

/** Kinds whose operator is optional: without its CRD the object is skipped with a warning. */
const OPTIONAL_KINDS = new Set(['PodMonitor', 'ScaledObject']);

/** Kinds the driver waits for, with how long each may take to become ready. */
export const DEFAULT_READY_TIMEOUT_MS: Record<string, number> = {
  StatefulSet: 300_000,
  Deployment: 600_000,
  Kafka: 900_000,
  KafkaTopic: 120_000,
  FlinkDeployment: 600_000,
};

// ---------------------------------------------------------------------------------------------------------
// The driver

/** Which objects (by their app.kubernetes.io/component label) each component of the workflow owns. */
const COMPONENT_LABELS: Record<ManagedComponent, string> = {
  objectstore: 'objectstore',
  nessie: 'nessie',
  trino: 'trino',
  kafka: 'kafka',
};
/** Objects every component needs first (the namespace, the default-deny policy). */
const SHARED_LABEL = 'platform';
/** Optional parts applied by ensureAddons: the Flink job, the sensor producer, the worker, Jupyter. */
export const ADDON_LABELS = ['streaming', 'orchestration', 'notebooks'];

export interface KubernetesDriverOptions {
  /** kubeconfig context; default the current one. */
  context?: string;
  namespace?: string;
  /** Folder of the kustomizations: default <repo>/infra/manifests. */
  manifestsDir?: string;
  overlay?: Overlay;
  /** Where the bring-up reaches the services: default their in-cluster DNS names (override for port-forwards). */
  endpoints?: Partial<Pick<PlatformEndpoints, 's3' | 'nessieApi' | 'trino' | 'kafka'>>;
  /** Default: clientNodeKubeClient(context). */
  client?: KubeClient;
  /** How often a wait reports progress and re-reads the object even without a watch event. */
  pollIntervalMs?: number;
  readyTimeoutMs?: Partial<Record<string, number>>;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** Makes the warehouse bucket if missing (true: made); default through the S3 API at the endpoints. */
  ensureWarehouseBucket?: (endpoints: PlatformEndpoints) => Promise<boolean>;
}

async function ensureWarehouseBucket(e: PlatformEndpoints): Promise<boolean> {
  const client = s3Client({ endpoint: e.s3, ...e.credentials });
  try {
    return await ensureBucket(client, e.warehouseBucket);
  } finally {
    client.destroy();
  }
}

interface Snapshot {
  exists: boolean;
  ready: boolean;
  generation?: number;
}

const FIELD_MANAGER = 'dp';
const TYPED_PATCH_ERROR = /failed to create typed patch object|field not declared in schema/;
const S3_SECRET = 's3-credentials';

/** Sorts objects into apply order (stable within a kind). */
function inApplyOrder(objects: KubeObject[]): KubeObject[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => APPLY_ORDER.indexOf(a.o.kind) - APPLY_ORDER.indexOf(b.o.kind) || a.i - b.i)
    .map(({ o }) => o);
}

export class KubernetesDriver implements PlatformDriver {
  readonly target = 'kubernetes' as const;
  private rendered?: Rendered;
  private operators?: KubeObject[];
  private credentials?: S3Credentials;
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly manifestsDir: string;
  private readonly overlay: Overlay;
  private readonly now: () => number;

  constructor(
    client: KubeClient,
    private readonly options: KubernetesDriverOptions = {},
  ) {
    this.client = client;
    this.namespace = options.namespace ?? NAMESPACE;
    this.manifestsDir = options.manifestsDir ?? path.join(REPO_ROOT, 'infra', 'manifests');
    this.overlay = options.overlay ?? 'dev';
    this.now = options.now ?? Date.now;
    const env = options.env ?? process.env;
    const accessKey = env[S3_ACCESS_KEY_ENV];
    const secretKey = env[S3_SECRET_KEY_ENV];
    if (accessKey && secretKey) this.credentials = { accessKey, secretKey };
  }

  /** The overlay's objects, rendered once, with the namespace this driver was given. */
  manifests(): Rendered {
    if (!this.rendered) {
      const dir = path.join(this.manifestsDir, 'overlays', this.overlay);
      const r = renderKustomization(dir);
      const ns = this.namespace;
      const kafka = this.options.endpoints?.kafka;
      const objects = r.objects
        .map((o) =>
          o.kind === 'Namespace'
            ? { ...o, metadata: { ...o.metadata, name: ns } }
            : // Cluster-scoped objects (kustomize gives them no namespace) stay so.
              o.metadata.namespace === undefined
              ? o
              : { ...o, metadata: { ...o.metadata, namespace: ns } },
        )
        .map((o) => (kafka ? withKafkaExternalAddress(o, kafka) : o));
      this.rendered = {
        objects: objects.map((o) => withConfigHash(o, objects)),
        secrets: r.secrets.map((s) => ({ ...s, namespace: ns })),
      };
    }
    return this.rendered;
  }

  /** Objects with one of the component labels, sorted into apply order (stable within a kind). */
  objectsFor(labels: string[]): KubeObject[] {
    const wanted = new Set([SHARED_LABEL, ...labels]);
    return inApplyOrder(
      this.manifests().objects.filter((o) =>
        wanted.has(o.metadata.labels?.['app.kubernetes.io/component'] ?? ''),
      ),
    );
  }

  /** The overlay's operators (OPERATORS_KUSTOMIZATION), in apply order, in their own namespaces; none for most. */
  operatorObjects(): KubeObject[] {
    if (!this.operators) {
      const dir = OPERATORS_KUSTOMIZATION[this.overlay];
      const objects = dir ? renderKustomization(path.join(this.manifestsDir, dir)).objects : [];
      this.operators = inApplyOrder(objects.map((o) => withConfigHash(o, objects)));
    }
    return this.operators;
  }

  /** Runs a request; answers no retry can fix become NeedsOperatorError, the rest are thrown as they are. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      // Invalid or refused objects and missing rights cannot be fixed by retrying.
      if ([400, 401, 403, 422].includes(err.status))
        throw new NeedsOperatorError(err.message, { cause: err });
      // kube-apiserver answers a server-side apply whose object does not fit the schema (an unknown field, a
      // string for a number) with HTTP 500 "failed to create typed patch object": no retry fixes that either.
      if (err.status === 500 && TYPED_PATCH_ERROR.test(err.message))
        throw new NeedsOperatorError(err.message, { cause: err });
      throw err;
    }
  }

  private ref(o: KubeObject): KubeRef {
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace ?? this.namespace },
    };
  }

  private async read(o: KubeObject): Promise<(LiveObject & KubeJson) | undefined> {
    try {
      return await this.call(() => this.client.read(this.ref(o)));
    } catch (err) {
      // Reading an object whose kind is not served (an optional operator's): there is no such object.
      if (err instanceof KindNotServedError) return undefined;
      throw err;
    }
  }

  /** Server-side apply of one object; undefined if its kind is optional and its CRD is not installed. */
  async apply(o: KubeObject, progress: (message: string) => void): Promise<LiveObject | undefined> {
    try {
      return await this.call(() => this.client.apply(o, { fieldManager: FIELD_MANAGER }));
    } catch (err) {
      if (!(err instanceof KindNotServedError)) throw err;
      const what = `${o.kind} ${o.metadata.name}: ${err.message}`;
      if (OPTIONAL_KINDS.has(o.kind)) {
        progress(`skipped ${what} (install its operator, see infra/helm-values)`);
        return undefined;
      }
      throw new NeedsOperatorError(`${what}: install its operator first (see infra/helm-values)`, {
        cause: err,
      });
    }
  }

  /** Creates each generated Secret that does not exist yet, with random values; never overwrites one. */
  async ensureSecrets(progress: (message: string) => void): Promise<void> {
    for (const s of this.manifests().secrets) {
      const ref: KubeObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s.name, namespace: this.namespace },
      };
      if (await this.read(ref)) continue;
      const stringData = Object.fromEntries(
        s.keys.map((k) => [
          k,
          k === 'accessKey' || k === 'username'
            ? 'dp' + randomBytes(9).toString('hex')
            : randomBytes(30).toString('base64url'),
        ]),
      );
      const secret = {
        ...ref,
        type: 'Opaque',
        metadata: { ...ref.metadata, labels: { 'app.kubernetes.io/part-of': 'lakehouse' } },
        stringData,
      };
      try {
        await this.call(() => this.client.create(secret, FIELD_MANAGER));
      } catch (err) {
        // Created by someone else since the read: theirs stands.
        if (err instanceof KubeApiError && err.status === 409) continue;
        throw err;
      }
      progress(`created Secret ${s.name} (${s.keys.join(', ')})`);
    }
  }

  /** Reads the S3 keys from the s3-credentials Secret (for a bring-up run outside the cluster). */
  /** Whether the S3 keys are known (from the environment, or read from the Secret already). */
  hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  async loadCredentials(): Promise<S3Credentials | undefined> {
    const ref: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: S3_SECRET, namespace: this.namespace },
    };
    const live = (await this.read(ref)) as { data?: Record<string, string> } | undefined;
    const data = live?.data;
    if (data?.accessKey && data.secretKey) {
      const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
      this.credentials = { accessKey: decode(data.accessKey), secretKey: decode(data.secretKey) };
    }
    return this.credentials;
  }

  private async snapshot(o: KubeObject): Promise<Snapshot> {
    const live = await this.read(o);
    if (!live) return { exists: false, ready: false };
    return { exists: true, ready: readiness(o.kind, live).ready, generation: live.metadata?.generation };
  }

  /**
   * Waits until a workload is ready: re-reads it at each change the API server reports (a watch from the
   * last resourceVersion) and at least every poll interval, with progress each time; fails after its kind's
   * timeout.
   */
  async waitReady(o: KubeObject, progress: (message: string) => void): Promise<string> {
    const timeout = this.options.readyTimeoutMs?.[o.kind] ?? DEFAULT_READY_TIMEOUT_MS[o.kind] ?? 300_000;
    const interval = this.options.pollIntervalMs ?? 5_000;
    const started = this.now();
    let last = 'not found';
    let resourceVersion: string | undefined;
    const ready = await pollUntil(
      async () => {
        const live = await this.read(o);
        resourceVersion = live?.metadata.resourceVersion;
        if (!live) return undefined;
        const r = readiness(o.kind, live);
        last = r.detail;
        if (!r.ready && o.kind === 'StatefulSet') await this.replaceStuckPods(o, live, progress);
        return r.ready && r.detail;
      },
      {
        timeoutMs: timeout,
        intervalMs: interval,
        sleep: (ms) => this.client.waitForChange(this.ref(o), resourceVersion, ms),
        now: this.now,
        onWait: (waited) =>
          progress(`waiting for ${o.kind} ${o.metadata.name}: ${last} (${Math.round(waited / 1000)} s)`),
      },
    );
    if (ready !== undefined) return ready;
    throw new Error(
      `${o.kind} ${o.metadata.name} not ready after ${Math.round((this.now() - started) / 1000)} s (${last}). ` +
        `See \`kubectl -n ${this.namespace} describe ${o.kind.toLowerCase()} ${o.metadata.name}\`.`,
    );
  }

  /**
   * Deletes a StatefulSet's pods of an earlier revision that cannot start, so its controller recreates them
   * from the current one (it would wait for them forever): e.g. a pod of an image this cluster cannot pull,
   * applied before the manifests that replace it.
   */
  private async replaceStuckPods(o: KubeObject, live: LiveObject, progress: (message: string) => void) {
    const selector = (live.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)
      ?.selector?.matchLabels;
    const updateRevision = live.status?.updateRevision;
    if (!selector || !updateRevision) return;
    const namespace = o.metadata.namespace ?? this.namespace;
    const pods = (await this.call(() => this.client.list('v1', 'Pod', namespace))) as unknown as PodState[];
    for (const pod of stuckPodsOfEarlierRevision(selector, updateRevision, pods)) {
      await this.call(() =>
        this.client.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace } }),
      );
      progress(
        `${o.kind} ${o.metadata.name}: deleted pod ${pod.name} of an earlier revision (${pod.reason}); ` +
          'it comes back from the current one',
      );
    }
  }

  /**
   * Sets a workload's replicas (the scale a user would make): a server-side apply of spec.replicas alone
   * under its own field manager, which takes that field over until the next `dp up` applies the manifests.
   */
  async scale(o: KubeObject, replicas: number, progress: (message: string) => void): Promise<void> {
    const ref = this.ref(o);
    await this.call(() =>
      this.client.apply({ ...ref, spec: { replicas } }, { fieldManager: `${FIELD_MANAGER}-scale` }),
    );
    progress(`${o.kind} ${o.metadata.name}: scaled to ${replicas}`);
  }

  /** Applies the objects of some components in order, waiting for each workload before the next kind. */
  applyComponents(
    labels: string[],
    progress: (message: string) => void,
  ): Promise<{ changed: boolean; details: string[] }> {
    return this.applyObjects(this.objectsFor(labels), progress);
  }

  /**
   * Applies objects (in apply order), the generated Secrets first, waiting for each workload before the
   * next object; with `waitEach` false, for all of them once everything is applied (workloads that wait on
   * each other, like KEDA's metrics API server on the certificates its operator writes).
   */
  private async applyObjects(
    objects: KubeObject[],
    progress: (message: string) => void,
    waitEach = true,
  ): Promise<{ changed: boolean; details: string[] }> {
    const waitable = objects.filter((o) => o.kind in DEFAULT_READY_TIMEOUT_MS);
    const before = new Map<string, Snapshot>();
    for (const o of waitable) before.set(objectKey(o), await this.snapshot(o));
    let changed = false;
    let secretsDone = false;
    const details: string[] = [];
    const applied: KubeObject[] = [];
    for (const o of objects) {
      // Secrets right after the namespace, before anything that refers to them.
      if (!secretsDone && o.kind !== 'Namespace') {
        await this.ensureSecrets(progress);
        secretsDone = true;
      }
      const live = await this.apply(o, progress);
      if (!live || !(o.kind in DEFAULT_READY_TIMEOUT_MS)) continue;
      const prior = before.get(objectKey(o));
      if (!prior?.exists || !prior.ready || prior.generation !== live.metadata?.generation) changed = true;
      if (waitEach) details.push(`${o.kind} ${o.metadata.name}: ${await this.waitReady(o, progress)}`);
      else applied.push(o);
    }
    for (const o of applied)
      details.push(`${o.kind} ${o.metadata.name}: ${await this.waitReady(o, progress)}`);
    return { changed, details };
  }

  /** Whether the overlay deploys anything with this component label (the local cluster has no Kafka). */
  deploys(label: string): boolean {
    return this.manifests().objects.some((o) => o.metadata.labels?.['app.kubernetes.io/component'] === label);
  }

  /**
   * Whether every one of these workloads is ready (none: not healthy), with each one's state, and their
   * pods (by each workload's selector) with the restarts of those pods' containers.
   */
  private async workloadHealth(
    workloads: KubeObject[],
  ): Promise<{ healthy: boolean; detail: string; pods: number; restarts: number }> {
    const parts: string[] = [];
    let healthy = workloads.length > 0;
    let pods = 0;
    let restarts = 0;
    const podsIn = new Map<string, Promise<KubeJson[]>>();
    for (const o of workloads) {
      const live = await this.read(o);
      const r = live ? readiness(o.kind, live) : { ready: false, detail: 'not found' };
      healthy &&= r.ready;
      parts.push(`${o.kind} ${o.metadata.name}: ${r.detail}`);
      // Pods belong to the kinds with a pod selector (Deployment, StatefulSet), not to an operator's object.
      const selector = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)
        ?.selector?.matchLabels;
      if (!selector) continue;
      const namespace = o.metadata.namespace ?? this.namespace;
      if (!podsIn.has(namespace)) podsIn.set(namespace, this.client.list('v1', 'Pod', namespace));
      for (const pod of (await podsIn.get(namespace)!) as PodState[]) {
        if (!matchesSelector(pod, selector)) continue;
        pods += 1;
        restarts += (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
      }
    }
    return { healthy, detail: parts.join('; ') || 'no workload in the manifests', pods, restarts };
  }

  /** The pods labelled app.kubernetes.io/name=`name` in the platform's namespace: name and uid. */
  async podsOf(name: string): Promise<{ name: string; uid: string }[]> {
    const pods = (await this.client.list('v1', 'Pod', this.namespace)) as PodState[];
    return pods
      .filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === name)
      .map((p) => ({ name: p.metadata.name, uid: p.metadata.uid ?? '' }));
  }

  /**
   * Health of the workloads of one add-on (by their app.kubernetes.io/name), e.g. the cluster's Temporal,
   * the worker Deployment, Jupyter.
   */
  async probeWorkload(name: string): Promise<ComponentHealth> {
    const workloads = [...this.manifests().objects, ...this.operatorObjects()].filter(
      (o) => o.kind in DEFAULT_READY_TIMEOUT_MS && o.metadata.labels?.['app.kubernetes.io/name'] === name,
    );
    return { component: name, ...(await this.workloadHealth(workloads)) };
  }

  probe = async (component: ManagedComponent): Promise<ComponentHealth> => {
    const workloads = this.objectsFor([COMPONENT_LABELS[component]]).filter(
      (o) => o.kind in DEFAULT_READY_TIMEOUT_MS,
    );
    const e = this.serviceEndpoints();
    const endpoint = { objectstore: e.s3, nessie: e.nessieApi, trino: e.trino, kafka: e.kafka }[component];
    return { component, ...(await this.workloadHealth(workloads)), endpoint };
  };

  async ensureRunning(
    component: ManagedComponent,
    progress: (message: string) => void,
  ): Promise<EnsureResult> {
    const label = COMPONENT_LABELS[component];
    if (!this.deploys(label)) {
      return {
        component,
        action: 'not deployed',
        detail: `overlay ${this.overlay} has no ${component} objects`,
      };
    }
    const { changed, details } = await this.applyComponents([label], progress);
    if (component === 'objectstore') {
      if (!this.credentials) await this.loadCredentials();
      // Nessie reports itself ready only once its warehouse bucket exists, and the components come up side
      // by side: the bucket is made as soon as the store answers, not after every component is ready.
      const e = this.endpoints();
      if (await (this.options.ensureWarehouseBucket ?? ensureWarehouseBucket)(e))
        details.push(`bucket ${e.warehouseBucket} created`);
    }
    return { component, action: changed ? 'started' : 'adopted', detail: details.join('; ') };
  }

  /**
   * The overlay's operators (Prometheus and KEDA on the local cluster), then the Flink job, the sensor
   * producer, the Temporal worker and Jupyter (after the managed components).
   */
  async ensureAddons(progress: (message: string) => void): Promise<{ changed: boolean; details: string[] }> {
    const operators = await this.applyObjects(this.operatorObjects(), progress, false);
    const addons = await this.applyComponents(ADDON_LABELS, progress);
    return {
      changed: operators.changed || addons.changed,
      details: [...operators.details, ...addons.details],
    };
  }

  /** The platform's KafkaTopics (Strimzi) as the bring-up reports topics; created is true if not ready before. */
  declaredTopics = async (): Promise<
    { name: string; created: boolean; partitions: number; retentionMs: number | undefined }[] | undefined
  > => {
    const topics = this.objectsFor([COMPONENT_LABELS.kafka]).filter((o) => o.kind === 'KafkaTopic');
    // A Kafka without Strimzi (components/kafka-local): the bring-up creates the topics with a client.
    if (topics.length === 0) return undefined;
    const out = [];
    for (const o of topics) {
      const live = (await this.read(o)) as
        | (LiveObject & {
            spec?: { topicName?: string; partitions?: number; config?: Record<string, unknown> };
          })
        | undefined;
      if (!live || !readiness(o.kind, live).ready) {
        throw new Error(
          `KafkaTopic ${o.metadata.name} is ${live ? 'not ready' : 'missing'}: bring Kafka up first`,
        );
      }
      const retention = live.spec?.config?.['retention.ms'];
      out.push({
        name: live.spec?.topicName ?? o.metadata.name,
        created: false,
        partitions: live.spec?.partitions ?? 0,
        retentionMs: retention === undefined ? undefined : Number(retention),
      });
    }
    return out;
  };

  private serviceEndpoints() {
    return { ...clusterEndpoints(this.overlay), ...this.options.endpoints };
  }

  endpoints(): PlatformEndpoints {
    if (!this.credentials) {
      throw new Error(
        `S3 credentials unknown: set ${S3_ACCESS_KEY_ENV}/${S3_SECRET_KEY_ENV} (as the worker Deployment does) ` +
          `or run ensureRunning('objectstore') first, which reads the ${S3_SECRET} Secret.`,
      );
    }
    const e = this.serviceEndpoints();
    return {
      ...e,
      credentials: this.credentials,
      warehouseBucket: WAREHOUSE_BUCKET,
      catalog: CATALOG_NAME,
      schemas: ['bronze', 'silver', 'gold', 'iot'],
    };
  }
}

/**
 * The driver `dp up --target k8s [--context C]` uses. Reads the S3 keys from the cluster when the Secret
 * exists already (a second bring-up from outside the cluster), so endpoints() works before ensureRunning.
 */
export async function createKubernetesDriver(
  options: KubernetesDriverOptions = {},
): Promise<KubernetesDriver> {
  const client = options.client ?? (await clientNodeKubeClient(options.context));
  const driver = new KubernetesDriver(client, options);
  // In the worker pod the keys come from its environment and it has no API token: nothing to read.
  const inPod = Boolean((options.env ?? process.env).KUBERNETES_SERVICE_HOST);
  if (inPod && driver.hasCredentials()) return driver;
  try {
    await driver.loadCredentials();
  } catch (err) {
    if (err instanceof NeedsOperatorError) throw err;
    // The cluster may not be reachable yet: ensureRunning reports that with its own retries.
  }
  return driver;
}

/** The driver of a Kubernetes target (`dp up --target k8s`, `dp status`, the worker that `dp up` starts). */
export function kubernetesDriverFor(target: KubernetesTarget): Promise<KubernetesDriver> {
  return createKubernetesDriver({
    context: target.context,
    overlay: target.overlay,
    namespace: target.namespace,
    endpoints: target.endpoints,
  });
}
