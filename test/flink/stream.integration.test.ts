// The streaming path on the real platform: Kafka -> the Flink job (`dp stream start`, a local MiniCluster) ->
// Iceberg via Nessie -> Trino. A known set of events (several sensors and minutes, out of order, late, malformed)
// goes through it while the job is killed and restarted twice; every window row read through Trino is compared
// with windows computed here from the same events, and the dead-letter topic with the events that belong there.
//
// The job runs against a topic, dead-letter topic, table and checkpoint folder of this test's own (its settings
// come from DP_STREAM_* variables), so other readings on the platform's sensor-topic do not mix in. Each sensor
// writes to a partition of its own and idleness is off: the watermark is then a function of the events alone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createAdmin } from '../../clients/kafka/client';
import { createRng } from '../../clients/kafka/sensor-events';
import { ensureTopics, SENSOR_TOPIC } from '../../clients/kafka/topics';
import { endpoints, loadConfig, paths } from '../../lib/config';
import { readPid, runningPid } from '../../lib/process';
import { latestCheckpoint, type CheckpointInfo } from '../../platform/local/flink';
import { consumeAll, produceExact, type ExactRecord } from '../support/kafka-records';
import { dp, dpQuery } from '../support/platform/dp';
import { pollUntil, sleep } from '../../lib/time';
import {
  byWindowKey,
  comparableWindows,
  expectedWindows as expectedWindowsOf,
  readingJson,
  windowRowOf,
  windowRowsSql,
  WINDOW_MS as MINUTE,
  type Reading,
  type WindowRow,
} from '../support/reference-windows';

const OUT_OF_ORDERNESS_MS = 5_000; // the job's bounded out-of-orderness (set for this test)
const ALLOWED_LATENESS_MS = 60_000; // the job's allowed lateness (set for this test)
const CHECKPOINT_INTERVAL_MS = 3_000;

const suffix = `it${Date.now()}`;
const TOPIC = `sensor-${suffix}`;
const DLQ = `sensor-${suffix}-dlq`;
const TABLE = `iot.sensor_${suffix}`;
const SENSORS = Array.from({ length: 6 }, (_, i) => `${suffix}-s${i + 1}`);
/** A fixed minute: windows are [B + k min, B + (k+1) min). */
const B = Date.UTC(2026, 0, 15, 10, 0, 0);

const config = () => loadConfig();
const connection = () => ({ bootstrap: endpoints(config()).kafka, clientId: 'dp-test-stream' });
const checkpointDir = () => path.join(paths(config()).data('flink'), `checkpoints-${suffix}`);
const jobEnv = () => ({
  DP_STREAM_KAFKA_TOPIC: TOPIC,
  DP_STREAM_KAFKA_DLQ_TOPIC: DLQ,
  DP_STREAM_KAFKA_GROUP_ID: `dp-${suffix}`,
  DP_STREAM_TABLE: TABLE,
  DP_STREAM_CHECKPOINT_DIR: checkpointDir(),
  DP_STREAM_WATERMARK_IDLENESS_MS: '0',
  DP_STREAM_WATERMARK_OUT_OF_ORDERNESS_MS: String(OUT_OF_ORDERNESS_MS),
  DP_STREAM_WINDOW_ALLOWED_LATENESS_MS: String(ALLOWED_LATENESS_MS),
});

const asRecord = (r: Reading): ExactRecord => ({
  partition: r.partition,
  key: r.sensor,
  value: readingJson(r),
});

const rng = createRng(20260115);
const temperature = (base: number) => Math.round((base + (rng() - 0.5) * 4) * 100) / 100;

/**
 * Phase A: minutes 0-4 (up to B+270 s), per partition in the order sent; each sensor its own cadence; some
 * readings swapped out of order, one pair across a window boundary.
 */
function phaseA(): Reading[][] {
  return SENSORS.map((sensor, p) => {
    const step = 5_000 + p * 1_000;
    const own: Reading[] = [];
    for (let t = B + 100 * p; t <= B + 270_000; t += step)
      own.push({ sensor, partition: p, t, temperature: temperature(18 + p) });
    // Every 5th pair swapped: the later reading first (up to 11 s apart: out of order, never beyond lateness).
    for (let i = 3; i + 1 < own.length; i += 5) [own[i], own[i + 1]] = [own[i + 1], own[i]];
    if (p === 0) {
      // Across the boundary of minutes 0 and 1, out of order: B+61 s arrives before B+58 s.
      const at = own.findIndex((r) => r.t > B + 61_000);
      own.splice(
        at,
        0,
        { sensor, partition: p, t: B + 61_000, temperature: 30.25 },
        { sensor, partition: p, t: B + 58_000, temperature: 10.5 },
      );
    }
    return own;
  });
}

/** Malformed events: bad JSON, a missing field, a wrong type. */
const MALFORMED: ExactRecord[] = [
  { partition: 0, key: SENSORS[0], value: '{"sensor_id": "broken' },
  {
    partition: 1,
    key: SENSORS[1],
    value: JSON.stringify({ sensor_id: SENSORS[1], event_time: new Date(B).toISOString() }),
  },
  {
    partition: 2,
    key: SENSORS[2],
    value: JSON.stringify({
      sensor_id: SENSORS[2],
      temperature: 'warm',
      event_time: new Date(B).toISOString(),
    }),
  },
];

/**
 * Phase B, sent once minute 3 is in the table (so the watermark is at least B+240 s, and at most B+265 s):
 * events past their window's end + allowed lateness (late: dead-letter topic), then events for minute 3 that
 * are after its end but within the lateness (the window fires again and its row is replaced).
 */
const TOO_LATE: Reading[] = [
  { sensor: SENSORS[0], partition: 0, t: B + 5_000, temperature: 99.5 },
  { sensor: SENSORS[0], partition: 0, t: B + 100_000, temperature: 98.5 },
  { sensor: SENSORS[1], partition: 1, t: B + 65_000, temperature: -40.25 },
];
const WITHIN_LATENESS: Reading[] = [
  { sensor: SENSORS[0], partition: 0, t: B + 185_000, temperature: 35.5 },
  { sensor: SENSORS[1], partition: 1, t: B + 230_000, temperature: 5.25 },
];

/** Phase C: minutes 5-7 for every sensor, which moves the watermark past minute 6's end. */
function phaseC(): Reading[] {
  const out: Reading[] = [];
  SENSORS.forEach((sensor, p) => {
    for (let t = B + 300_000 + p * 1_000; t < B + 440_000; t += 20_000)
      out.push({ sensor, partition: p, t, temperature: temperature(20 + p) });
    // The last reading of every partition at B+440 s: the watermark reaches B+435 s, past minute 6's end.
    out.push({ sensor, partition: p, t: B + 440_000, temperature: temperature(20 + p) });
  });
  return out;
}

/** The windows a correct job emits for these readings with this test's job settings. */
const expectedWindows = (readings: Reading[], late: Reading[]) =>
  expectedWindowsOf(readings, { outOfOrdernessMs: OUT_OF_ORDERNESS_MS, late });

const comparable = comparableWindows;
const same = (a: WindowRow[], b: WindowRow[]) =>
  JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));

function tableRows(): WindowRow[] {
  return dpQuery<Record<string, unknown>>(windowRowsSql(`lakehouse.${TABLE}`))
    .map(windowRowOf)
    .sort(byWindowKey);
}

/** Polls the table until `done(rows)` holds; returns the last rows read either way. */
async function waitForRows(done: (rows: WindowRow[]) => boolean, timeoutMs = 120_000): Promise<WindowRow[]> {
  let rows: WindowRow[] = [];
  await pollUntil(
    () => {
      try {
        rows = tableRows();
      } catch (err) {
        // The job creates the table when it starts; until then the query fails.
        if (!/does not exist|not found/i.test(String(err))) throw err;
      }
      return done(rows);
    },
    { timeoutMs, intervalMs: 2_000 },
  );
  return rows;
}

function startJob(): void {
  const result = dp(['stream', 'start', '--checkpoint-interval', String(CHECKPOINT_INTERVAL_MS)], jobEnv());
  if (result.code !== 0)
    throw new Error(`dp stream start failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  expect(result.stdout + result.stderr).toMatch(/job RUNNING/);
}

/** Waits for a completed checkpoint newer than now (its metadata written). */
async function waitForCheckpoint(timeoutMs = 60_000): Promise<CheckpointInfo> {
  const since = Date.now();
  const checkpoint = await pollUntil(
    () => {
      const latest = latestCheckpoint(checkpointDir());
      return latest && latest.at.getTime() > since ? latest : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
  if (checkpoint) return checkpoint;
  throw new Error(`no checkpoint completed under ${checkpointDir()} within ${timeoutMs / 1000} s`);
}

/** kill -9 of the job's JVM (no chance to checkpoint or clean up), then `dp stream start` again. */
async function killAndRestartJob(): Promise<void> {
  const pidFile = paths(config()).pid('flink');
  const pid = runningPid(pidFile);
  expect(pid).toBeDefined();
  process.kill(pid as number, 'SIGKILL');
  await pollUntil(() => runningPid(pidFile) === undefined, { timeoutMs: 5000, intervalMs: 100 });
  expect(runningPid(pidFile)).toBeUndefined();
  const log = paths(config()).log('flink');
  const logStart = fs.statSync(log).size;
  startJob();
  expect(readPid(pidFile)?.pid).not.toBe(pid);
  // It restored this test's latest checkpoint (not a fresh start from the group's offsets).
  const started = fs.readFileSync(log, 'utf8').slice(logStart);
  expect(started).toMatch(new RegExp(`restoring from the latest checkpoint \\S*checkpoints-${suffix}/`));
}

const minuteRows = (rows: WindowRow[], minute: number) =>
  rows.filter((r) => r.window_start === B + minute * MINUTE);

describe('streaming: Kafka -> Flink -> Iceberg -> Trino', () => {
  const partitionsA = phaseA();
  const readingsA = partitionsA.flat();
  // Phase A goes in two halves (each partition's first half, then the rest).
  const firstHalf = partitionsA.flatMap((own) => own.slice(0, Math.floor(own.length / 2)));
  const secondHalf = partitionsA.flatMap((own) => own.slice(Math.floor(own.length / 2)));
  const readingsC = phaseC();

  beforeAll(async () => {
    await ensureTopics(connection(), [
      { ...SENSOR_TOPIC, name: TOPIC },
      { ...SENSOR_TOPIC, name: DLQ, partitions: 1 },
    ]);
  });

  afterAll(async () => {
    dp(['stream', 'stop']);
    fs.rmSync(checkpointDir(), { recursive: true, force: true });
    dp(['query', `drop table if exists lakehouse.${TABLE}`]);
    const admin = createAdmin(connection());
    await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
    await admin.close();
  });

  test(
    'every window row equals the windows computed from the events, across two kill -9 restarts; late and malformed events go to the dead-letter topic',
    async () => {
      startJob();

      // The first half of phase A and the malformed events, until a checkpoint holds them; then the second
      // half, and the job is killed while it works on it: the restart restores the checkpoint and reads on.
      await produceExact(connection(), TOPIC, [...firstHalf.map(asRecord), ...MALFORMED]);
      const first = await waitForCheckpoint();
      await produceExact(connection(), TOPIC, secondHalf.map(asRecord));
      await sleep(500);
      await killAndRestartJob();
      expect(latestCheckpoint(checkpointDir())?.at.getTime()).toBeGreaterThanOrEqual(first.at.getTime());

      // Minutes 0-3 fire for every sensor (the watermark passes B+240 s and cannot pass B+265 s yet); minute 4
      // stays open. (A reading swapped behind a newer one can re-fire its window once: wait for the final rows.)
      const firstFour = expectedWindows(readingsA, []);
      expect(firstFour.map((w) => (w.window_start - B) / MINUTE)).toEqual(
        [0, 1, 2, 3].flatMap((m) => SENSORS.map(() => m)),
      );
      let rows = await waitForRows((r) => same(r, firstFour));
      expect(comparable(rows)).toEqual(comparable(firstFour));

      // The design holds: too late for any watermark from B+240 s on, within lateness for any up to B+265 s.
      const windowEnd = (r: Reading) => Math.floor(r.t / MINUTE) * MINUTE + MINUTE;
      for (const r of TOO_LATE) expect(windowEnd(r) - 1 + ALLOWED_LATENESS_MS).toBeLessThan(B + 240_000);
      for (const r of WITHIN_LATENESS)
        expect(windowEnd(r) - 1 + ALLOWED_LATENESS_MS).toBeGreaterThan(B + 265_000);

      // Killed again with nothing in flight: the restart must still take minutes 0-3 as final (late events stay late).
      await killAndRestartJob();
      await produceExact(connection(), TOPIC, [...TOO_LATE, ...WITHIN_LATENESS].map(asRecord));
      const withB = [...readingsA, ...TOO_LATE, ...WITHIN_LATENESS];
      const updatedMinute3 = expectedWindows(withB, TOO_LATE).filter(
        (w) => w.window_start === B + 3 * MINUTE,
      );
      rows = await waitForRows((r) => same(minuteRows(r, 3), updatedMinute3));
      expect(comparable(minuteRows(rows, 3))).toEqual(comparable(updatedMinute3));
      // The late ones changed nothing: minutes 0-2 are as before.
      expect(comparable(rows.filter((w) => w.window_start < B + 3 * MINUTE))).toEqual(
        comparable(firstFour.filter((w) => w.window_start < B + 3 * MINUTE)),
      );

      // Phase C closes minutes 4-6.
      await produceExact(connection(), TOPIC, readingsC.map(asRecord));
      const all = [...withB, ...readingsC];
      const expected = expectedWindows(all, TOO_LATE);
      expect(expected.map((w) => (w.window_start - B) / MINUTE)).toEqual(
        [0, 1, 2, 3, 4, 5, 6].flatMap((m) => SENSORS.map(() => m)),
      );
      rows = await waitForRows((r) => same(r, expected));
      // Every window once (no duplicate from the restarts), none missing, each with the right values.
      expect(comparable(rows)).toEqual(comparable(expected));

      // The dead-letter topic: each malformed and each late event once (it is written at least once, so a
      // restart may repeat one; they are told apart by their source offset).
      const dead = await consumeAll(connection(), DLQ, 10_000, 20_000);
      const bySource = new Map<string, Record<string, unknown>>();
      for (const record of dead) {
        const letter = JSON.parse(record.value) as Record<string, unknown>;
        bySource.set(`${String(letter.partition)}@${String(letter.offset)}`, letter);
      }
      const letters = [...bySource.values()];
      const malformed = letters.filter((l) => l.reason === 'malformed');
      expect(malformed.map((l) => l.raw).sort()).toEqual(MALFORMED.map((m) => m.value).sort());
      expect(malformed.map((l) => String(l.error)).sort()).toEqual([
        expect.stringMatching(/^bad JSON/),
        expect.stringMatching(/^missing field temperature/),
        expect.stringMatching(/^wrong type for temperature/),
      ]);
      const late = letters.filter((l) => l.reason === 'late');
      expect(late.map((l) => Date.parse((l.event as { event_time: string }).event_time)).sort()).toEqual(
        TOO_LATE.map((r) => r.t).sort(),
      );
      expect(letters).toHaveLength(MALFORMED.length + TOO_LATE.length);

      // The job says what it counted.
      const status = JSON.parse(dp(['stream', 'status', '--json']).stdout) as { running: boolean };
      expect(status.running).toBe(true);
    },
    20 * 60_000,
  );
});
