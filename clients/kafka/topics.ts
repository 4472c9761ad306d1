// The platform's Kafka topics and an idempotent way to create them: a topic that exists is left as it
// is (partitions can only grow and retention may have been tuned by hand) and reported as existing.
import type { TopicState } from '../../domain/platform';
import { createAdmin, type KafkaConnection, type KafkaLib } from './client';
import { pollUntil } from '../../lib/time';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** retention.ms; -1 keeps messages forever. */
  retentionMs: number;
  /** Other topic-level settings, e.g. cleanup.policy. */
  configs?: Record<string, string>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Sensor readings, keyed by sensor id (one sensor's readings stay in order on one partition). */
export const SENSOR_TOPIC: TopicSpec = {
  name: 'sensor-topic',
  partitions: 6,
  retentionMs: 7 * DAY_MS,
};

/** Readings the stream job cannot parse or place, kept longer so they can be inspected and replayed. */
export const SENSOR_DLQ_TOPIC: TopicSpec = {
  name: 'sensor-topic-dlq',
  partitions: 1,
  retentionMs: 14 * DAY_MS,
};

export const PLATFORM_TOPICS: TopicSpec[] = [SENSOR_TOPIC, SENSOR_DLQ_TOPIC];

/** The consumer group of the stream job (flink/: JobConfig's kafka.group-id default). */
export const SENSOR_JOB_GROUP = 'dp-sensor-temperature-1m';

export interface TopicDescription {
  name: string;
  partitions: number;
  configs: Record<string, string | null>;
}

function topicConfigs(spec: TopicSpec): Record<string, string> {
  return { 'retention.ms': String(spec.retentionMs), ...spec.configs };
}

/** Partition count and the topic-level configuration of an existing topic, or undefined if it is missing. */
export async function describeTopic(
  connection: KafkaConnection,
  name: string,
): Promise<TopicDescription | undefined> {
  const admin = createAdmin(connection);
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(name)) return undefined;
    const metadata = await admin.metadata({ topics: [name], forceUpdate: true });
    const partitions = metadata.topics.get(name)?.partitionsCount ?? 0;
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: 2 /* TOPIC */, resourceName: name }],
    });
    const configs: Record<string, string | null> = {};
    for (const c of described?.configs ?? []) configs[c.name] = c.value ?? null;
    return { name, partitions, configs };
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Creates each topic that is missing; says for each whether it was created and what it has. */
export async function ensureTopics(connection: KafkaConnection, specs: TopicSpec[]): Promise<TopicState[]> {
  const created = new Set<string>();
  const admin = createAdmin(connection);
  try {
    const existing = new Set(await admin.listTopics());
    for (const spec of specs) {
      if (existing.has(spec.name)) continue;
      try {
        await admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: 1,
          configs: Object.entries(topicConfigs(spec)).map(([name, value]) => ({ name, value })),
        });
        created.add(spec.name);
      } catch (err) {
        // Another bring-up created it in the meantime: that is the state we wanted.
        if (!(await admin.listTopics()).includes(spec.name)) throw err;
      }
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
  const states: TopicState[] = [];
  for (const spec of specs) {
    // The broker learns of a new topic from the controller a moment after CreateTopics answered.
    let description: TopicDescription | undefined;
    await pollUntil(
      async () => {
        description = await describeTopic(connection, spec.name);
        // A topic that was there already is taken as it is; one created now, once it has every partition.
        return description && (!created.has(spec.name) || description.partitions >= spec.partitions);
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    if (!description) throw new Error(`Topic ${spec.name} is still missing 10 s after it was created.`);
    const retention = description.configs['retention.ms'];
    states.push({
      name: spec.name,
      created: created.has(spec.name),
      partitions: description.partitions,
      retentionMs: retention == null ? undefined : Number(retention),
    });
  }
  return states;
}

/** The end offset (the next offset to be written) of each partition of a topic. */
export async function endOffsets(connection: KafkaConnection, topic: string): Promise<Map<number, bigint>> {
  const admin = createAdmin(connection);
  try {
    return await endOffsetsWith(admin, topic);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function endOffsetsWith(admin: KafkaLib.Admin, topic: string): Promise<Map<number, bigint>> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const [ends] = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: -1n })),
      },
    ],
  });
  return new Map((ends?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
}

/**
 * A consumer group's lag on a topic: the sum over partitions of end offset minus committed offset (the whole
 * partition when the group committed nothing there). The Flink job commits on checkpoints, so its lag
 * includes what it read since the last one.
 */
export async function consumerGroupLag(
  connection: KafkaConnection,
  topic: string,
  group: string,
): Promise<number> {
  const admin = createAdmin(connection);
  try {
    const ends = await endOffsetsWith(admin, topic);
    const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const at = new Map<number, bigint>();
    for (const t of committed?.topics ?? []) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) if (p.committedOffset >= 0n) at.set(p.partitionIndex, p.committedOffset);
    }
    let lag = 0n;
    for (const [partition, end] of ends) lag += end - (at.get(partition) ?? 0n);
    return Number(lag);
  } finally {
    await admin.close().catch(() => undefined);
  }
}
