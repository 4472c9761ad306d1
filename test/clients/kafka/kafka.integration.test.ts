// Kafka in the embedded platform: started by the bring-up workflow, its topics created, and sensor readings
// produced by `dp sensors produce`'s code read back exactly.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createAdmin, KafkaUnavailableError } from '../../../clients/kafka/client';
import { produceSensorEvents, type OutageEvent } from '../../../clients/kafka/producer';
import type { SensorEvent } from '../../../clients/kafka/sensor-events';
import {
  describeTopic,
  ensureTopics,
  SENSOR_DLQ_TOPIC,
  SENSOR_TOPIC,
  type TopicSpec,
} from '../../../clients/kafka/topics';
import { endpoints, loadConfig, paths, REPO_ROOT } from '../../../lib/config';
import { runningPid } from '../../../lib/process';
import { consumeAll } from '../../support/kafka-records';
import { freePort } from '../../support/free-port';
import { dp } from '../../support/platform/dp';

const config = () => loadConfig();
const connection = () => ({ bootstrap: endpoints(config()).kafka, clientId: 'dp-test' });

interface StatusJson {
  healthy: boolean;
  components: { component: string; healthy: boolean; pid?: number; detail: string; endpoint?: string }[];
}

describe('Kafka', () => {
  test('dp status shows the broker healthy, answering the Kafka protocol', () => {
    const result = dp(['status', '--json']);
    const status = JSON.parse(result.stdout) as StatusJson;
    const kafka = status.components.find((c) => c.component === 'kafka');
    expect(kafka).toMatchObject({ healthy: true, endpoint: endpoints(config()).kafka });
    expect(kafka?.pid).toBeGreaterThan(0);
    expect(kafka?.detail).toMatch(/broker serving \(cluster \S+, \d+ topics\)/);
  });

  test('the bring-up created the sensor topic and its dead-letter topic with their partitions and retention', async () => {
    for (const spec of [SENSOR_TOPIC, SENSOR_DLQ_TOPIC]) {
      const topic = await describeTopic(connection(), spec.name);
      expect(topic).toBeDefined();
      expect(topic?.partitions).toBe(spec.partitions);
      expect(topic?.configs['retention.ms']).toBe(String(spec.retentionMs));
    }
    // Creating them again changes nothing and says so.
    const again = await ensureTopics(connection(), [SENSOR_TOPIC, SENSOR_DLQ_TOPIC]);
    expect(again.map((t) => [t.name, t.created, t.partitions, t.retentionMs])).toEqual([
      [SENSOR_TOPIC.name, false, SENSOR_TOPIC.partitions, SENSOR_TOPIC.retentionMs],
      [SENSOR_DLQ_TOPIC.name, false, SENSOR_DLQ_TOPIC.partitions, SENSOR_DLQ_TOPIC.retentionMs],
    ]);
  });

  test('readings produced by the sensor producer are read back exactly, in order per sensor', async () => {
    // A topic of its own (same layout as the sensor topic), so other runs' readings do not mix in.
    const spec: TopicSpec = { ...SENSOR_TOPIC, name: `sensor-roundtrip-${Date.now()}` };
    const [created] = await ensureTopics(connection(), [spec]);
    expect(created).toMatchObject({ created: true, partitions: SENSOR_TOPIC.partitions });
    const count = 3000;
    const acked: SensorEvent[] = [];
    try {
      const stats = await produceSensorEvents({
        ...connection(),
        topic: spec.name,
        sensors: 25,
        ratePerSecond: 10_000,
        maxEvents: count,
        seed: 7,
        batchSize: 500,
        onAcked: (events) => acked.push(...events),
      });
      expect(stats).toMatchObject({ sent: count, acked: count, stoppedBy: 'max-events' });
      expect(acked).toHaveLength(count);

      const records = await consumeAll(connection(), spec.name, count);
      expect(records).toHaveLength(count);
      const asText = (r: { key: string; value: string }) => `${r.key}\t${r.value}`;
      const expected = acked.map((e) => asText({ key: e.sensor_id, value: JSON.stringify(e) }));
      expect(records.map(asText).sort()).toEqual([...expected].sort());
      // Keyed by sensor: each sensor's readings sit on one partition, in the order they were produced.
      const bySensor = new Map<string, { partition: number; times: string[] }>();
      for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))) {
        const event = JSON.parse(r.value) as SensorEvent;
        expect(event.sensor_id).toBe(r.key);
        const seen = bySensor.get(r.key) ?? { partition: r.partition, times: [] };
        expect(r.partition).toBe(seen.partition);
        seen.times.push(event.event_time);
        bySensor.set(r.key, seen);
      }
      expect(bySensor.size).toBe(25);
      for (const { times } of bySensor.values()) expect(times).toEqual([...times].sort());
    } finally {
      const admin = createAdmin(connection());
      await admin.deleteTopics({ topics: [spec.name] }).catch(() => undefined);
      await admin.close();
    }
  });

  test('the producer says to run dp up when no broker answers', async () => {
    const port = await freePort();
    const failure = await produceSensorEvents({
      bootstrap: `127.0.0.1:${port}`,
      topic: SENSOR_TOPIC.name,
      sensors: 1,
      ratePerSecond: 1,
      maxEvents: 1,
      retries: 1,
      timeoutMs: 3000,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(KafkaUnavailableError);
    expect((failure as Error).message).toMatch(/not reachable at 127\.0\.0\.1:\d+.*dp up/s);
  });

  test(
    'Kafka killed mid-run and brought back by dp up: the producer reports the outage, holds its batch and goes on; no acknowledged reading is lost',
    async () => {
      const spec: TopicSpec = { ...SENSOR_TOPIC, name: `sensor-outage-${Date.now()}` };
      await ensureTopics(connection(), [spec]);
      const acked: SensorEvent[] = [];
      const outages: OutageEvent[] = [];
      const kafkaPid = runningPid(paths(config()).pid('kafka'));
      expect(kafkaPid).toBeDefined();
      let restart: Promise<number | null> | undefined;
      // kill -9 after 5 s of producing; `dp up` (the bring-up workflow heals the component) 5 s later.
      const killer = setTimeout(() => {
        process.kill(kafkaPid as number, 'SIGKILL');
        setTimeout(() => {
          restart = new Promise((resolve) => {
            const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), 'up'], {
              env: process.env,
              stdio: 'ignore',
            });
            child.on('close', resolve);
          });
        }, 5_000);
      }, 5_000);
      try {
        const stats = await produceSensorEvents({
          ...connection(),
          topic: spec.name,
          sensors: 20,
          ratePerSecond: 1_000,
          durationMs: 40_000,
          seed: 11,
          maxOutageMs: 180_000,
          onAcked: (events) => acked.push(...events),
          onOutage: (event) => outages.push(event),
        });
        expect(await restart).toBe(0);
        // It noticed, said so, and went on once the broker was back.
        expect(stats.outages).toBeGreaterThanOrEqual(1);
        expect(outages[0]).toMatchObject({ state: 'down', attempts: 1 });
        expect(outages[0].error).toMatch(/ECONNREFUSED|ECONNRESET|closed|connect|timed? ?out/i);
        expect(outages.some((o) => o.state === 'recovered')).toBe(true);
        // Every reading was delivered in the end (readings due during the outage were sent after it).
        expect(stats).toMatchObject({ stoppedBy: 'duration', acked: stats.sent });
        expect(acked).toHaveLength(stats.sent);

        const records = await consumeAll(connection(), spec.name, acked.length + 1000, 30_000);
        const inTopic = new Map<string, number>();
        for (const r of records) inTopic.set(r.value, (inTopic.get(r.value) ?? 0) + 1);
        const lost = acked.filter((e) => !inTopic.has(JSON.stringify(e)));
        expect(lost).toEqual([]);
        // The held batch is re-sent by the same idempotent producer: the broker drops a copy it already has.
        expect(records.length).toBe(acked.length);
      } finally {
        clearTimeout(killer);
        await restart;
        const admin = createAdmin(connection());
        await admin.deleteTopics({ topics: [spec.name] }).catch(() => undefined);
        await admin.close();
      }
    },
    10 * 60_000,
  );
});
