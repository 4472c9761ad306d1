// The platform on the local cluster, as a new user runs it: `dp cluster up`, `dp images build --import`,
// `dp up --target k8s --context dp-local` until every core component is Ready, then a month loaded from a
// file by the in-cluster worker (its figures equal to the independent reference, its audit report in the
// cluster's object store) while a Trino worker pod is deleted during the transform stage; Kafka and the
// Flink job in pods; Prometheus's scrape of Trino against Trino's own count, KEDA scaling Trino's workers
// under a query load and back; a second `dp up` changes nothing, and `dp cluster down` leaves the machine
// clean.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  describeTopic,
  endOffsets,
  PLATFORM_TOPICS,
  SENSOR_DLQ_TOPIC,
  SENSOR_TOPIC,
} from '../../clients/kafka/topics';
import { SensorEventGenerator } from '../../clients/kafka/sensor-events';
import { TrinoClient } from '../../clients/trino';
import { s3Client } from '../../clients/s3';
import { clusterToolPaths } from '../../infra/cluster/install';
import { localClusterEndpoints } from '../../infra/cluster/layout';
import { IMAGES, LOCAL_OVERLAY_IMAGES } from '../../infra/images/plan';
import { ensureMirrorMonth, tripDataFile, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { loadConfig, REPO_ROOT, type Ports } from '../../lib/config';
import { run } from '../../lib/exec';
import { consoleReporter } from '../../lib/progress';
import { clusterCgroups, clusterStatus } from '../../platform/cluster/supervisor';
import { lakehouseTables } from '../support/lakehouse-check';
import { consumeAll } from '../support/kafka-records';
import {
  byWindowKey,
  comparableWindows,
  readingOfRecord,
  WindowAccumulator,
  windowRowOf,
  windowRowsSql,
} from '../support/reference-windows';
import { pollUntil } from '../../lib/time';
import { expectMonthMatchesReference } from '../support/expect-reference';
import { computeReference, type ReferenceResult } from '../support/reference-elt';
import { createTestHome, TEST_PORTS } from '../support/platform/test-platform';
import { activeQueryIds, loadQuery, QueryLoad } from '../support/trino-load';
import { prometheusValue } from '../../clients/prometheus';
import { failedWorkflowsLastHour } from '../support/failed-workflows';

const execFileAsync = promisify(execFile);
const MINUTE = 60_000;
const MONTH = '2025-02';
const ROWS = 20_000;
const NAMESPACE = 'data-platform';

// Ports of their own: the integration tests' local platform may run beside this test.
const PORTS = Object.fromEntries(
  Object.entries(TEST_PORTS).map(([name, port]) => [name, port + 300]),
) as unknown as Ports;
const home = createTestHome('dp-cluster-platform-', PORTS);
const env: NodeJS.ProcessEnv = { ...process.env, DP_HOME: home };
delete env.DP_TARGET;
const config = loadConfig(env);
const kubectlPath = clusterToolPaths(config.cacheDir).kubectl;
const kubeconfig = path.join(home, 'kubeconfig');
const mountsBefore = mountPoints();

/** `dp <args>`, its output passed through; resolves with its exit code and output. */
function dp(args: string[], onLine?: (line: string) => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), ...args], { env });
    let out = '';
    let pending = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      process.stdout.write(text);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The cluster's kubectl; resolves with its whole standard output. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(kubectlPath, args, {
    env: { ...env, KUBECONFIG: kubeconfig },
    maxBuffer: 64 << 20,
  });
  return stdout;
}

interface PodList {
  items: {
    metadata: { name: string; labels?: Record<string, string> };
    status: { phase: string; conditions?: { type: string; status: string }[] };
  }[];
}

async function pods(namespace = NAMESPACE): Promise<PodList['items']> {
  return (JSON.parse(await kubectl('get', 'pods', '-n', namespace, '-o', 'json')) as PodList).items;
}

async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}

/** The query the ScaledObject gives KEDA's Prometheus scaler, as the cluster holds it. */
async function scaledObjectQuery(): Promise<string> {
  const scaled = await kubectlJson<{ spec: { triggers: { type: string; metadata: { query: string } }[] } }>(
    'get',
    'scaledobject',
    'trino-worker',
    '-n',
    NAMESPACE,
  );
  expect(scaled.spec.triggers.map((t) => t.type)).toEqual(['prometheus']);
  return scaled.spec.triggers[0].metadata.query;
}

/** The size of loadQuery that runs about 20 s alone on this cluster, from one timed run of a smaller one. */
async function loadSize(trino: TrinoClient): Promise<number> {
  const probe = 200;
  const t0 = Date.now();
  await trino.query(loadQuery(probe));
  const seconds = (Date.now() - t0) / 1000;
  return Math.max(probe, Math.min(10_000, Math.round((probe * 20) / seconds)));
}

const isReady = (p: PodList['items'][number]) =>
  p.status.phase === 'Running' &&
  !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function mountPoints(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => !!m);
}

const GENERATIONS = 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.generation}{"\\n"}{end}';
const VERSIONS = 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}';

let reference: ReferenceResult;
let sourceFile: string;

afterAll(async () => {
  // Whatever happened, leave no cluster running.
  if ((await clusterStatus(config)).processes.some((p) => p.alive)) await dp(['cluster', 'down']);
  await dp(['down']);
  // The test's home holds the cluster's containerd store and volumes (gigabytes): remove it once nothing of
  // the cluster runs or is mounted under it, so runs do not fill the disk.
  const stillRunning = (await clusterStatus(config)).processes.some((p) => p.alive);
  if (!stillRunning && !mountPoints().some((m) => m.startsWith(home))) {
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 10 * MINUTE);

describe('the platform on the local cluster', () => {
  it(
    'dp cluster up starts a node that becomes Ready',
    async () => {
      const up = await dp(['cluster', 'up']);
      expect(up.code).toBe(0);
      expect(await kubectl('get', 'nodes', '--no-headers')).toMatch(/\sReady\s/);
    },
    30 * MINUTE,
  );

  it(
    "dp images build --import puts the overlay's images into the cluster's containerd",
    async () => {
      for (const name of LOCAL_OVERLAY_IMAGES) expect(IMAGES.map((i) => i.name)).toContain(name);
      const build = await dp(['images', 'build', '--import', ...LOCAL_OVERLAY_IMAGES]);
      expect(build.code).toBe(0);
      const listed = await run(
        clusterToolPaths(config.cacheDir).ctr,
        [
          '--address',
          path.join(home, 'cluster', 'run', 'containerd', 'containerd.sock'),
          '-n',
          'k8s.io',
          'images',
          'ls',
          '-q',
        ],
        { component: 'ctr', report: consoleReporter },
      );
      for (const name of LOCAL_OVERLAY_IMAGES) {
        const ref = IMAGES.find((i) => i.name === name)!.ref;
        expect(listed).toContain(`docker.io/${ref}`);
      }
    },
    45 * MINUTE,
  );

  it(
    'dp up --target k8s --context dp-local ends with every core component Ready',
    async () => {
      const up = await dp(['up', '--target', 'k8s', '--context', 'dp-local']);
      expect(up.code).toBe(0);
      const all = await pods();
      const apps = new Set(all.map((p) => p.metadata.labels?.['app.kubernetes.io/name']));
      for (const app of [
        'seaweedfs',
        'nessie-postgres',
        'nessie',
        'trino',
        'temporal',
        'temporal-worker',
        'jupyter',
        'kafka',
        'sensor-producer',
        'flink-sensor-job',
      ])
        expect([app, apps.has(app)]).toEqual([app, true]);
      expect(all.filter((p) => !isReady(p)).map((p) => p.metadata.name)).toEqual([]);
      const roles = all.map((p) => p.metadata.labels?.['trino.io/role']);
      expect(roles.filter((r) => r === 'coordinator')).toHaveLength(1);
      // KEDA owns the workers' count: one when idle, two while Prometheus has not scraped Trino yet (its
      // fallback).
      expect([1, 2]).toContain(roles.filter((r) => r === 'worker').length);
      // Prometheus and KEDA in their own namespaces, as production's Helm charts put them.
      for (const [namespace, app] of [
        ['monitoring', 'prometheus'],
        ['keda', 'keda'],
      ]) {
        const own = await pods(namespace);
        expect([app, own.length > 0, own.filter((p) => !isReady(p)).map((p) => p.metadata.name)]).toEqual([
          app,
          true,
          [],
        ]);
      }
      // The target is remembered: status speaks of the cluster.
      const status = await dp(['status', '--json']);
      expect(status.code).toBe(0);
      const report = JSON.parse(status.out.slice(status.out.indexOf('{'))) as {
        target: { kind: string; context: string };
        healthy: boolean;
        components: { component: string; healthy: boolean }[];
      };
      expect(report.target).toEqual(expect.objectContaining({ kind: 'kubernetes', context: 'dp-local' }));
      expect(report.healthy).toBe(true);
      const listed = new Map(report.components.map((c) => [c.component, c.healthy]));
      for (const component of [
        'objectstore',
        'nessie',
        'trino',
        'kafka',
        'flink-sensor-job',
        'prometheus',
        'keda',
      ])
        expect([component, listed.get(component)]).toEqual([component, true]);
    },
    30 * MINUTE,
  );

  it(
    "dp logs prints the pods' own log lines (Trino's coordinator and workers, Temporal's Deployment)",
    async () => {
      for (const [component, selector] of [
        ['trino', 'app.kubernetes.io/name=trino'],
        ['temporal', 'app.kubernetes.io/name=temporal'],
      ]) {
        // What the API server itself returns for one of the component's pods, read first; dp logs, read
        // after, must show that line (the last 300 lines: far more than these idle pods write meanwhile).
        const pod = (await kubectl('get', 'pods', '-n', NAMESPACE, '-l', selector, '-o', 'name'))
          .trim()
          .split('\n')[0];
        const own = (await kubectl('logs', '-n', NAMESPACE, pod, '--tail=5'))
          .split('\n')
          .filter((line) => line.trim() !== '');
        expect([component, own.length > 0]).toEqual([component, true]);
        const shown = await dp(['logs', component, '-n', '300']);
        expect([component, shown.code]).toEqual([component, 0]);
        expect(shown.out).toContain(own[own.length - 1]);
      }
    },
    5 * MINUTE,
  );

  it(
    'publishes a month from a file through the in-cluster worker, with a Trino worker pod deleted during its transform',
    async () => {
      const dir = path.join(home, 'source');
      await ensureMirrorMonth(dir, MONTH, { rows: ROWS, seed: 20250201 });
      sourceFile = tripDataFile(dir, MONTH);
      reference = await computeReference(sourceFile, MONTH, ZONE_LOOKUP_SEED);

      let deleted: string | undefined;
      const deletion: Promise<void>[] = [];
      const elt = await dp(['elt', 'run', '--month', MONTH, '--source', sourceFile], (line) => {
        if (deleted === undefined && /transforming/.test(line)) {
          deleted = 'pending';
          deletion.push(
            (async () => {
              const worker = (await pods()).find((p) => p.metadata.labels?.['trino.io/role'] === 'worker');
              deleted = worker!.metadata.name;
              await kubectl('delete', 'pod', '-n', NAMESPACE, deleted, '--grace-period=1', '--wait=false');
            })(),
          );
        }
      });
      await Promise.all(deletion);
      expect(elt.code).toBe(0);
      expect(deleted).toMatch(/^trino-worker-/);
      expect((await pods()).map((p) => p.metadata.name)).not.toContain(deleted);

      // The figures on main, read through the cluster's Trino, equal the reference computed from the file.
      const e = localClusterEndpoints(config.ports);
      const trino = new TrinoClient(e.trino, { source: 'platform.cluster.test' });
      const tables = lakehouseTables('lakehouse');
      await expectMonthMatchesReference(trino, tables, MONTH, reference);

      // The audit report is in the cluster's object store, under the key the run printed.
      const key = /report s3:\/\/warehouse\/(\S+\.json)/.exec(elt.out)?.[1];
      expect(key).toMatch(new RegExp(`^audits/yellow_trips/${MONTH}/`));
      const secret = async (key: string) =>
        Buffer.from(
          await kubectl('get', 'secret', 's3-credentials', '-n', NAMESPACE, '-o', `jsonpath={.data.${key}}`),
          'base64',
        ).toString();
      const s3 = s3Client({
        endpoint: e.s3,
        accessKey: await secret('accessKey'),
        secretKey: await secret('secretKey'),
      });
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: 'warehouse', Key: key }));
        const audit = JSON.parse(await object.Body!.transformToString()) as { month?: string };
        expect(JSON.stringify(audit)).toContain(MONTH);
      } finally {
        s3.destroy();
      }
    },
    40 * MINUTE,
  );

  it(
    'runs Kafka in the cluster: the platform topics, the sensor producer pod writing to them, and a restarted broker that keeps every record',
    async () => {
      const connection = {
        bootstrap: localClusterEndpoints(config.ports).kafka,
        clientId: 'platform.cluster.test',
      };
      // The bring-up made the platform's topics as it does locally (same partitions and retention).
      for (const spec of PLATFORM_TOPICS) {
        const topic = await describeTopic(connection, spec.name);
        expect([spec.name, topic?.partitions, topic?.configs['retention.ms']]).toEqual([
          spec.name,
          spec.partitions,
          String(spec.retentionMs),
        ]);
      }
      // The producer Deployment (100 sensors, seed 42) writes readings of the sensor-topic contract.
      const sensors = new Set(new SensorEventGenerator({ sensors: 100, seed: 42 }).sensorIds);
      const before = await consumeAll(connection, SENSOR_TOPIC.name, 300, 2 * MINUTE);
      expect(before.length).toBe(300);
      for (const record of before) {
        const reading = JSON.parse(record.value) as {
          sensor_id: string;
          temperature: number;
          event_time: string;
        };
        expect(record.key).toBe(reading.sensor_id);
        expect(sensors.has(reading.sensor_id)).toBe(true);
        expect(typeof reading.temperature).toBe('number');
        expect(Math.abs(Date.now() - Date.parse(reading.event_time))).toBeLessThan(60 * MINUTE);
      }
      const written = async () => {
        const sums = await endOffsets(connection, SENSOR_TOPIC.name);
        return [...sums.values()].reduce((a, b) => a + b, 0n);
      };
      // The broker's pod is deleted: the StatefulSet makes a new one on the same volume, every record read
      // before is still there, and the producer carries on writing.
      const total = await written();
      await kubectl('delete', 'pod', '-n', NAMESPACE, 'kafka-0', '--wait=true');
      await kubectl('rollout', 'status', 'statefulset/kafka', '-n', NAMESPACE, '--timeout=300s');
      const after = await consumeAll(connection, SENSOR_TOPIC.name, Number(total), 3 * MINUTE);
      const key = (r: (typeof before)[number]) => `${r.partition}/${r.offset}`;
      const afterByKey = new Map(after.map((r) => [key(r), r]));
      expect(before.filter((r) => afterByKey.get(key(r))?.value !== r.value).map(key)).toEqual([]);
      const resumed = await pollUntil(async () => ((await written()) > total + 100n ? true : undefined), {
        timeoutMs: 3 * MINUTE,
        intervalMs: 2_000,
      });
      expect(resumed).toBe(true);
    },
    15 * MINUTE,
  );

  it(
    'runs the Flink job in the cluster: exact 1-minute windows of the readings in Trino, across a TaskManager pod deleted, the Kafka pod restarted and dp stream stop/start mid-stream',
    async () => {
      const e = localClusterEndpoints(config.ports);
      const connection = { bootstrap: e.kafka, clientId: 'platform.cluster.test' };
      const trino = new TrinoClient(e.trino, { source: 'platform.cluster.test' });
      const jobState = async () => {
        const overview = (await (await fetch(`${e.flink}/jobs/overview`)).json()) as {
          jobs: { state: string }[];
        };
        return overview.jobs.map((j) => j.state);
      };
      const windowRows = async () =>
        (await trino.queryObjects(windowRowsSql('lakehouse.iot.sensor_temperature_1m'))).map(windowRowOf);
      const windowsCommittedAfter = async (ms: number, timeoutMs: number) =>
        pollUntil(
          async () => {
            const rows = await windowRows().catch((): ReturnType<typeof windowRowOf>[] => []);
            return rows.some((r) => r.window_start >= ms) || undefined;
          },
          { timeoutMs, intervalMs: 5_000 },
        );
      // The JobManager runs the job and its TaskManager takes it: windows reach Iceberg at each checkpoint.
      expect(
        await pollUntil(
          async () => (await jobState().catch((): string[] => [])).includes('RUNNING') || undefined,
          {
            timeoutMs: 3 * MINUTE,
            intervalMs: 2_000,
          },
        ),
      ).toBe(true);
      expect(await windowsCommittedAfter(0, 4 * MINUTE)).toBe(true);

      // Mid-stream: the TaskManager's pod is deleted (the job fails over to its replacement from the last
      // checkpoint), then, once windows flow again, the broker's pod is restarted.
      const taskManager = (await pods()).find(
        (p) => p.metadata.labels?.['flink.dp.local/role'] === 'taskmanager',
      );
      await kubectl(
        'delete',
        'pod',
        '-n',
        NAMESPACE,
        taskManager!.metadata.name,
        '--grace-period=1',
        '--wait=false',
      );
      expect(await windowsCommittedAfter(Date.now() + 60_000 - (Date.now() % 60_000), 5 * MINUTE)).toBe(true);
      await kubectl('delete', 'pod', '-n', NAMESPACE, 'kafka-0', '--wait=true');
      await kubectl('rollout', 'status', 'statefulset/kafka', '-n', NAMESPACE, '--timeout=300s');
      // dp stream stop takes the JobManager and TaskManager away; dp stream start brings them back and the
      // job restores from its newest checkpoint on the object store.
      expect((await dp(['stream', 'stop'])).code).toBe(0);
      const flinkPods = async () =>
        (await pods()).filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'flink-sensor-job');
      expect(
        await pollUntil(async () => (await flinkPods()).length === 0 || undefined, {
          timeoutMs: 2 * MINUTE,
          intervalMs: 2_000,
        }),
      ).toBe(true);
      expect((await dp(['stream', 'start'])).code).toBe(0);
      const restored = await pollUntil(
        async () => {
          const status = await dp(['stream', 'status', '--json']);
          const report = JSON.parse(status.out.slice(status.out.indexOf('{'))) as {
            state?: string;
            restoredFrom?: string;
          };
          return report.state === 'RUNNING' && report.restoredFrom ? report.restoredFrom : undefined;
        },
        { timeoutMs: 3 * MINUTE, intervalMs: 5_000 },
      );
      expect(restored).toMatch(/^s3:\/\/warehouse\/flink\/checkpoints\/[0-9a-f]+\/chk-\d+$/);
      const afterRestart = Date.now();
      const cut = afterRestart - (afterRestart % 60_000) + 2 * 60_000;
      expect(await windowsCommittedAfter(cut, 5 * MINUTE)).toBe(true);

      // Every reading in the topic, read back through the forwarder, gives the windows up to the cut; the
      // table holds exactly those (none lost, none twice), and nothing went to the dead-letter topic as late.
      const total = [...(await endOffsets(connection, SENSOR_TOPIC.name)).values()].reduce(
        (a, b) => a + b,
        0n,
      );
      const records = await consumeAll(connection, SENSOR_TOPIC.name, Number(total), 5 * MINUTE);
      expect(records.length).toBe(Number(total));
      const accumulator = new WindowAccumulator();
      for (const record of records) accumulator.add(readingOfRecord(record));
      const expected = accumulator.windows(5_000).filter((w) => w.window_end <= cut);
      const actual = (await windowRows()).filter((w) => w.window_end <= cut).sort(byWindowKey);
      expect(expected.length).toBeGreaterThan(100);
      expect(comparableWindows(actual)).toEqual(comparableWindows(expected));
      const dlq = [...(await endOffsets(connection, SENSOR_DLQ_TOPIC.name)).values()].reduce(
        (a, b) => a + b,
        0n,
      );
      expect(dlq).toBe(0n);
      expect(await jobState()).toEqual(['RUNNING']);
    },
    25 * MINUTE,
  );

  it(
    "the ScaledObject's Prometheus query returns the running + queued queries Trino itself reports",
    async () => {
      const e = localClusterEndpoints(config.ports);
      const promql = await scaledObjectQuery();
      // Two queries of a known length and no others: their count holds still for longer than a scrape.
      const trino = new TrinoClient(e.trino, { source: 'platform.cluster.test' });
      const load = new QueryLoad(trino, loadQuery(await loadSize(trino)), 2, Date.now() + 5 * MINUTE);
      const samples: { trino: number; prometheus: number }[] = [];
      try {
        load.setClients(2);
        // A sample counts when Trino's set of active queries was the same for the last 8 s (Prometheus
        // scrapes Trino every 5 s) and just before and after Prometheus was asked.
        let ids = '';
        let since = Date.now();
        await pollUntil(
          async () => {
            const before = (await activeQueryIds(e.trino)).join(',');
            const prometheus = await prometheusValue(e.prometheus, promql);
            const after = (await activeQueryIds(e.trino)).join(',');
            if (before !== ids) [ids, since] = [before, Date.now()];
            if (before === after && Date.now() - since >= 8_000) {
              samples.push({ trino: before === '' ? 0 : before.split(',').length, prometheus });
            }
            return samples.filter((s) => s.trino === 2).length >= 3 || load.running === 0 ? true : undefined;
          },
          { timeoutMs: 5 * MINUTE, intervalMs: 1_000 },
        );
      } finally {
        const result = await load.stop();
        expect(result.failed).toEqual([]);
      }
      // Idle again: both say 0 once a scrape has seen it.
      await new Promise((r) => setTimeout(r, 8_000));
      expect(await activeQueryIds(e.trino)).toEqual([]);
      samples.push({ trino: 0, prometheus: await prometheusValue(e.prometheus, promql) });
      console.log(`trino vs prometheus (running + queued): ${JSON.stringify(samples)}`);
      expect(samples.filter((s) => s.trino === 2).length).toBeGreaterThanOrEqual(3);
      for (const s of samples) expect(s.prometheus).toBe(s.trino);
    },
    10 * MINUTE,
  );

  it(
    'KEDA scales trino-worker from 1 to 2 under a query load and back to 1 after it; no query of the load fails',
    async () => {
      const e = localClusterEndpoints(config.ports);
      const workers = async () =>
        (await pods()).filter((p) => p.metadata.labels?.['trino.io/role'] === 'worker');
      // Idle: KEDA brings the workers to its minimum, one (a worker leaves after a quiet minute and its drain).
      await pollUntil(async () => ((await workers()).length === 1 ? true : undefined), {
        timeoutMs: 6 * MINUTE,
        intervalMs: 5_000,
      });
      const [first] = await workers();
      const trino = new TrinoClient(e.trino, { source: 'platform.cluster.test' });
      // Bounded: at most 60 queries, none started after 15 minutes.
      const load = new QueryLoad(trino, loadQuery(await loadSize(trino)), 60, Date.now() + 15 * MINUTE);
      const started = Date.now();
      let secondReadyS: number | undefined;
      let leaving: string | undefined;
      let inFlightWhenLeaving = 0;
      try {
        // Four clients: four running queries, twice the ScaledObject's two per worker.
        load.setClients(4);
        const second = await pollUntil(
          async () => (await workers()).find((p) => p.metadata.name !== first.metadata.name && isReady(p)),
          { timeoutMs: 5 * MINUTE, intervalMs: 2_000 },
        );
        expect(second).toBeDefined();
        secondReadyS = Math.round((Date.now() - started) / 1000);
        // Queries keep coming for a while so the new worker takes tasks.
        await new Promise((r) => setTimeout(r, 30_000));
        // One client: one query at a time, which KEDA serves with one worker. One worker leaves while
        // that client's queries run on both.
        load.setClients(1);
        leaving = await pollUntil(
          async () => {
            const terminating = (
              await kubectlJson<PodList>('get', 'pods', '-n', NAMESPACE, '-l', 'trino.io/role=worker')
            ).items.find((p) => (p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
            if (terminating) inFlightWhenLeaving = load.running;
            return terminating?.metadata.name;
          },
          { timeoutMs: 6 * MINUTE, intervalMs: 2_000 },
        );
        expect(leaving).toBeDefined();
        // The load goes on until the leaving worker is gone.
        await pollUntil(
          async () => ((await workers()).some((p) => p.metadata.name === leaving) ? undefined : true),
          { timeoutMs: 6 * MINUTE, intervalMs: 2_000 },
        );
      } finally {
        const result = await load.stop();
        console.log(
          `autoscaling: ${load.queriesStarted} queries, second worker Ready after ${secondReadyS} s, ` +
            `${leaving} left with ${inFlightWhenLeaving} query in flight, ${result.failed.length} failed` +
            result.failed.map((f) => `\n  failed: ${f.error}`).join(''),
        );
        expect(result.failed).toEqual([]);
      }
      expect(inFlightWhenLeaving).toBe(1);
      expect((await workers()).length).toBe(1);
      const hpa = await kubectlJson<{ status: { desiredReplicas: number } }>(
        'get',
        'hpa',
        'keda-hpa-trino-worker',
        '-n',
        NAMESPACE,
      );
      expect(hpa.status.desiredReplicas).toBe(1);
    },
    30 * MINUTE,
  );

  it(
    "Prometheus scrapes every component that serves metrics, and dp status shows each one's pods, restarts and key figures",
    async () => {
      const e = localClusterEndpoints(config.ports);
      // Scraped and up: Trino and Nessie by their own jobs, the rest by their container port named metrics.
      const up = async (selector: string) => prometheusValue(e.prometheus, `min(up{${selector}})`);
      for (const selector of [
        'job="trino"',
        'job="nessie"',
        'job="pods",app="temporal"',
        'job="pods",app="temporal-worker"',
        'job="pods",app="flink-sensor-job"',
        'job="pods",app="keda"',
        'job="prometheus"',
      ]) {
        const value = await pollUntil(async () => ((await up(selector)) === 1 ? 1 : undefined), {
          timeoutMs: 2 * MINUTE,
          intervalMs: 5_000,
        });
        expect([selector, value]).toEqual([selector, 1]);
      }

      // Idle, and seen idle: Prometheus scrapes Trino every 5 s and KEDA's operator (which asks Trino's
      // figure every 5 s) every 15 s, so the last load's queries may still show for a moment.
      const idleQuery = await scaledObjectQuery();
      await pollUntil(
        async () =>
          (await prometheusValue(e.prometheus, idleQuery)) === 0 &&
          (await prometheusValue(
            e.prometheus,
            'sum(keda_scaler_metrics_value{scaledObject="trino-worker"})',
          )) === 0
            ? true
            : undefined,
        { timeoutMs: 2 * MINUTE, intervalMs: 5_000 },
      );
      type StatusReport = {
        components: {
          component: string;
          healthy: boolean;
          pods?: number;
          restarts?: number;
          figures?: Record<string, number>;
        }[];
      };
      // The Flink job's counters start again with each restart of its job (the load above can make it fail
      // over) and its REST API refreshes them every 10 s: ask again until they show the stream's readings.
      const report = (await pollUntil(
        async () => {
          const status = await dp(['status', '--target', 'k8s', '--context', 'dp-local', '--json']);
          expect(status.code).toBe(0);
          const parsed = JSON.parse(status.out.slice(status.out.indexOf('{'))) as StatusReport;
          const flink = parsed.components.find((c) => c.component === 'flink-sensor-job')?.figures;
          return (flink?.['records in'] ?? 0) > 0 && (flink?.['records out'] ?? 0) > 0 ? parsed : undefined;
        },
        { timeoutMs: 3 * MINUTE, intervalMs: 10_000 },
      ))!;
      const row = (name: string) => report.components.find((c) => c.component === name)!;
      // Pods as the cluster lists them, by each component's label.
      const readyWorkers = (await pods()).filter(
        (p) => p.metadata.labels?.['trino.io/role'] === 'worker' && isReady(p),
      ).length;
      const trinoPods = (await pods()).filter(
        (p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'trino',
      );
      expect(row('trino').pods).toBe(trinoPods.length);
      expect(row('trino').restarts).toEqual(expect.any(Number));
      expect(row('kafka').pods).toBe(
        (await pods()).filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'kafka').length,
      );
      expect(row('trino').figures).toEqual({
        'running queries': 0,
        'queued queries': 0,
        workers: readyWorkers,
      });
      expect(row('keda').figures).toEqual({ 'trino-worker metric': 0 });
      const targets = row('prometheus').figures!;
      expect(targets['targets up']).toBe(targets.targets);
      expect(targets.targets).toBeGreaterThanOrEqual(8);
      // The stream ran: readings in, windows out, checkpoints taken; the lag is what Kafka says.
      const flink = row('flink-sensor-job').figures!;
      expect(flink['records in']).toBeGreaterThan(0);
      expect(flink['records out']).toBeGreaterThan(0);
      expect(flink['last checkpoint']).toBeGreaterThan(0);
      expect(row('kafka').figures!['flink group lag']).toBeGreaterThanOrEqual(0);
      // Failed workflows of the last hour, counted here from the list Temporal gives.
      expect(row('temporal').figures).toEqual({
        'failed workflows 1h': await failedWorkflowsLastHour(e.temporal, config.temporalNamespace),
      });
    },
    10 * MINUTE,
  );

  it(
    'a second dp up --target k8s changes nothing',
    async () => {
      // Spec changes raise a workload's generation; Services and ConfigMaps have no status, so any write shows.
      const state = async () =>
        [
          await kubectl('get', 'deploy,statefulset', '-n', NAMESPACE, '-o', GENERATIONS),
          await kubectl('get', 'service,configmap,secret', '-n', NAMESPACE, '-o', VERSIONS),
        ].join('\n');
      const before = await state();
      const again = await dp(['up', '--target', 'k8s', '--context', 'dp-local']);
      expect(again.code).toBe(0);
      expect(again.out).not.toMatch(/\] started:/);
      expect(await state()).toBe(before);
    },
    20 * MINUTE,
  );

  it(
    'dp cluster down stops everything and leaves no mounts, network namespaces or cgroups',
    async () => {
      await dp(['down']);
      const down = await dp(['cluster', 'down']);
      expect(down.code).toBe(0);
      const status = await clusterStatus(config);
      expect(status.processes.filter((p) => p.alive)).toEqual([]);
      const added = mountPoints().filter((m) => !mountsBefore.includes(m));
      expect(added.filter((m) => m.startsWith(home) || m.includes('/dp-cluster'))).toEqual([]);
      expect(clusterCgroups()).toEqual([]);
    },
    10 * MINUTE,
  );
});
