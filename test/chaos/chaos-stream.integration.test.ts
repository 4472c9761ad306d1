// `npm run chaos` stream rounds on the test platform: seed 3 plans the stream job killed 3.6 s after the first
// part of the readings and Kafka killed 3.8 s after the second; nothing but the platform watch brings them
// back. The harness must call both rounds exact (no window lost or doubled); then, independently of its code,
// each round's table is compared with the windows computed here from the records its topic holds (kept with
// --keep-stream-data), and the watch must show that it restarted both.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createAdmin } from '../../clients/kafka/client';
import { endpoints, loadConfig, REPO_ROOT } from '../../lib/config';
import { consumeAll } from '../support/kafka-records';
import { dp, dpQuery } from '../support/platform/dp';

const MINUTE = 60_000;
/** The stream job's documented bounded out-of-orderness (README, Streaming), which the rounds keep. */
const OUT_OF_ORDERNESS_MS = 5_000;

const config = loadConfig();
const connection = () => ({ bootstrap: endpoints(config).kafka, clientId: 'dp-test-chaos-stream' });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runChaos(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(REPO_ROOT, 'chaos', 'run.ts'), ...args],
      { cwd: REPO_ROOT, env: process.env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Window {
  start: number;
  sensor: string;
  count: number;
  avg: number;
  min: number;
  max: number;
}

/** Windows from the topic's records: per sensor and minute, those the final watermark has closed. */
function windowsOf(records: { partition: number; value: string }[]): Window[] {
  const events = records.map((r) => {
    const e = JSON.parse(r.value) as { sensor_id: string; temperature: number; event_time: string };
    return { partition: r.partition, sensor: e.sensor_id, t: Date.parse(e.event_time), temp: e.temperature };
  });
  const newest = new Map<number, number>();
  for (const e of events) newest.set(e.partition, Math.max(newest.get(e.partition) ?? 0, e.t));
  const watermark = Math.min(...newest.values()) - OUT_OF_ORDERNESS_MS - 1;
  const groups = new Map<string, number[]>();
  for (const e of events) {
    const start = e.t - (e.t % MINUTE);
    if (start + MINUTE - 1 > watermark) continue;
    const key = `${start} ${e.sensor}`;
    groups.set(key, [...(groups.get(key) ?? []), e.temp]);
  }
  return [...groups.entries()]
    .map(([key, temps]) => ({
      start: Number(key.split(' ')[0]),
      sensor: key.split(' ')[1],
      count: temps.length,
      avg: Math.round((temps.reduce((a, b) => a + b, 0) / temps.length) * 1e6) / 1e6,
      min: Math.min(...temps),
      max: Math.max(...temps),
    }))
    .sort((a, b) => a.start - b.start || a.sensor.localeCompare(b.sensor));
}

function tableWindows(table: string): Window[] {
  return dpQuery<Record<string, unknown>>(
    `select cast(to_unixtime(window_start) * 1000 as bigint) as s, sensor_id, event_count,
            avg_temperature, min_temperature, max_temperature
     from ${config.catalog}.${table} order by 1, 2`,
  ).map((r) => ({
    start: Number(r.s),
    sensor: String(r.sensor_id),
    count: Number(r.event_count),
    avg: Math.round(Number(r.avg_temperature) * 1e6) / 1e6,
    min: Number(r.min_temperature),
    max: Number(r.max_temperature),
  }));
}

describe('npm run chaos: stream rounds (the stream job and Kafka killed, seed 3)', () => {
  let run: Run;
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
