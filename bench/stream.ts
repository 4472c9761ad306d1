// The streaming benchmark: sensor readings through producer -> Kafka -> the Flink job -> Iceberg, read in Trino.
//
//   tsx bench/run.ts stream [--rate R] [--duration D] [--sensors N] [--baseline D] [--no-up] [--target k8s]
//
// 1. Baseline, same run: the producer alone into Kafka (no job reading) for --baseline (default 30 s) at the
//    same offered rate: the ceiling the pipeline could reach on this machine.
// 2. The pipeline: the job (`dp stream start`, checkpoints every 10 s, the product's default) reads a topic of
//    the benchmark's own and writes a table of its own; the producer offers --rate readings/s (default 25,000)
//    for --duration (default 5 min), then one closing reading per sensor 70 s later in event time, so the last
//    minute's windows close. Meanwhile Trino is asked every second which windows are visible, and Kafka's and
//    the job's RSS are sampled.
//    - events_per_s: readings counted in the table (sum of event_count) / seconds from the first reading sent
//      until the table held them all: end-to-end throughput, the final window's latency included.
//    - p95_visible_latency_s: per window, when its rows were first visible in Trino minus its window_end
//      (event time = the producer's clock), over the windows that closed during the run.
//    - lost_events: readings the broker acknowledged that are in neither the table nor the dead-letter topic.
// The last line of output is one JSON object. Needs the local platform (runs `dp up` unless --no-up) and no
// other stream job running (`dp stream stop` first). Cleans up its topics, table and checkpoints.
//
// --target k8s: the same measurement on the local cluster (`dp cluster up`, `dp up --target k8s`), through its
// loopback forwarders, with the job as deployed: it reads sensor-topic and writes
// lakehouse.iot.sensor_temperature_1m. The sensor producer Deployment is scaled to zero for the run (and
// back after), the benchmark starts producing on a minute boundary, and only the windows from that minute on
// count. Memory is each pod's working set (its cgroup's usage less inactive file pages), summed over the
// JobManager and TaskManager for Flink. The baseline topic is deleted after; the readings stay in the table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAdmin, type KafkaConnection } from '../clients/kafka/client';
import { produceSensorEvents, type ProduceStats } from '../clients/kafka/producer';
import { sensorId } from '../clients/kafka/sensor-events';
import { endOffsets, ensureTopics, SENSOR_DLQ_TOPIC, SENSOR_TOPIC } from '../clients/kafka/topics';
import { TrinoClient } from '../clients/trino';
import { parseDuration, parseRate } from '../cli/sensors';
import { kubeconfigSearchPath, LOCAL_CLUSTER_CONTEXT, localClusterEndpoints } from '../infra/cluster/layout';
import { podWorkingSetMiB } from '../platform/cluster/supervisor';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { standaloneJobStatus } from '../platform/k8s/stream';
import { latestCheckpoint } from '../platform/local/flink';
import { residentMiB } from '../platform/local/health';
import { resolveTarget, type KubernetesTarget } from '../platform/target';
import { runningPid } from '../lib/process';
import { endpoints, loadConfig, paths } from '../lib/config';
import { dpSync, stopStreamQuietly } from './dp';
import { consumeAll, produceExact } from '../test/support/kafka-records';
import { sleep } from '../lib/time';

const CHECKPOINT_INTERVAL_MS = 10_000;
const TARGETS = {
  events_per_s: 20_000,
  p95_visible_latency_s: CHECKPOINT_INTERVAL_MS / 1000 + 5,
  lost_events: 0,
};
const MINUTE = 60_000;
/** The job's default bounded out-of-orderness: a window closes once readings 5 s past its end arrive. */
const OUT_OF_ORDERNESS_MS = 5_000;

interface StreamBenchOptions {
  rate: number;
  durationMs: number;
  sensors: number;
  baselineMs: number;
  up: boolean;
  target: 'local' | 'k8s';
}

function parseArgs(args: string[]): StreamBenchOptions {
  const options: StreamBenchOptions = {
    rate: 25_000,
    durationMs: 5 * MINUTE,
    sensors: 100,
    baselineMs: 30_000,
    up: true,
    target: 'local',
  };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${args[i - 1]} needs a value`);
      return v;
    };
    switch (args[i]) {
      case '--rate':
        options.rate = parseRate(value());
        break;
      case '--duration':
        options.durationMs = parseDuration(value());
        break;
      case '--baseline':
        options.baselineMs = parseDuration(value());
        break;
      case '--sensors':
        options.sensors = Number(value());
        if (!Number.isInteger(options.sensors) || options.sensors < 1)
          throw new Error('--sensors: a whole number ≥ 1');
        break;
      case '--no-up':
        options.up = false;
        break;
      case '--target': {
        const target = value();
        if (target !== 'local' && target !== 'k8s')
          throw new Error(`--target: local or k8s (the local cluster), not '${target}'`);
        options.target = target;
        break;
      }
      default:
        throw new Error(`unknown argument '${args[i]}' (see the header of bench/stream.ts)`);
    }
  }
  return options;
}

const log = (line: string) => process.stderr.write(`[bench stream] ${line}\n`);

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface MemorySampler {
  stop(): void;
  peak(): number;
  median(): number | null;
}

/** Peak and median of a memory reading (MiB) taken every second until stopped; undefined readings skipped. */
function memorySampler(read: () => number | undefined | Promise<number | undefined>): MemorySampler {
  let peak = 0;
  const samples: number[] = [];
  const timer = setInterval(() => {
    void Promise.resolve()
      .then(read)
      .then((mib) => {
        if (mib === undefined) return;
        peak = Math.max(peak, mib);
        samples.push(mib);
      })
      .catch(() => undefined);
  }, 1000);
  return { stop: () => clearInterval(timer), peak: () => peak, median: () => percentile(samples, 50) };
}

/** What the measurement needs from where the pipeline runs. */
interface PipelineUnderTest {
  label: string;
  connection: KafkaConnection;
  trino: TrinoClient;
  /** The producer-alone baseline writes here (a topic of the benchmark's own). */
  baselineTopic: string;
  /** The topic the job reads, its dead-letter topic and the table it writes. */
  topic: string;
  dlq: string;
  table: string;
  /** Starts the job (and the Flink memory sampler), when readings may start: ms since the epoch. */
  startJob(): Promise<number>;
  kafkaMemory: MemorySampler;
  flinkMemory(): MemorySampler | undefined;
  lastCheckpoint(): Promise<number | null>;
  cleanup(): Promise<void>;
}

/** The local platform: the job started by `dp stream start` on a topic and table of the benchmark's own. */
async function localPipeline(options: StreamBenchOptions): Promise<PipelineUnderTest> {
  if (options.up) {
    log('dp up');
    dpSync(['up']);
  }
  const config = loadConfig();
  const e = endpoints(config);
  const flinkPid = paths(config).pid('flink');
  if (runningPid(flinkPid) !== undefined) {
    throw new Error('a stream job is running: stop it with `dp stream stop`, then run the benchmark again');
  }
  const suffix = `bench${Date.now()}`;
  const checkpointDir = path.join(paths(config).data('flink'), `checkpoints-${suffix}`);
  const connection = { bootstrap: e.kafka, clientId: 'dp-bench-stream' };
  const pidMemory = (pidFile: string) => () => {
    const pid = runningPid(pidFile);
    return pid === undefined ? undefined : residentMiB(pid);
  };
  const pipeline = {
    label: 'local platform',
    connection,
    trino: new TrinoClient(e.trino, { source: 'dp-bench-stream', catalog: config.catalog }),
    baselineTopic: `sensor-${suffix}-baseline`,
    topic: `sensor-${suffix}`,
    dlq: `sensor-${suffix}-dlq`,
    table: `iot.sensor_${suffix}`,
    kafkaMemory: memorySampler(pidMemory(paths(config).pid('kafka'))),
    flinkMemory: () => flink,
    async startJob() {
      dpSync(['stream', 'start', '--checkpoint-interval', String(CHECKPOINT_INTERVAL_MS)], {
        DP_STREAM_KAFKA_TOPIC: pipeline.topic,
        DP_STREAM_KAFKA_DLQ_TOPIC: pipeline.dlq,
        DP_STREAM_KAFKA_GROUP_ID: `dp-${suffix}`,
        DP_STREAM_TABLE: pipeline.table,
        DP_STREAM_CHECKPOINT_DIR: checkpointDir,
      });
      flink = memorySampler(pidMemory(flinkPid));
      return Date.now();
    },
    lastCheckpoint: async () => latestCheckpoint(checkpointDir)?.id ?? null,
    async cleanup() {
      stopStreamQuietly();
      fs.rmSync(checkpointDir, { recursive: true, force: true });
      await pipeline.trino.query(`drop table if exists ${pipeline.table}`).catch(() => undefined);
      await deleteTopics(connection, [pipeline.baselineTopic, pipeline.topic, pipeline.dlq]);
    },
  };
  let flink: MemorySampler | undefined;
  await ensureTopics(connection, [
    { ...SENSOR_TOPIC, name: pipeline.baselineTopic },
    { ...SENSOR_TOPIC, name: pipeline.topic },
    { ...SENSOR_TOPIC, name: pipeline.dlq, partitions: 1 },
  ]);
  return pipeline;
}

/**
 * The local cluster: the deployed job, on sensor-topic, with the sensor producer Deployment scaled to zero
 * for the run. Readings start on the next minute boundary, so the windows from then on are the benchmark's.
 */
async function clusterPipeline(): Promise<PipelineUnderTest> {
  const config = loadConfig();
  const e = localClusterEndpoints(config.ports);
  // The local cluster's kubeconfig, after the user's own, as `dp` reads it.
  const search = kubeconfigSearchPath(process.env, config.home, fs.existsSync);
  if (search) process.env.KUBECONFIG = search;
  const target = resolveTarget({ target: 'k8s', context: LOCAL_CLUSTER_CONTEXT }, undefined)
    .target as KubernetesTarget;
  const driver = await kubernetesDriverFor(target);
  const producer = driver
    .manifests()
    .objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'sensor-producer');
  if (!producer) throw new Error(`overlay ${target.overlay} deploys no sensor-producer Deployment`);
  const status = await standaloneJobStatus(e.flink);
  if (status.state !== 'RUNNING')
    throw new Error(
      `the Flink job on the local cluster is ${status.state ?? 'not reachable'}: ` +
        'bring the platform up with `dp up --target k8s` (and `dp stream start --target k8s`), then run again',
    );
  const connection = { bootstrap: e.kafka, clientId: 'dp-bench-stream' };
  const podMemory = (name: string) => async () => {
    const pods = await driver.podsOf(name);
    const mib = pods.map((p) => podWorkingSetMiB(p.uid));
    return mib.length === 0 || mib.some((m) => m === undefined)
      ? undefined
      : mib.reduce((a, b) => a! + b!, 0);
  };
  const baselineTopic = `sensor-bench${Date.now()}-baseline`;
  await ensureTopics(connection, [{ ...SENSOR_TOPIC, name: baselineTopic }]);
  const progress = (m: string) => log(m);
  const flink = memorySampler(podMemory('flink-sensor-job'));
  return {
    label: 'local cluster (pods, through loopback forwarders)',
    connection,
    trino: new TrinoClient(e.trino, { source: 'dp-bench-stream' }),
    baselineTopic,
    topic: SENSOR_TOPIC.name,
    dlq: SENSOR_DLQ_TOPIC.name,
    table: 'lakehouse.iot.sensor_temperature_1m',
    kafkaMemory: memorySampler(podMemory('kafka')),
    flinkMemory: () => flink,
    async startJob() {
      await driver.scale(producer, 0, progress);
      // The producer's last readings must be in earlier windows than the benchmark's first.
      await sleep(MINUTE - (Date.now() % MINUTE));
      return Date.now();
    },
    async lastCheckpoint() {
      return (await standaloneJobStatus(e.flink)).latestCheckpoint?.id ?? null;
    },
    async cleanup() {
      await driver.scale(producer, 1, progress).catch((err: Error) => log(`sensor-producer: ${err.message}`));
      await deleteTopics(connection, [baselineTopic]);
    },
  };
}

async function deleteTopics(connection: KafkaConnection, topics: string[]) {
  const admin = createAdmin(connection);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.close();
}

const sumOffsets = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((a, b) => a + b, 0n);

export async function streamBenchCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const pipeline = options.target === 'k8s' ? await clusterPipeline() : await localPipeline(options);
  const { connection, trino, topic, table } = pipeline;
  const kafkaMemory = pipeline.kafkaMemory;
  try {
    // 1. The baseline: the producer alone.
    log(`baseline: producer -> Kafka alone, ${options.rate}/s offered for ${options.baselineMs / 1000} s`);
    const baseline = await produceSensorEvents({
      ...connection,
      topic: pipeline.baselineTopic,
      sensors: options.sensors,
      ratePerSecond: options.rate,
      durationMs: options.baselineMs,
      seed: 1,
    });
    const baselineRate = baseline.acked / (baseline.elapsedMs / 1000);
    log(`baseline: ${baseline.acked} readings acknowledged, ${Math.round(baselineRate)}/s`);

    // 2. The pipeline.
    const dlqBefore = await endOffsets(connection, pipeline.dlq);
    const from = await pipeline.startJob();
    const flinkMemory = pipeline.flinkMemory();

    // Which windows (from the first reading's minute on) are visible, and since when (polled every second).
    const firstSeen = new Map<number, number>();
    let inTable = 0;
    let polling = true;
    const fromMinute = from - (from % MINUTE);
    const poller = (async () => {
      while (polling) {
        const t0 = Date.now();
        try {
          const rows = await trino.query(
            `select cast(to_unixtime(window_end) * 1000 as bigint), sum(event_count) from ${table} ` +
              `where window_start >= from_unixtime(${fromMinute / 1000}) group by 1`,
          );
          let total = 0;
          for (const [end, count] of rows.rows) {
            if (!firstSeen.has(Number(end))) firstSeen.set(Number(end), t0);
            total += Number(count);
          }
          inTable = total;
        } catch {
          // the table appears when the job starts
        }
        await sleep(Math.max(0, 1000 - (Date.now() - t0)));
      }
    })();

    log(`pipeline: ${options.sensors} sensors, ${options.rate}/s offered for ${options.durationMs / 1000} s`);
    const started = Date.now();
    let lastLog = 0;
    const stats: ProduceStats = await produceSensorEvents({
      ...connection,
      topic,
      sensors: options.sensors,
      ratePerSecond: options.rate,
      durationMs: options.durationMs,
      seed: 2,
      maxOutageMs: 60_000,
      onProgress: (s) => {
        if (Date.now() - lastLog >= 15_000) {
          lastLog = Date.now();
          log(
            `  ${Math.round(s.elapsedMs / 1000)} s: ${s.acked} acknowledged (${Math.round(s.rate)}/s), ` +
              `${inTable} in the table, Flink ${flinkMemory?.peak()} MiB, Kafka ${kafkaMemory.peak()} MiB`,
          );
        }
      },
    });
    const producedUntil = started + stats.elapsedMs;
    // Closing readings: one per sensor, 70 s past the end in event time, so the last minute's windows close.
    const closingAt = new Date(producedUntil + 70_000).toISOString();
    await produceExact(
      connection,
      topic,
      Array.from({ length: options.sensors }, (_, i) => ({
        key: sensorId(i),
        value: JSON.stringify({ sensor_id: sensorId(i), temperature: 20, event_time: closingAt }),
      })),
    );
    log(
      `produced ${stats.acked} readings in ${(stats.elapsedMs / 1000).toFixed(1)} s; waiting for the table`,
    );
    const drainDeadline = Date.now() + 5 * MINUTE;
    let allVisibleAt: number | undefined;
    while (Date.now() < drainDeadline) {
      if (inTable >= stats.acked) {
        allVisibleAt = Date.now();
        break;
      }
      await sleep(500);
    }
    polling = false;
    await poller;
    flinkMemory?.stop();
    kafkaMemory.stop();

    // Dead letters of this run: the records past the offsets the dead-letter topic had before it.
    const dlqTotal = Number(sumOffsets(await endOffsets(connection, pipeline.dlq)));
    const dead = (await consumeAll(connection, pipeline.dlq, dlqTotal, 15_000)).filter(
      (r) => BigInt(r.offset) >= (dlqBefore.get(r.partition) ?? 0n),
    );
    const late = dead.filter((r) => /"reason":"late"/.test(r.value)).length;
    const lost = Math.max(0, stats.acked - inTable - late);
    const duration = ((allVisibleAt ?? Date.now()) - started) / 1000;
    const eventsPerS = inTable / duration;
    // Latency of the windows that the stream itself closed: not the first, partial minute, and none that only
    // the closing readings closed (ends later than the last reading minus the job's 5 s out-of-orderness).
    const latencies = [...firstSeen.entries()]
      .filter(([end]) => end - MINUTE >= started && end + OUT_OF_ORDERNESS_MS <= producedUntil)
      .map(([end, seen]) => (seen - end) / 1000)
      .sort((a, b) => a - b);
    const p95 = percentile(latencies, 95);

    const result = {
      target: options.target,
      events_per_s: Math.round(eventsPerS),
      p95_visible_latency_s: p95 === null ? null : Math.round(p95 * 10) / 10,
      checkpoint_interval_s: CHECKPOINT_INTERVAL_MS / 1000,
      lost_events: lost,
      kafka_rss_mib: kafkaMemory.peak(),
      flink_rss_mib: flinkMemory?.peak() ?? null,
      offered_rate_per_s: options.rate,
      producer_acked_per_s: Math.round(stats.rate),
      acked_events: stats.acked,
      events_in_table: inTable,
      late_events_in_dlq: late,
      all_visible_after_s: Math.round(duration * 10) / 10,
      window_latencies_s: latencies.map((l) => Math.round(l * 10) / 10),
      kafka_rss_median_mib: kafkaMemory.median(),
      flink_rss_median_mib: flinkMemory?.median() ?? null,
      baseline_producer_only_per_s: Math.round(baselineRate),
      last_checkpoint: await pipeline.lastCheckpoint(),
      targets: TARGETS,
    };
    const memoryKind = options.target === 'k8s' ? 'pod working set' : 'RSS';
    console.log('');
    console.log(
      `Streaming benchmark (producer -> Kafka -> Flink -> Iceberg -> Trino) on the ${pipeline.label}`,
    );
    console.log(
      `  offered                ${options.rate}/s for ${options.durationMs / 1000} s, ${options.sensors} sensors`,
    );
    console.log(`  producer acknowledged  ${stats.acked} (${result.producer_acked_per_s}/s)`);
    console.log(`  baseline (producer -> Kafka alone, same run)  ${result.baseline_producer_only_per_s}/s`);
    console.log(
      `  end to end             ${result.events_per_s}/s (${inTable} readings in the table ${result.all_visible_after_s} s after the first was sent)   target >= ${TARGETS.events_per_s}/s`,
    );
    console.log(
      `  visible latency p95    ${result.p95_visible_latency_s} s over ${latencies.length} windows [${result.window_latencies_s.join(', ')}]   target <= ${TARGETS.p95_visible_latency_s} s (checkpoint ${result.checkpoint_interval_s} s + 5 s)`,
    );
    console.log(
      `  lost                   ${lost} (late, in the dead-letter topic: ${late})   target ${TARGETS.lost_events}`,
    );
    console.log(
      `  Kafka ${memoryKind.padEnd(16)} peak ${result.kafka_rss_mib} MiB, median ${result.kafka_rss_median_mib} MiB`,
    );
    console.log(
      `  Flink ${memoryKind.padEnd(16)} peak ${result.flink_rss_mib} MiB, median ${result.flink_rss_median_mib} MiB`,
    );
    console.log(JSON.stringify(result));
    if (allVisibleAt === undefined) process.exitCode = 1;
  } finally {
    kafkaMemory.stop();
    pipeline.flinkMemory()?.stop();
    await pipeline.cleanup();
  }
}
