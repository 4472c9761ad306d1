// `npm run chaos` stream rounds on the test platform: seed 3 plans the stream job killed 3.6 s after the first
// part of the readings and Kafka killed 3.8 s after the second; nothing but the platform watch brings them
// back. The harness must call both rounds exact (no window lost or doubled); then, apart from its comparison,
// each round's table is compared here with the windows computed from the records its topic holds (kept with
// --keep-stream-data), and the watch must show that it restarted both.
import { createAdmin } from '../../clients/kafka/client';
import { endpoints, loadConfig } from '../../lib/config';
import { consumeAll } from '../support/kafka-records';
import { dp, dpQuery, runChaos, type DpResult } from '../support/platform/dp';
import {
  byWindowKey,
  comparableWindows,
  expectedWindows,
  readingOfRecord,
  windowRowOf,
  windowRowsSql,
} from '../support/reference-windows';

/** The stream job's documented bounded out-of-orderness (README, Streaming), which the rounds keep. */
const OUT_OF_ORDERNESS_MS = 5_000;

const config = loadConfig();
const connection = () => ({ bootstrap: endpoints(config).kafka, clientId: 'dp-test-chaos-stream' });

/** Windows from the topic's records: per sensor and minute, those the final watermark has closed. */
function windowsOf(records: { partition: number; value: string }[]) {
  return comparableWindows(
    expectedWindows(records.map(readingOfRecord), { outOfOrdernessMs: OUT_OF_ORDERNESS_MS }),
  );
}

function tableWindows(table: string) {
  return comparableWindows(
    dpQuery<Record<string, unknown>>(windowRowsSql(`${config.catalog}.${table}`))
      .map(windowRowOf)
      .sort(byWindowKey),
  );
}

describe('npm run chaos: stream rounds (the stream job and Kafka killed, seed 3)', () => {
  let run: DpResult;
  let summary: Record<string, number | null>;
  let rounds: { topic: string; table: string }[] = [];

  beforeAll(async () => {
    run = await runChaos([
      '--injections',
      '2',
      '--seed',
      '3',
      '--components',
      'kafka,flink',
      '--keep-stream-data',
      '--round-timeout',
      '240',
      '--recovery-timeout',
      '150',
    ]);
    const lines = run.stdout.trim().split('\n');
    summary = JSON.parse(lines[lines.length - 1]) as Record<string, number | null>;
    rounds = [...run.stderr.matchAll(/stream on topic (\S+), table \w+\.(\S+);/g)].map((m) => ({
      topic: m[1],
      table: m[2],
    }));
  }, 15 * 60_000);

  afterAll(async () => {
    for (const { table } of rounds) dp(['query', `drop table if exists ${config.catalog}.${table}`]);
    const admin = createAdmin(connection());
    await admin
      .deleteTopics({ topics: rounds.flatMap((r) => [r.topic, `${r.topic}-dlq`]) })
      .catch(() => undefined);
    await admin.close();
  });

  it('ran 2 stream rounds, none dirty, no window lost or doubled', () => {
    expect({ code: run.code, summary }).toMatchObject({
      code: 0,
      summary: { injections: 2, stream_rounds: 2, dirty: 0, duplicates: 0, lost_windows: 0, published: 2 },
    });
    expect(run.stdout).toMatch(/^flink +\|/m);
    expect(run.stdout).toMatch(/^kafka +\|/m);
  });

  it("left each round's table with exactly the windows of the records on its topic, each once", async () => {
    expect(rounds).toHaveLength(2);
    for (const { topic, table } of rounds) {
      const records = await consumeAll(connection(), topic, 1_000_000, 20_000);
      // Each reading once on the topic (the producer's retries after the kill doubled none).
      const readings = records.map((r) => {
        const e = JSON.parse(r.value) as { sensor_id: string; event_time: string };
        return `${e.sensor_id} ${e.event_time}`;
      });
      expect(new Set(readings).size).toBe(readings.length);
      const expected = windowsOf(records);
      // 4 sensors over 6 closed minutes.
      expect({ topic, windows: expected.length }).toEqual({ topic, windows: 24 });
      expect({ table, rows: tableWindows(table) }).toEqual({ table, rows: expected });
    }
  });

  it('shows the watch restarting the stream job and Kafka in dp status', () => {
    const status = JSON.parse(dp(['status', '--json']).stdout) as {
      healthy: boolean;
      watch?: { restarts: { component: string; outcome: string; at: string }[] };
    };
    const restarted = new Set(
      (status.watch?.restarts ?? []).filter((r) => r.outcome === 'started').map((r) => r.component),
    );
    expect([...restarted].filter((c) => c === 'flink' || c === 'kafka').sort()).toEqual(['flink', 'kafka']);
    expect(status.healthy).toBe(true);
  });
});
