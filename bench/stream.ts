// The streaming benchmark: sensor readings through producer -> Kafka -> the Flink job -> Iceberg, read in Trino.
//
//   tsx bench/run.ts stream [--rate R] [--duration D] [--sensors N] [--baseline D] [--no-up]
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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAdmin } from '../clients/kafka/client';
import { produceSensorEvents, type ProduceStats } from '../clients/kafka/producer';
import { sensorId } from '../clients/kafka/sensor-events';
import { ensureTopics, SENSOR_TOPIC } from '../clients/kafka/topics';
import { TrinoClient } from '../clients/trino';
import { parseDuration, parseRate } from '../cli/sensors';
import { latestCheckpoint } from '../platform/local/flink';
import { residentMiB } from '../platform/local/health';
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
}

function parseArgs(args: string[]): StreamBenchOptions {
  const options: StreamBenchOptions = {
    rate: 25_000,
    durationMs: 5 * MINUTE,
    sensors: 100,
    baselineMs: 30_000,
    up: true,
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

/** Peak RSS of a component's process, sampled every second until stopped. */
function rssSampler(pidFile: string) {
  let peak = 0;
  const samples: number[] = [];
  const timer = setInterval(() => {
    const pid = runningPid(pidFile);
    const rss = pid === undefined ? undefined : residentMiB(pid);
    if (rss !== undefined) {
      peak = Math.max(peak, rss);
      samples.push(rss);
    }
  }, 1000);
  return {
    stop: () => clearInterval(timer),
    peak: () => peak,
    median: () => percentile(samples, 50),
  };
}

export async function streamBenchCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  if (options.up) {
    log('dp up');
    dpSync(['up']);
  }
  const config = loadConfig();
  const e = endpoints(config);
  const connection = { bootstrap: e.kafka, clientId: 'dp-bench-stream' };
  const flinkPid = paths(config).pid('flink');
  if (runningPid(flinkPid) !== undefined) {
    throw new Error('a stream job is running: stop it with `dp stream stop`, then run the benchmark again');
  }

  const suffix = `bench${Date.now()}`;
  const baselineTopic = `sensor-${suffix}-baseline`;
  const topic = `sensor-${suffix}`;
  const dlq = `sensor-${suffix}-dlq`;
  const table = `iot.sensor_${suffix}`;
  const checkpointDir = path.join(paths(config).data('flink'), `checkpoints-${suffix}`);
  const trino = new TrinoClient(e.trino, { source: 'dp-bench-stream', catalog: config.catalog });
  await ensureTopics(connection, [
    { ...SENSOR_TOPIC, name: baselineTopic },
    { ...SENSOR_TOPIC, name: topic },
    { ...SENSOR_TOPIC, name: dlq, partitions: 1 },
  ]);

  const kafkaRss = rssSampler(paths(config).pid('kafka'));
  let flinkRss: ReturnType<typeof rssSampler> | undefined;
  try {
    // 1. The baseline: the producer alone.
    log(`baseline: producer -> Kafka alone, ${options.rate}/s offered for ${options.baselineMs / 1000} s`);
    const baseline = await produceSensorEvents({
      ...connection,
      topic: baselineTopic,
      sensors: options.sensors,
      ratePerSecond: options.rate,
      durationMs: options.baselineMs,
      seed: 1,
    });
    const baselineRate = baseline.acked / (baseline.elapsedMs / 1000);
    log(`baseline: ${baseline.acked} readings acknowledged, ${Math.round(baselineRate)}/s`);

    // 2. The pipeline.
    dpSync(['stream', 'start', '--checkpoint-interval', String(CHECKPOINT_INTERVAL_MS)], {
      DP_STREAM_KAFKA_TOPIC: topic,
      DP_STREAM_KAFKA_DLQ_TOPIC: dlq,
      DP_STREAM_KAFKA_GROUP_ID: `dp-${suffix}`,
      DP_STREAM_TABLE: table,
      DP_STREAM_CHECKPOINT_DIR: checkpointDir,
    });
    flinkRss = rssSampler(flinkPid);

    // Which windows are visible, and since when (polled every second).
    const firstSeen = new Map<number, number>();
    let inTable = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = Date.now();
        try {
          const rows = await trino.query(
            `select cast(to_unixtime(window_end) * 1000 as bigint), sum(event_count) from ${table} group by 1`,
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
              `${inTable} in the table, Flink ${flinkRss?.peak()} MiB, Kafka ${kafkaRss.peak()} MiB`,
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
    flinkRss.stop();
    kafkaRss.stop();

    const dead = await consumeAll(connection, dlq, 1_000_000, 15_000);
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
    const checkpoint = latestCheckpoint(checkpointDir);

    const result = {
      events_per_s: Math.round(eventsPerS),
      p95_visible_latency_s: p95 === null ? null : Math.round(p95 * 10) / 10,
      checkpoint_interval_s: CHECKPOINT_INTERVAL_MS / 1000,
      lost_events: lost,
      kafka_rss_mib: kafkaRss.peak(),
      flink_rss_mib: flinkRss.peak(),
      offered_rate_per_s: options.rate,
      producer_acked_per_s: Math.round(stats.rate),
      acked_events: stats.acked,
      events_in_table: inTable,
      late_events_in_dlq: late,
      all_visible_after_s: Math.round(duration * 10) / 10,
      window_latencies_s: latencies.map((l) => Math.round(l * 10) / 10),
      kafka_rss_median_mib: kafkaRss.median(),
      flink_rss_median_mib: flinkRss.median(),
      baseline_producer_only_per_s: Math.round(baselineRate),
      last_checkpoint: checkpoint?.id ?? null,
      targets: TARGETS,
    };
    console.log('');
    console.log('Streaming benchmark (producer -> Kafka -> Flink -> Iceberg -> Trino)');
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
      `  Kafka RSS              peak ${result.kafka_rss_mib} MiB, median ${result.kafka_rss_median_mib} MiB`,
    );
    console.log(
      `  Flink RSS              peak ${result.flink_rss_mib} MiB, median ${result.flink_rss_median_mib} MiB`,
    );
    console.log(JSON.stringify(result));
    if (allVisibleAt === undefined) process.exitCode = 1;
  } finally {
    kafkaRss.stop();
    flinkRss?.stop();
    stopStreamQuietly();
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    await trino.query(`drop table if exists ${table}`).catch(() => undefined);
    const admin = createAdmin(connection);
    await admin.deleteTopics({ topics: [baselineTopic, topic, dlq] }).catch(() => undefined);
    await admin.close();
  }
}
