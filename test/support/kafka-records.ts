// Reading a topic back in tests, and producing exact records (explicit partitions, chosen values).
import { baseOptions, kafkaLib, type KafkaConnection } from '../../clients/kafka/client';
import { sensorProducerOptions } from '../../clients/kafka/producer';

export interface ConsumedRecord {
  key: string;
  value: string;
  partition: number;
  offset: bigint;
}

/** Reads from the start of `topic` until `count` records came, or `timeoutMs` passed (then returns what came). */
export async function consumeAll(
  connection: KafkaConnection,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const { Consumer, stringDeserializers } = kafkaLib();
  const consumer = new Consumer({
    ...baseOptions(connection, 'dp-test-consumer'),
    groupId: `dp-test-${topic}-${Date.now()}`,
    deserializers: stringDeserializers,
  });
  const records: ConsumedRecord[] = [];
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

export interface ExactRecord {
  /** Omitted: the partition comes from the key, as for any keyed record. */
  partition?: number;
  key: string;
  value: string;
}

/** Produces these records in this order (idempotent, acks=all), in batches; resolves once all are acked. */
export async function produceExact(
  connection: KafkaConnection,
  topic: string,
  records: ExactRecord[],
  batchSize = 500,
): Promise<void> {
  const producer = new (kafkaLib().Producer)(sensorProducerOptions(connection));
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      await producer.send({
        messages: records.slice(i, i + batchSize).map((r) => ({ topic, ...r })),
      });
    }
  } finally {
    await producer.close();
  }
}
