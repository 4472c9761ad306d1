// Kafka in the embedded platform: started by the bring-up workflow, its topics created, and sensor readings
// produced by `dp sensors produce`'s code read back exactly.
import * as net from 'node:net';
import { baseOptions, createAdmin, KafkaUnavailableError, kafkaLib } from '../../activities/kafka/client';
import { produceSensorEvents } from '../../activities/kafka/producer';
import type { SensorEvent } from '../../activities/kafka/sensor-events';
import {
  describeTopic,
  ensureTopics,
  SENSOR_DLQ_TOPIC,
  SENSOR_TOPIC,
  type TopicSpec,
} from '../../activities/kafka/topics';
import { endpoints, loadConfig } from '../../lib/config';
import { dp } from './dp';

const config = () => loadConfig();
const connection = () => ({ bootstrap: endpoints(config()).kafka, clientId: 'dp-test' });

interface StatusJson {
  healthy: boolean;
  components: { component: string; healthy: boolean; pid?: number; detail: string; endpoint?: string }[];
}

/** Reads `count` records from the start of `topic`, or fails after `timeoutMs`. */
async function consumeAll(topic: string, count: number, timeoutMs = 60_000) {
  const { Consumer, stringDeserializers } = kafkaLib();
  const consumer = new Consumer({
    ...baseOptions(connection(), 'dp-test-consumer'),
    groupId: `dp-test-${topic}`,
    deserializers: stringDeserializers,
  });
  const records: { key: string; value: string; partition: number; offset: bigint }[] = [];
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'earliest',
      autocommit: false,
      maxWaitTime: 500,
    });
    const deadline = setTimeout(() => void stream.close(), timeoutMs);
    try {
      for await (const message of stream) {
        records.push({
          key: message.key,
          value: message.value,
          partition: message.partition,
          offset: message.offset,
        });
        if (records.length >= count) break;
      }
    } finally {
      clearTimeout(deadline);
      await stream.close().catch(() => undefined);
    }
  } finally {
    // Forced: the stream may still hold a fetch; the callback form is the one typed for `force`.
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
  return records;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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

      const records = await consumeAll(spec.name, count);
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
});
