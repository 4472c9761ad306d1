// The stream's catch-up benchmark: how fast the Flink job drains a backlog after an outage.
//
//   tsx bench/run.ts stream --catch-up [--events N] [--sensors N] [--event-rate R] [--checkpoint-interval MS]
//                                      [--no-up]
//
// 1. Fill, job stopped: a topic of the benchmark's own gets --events readings (default 10,000,000) from
//    --sensors sensors (default 100), as an outage at the live rate would leave them: event times --event-rate
//    readings/s apart (default 25,000/s, the live figure; 10 M readings are then ~400 s, ~7 minutes of windows),
//    ending now. Each sensor writes to one partition (sensor i on partition i mod 6) in event-time order, then
//    one closing reading per partition 70 s past the last lets the final watermark close every minute of the
//    backlog. Several producers (one per partition) write at once; the fill is not what is measured, its rate
//    is reported (the baseline of the same run: the producer side's speed on this machine). The expected
//    windows are computed from the readings as they are generated (test/support/reference-windows.ts).
// 2. Catch-up, measured: `dp stream start` (checkpoints every --checkpoint-interval ms, default the product's
//    10 s) on that topic and a table of its own; the clock runs from the start command until the consumer
//    group's lag is 0 on every partition (the job commits offsets on checkpoints) and the table shows every
//    expected window in Trino. catch_up_events_per_s = readings / that time. Phases are reported: start until
//    the job is RUNNING, until lag 0, until the last window is visible; the lag every 5 s; Flink's peak RSS.
// 3. Exactness: every row of the table equals the window computed here (no window lost, duplicated or off).
// The last line of output is one JSON object. Needs the local platform (runs `dp up` unless --no-up) and no
// other stream job running (`dp stream stop` first). Cleans up its topic, table and checkpoints.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createAdmin, kafkaLib, type KafkaConnection } from '../clients/kafka/client';
import { sensorProducerOptions } from '../clients/kafka/producer';
import { SensorEventGenerator, sensorId } from '../clients/kafka/sensor-events';
import { consumerGroupLag, ensureTopics, SENSOR_TOPIC } from '../clients/kafka/topics';
import { TrinoClient } from '../clients/trino';
import { parseRate } from '../cli/sensors';
import { buildStreamJar, jarState } from '../platform/local/flink';
import { residentMiB } from '../platform/local/health';
import { runningPid } from '../lib/process';
import { endpoints, loadConfig, paths } from '../lib/config';
import { dpAsync, dpSync, stopStreamQuietly } from './dp';
import { sleep } from '../lib/time';
import {
  comparableWindows,
  readingJson,
  WindowAccumulator,
  windowRowOf,
  windowRowsSql,
  type Reading,
  type WindowRow,
} from '../test/support/reference-windows';

const TARGET_EVENTS_PER_S = 100_000;
/** The job's default bounded out-of-orderness (its settings are left at the product's defaults). */
const OUT_OF_ORDERNESS_MS = 5_000;
/** Readings per produce request and partition: ~95 bytes each, under Kafka's 1 MB batch limit. */
const FILL_BATCH = 5_000;
const MINUTE = 60_000;

interface CatchUpOptions {
  events: number;
  sensors: number;
  eventRate: number;
  checkpointIntervalMs: number;
  up: boolean;
}

function parseArgs(args: string[]): CatchUpOptions {
  const options: CatchUpOptions = {
    events: 10_000_000,
    sensors: 100,
    eventRate: 25_000,
    checkpointIntervalMs: 10_000,
    up: true,
  };
  const whole = (name: string, v: string, min: number) => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`${name}: a whole number ≥ ${min}, not '${v}'`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${args[i - 1]} needs a value`);
      return v;
    };
    switch (args[i]) {
      case '--catch-up':
        break;
      case '--events':
        options.events = whole('--events', value(), 1000);
        break;
      case '--sensors':
        options.sensors = whole('--sensors', value(), 1);
        break;
      case '--event-rate':
        options.eventRate = parseRate(value());
        break;
      case '--checkpoint-interval':
        options.checkpointIntervalMs = whole('--checkpoint-interval', value(), 1000);
        break;
      case '--no-up':
        options.up = false;
        break;
      default:
        throw new Error(`unknown argument '${args[i]}' (see the header of bench/stream-catchup.ts)`);
    }
  }
  return options;
}

const log = (line: string) => process.stderr.write(`[bench stream --catch-up] ${line}\n`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface FillResult {
  readings: number;
  elapsedMs: number;
  expected: WindowRow[];
  expectedEvents: number;
  firstEventTime: number;
  lastEventTime: number;
}

/**
 * Writes the backlog: one idempotent producer per partition, each sending its partition's readings in order
 * (a request in flight per producer), while the next chunk is generated.
 */
async function fillTopic(
  connection: KafkaConnection,
  topic: string,
  partitions: number,
  options: CatchUpOptions,
): Promise<FillResult> {
  const generator = new SensorEventGenerator({ sensors: options.sensors, seed: 7 });
  const partitionOf = (sensorIndex: number) => sensorIndex % partitions;
  const reference = new WindowAccumulator();
  const intervalMs = 1000 / options.eventRate;
  // Ends now, minute-aligned start so the first window is whole.
  const firstEventTime = Math.floor((Date.now() - options.events * intervalMs - MINUTE) / MINUTE) * MINUTE;
  const producers = Array.from(
    { length: partitions },
    () => new (kafkaLib().Producer)(sensorProducerOptions({ ...connection, timeoutMs: 30_000 })),
  );
  const started = Date.now();
  let generated = 0;
  let lastLog = started;
  let lastEventTime = firstEventTime;
  try {
    let inFlight: Promise<unknown> = Promise.resolve();
    while (generated < options.events) {
      // One chunk: FILL_BATCH readings per partition, at most.
      const chunk: { key: string; value: string }[][] = Array.from({ length: partitions }, () => []);
      const chunkSize = Math.min(FILL_BATCH * partitions, options.events - generated);
      for (let i = 0; i < chunkSize; i++) {
        const sensorIndex = generated % options.sensors;
        const t = Math.floor(firstEventTime + generated * intervalMs);
        const event = generator.next(t);
        const reading: Reading = {
          sensor: event.sensor_id,
          partition: partitionOf(sensorIndex),
          t,
          temperature: event.temperature,
        };
        reference.add(reading);
        chunk[reading.partition].push({ key: reading.sensor, value: readingJson(reading) });
        lastEventTime = t;
        generated++;
      }
      await inFlight;
      inFlight = Promise.all(
        chunk.map((messages, partition) =>
          messages.length === 0
            ? undefined
            : producers[partition].send({
                messages: messages.map((m) => ({ topic, partition, ...m })),
              }),
        ),
      );
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        const s = (lastLog - started) / 1000;
        log(
          `  fill: ${generated} readings in ${s.toFixed(0)} s (${Math.round(generated / s)}/s), load ${load()}`,
        );
      }
    }
    await inFlight;
    // The closers: one reading per partition 70 s past the last, so every minute of the backlog closes.
    const closingAt = lastEventTime + 70_000;
    await Promise.all(
      producers.map((producer, partition) => {
        const reading: Reading = { sensor: sensorId(partition), partition, t: closingAt, temperature: 20 };
        reference.add(reading);
        return producer.send({
          messages: [{ topic, partition, key: reading.sensor, value: readingJson(reading) }],
        });
      }),
    );
  } finally {
    await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
  }
  const expected = reference.windows(OUT_OF_ORDERNESS_MS);
  return {
    readings: generated,
    elapsedMs: Date.now() - started,
    expected,
    expectedEvents: expected.reduce((n, w) => n + w.event_count, 0),
    firstEventTime,
    lastEventTime,
  };
}

export async function streamCatchUpCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  if (options.up) {
    log('dp up');
    dpSync(['up']);
  }
  const config = loadConfig();
  const e = endpoints(config);
  const connection = { bootstrap: e.kafka, clientId: 'dp-bench-catch-up' };
  const flinkPid = paths(config).pid('flink');
  if (runningPid(flinkPid) !== undefined) {
    throw new Error('a stream job is running: stop it with `dp stream stop`, then run the benchmark again');
  }
  if (jarState() !== 'current') {
    // Built before the clock starts: a build is no part of a restart after an outage.
    await buildStreamJar((_, message) => log(message));
  }

  const suffix = `catchup${Date.now()}`;
  const topic = `sensor-${suffix}`;
  const dlq = `sensor-${suffix}-dlq`;
  const group = `dp-${suffix}`;
  const table = `iot.sensor_${suffix}`;
  const partitions = SENSOR_TOPIC.partitions;
  const checkpointDir = path.join(paths(config).data('flink'), `checkpoints-${suffix}`);
  const trino = new TrinoClient(e.trino, { source: 'dp-bench-catch-up', catalog: config.catalog });
  await ensureTopics(connection, [
    { ...SENSOR_TOPIC, name: topic },
    { ...SENSOR_TOPIC, name: dlq, partitions: 1 },
  ]);

  let rssTimer: NodeJS.Timeout | undefined;
  try {
    // 1. The backlog, job stopped.
    log(
      `fill: ${options.events} readings from ${options.sensors} sensors, event times at ${options.eventRate}/s, ` +
        `into ${topic} (${partitions} partitions); load ${load()}`,
    );
    const fill = await fillTopic(connection, topic, partitions, options);
    const fillRate = fill.readings / (fill.elapsedMs / 1000);
    log(
      `fill: ${fill.readings} readings (+${partitions} closers) in ${(fill.elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(fillRate)}/s); expecting ${fill.expected.length} windows over ` +
        `${Math.round((fill.lastEventTime - fill.firstEventTime) / MINUTE)} minutes`,
    );
    if (fill.expectedEvents !== fill.readings) {
      throw new Error(`the expected windows hold ${fill.expectedEvents} readings, not all ${fill.readings}`);
    }
    const lagBefore = await consumerGroupLag(connection, topic, group).catch(() => null);
    const loadAtStart = load();

    // 2. The catch-up.
    log(
      `catch-up: dp stream start (checkpoint interval ${options.checkpointIntervalMs} ms); load ${loadAtStart}`,
    );
    let peakRss = 0;
    rssTimer = setInterval(() => {
      const pid = runningPid(flinkPid);
      const rss = pid === undefined ? undefined : residentMiB(pid);
      if (rss !== undefined) peakRss = Math.max(peakRss, rss);
    }, 500);
    const started = Date.now();
    let runningAt: number | undefined;
    const starting = dpAsync(
      ['stream', 'start', '--checkpoint-interval', String(options.checkpointIntervalMs)],
      {
        DP_STREAM_KAFKA_TOPIC: topic,
        DP_STREAM_KAFKA_DLQ_TOPIC: dlq,
        DP_STREAM_KAFKA_GROUP_ID: group,
        DP_STREAM_TABLE: table,
        DP_STREAM_CHECKPOINT_DIR: checkpointDir,
      },
    ).then((out) => {
      runningAt = Date.now();
      if (!/job RUNNING/.test(out)) log(`warning: dp stream start did not see the job RUNNING:\n${out}`);
    });
    starting.catch(() => undefined);

    // Lag every 250 ms; the table once the lag is 0 (every 250 ms) or every 5 s before (progress).
    const deadline = started + Math.max(10 * MINUTE, (options.events / 10_000) * 1000);
    const lagTrace: { s: number; lag: number }[] = [];
    let lagZeroAt: number | undefined;
    let visibleAt: number | undefined;
    let lastTableCheck = 0;
    let lastTrace = 0;
    let rowsVisible = 0;
    const expectedCount = fill.expected.length;
    while (Date.now() < deadline && (lagZeroAt === undefined || visibleAt === undefined)) {
      const now = Date.now();
      if (lagZeroAt === undefined) {
        const lag = await consumerGroupLag(connection, topic, group).catch(() => undefined);
        if (lag === 0) lagZeroAt = Date.now();
        if (lag !== undefined && (now - lastTrace >= 5000 || lag === 0)) {
          lastTrace = now;
          lagTrace.push({ s: Math.round((now - started) / 100) / 10, lag });
          log(
            `  ${((now - started) / 1000).toFixed(1)} s: lag ${lag}, ${rowsVisible} windows visible, Flink ${peakRss} MiB, load ${load()}`,
          );
        }
      }
      if (visibleAt === undefined && (lagZeroAt !== undefined || now - lastTableCheck >= 5000)) {
        lastTableCheck = now;
        try {
          const result = await trino.query(`select count(*), coalesce(sum(event_count), 0) from ${table}`);
          const [count, events] = result.rows[0] ?? [0, 0];
          rowsVisible = Number(count);
          if (rowsVisible >= expectedCount && Number(events) >= fill.expectedEvents) visibleAt = Date.now();
        } catch {
          // the job creates the table as it starts
        }
      }
      await sleep(250);
    }
    await starting.catch((err: Error) => log(`dp stream start: ${err.message}`));
    const doneAt =
      lagZeroAt !== undefined && visibleAt !== undefined ? Math.max(lagZeroAt, visibleAt) : undefined;
    clearInterval(rssTimer);
    const loadAtEnd = load();

    // 3. Exactness.
    const rows = (await trino.queryObjects(windowRowsSql(table))).map(windowRowOf);
    rows.sort((a, b) => a.window_start - b.window_start || a.sensor_id.localeCompare(b.sensor_id));
    const want = comparableWindows(fill.expected);
    const got = comparableWindows(rows);
    const windowsExact = JSON.stringify(want) === JSON.stringify(got);
    const gotKeys = new Set(got.map((w) => `${w.window_start}|${w.sensor_id}`));
    const missing = want.filter((w) => !gotKeys.has(`${w.window_start}|${w.sensor_id}`)).length;
    const duplicates = got.length - gotKeys.size;

    const seconds = (t: number | undefined) =>
      t === undefined ? null : Math.round((t - started) / 100) / 10;
    const elapsed = doneAt === undefined ? undefined : (doneAt - started) / 1000;
    const drainFrom = runningAt ?? started;
    const result = {
      events: fill.readings,
      catch_up_events_per_s: elapsed === undefined ? null : Math.round(fill.readings / elapsed),
      windows_exact: windowsExact,
      flink_peak_rss_mib: peakRss,
      catch_up_s: elapsed === undefined ? null : Math.round(elapsed * 10) / 10,
      job_running_after_s: seconds(runningAt),
      lag_zero_after_s: seconds(lagZeroAt),
      all_windows_visible_after_s: seconds(visibleAt),
      events_per_s_after_running:
        doneAt === undefined ? null : Math.round(fill.readings / ((doneAt - drainFrom) / 1000)),
      windows_expected: expectedCount,
      windows_in_table: got.length,
      windows_missing: missing,
      windows_duplicated: duplicates,
      lag_before: lagBefore,
      lag_trace: lagTrace,
      checkpoint_interval_s: options.checkpointIntervalMs / 1000,
      sensors: options.sensors,
      event_rate_per_s: options.eventRate,
      baseline_fill_events_per_s: Math.round(fillRate),
      fill_s: Math.round(fill.elapsedMs / 100) / 10,
      load_at_start: loadAtStart,
      load_at_end: loadAtEnd,
      target_events_per_s: TARGET_EVENTS_PER_S,
    };
    console.log('');
    console.log('Stream catch-up benchmark (backlog in Kafka -> Flink -> Iceberg -> Trino)');
    console.log(
      `  backlog                ${fill.readings} readings, ${options.sensors} sensors, ${expectedCount} windows; ` +
        `filled in ${result.fill_s} s (${result.baseline_fill_events_per_s}/s, the producer side: baseline)`,
    );
    console.log(
      `  catch-up               ${result.catch_up_events_per_s}/s (${result.catch_up_s} s from dp stream start until lag 0 ` +
        `and every window visible)   target >= ${TARGET_EVENTS_PER_S}/s`,
    );
    console.log(
      `  phases                 RUNNING after ${result.job_running_after_s} s, lag 0 after ${result.lag_zero_after_s} s, ` +
        `all windows visible after ${result.all_windows_visible_after_s} s; ${result.events_per_s_after_running}/s from RUNNING`,
    );
    console.log(
      `  windows exact          ${windowsExact} (${got.length} of ${expectedCount} in the table, ${missing} missing, ${duplicates} duplicated)`,
    );
    console.log(`  Flink RSS              peak ${peakRss} MiB`);
    console.log(`  load (1/5/15 min)      ${loadAtStart} at start, ${loadAtEnd} at the end`);
    console.log(JSON.stringify(result));
    if (doneAt === undefined || !windowsExact) process.exitCode = 1;
  } finally {
    if (rssTimer) clearInterval(rssTimer);
    stopStreamQuietly();
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    await trino.query(`drop table if exists ${table}`).catch(() => undefined);
    const admin = createAdmin(connection);
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.close();
  }
}
