// The Kubernetes driver against API responses in test/fixtures/k8s (kube-apiserver's response shapes), for
// the cases a real API server cannot easily be made to give (driver.apiserver.test.ts runs the driver against a real
// one), through an in-memory KubeClient. Requests without a fixture get the API server's usual answer: a read
// finds nothing, an apply echoes the object at generation 1, a create echoes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import {
  KindNotServedError,
  kubeApiError,
  type ApplyOptions,
  type KubeClient,
  type KubeJson,
  type KubeRef,
} from '../../../clients/kubernetes';
import { KubernetesDriver, type KubernetesDriverOptions } from '../../../platform/k8s/driver';
import { NeedsOperatorError } from '../../../platform/driver';
import { REPO } from '../../infra/k8s/helpers';

jest.mock('../../../clients/kafka/client', () => ({}));
import { createPlatformActivities } from '../../../activities/platform-bring-up';

interface KubeResponse {
  status: number;
  body: unknown;
}

interface Fixture {
  description: string;
  /** Answers by `METHOD path`, as kube-apiserver gave them for the resource paths of these objects. */
  responses: Record<string, KubeResponse[]>;
}

/** The resource paths the fixtures are keyed by (the kinds these tests touch). */
const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  NetworkPolicy: 'networkpolicies',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Service: 'services',
  StatefulSet: 'statefulsets',
  Deployment: 'deployments',
  PodDisruptionBudget: 'poddisruptionbudgets',
  PodMonitor: 'podmonitors',
  ScaledObject: 'scaledobjects',
  KafkaNodePool: 'kafkanodepools',
  Kafka: 'kafkas',
  KafkaTopic: 'kafkatopics',
  FlinkDeployment: 'flinkdeployments',
  Pod: 'pods',
};

function resourcePath(o: KubeRef, named = true): string {
  const prefix = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const ns = o.kind === 'Namespace' ? '' : `/namespaces/${o.metadata.namespace}`;
  return `${prefix}${ns}/${PLURALS[o.kind]}${named ? '/' + o.metadata.name : ''}`;
}

/**
 * A KubeClient answering from a fixture; requests without one get the API server's usual answer. An apply
 * answered 404 is a kind the server does not serve. Waiting for a change moves the fake clock on.
 */
class ReplayClient implements KubeClient {
  readonly requests: { method: string; path: string; body?: unknown; options?: ApplyOptions }[] = [];
  private readonly used = new Map<string, number>();
  constructor(
    private readonly fixture: Fixture,
    private readonly advance: (ms: number) => void,
  ) {}

  private answer(method: string, path: string, body?: unknown, options?: ApplyOptions): KubeResponse {
    this.requests.push({ method, path, body, options });
    const key = `${method} ${path}`;
    const script = this.fixture.responses[key];
    if (script) {
      const n = this.used.get(key) ?? 0;
      this.used.set(key, n + 1);
      return script[Math.min(n, script.length - 1)];
    }
    if (method === 'GET') return { status: 404, body: { kind: 'Status', reason: 'NotFound', code: 404 } };
    const o = body as { metadata: Record<string, unknown> };
    const echoed = { ...o, metadata: { ...o.metadata, generation: 1, resourceVersion: '1' } };
    return { status: method === 'POST' ? 201 : 200, body: echoed };
  }

  private result(res: KubeResponse, what: string): KubeJson {
    if (res.status >= 200 && res.status < 300) return res.body as KubeJson;
    throw kubeApiError(res.status, res.body, what);
  }

  async apply(o: KubeJson, options: ApplyOptions) {
    const res = this.answer('PATCH', resourcePath(o), o, options);
    if (res.status === 404) throw new KindNotServedError(o.apiVersion, o.kind);
    return this.result(res, `apply ${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
  }
  async read(ref: KubeRef) {
    const res = this.answer('GET', resourcePath(ref));
    return res.status === 404 ? undefined : this.result(res, `read ${ref.kind}/${ref.metadata.name}`);
  }
  async create(o: KubeJson) {
    return this.result(this.answer('POST', resourcePath(o, false), o), `create ${o.kind}`);
  }
  /** Pods only (dp status counts them): the fixture's list, else none. */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeJson[]> {
    expect([apiVersion, kind]).toEqual(['v1', 'Pod']);
    const res = this.answer('GET', `/api/v1/namespaces/${namespace}/pods`);
    return res.status === 404
      ? []
      : (this.result(res, 'list pods') as unknown as { items: KubeJson[] }).items;
  }
  async delete(ref: KubeRef): Promise<boolean> {
    this.requests.push({ method: 'DELETE', path: resourcePath(ref) });
    return true;
  }
  async waitForChange(_ref: KubeRef, _rv: string | undefined, ms: number) {
    this.advance(ms);
  }
  async version() {
    return { gitVersion: 'v1.37.2' };
  }

  paths(method: string): string[] {
    return this.requests.filter((r) => r.method === method).map((r) => r.path);
  }
}

function load(name: string): Fixture {
  return JSON.parse(
    fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'k8s', `${name}.json`), 'utf8'),
  ) as Fixture;
}

function driverFor(fixture: string, options: Partial<KubernetesDriverOptions> = {}) {
  let clock = 0;
  const transport = new ReplayClient(load(fixture), (ms) => (clock += ms));
  const driver = new KubernetesDriver(transport, {
    overlay: 'dev',
    env: {},
    ensureWarehouseBucket: () => Promise.resolve(false),
    pollIntervalMs: 5_000,
    now: () => clock,
    ...options,
  });
  return { driver, transport };
}

const NS = '/namespaces/data-platform';

describe('KubernetesDriver', () => {
  it('applies Trino in dependency order, creates a missing Secret, waits for each rollout with progress', async () => {
    const { driver, transport } = driverFor('trino-fresh-rollout');
    const progress: string[] = [];
    const result = await driver.ensureRunning('trino', (m) => progress.push(m));

    expect(result.action).toBe('started');
    expect(transport.paths('PATCH')).toEqual([
      '/api/v1/namespaces/data-platform',
      `/api/v1${NS}/serviceaccounts/trino`,
      `/apis/networking.k8s.io/v1${NS}/networkpolicies/default-deny-ingress`,
      `/apis/networking.k8s.io/v1${NS}/networkpolicies/trino`,
      `/api/v1${NS}/configmaps/trino-catalog`,
      `/api/v1${NS}/configmaps/trino-config`,
      `/api/v1${NS}/services/trino`,
      `/apis/apps/v1${NS}/deployments/trino-coordinator`,
      `/apis/apps/v1${NS}/deployments/trino-worker`,
      `/apis/policy/v1${NS}/poddisruptionbudgets/trino-worker`,
      `/apis/monitoring.coreos.com/v1${NS}/podmonitors/trino`,
      `/apis/keda.sh/v1alpha1${NS}/scaledobjects/trino-worker`,
    ]);
    // Server-side apply with the field manager dp (forced and strict: clients/kubernetes.ts).
    const apply = transport.requests.find((r) => r.method === 'PATCH')!;
    expect(apply.options).toEqual({ fieldManager: 'dp' });

    // The missing Secret is created once, after the namespace and before anything else; none is overwritten.
    const order = transport.requests.map((r) => `${r.method} ${r.path}`);
    const created = transport.requests.filter((r) => r.method === 'POST');
    expect(created.map((r) => (r.body as { metadata: { name: string } }).metadata.name)).toEqual([
      'jupyter-token',
    ]);
    expect(Object.keys((created[0].body as { stringData: Record<string, string> }).stringData)).toEqual([
      'token',
    ]);
    expect(order.indexOf(`POST /api/v1${NS}/secrets`)).toBeGreaterThan(
      order.indexOf('PATCH /api/v1/namespaces/data-platform'),
    );
    expect(order.indexOf(`POST /api/v1${NS}/secrets`)).toBeLessThan(
      order.indexOf(`PATCH /api/v1${NS}/serviceaccounts/trino`),
    );

    // The worker is applied only once the coordinator is available.
    const lastCoordinatorPoll = order.lastIndexOf(`GET /apis/apps/v1${NS}/deployments/trino-coordinator`);
    expect(lastCoordinatorPoll).toBeLessThan(
      order.indexOf(`PATCH /apis/apps/v1${NS}/deployments/trino-worker`),
    );

    expect(progress).toEqual([
      'created Secret jupyter-token (token)',
      'waiting for Deployment trino-coordinator: 0/1 available, 0 updated (0 s)',
      'waiting for Deployment trino-coordinator: 0/1 available, 1 updated (5 s)',
      'waiting for Deployment trino-worker: 0/1 available, 1 updated (0 s)',
      expect.stringMatching(
        /^skipped PodMonitor trino: the API server does not serve monitoring.coreos.com\/v1/,
      ),
    ]);
    expect(result.detail).toBe(
      'Deployment trino-coordinator: 1/1 available, 1 updated; Deployment trino-worker: 1/1 available, 1 updated',
    );
  });

  it('fails (retryably) when a rollout never becomes ready, after heartbeating on every poll', async () => {
    const { driver } = driverFor('trino-worker-never-ready', { readyTimeoutMs: { Deployment: 60_000 } });
    const progress: string[] = [];
    const attempt = driver.ensureRunning('trino', (m) => progress.push(m));
    await expect(attempt).rejects.toThrow(
      /^Deployment trino-worker not ready after 60 s \(0\/1 available, 1 updated\)\. See `kubectl -n data-platform describe deployment trino-worker`/,
    );
    await attempt.catch((err: unknown) => expect(err).not.toBeInstanceOf(NeedsOperatorError));
    const waits = progress.filter((m) => m.startsWith('waiting for Deployment trino-worker'));
    expect(waits).toHaveLength(12);
    expect(waits[11]).toBe('waiting for Deployment trino-worker: 0/1 available, 1 updated (55 s)');
  });

  it("deletes a StatefulSet's pod of an earlier revision that cannot start, so the rollout can finish", async () => {
    const { driver, transport } = driverFor('statefulset-stuck-earlier-revision');
    const seaweedfs = driver
      .manifests()
      .objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'seaweedfs')!;
    const progress: string[] = [];
    expect(await driver.waitReady(seaweedfs, (m) => progress.push(m))).toBe('1/1 ready');
    // Only its own pod of the old revision; the other StatefulSet's pod is left to its own rollout.
    expect(transport.paths('DELETE')).toEqual([`/api/v1${NS}/pods/seaweedfs-0`]);
    expect(progress).toContain(
      'StatefulSet seaweedfs: deleted pod seaweedfs-0 of an earlier revision (ImagePullBackOff); ' +
        'it comes back from the current one',
    );
  });

  it('reports an invalid manifest (HTTP 422) as needing an operator, and the activity fails non-retryably', async () => {
    const { driver } = driverFor('nessie-invalid-422');
    await expect(driver.ensureRunning('nessie', () => undefined)).rejects.toThrow(NeedsOperatorError);
    await expect(driver.ensureRunning('nessie', () => undefined)).rejects.toThrow(
      'apply Deployment/data-platform/nessie: HTTP 422 Invalid: Deployment.apps "nessie" is invalid: ' +
        'spec.template.spec.containers[0].image: Required value',
    );

    const activities = createPlatformActivities(driverFor('nessie-invalid-422').driver);
    const failure = await new MockActivityEnvironment()
      .run(() => activities.ensureComponent('nessie'))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain('HTTP 422 Invalid');
  });

  it('adopts a ready, unchanged object store and reads the S3 keys from its Secret', async () => {
    const { driver, transport } = driverFor('objectstore-adopt');
    expect(() => driver.endpoints()).toThrow(/S3 credentials unknown/);
    const result = await driver.ensureRunning('objectstore', () => undefined);
    expect(result).toEqual({
      component: 'objectstore',
      action: 'adopted',
      detail: 'StatefulSet seaweedfs: 1/1 ready',
    });
    expect(transport.requests.filter((r) => r.method === 'POST')).toEqual([]);
    const e = driver.endpoints();
    expect(e.credentials).toEqual({ accessKey: 'fixture-access', secretKey: 'fixture-value' });
    expect(e.s3).toBe('http://objectstore.data-platform.svc.cluster.local:8333');
    expect(e.kafka).toBe('lakehouse-kafka-bootstrap.data-platform.svc.cluster.local:9092');
    const health = await driver.probe('objectstore');
    expect(health).toMatchObject({
      component: 'objectstore',
      healthy: true,
      detail: 'StatefulSet seaweedfs: 1/1 ready',
      // The StatefulSet's own pod (by its selector) and its restarts, not Nessie's.
      pods: 1,
      restarts: 2,
    });
  });

  it("reports a component the overlay does not deploy (the MinIO overlay's object store) without touching the cluster", async () => {
    const { driver, transport } = driverFor('objectstore-adopt', { overlay: 'minio' });
    const result = await driver.ensureRunning('objectstore', () => undefined);
    expect(result).toEqual({
      component: 'objectstore',
      action: 'not deployed',
      detail: 'overlay minio has no objectstore objects',
    });
    expect(transport.requests).toEqual([]);
  });

  it('orders the add-ons: Kafka and its topics before the Deployments that produce to them', () => {
    const { driver } = driverFor('objectstore-adopt');
    const kinds = driver.objectsFor(['kafka', 'streaming']).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds.indexOf('Kafka/lakehouse')).toBeLessThan(kinds.indexOf('KafkaTopic/sensor-topic'));
    expect(kinds.indexOf('KafkaTopic/sensor-topic')).toBeLessThan(
      kinds.indexOf('Deployment/sensor-producer'),
    );
    expect(kinds.indexOf('KafkaNodePool/dual-role')).toBeLessThan(kinds.indexOf('Kafka/lakehouse'));
  });

  it("initKafka reports a declarative platform's topics from the driver, without a Kafka client", async () => {
    const topics = [{ name: 'sensor-topic', created: false, partitions: 6, retentionMs: 604800000 }];
    const driver = { ...driverFor('objectstore-adopt').driver, declaredTopics: async () => topics };
    const activities = createPlatformActivities(driver as unknown as KubernetesDriver);
    await expect(activities.initKafka()).resolves.toEqual({ topics });
  });
});
