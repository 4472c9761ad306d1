// The Kubernetes driver and the manifests against a real kube-apiserver (with etcd), built from the Go
// module proxy by `dp install --kubernetes`. The API server validates every rendered object for real
// (server-side dry run, strict field validation, the operators' CRDs installed); the driver applies the
// components in dependency order and waits for readiness, while the test plays the controllers.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  clientNodeKubeClient,
  KubeApiError,
  type ApplyOptions,
  type KubeClient,
  type KubeJson,
} from '../../../clients/kubernetes';
import {
  APPLY_ORDER,
  createKubernetesDriver,
  type KubernetesDriverOptions,
} from '../../../platform/k8s/driver';
import { NeedsOperatorError } from '../../../platform/driver';
import { OVERLAYS } from '../../../infra/k8s/cluster';
import { readManifestFile, renderKustomization, type KubeObject } from '../../../infra/k8s/kustomize';
import { REPO_ROOT } from '../../../lib/config';
import { CONTEXT, startApiServerWithCrds, type ApiServer } from '../../support/kubernetes/apiserver';
import { TestController } from '../../support/kubernetes/controller';

const NAMESPACE = 'data-platform';
const MANIFESTS = path.join(REPO_ROOT, 'infra', 'manifests');
/** Kinds whose operators' CRDs are installed here; the others (KEDA, prometheus-operator) are optional. */
const NO_CRD_HERE = new Set(['ScaledObject', 'PodMonitor']);

let server: ApiServer;
let client: KubeClient;

/** The real client, with every apply and create noted (kind, name, time) for the ordering assertions. */
class RecordingClient implements KubeClient {
  readonly requests: { verb: 'apply' | 'create'; kind: string; name: string; at: number }[] = [];
  constructor(private readonly inner: KubeClient) {}
  apply(o: KubeJson, options: ApplyOptions) {
    this.requests.push({ verb: 'apply', kind: o.kind, name: o.metadata.name, at: Date.now() });
    return this.inner.apply(o, options);
  }
  create(o: KubeJson, fieldManager: string) {
    this.requests.push({ verb: 'create', kind: o.kind, name: o.metadata.name, at: Date.now() });
    return this.inner.create(o, fieldManager);
  }
  read: KubeClient['read'] = (ref) => this.inner.read(ref);
  list: KubeClient['list'] = (...args) => this.inner.list(...args);
  delete: KubeClient['delete'] = (ref) => this.inner.delete(ref);
  waitForChange: KubeClient['waitForChange'] = (...args) => this.inner.waitForChange(...args);
  version: KubeClient['version'] = () => this.inner.version();
  applied(): { kind: string; name: string; at: number }[] {
    return this.requests.filter((r) => r.verb === 'apply').map(({ kind, name, at }) => ({ kind, name, at }));
  }
}

async function driverWith(options: Partial<KubernetesDriverOptions> = {}) {
  const recorder = new RecordingClient(client);
  const driver = await createKubernetesDriver({
    context: CONTEXT,
    overlay: 'dev',
    client: recorder,
    pollIntervalMs: 250,
    // No object store answers here: the bucket is the bring-up's concern (tested on the real cluster).
    ensureWarehouseBucket: () => Promise.resolve(false),
    ...options,
  });
  return { driver, recorder };
}

async function resourceVersions(objects: KubeObject[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const o of objects) {
    const live = await client.read(o);
    out[`${o.kind}/${o.metadata.name}`] = live ? String(live.metadata.resourceVersion) : 'absent';
  }
  return out;
}

function expectApplyOrder(applied: { kind: string }[]) {
  const ranks = applied.map((a) => APPLY_ORDER.indexOf(a.kind));
  expect(ranks.every((r) => r >= 0)).toBe(true);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
}

beforeAll(async () => {
  ({ server, client } = await startApiServerWithCrds());
  // The namespace the dry runs need (the driver applies it too, with its own field manager).
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    { fieldManager: 'dp-test' },
  );
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

describe('a real kube-apiserver', () => {
  it('runs the release the schemas come from, and refuses a wrong context clearly', async () => {
    const version = await client.version();
    expect(version.gitVersion).toBe('v1.37.2');
    await expect(clientNodeKubeClient('no-such-context')).rejects.toThrow(
      new RegExp(
        `No context 'no-such-context' in the kubeconfig ${server.kubeconfig}.*contexts: dp-test`,
        's',
      ),
    );
  });

  it('accepts every object of the base and each overlay (server-side dry run, strict field validation)', async () => {
    const refused: string[] = [];
    const skipped = new Set<string>();
    for (const target of ['base', ...OVERLAYS.map((o) => `overlays/${o}`)]) {
      const { objects } = renderKustomization(path.join(MANIFESTS, target));
      for (const o of objects) {
        if (NO_CRD_HERE.has(o.kind)) {
          skipped.add(o.kind);
          continue;
        }
        try {
          await client.apply(o, { fieldManager: 'dp-test', dryRun: true });
        } catch (err) {
          refused.push(`${target} ${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
        }
      }
    }
    expect(refused).toEqual([]);
    // Only the optional add-ons' kinds go unchecked here (their schemas are checked by the unit tests).
    expect([...skipped].sort()).toEqual([...NO_CRD_HERE].sort());
  });

  it('refuses each deliberately broken manifest, and a port only its own validation catches', async () => {
    const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'k8s', 'broken');
    const broken = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => readManifestFile(path.join(dir, f)))
      .filter((o) => !NO_CRD_HERE.has(o.kind));
    expect(broken.length).toBeGreaterThanOrEqual(5);
    broken.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'port-out-of-range' },
      spec: { selector: { app: 'x' }, ports: [{ name: 'http', port: 80800 }] },
    });
    const answers: string[] = [];
    for (const o of broken) {
      const refusal = await client
        .apply(
          { ...o, metadata: { name: o.metadata.name, namespace: NAMESPACE } },
          { fieldManager: 'dp-test', dryRun: true },
        )
        .then(
          () => 'accepted',
          (err: unknown) => (err instanceof KubeApiError ? `${err.status} ${err.detail}` : String(err)),
        );
      answers.push(`${o.kind}/${o.metadata.name} ${refusal}`);
    }
    // A schema mismatch in an apply patch is a 500 "failed to create typed patch object" (the driver treats
    // it as final, like a 400 or 422); the server's own validation answers 422.
    for (const answer of answers) {
      expect(answer).toMatch(/^\S+ (400 |422 |500 failed to create typed patch object)/);
    }
    const all = answers.join('\n');
    expect(all).toMatch(
      /Deployment\/broken .*containers\[name="app"\]\.imagePullPolicie: field not declared/,
    );
    expect(all).toMatch(/FlinkDeployment\/broken .*\.spec\.job\.jarUri: field not declared in schema/);
    expect(all).toMatch(/KafkaTopic\/broken .*\.spec\.partitions: expected numeric/);
    expect(all).toMatch(/KafkaNodePool\/broken 422 .*spec\.replicas: Required value/);
    expect(all).toMatch(/Kafka\/broken 422 .*internall/);
    expect(all).toMatch(/Service\/port-out-of-range 422 .*80800/);
  });
});

describe('the Kubernetes driver against the API server', () => {
  let controller: TestController;

  beforeAll(() => {
    controller = new TestController(client, server.kubeconfig, NAMESPACE, {
      delayMs: 1500,
      neverReady: new Set(['Deployment/nessie']),
    });
    controller.start();
  });

  afterAll(async () => {
    await controller.stop();
  });

  it('applies the object store in dependency order, creates its Secret, and waits until it is ready', async () => {
    const { driver, recorder } = await driverWith();
    const progress: string[] = [];
    const result = await driver.ensureRunning('objectstore', (m) => progress.push(m));
    const done = Date.now();

    expect(result.action).toBe('started');
    const applied = recorder.applied();
    expect(applied[0]).toEqual(expect.objectContaining({ kind: 'Namespace', name: NAMESPACE }));
    expectApplyOrder(applied);
    // The Secret exists (created, random) before the StatefulSet that reads it is applied.
    const created = recorder.requests.find((r) => r.verb === 'create' && r.kind === 'Secret');
    const statefulSet = applied.find((a) => a.kind === 'StatefulSet');
    expect(created && statefulSet && created.at <= statefulSet.at).toBe(true);
    const secret = (await client.read({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's3-credentials', namespace: NAMESPACE },
    })) as unknown as { data: Record<string, string> };
    expect(Object.keys(secret.data).sort()).toEqual(['accessKey', 'secretKey']);
    // It waited: progress while the StatefulSet was not ready, and returned only after the "controller"
    // had marked it ready.
    expect(progress.some((m) => /^waiting for StatefulSet \S+: 0\/1 ready/.test(m))).toBe(true);
    const readied = controller.readied.find((e) => e.kind === 'StatefulSet' && e.name === statefulSet?.name);
    expect(readied).toBeDefined();
    expect(readied!.at).toBeLessThanOrEqual(done);
    expect(readied!.at - statefulSet!.at).toBeGreaterThanOrEqual(1000);
    // The S3 keys come from the Secret, as a bring-up from outside the cluster needs.
    expect(driver.endpoints().credentials.accessKey).toBe(
      Buffer.from(secret.data.accessKey, 'base64').toString('utf8'),
    );
  });

  it('changes nothing on a second run: adopted, every object at the same resourceVersion', async () => {
    const { driver } = await driverWith();
    const objects = driver.objectsFor(['objectstore']);
    const before = await resourceVersions(objects);
    const result = await driver.ensureRunning('objectstore', () => undefined);
    expect(result.action).toBe('adopted');
    expect(await resourceVersions(objects)).toEqual(before);
    expect(Object.values(before)).not.toContain('absent');
  });

  it('brings Kafka up through the Strimzi resources: node pool, cluster, then topics once it is ready', async () => {
    // A poll interval far beyond the test's time: only the watch can wake the waits this soon.
    const { driver, recorder } = await driverWith({ pollIntervalMs: 120_000 });
    const started = Date.now();
    const result = await driver.ensureRunning('kafka', () => undefined);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.action).toBe('started');
    const applied = recorder.applied().filter((a) => a.kind.startsWith('Kafka'));
    expectApplyOrder(applied);
    expect(applied.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['KafkaNodePool', 'Kafka', 'KafkaTopic']),
    );
    const kafkaReady = controller.readied.find((e) => e.kind === 'Kafka');
    const firstTopic = applied.find((a) => a.kind === 'KafkaTopic');
    expect(kafkaReady!.at).toBeLessThanOrEqual(firstTopic!.at);
    // The bring-up's initKafka reports the topics from these objects (no Kafka client reaches a cluster's
    // internal listener from outside).
    const topics = await driver.declaredTopics();
    expect(topics!.map((t) => [t.name, t.partitions]).sort()).toEqual([
      ['sensor-topic', 6],
      ['sensor-topic-dlq', expect.any(Number)],
    ]);
  });

  it('applies Trino, skipping the PodMonitor and ScaledObject whose operators are not installed', async () => {
    const { driver, recorder } = await driverWith();
    const progress: string[] = [];
    const result = await driver.ensureRunning('trino', (m) => progress.push(m));
    expect(result.action).toBe('started');
    expectApplyOrder(recorder.applied());
    expect(progress.filter((m) => m.startsWith('skipped')).sort()).toEqual([
      expect.stringMatching(/^skipped PodMonitor trino\b/),
      expect.stringMatching(/^skipped ScaledObject trino-worker\b/),
    ]);
    expect(result.detail).toMatch(/Deployment trino-coordinator: 1\/1 available/);
    expect(result.detail).toMatch(/Deployment trino-worker: 1\/1 available/);
  });

  it('fails clearly when a workload never becomes ready (timeout shortened)', async () => {
    const { driver } = await driverWith({ readyTimeoutMs: { Deployment: 3000 } });
    const started = Date.now();
    await expect(driver.ensureRunning('nessie', () => undefined)).rejects.toThrow(
      /Deployment nessie not ready after 3 s \(0\/1 available, 0 updated\)\. See `kubectl -n data-platform describe deployment nessie`/,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    // Its database came first and is ready: dependency order held up to the failing workload.
    expect(controller.readied.some((e) => e.kind === 'StatefulSet' && e.name === 'nessie-postgres')).toBe(
      true,
    );
  });

  it('fails for good, naming the field, when the server refuses an object (no retry can fix it)', async () => {
    const { driver } = await driverWith();
    const [broken] = readManifestFile(
      path.join(REPO_ROOT, 'test', 'fixtures', 'k8s', 'broken', 'deployment-typo.yaml'),
    );
    const apply = driver.apply(
      { ...broken, metadata: { name: 'broken', namespace: NAMESPACE } },
      () => undefined,
    );
    await expect(apply).rejects.toThrow(NeedsOperatorError);
    await expect(apply).rejects.toThrow(/imagePullPolicie: field not declared in schema/);
  });

  it("dp status --target k8s reports the cluster's components; dp up names a missing context", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-k8s-cli-'));
    const env = { ...process.env, KUBECONFIG: server.kubeconfig, DP_HOME: home };
    try {
      const status = spawnSync(
        process.execPath,
        ['bin/dp.js', 'status', '--target', 'k8s', '--context', CONTEXT, '--json'],
        { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 },
      );
      expect(status.status).toBe(1); // nessie never became ready, and no local Temporal runs
      const report = JSON.parse(status.stdout) as {
        components: { component: string; healthy: boolean; detail: string }[];
      };
      const byName = Object.fromEntries(report.components.map((c) => [c.component, c]));
      expect(Object.keys(byName).sort()).toEqual([
        'kafka',
        'nessie',
        'objectstore',
        'temporal',
        'trino',
        'worker',
      ]);
      expect(byName.objectstore).toEqual(expect.objectContaining({ healthy: true }));
      expect(byName.objectstore.detail).toMatch(/StatefulSet seaweedfs: 1\/1 ready/);
      expect(byName.nessie).toEqual(expect.objectContaining({ healthy: false }));

      const up = spawnSync(process.execPath, ['bin/dp.js', 'up', '--target', 'k8s', '--context', 'nope'], {
        cwd: REPO_ROOT,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(
        `dp: No context 'nope' in the kubeconfig ${server.kubeconfig} (contexts: ${CONTEXT})`,
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
