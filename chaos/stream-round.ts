// One stream round on the local platform: the Flink job started on a topic, dead-letter topic, table and
// checkpoint folder of the round's own; known readings produced in parts; Kafka or the job SIGKILLed a planned
// moment after a part was acknowledged; no recovery by the harness (the platform watch restarts either); then
// the table's windows, once they stop changing or the time is up, compared with the windows computed from the
// readings (stream-windows.ts): none missing or wrong (lost), none twice (duplicates).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAdmin } from '../clients/kafka/client';
import { ensureTopics, SENSOR_TOPIC } from '../clients/kafka/topics';
import { TrinoClient } from '../clients/trino';
import { endpoints, paths, type PlatformConfig } from '../lib/config';
import { isAlive, runningPid } from '../lib/process';
import { pollUntil, sleep } from '../lib/time';
import { probeLocal } from '../platform/local/health';
import { produceExact } from '../test/support/kafka-records';
import { readingJson, windowRowOf, windowRowsSql } from '../test/support/reference-windows';
import { STREAM_PARTS, type StreamRound } from './plan';
import { commandLog, dpUp, exited, kill, startDp, waitHealthy, type RoundSettings } from './round';
import {
  compareWindows,
  exact,
  expectedRoundWindows,
  STREAM_OUT_OF_ORDERNESS_MS,
  STREAM_SENSORS,
  streamParts,
  streamReadings,
  type Reading,
  type WindowComparison,
  type WindowRow,
} from './stream-windows';
import type { RoundResult } from './summary';

/** Checkpoints (= Iceberg commits) every 3 s, so a kill within the planned delay may come before or after one. */
const CHECKPOINT_INTERVAL_MS = 3000;
/** Windows unchanged for this long after they were last different count as final. */
const SETTLED_MS = 15_000;

export interface StreamRoundSettings extends RoundSettings {
  /** Leave the round's topics and table (for an outside check); its checkpoints go either way. */
  keepStreamData: boolean;
}

/** The names of a round's own topic, dead-letter topic, consumer group, table and checkpoint folder. */
export function streamRoundNames(config: PlatformConfig, index: number, now = Date.now()) {
  const suffix = `chaos${now}r${index}`;
  return {
    suffix,
    topic: `sensor-${suffix}`,
    dlq: `sensor-${suffix}-dlq`,
    group: `dp-${suffix}`,
    table: `iot.sensor_${suffix}`,
    checkpointDir: path.join(paths(config).data('flink'), `checkpoints-${suffix}`),
  };
}

function jobEnv(names: ReturnType<typeof streamRoundNames>): Record<string, string> {
  return {
    DP_STREAM_KAFKA_TOPIC: names.topic,
    DP_STREAM_KAFKA_DLQ_TOPIC: names.dlq,
    DP_STREAM_KAFKA_GROUP_ID: names.group,
    DP_STREAM_TABLE: names.table,
    DP_STREAM_CHECKPOINT_DIR: names.checkpointDir,
    // Idleness off: the watermark follows the readings alone (every sensor has a partition of its own).
    DP_STREAM_WATERMARK_IDLENESS_MS: '0',
    DP_STREAM_WATERMARK_OUT_OF_ORDERNESS_MS: String(STREAM_OUT_OF_ORDERNESS_MS),
  };
}

/** The table's rows, or [] while it does not exist yet (the job creates it when it starts). */
export async function readWindows(trino: TrinoClient, catalog: string, table: string): Promise<WindowRow[]> {
  if (!/^[a-z0-9_]+\.[a-z0-9_]+$/.test(table) || !/^[a-z0-9_]+$/.test(catalog)) {
    throw new Error(`not a table name of a stream round: ${catalog}.${table}`);
  }
  try {
    const rows = await trino.queryObjects<Record<string, unknown>>(windowRowsSql(`${catalog}.${table}`));
    return rows.map(windowRowOf);
  } catch (err) {
    if (/does not exist|not found/i.test(String(err))) return [];
    throw err;
  }
}

export async function runStreamRound(
  settings: StreamRoundSettings,
  planned: StreamRound,
): Promise<RoundResult> {
  const { config, log } = settings;
  const { component } = planned;
  const e = endpoints(config);
  const connection = { bootstrap: e.kafka, clientId: 'dp-chaos' };
  const trino = new TrinoClient(e.trino, { catalog: config.catalog, source: 'dp-chaos' });
  const names = streamRoundNames(config, planned.index);
  const env = jobEnv(names);
  const notes: string[] = [];
  const partitions = streamReadings(names.suffix, settings.seed + planned.index);
  const parts = streamParts(partitions);
  const expected = expectedRoundWindows(partitions.flat());
  let killedAt = 'not killed';
  let recoverySeconds: number | undefined;

  log(
    `round ${planned.index}: stream on topic ${names.topic}, table ${config.catalog}.${names.table}; ` +
      `killing ${component} ${planned.delayMs} ms after part ${planned.afterPart} of ${STREAM_PARTS}`,
  );
  await ensureTopics(connection, [
    { ...SENSOR_TOPIC, name: names.topic, partitions: STREAM_SENSORS },
    { ...SENSOR_TOPIC, name: names.dlq, partitions: 1 },
  ]);
  try {
    await startJob();

    let recovery: Promise<number | undefined> | undefined;
    for (let k = 1; k <= STREAM_PARTS; k++) {
      await produce(parts[k - 1], k);
      if (k !== planned.afterPart) continue;
      await sleep(planned.delayMs);
      const pid = runningPid(paths(config).pid(component));
      if (pid === undefined) {
        notes.push(`${component} was not running at the kill; nothing killed`);
        continue;
      }
      kill(pid);
      const killTime = Date.now();
      while (isAlive(pid)) await sleep(100);
      killedAt = planned.stage;
      log(`round ${planned.index}: killed ${component} (pid ${pid}) ${planned.delayMs} ms after part ${k}`);
      // Nothing done to recover: the platform watch restarts Kafka, and the job, which its start made wanted.
      recovery = waitHealthy(config, component, killTime, settings.recoveryTimeoutMs);
      // With the job dead the readings go on flowing into Kafka; with Kafka dead the next part waits for it.
      if (component === 'kafka') await recovered();
    }
    if (component === 'flink') await recovered();

    /** The recovery's time, or (noted) the user's restart when nothing brought the component back. */
    async function recovered(): Promise<void> {
      if (!recovery) return;
      recoverySeconds = await recovery;
      recovery = undefined;
      if (recoverySeconds !== undefined) return;
      notes.push(
        `${component} still dead ${settings.recoveryTimeoutMs / 1000} s after the kill; restored as a user would`,
      );
      if (component === 'kafka') await dpUp(config);
      else await startJob();
    }

    const { rows, comparison } = await waitForWindows();
    const verdictOk = exact(comparison) && killedAt !== 'not killed';
    notes.push(...comparison.notes.slice(0, 5));
    if (comparison.notes.length > 5) notes.push(`... ${comparison.notes.length - 5} more differences`);
    log(
      `round ${planned.index}: ${rows.length} window rows, ${expected.length} expected: ` +
        `${comparison.lost} lost, ${comparison.duplicates} doubled, ${comparison.unexpected} unexpected`,
    );
    return {
      index: planned.index,
      kind: 'stream',
      component,
      plannedStage: `${planned.stage} + ${(planned.delayMs / 1000).toFixed(1)} s`,
      killedAt,
      month: planned.month,
      verdict: verdictOk ? 'published' : 'dirty',
      duplicates: comparison.duplicates,
      leakedBranches: 0,
      lostWindows: comparison.lost,
      recoverySeconds,
      notes,
    };
  } finally {
    await cleanUp();
  }

  async function startJob(): Promise<void> {
    const args = ['stream', 'start', '--checkpoint-interval', String(CHECKPOINT_INTERVAL_MS)];
    const code = await exited(startDp(config, args, env));
    if (code !== 0) throw new Error(`dp stream start failed (exit ${code}); see ${commandLog(config)}`);
  }

  /** Produces a part, waiting for Kafka first when it is down (a failed send is tried again once it is back). */
  async function produce(readings: Reading[], part: number): Promise<void> {
    const records = readings.map((r) => ({ partition: r.partition, key: r.sensor, value: readingJson(r) }));
    for (let attempt = 1; ; attempt++) {
      await pollUntil(async () => (await probeLocal(config, 'kafka')).healthy, {
        timeoutMs: settings.recoveryTimeoutMs,
        intervalMs: 1000,
      });
      try {
        await produceExact(connection, names.topic, records);
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        notes.push(`part ${part}: send failed (${(err as Error).message.split('\n')[0]}); sent again`);
        await sleep(3000);
      }
    }
  }

  /**
   * Polls the table until it holds exactly the expected windows, or its rows have not changed for a while
   * after every expected window showed up, or the round's time is up; returns the last rows read.
   */
  async function waitForWindows(): Promise<{ rows: WindowRow[]; comparison: WindowComparison }> {
    const deadline = Date.now() + settings.roundTimeoutMs;
    let rows: WindowRow[] = [];
    let comparison = compareWindows(rows, expected);
    let lastText = '';
    let unchangedSince = Date.now();
    while (Date.now() < deadline) {
      rows = await readWindows(trino, config.catalog, names.table).catch((err: unknown) => {
        log(`round ${planned.index}: reading the table failed (${String(err).split('\n')[0]}); again`);
        return rows;
      });
      comparison = compareWindows(rows, expected);
      if (exact(comparison)) break;
      const text = JSON.stringify(rows);
      if (text !== lastText) {
        lastText = text;
        unchangedSince = Date.now();
      } else if (rows.length >= expected.length && Date.now() - unchangedSince > SETTLED_MS) {
        break;
      }
      await sleep(3000);
    }
    if (!exact(comparison) && Date.now() >= deadline) {
      notes.push(`the windows were not exact within ${settings.roundTimeoutMs / 1000} s`);
    }
    return { rows, comparison };
  }

  /** The job stopped (no longer wanted), its checkpoints removed; its topics and table too unless kept. */
  async function cleanUp(): Promise<void> {
    await exited(startDp(config, ['stream', 'stop']));
    fs.rmSync(names.checkpointDir, { recursive: true, force: true });
    if (settings.keepStreamData) return;
    await trino.query(`drop table if exists ${config.catalog}.${names.table}`).catch((err: unknown) => {
      log(`round ${planned.index}: could not drop ${names.table}: ${String(err).split('\n')[0]}`);
    });
    const admin = createAdmin(connection);
    await admin.deleteTopics({ topics: [names.topic, names.dlq] }).catch(() => undefined);
    await admin.close();
  }
}
