// Produces sensor readings to Kafka at a steady rate: readings are generated on the clock's schedule
// (reading k at start + k/rate), collected while the previous batch is on the wire, and sent in batches by
// an idempotent producer (acks from all in-sync replicas, one request in flight so ordering and the
// broker's sequence checks hold).
import {
  baseOptions,
  describeKafkaError,
  isConnectionError,
  kafkaLib,
  KafkaUnavailableError,
  type KafkaConnection,
} from './client';
import { encodeEvent, SensorEventGenerator, type SensorEvent } from './sensor-events';
import { sleep } from '../../lib/time';

export interface SensorProduceOptions extends KafkaConnection {
  topic: string;
  sensors: number;
  /** Readings per second over all sensors. */
  ratePerSecond: number;
  /** Stop after this long (default: until `signal` aborts or `maxEvents` were sent). */
  durationMs?: number;
  /** Stop after this many readings. */
  maxEvents?: number;
  seed?: number;
  /**
   * Most readings in one produce request (default 5000). With one request in flight the producer waits for each
   * acknowledgement, so the batch sets the ceiling: measured here, 1000 gave ~20k readings/s, 5000 ~60k/s.
   * 5000 readings are ~450 KB, split over the topic's partitions: well under Kafka's 1 MB request limits.
   */
  batchSize?: number;
  /** Readings collect for at least this long between two requests (fewer, larger batches). */
  lingerMs?: number;
  /** Stops the run: no new readings; what was sent is awaited; the producer is closed. */
  signal?: AbortSignal;
  /** Called about once a second, and at the end with what came since. */
  onProgress?: (stats: ProduceStats) => void;
  /**
   * How long Kafka may stay unreachable in the middle of a run: the batch on the wire is held and re-sent (with
   * backoff) until the broker answers again, or the run fails once this much time has passed. Default 0: fail
   * on the first connection error. (An unreachable broker at the start always fails at once.)
   */
  maxOutageMs?: number;
  /** Reports an outage as it starts, on each retry, and when delivery resumes. */
  onOutage?: (event: OutageEvent) => void;
  /** Called with each batch the broker acknowledged. */
  onAcked?: (events: SensorEvent[]) => void;
  /** The clock (for tests): milliseconds since the epoch. */
  now?: () => number;
}

export interface ProduceStats {
  /** Readings handed to the client. */
  sent: number;
  /** Readings the broker acknowledged. */
  acked: number;
  elapsedMs: number;
  /** Acknowledged readings per second since the start. */
  rate: number;
  batches: number;
  /** Times Kafka became unreachable mid-run (and the run went on once it came back). */
  outages: number;
  /** Time spent waiting for Kafka to come back, in milliseconds. */
  outageMs: number;
  /** Why the run ended, once it did. */
  stoppedBy?: 'duration' | 'max-events' | 'signal';
}

export interface OutageEvent {
  state: 'down' | 'retrying' | 'recovered';
  /** When the outage started (the clock's milliseconds). */
  since: number;
  /** Send attempts of the held batch so far. */
  attempts: number;
  /** Readings in the held batch (sent again once the broker is back). */
  pending: number;
  /** The client's error, for 'down' and 'retrying'. */
  error?: string;
}

/** `promise`, or the error from `timeout()` once `ms` passed (the timer keeps the process alive meanwhile). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Producer options: idempotent, acks=all, bounded retries, a request timeout fit for a local broker. */
export function sensorProducerOptions(connection: KafkaConnection) {
  return {
    ...baseOptions(connection, 'dp-sensors'),
    idempotent: true,
    acks: -1,
    // One request in flight per broker: the client may otherwise reorder an idempotent producer's batches.
    maxInflights: 1,
    serializers: kafkaLib().stringSerializers,
  };
}

export async function produceSensorEvents(options: SensorProduceOptions): Promise<ProduceStats> {
  if (!(options.ratePerSecond > 0))
    throw new Error(`The rate must be above 0, not ${options.ratePerSecond}.`);
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 5000;
  const lingerMs = options.lingerMs ?? 50;
  const generator = new SensorEventGenerator({ sensors: options.sensors, seed: options.seed });
  const producer = new (kafkaLib().Producer)(sensorProducerOptions(options));
  const stats: ProduceStats = {
    sent: 0,
    acked: 0,
    elapsedMs: 0,
    rate: 0,
    batches: 0,
    outages: 0,
    outageMs: 0,
  };
  const maxOutageMs = options.maxOutageMs ?? 0;
  const sendTimeoutMs = Math.max(30_000, 3 * (options.timeoutMs ?? 10_000));

  /**
   * Sends one batch; while the broker is unreachable, holds it and tries again with backoff. The same producer
   * (same producer id) re-sends, so the broker can recognise a batch it wrote before the connection dropped.
   */
  const sendBatch = async (batch: SensorEvent[]) => {
    let outageStart: number | undefined;
    let attempts = 0;
    for (;;) {
      try {
        await withDeadline(
          producer.send({
            messages: batch.map((event) => ({ topic: options.topic, ...encodeEvent(event) })),
          }),
          sendTimeoutMs,
          () =>
            new KafkaUnavailableError(
              options.bootstrap,
              new Error(`no acknowledgement for a batch of ${batch.length} readings`),
            ),
        );
        if (outageStart !== undefined) {
          stats.outageMs += now() - outageStart;
          options.onOutage?.({ state: 'recovered', since: outageStart, attempts, pending: batch.length });
        }
        return;
      } catch (err) {
        const unavailable = err instanceof KafkaUnavailableError || isConnectionError(err);
        if (!unavailable) {
          throw new Error(`Producing to '${options.topic}' failed: ${describeKafkaError(err)}`, {
            cause: err,
          });
        }
        const failure =
          err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(options.bootstrap, err);
        const t = now();
        attempts++;
        if (outageStart === undefined) {
          outageStart = t;
          stats.outages++;
        }
        if (t - outageStart >= maxOutageMs || options.signal?.aborted) {
          if (attempts > 1) stats.outageMs += t - outageStart;
          throw failure;
        }
        options.onOutage?.({
          state: attempts === 1 ? 'down' : 'retrying',
          since: outageStart,
          attempts,
          pending: batch.length,
          error: describeKafkaError(err),
        });
        await sleep(Math.min(5000, 500 * 2 ** (attempts - 1)), options.signal);
      }
    }
  };
  try {
    // Fail fast, with advice, when there is no broker or no topic.
    let metadata;
    try {
      // Raced with a timer: the client's retry timers do not keep Node alive, so without one a refused
      // connection could let the process end silently instead of failing.
      metadata = await withDeadline(
        producer.metadata({ topics: [options.topic], autocreateTopics: false }),
        options.timeoutMs ?? 10_000,
        () => new KafkaUnavailableError(options.bootstrap, new Error('no answer to a metadata request')),
      );
    } catch (err) {
      if (err instanceof KafkaUnavailableError) throw err;
      if (isConnectionError(err)) throw new KafkaUnavailableError(options.bootstrap, err);
      throw new Error(
        `Cannot read the metadata of topic '${options.topic}' from Kafka at ${options.bootstrap}: ` +
          `${describeKafkaError(err)}. \`dp up\` creates the platform's topics.`,
        { cause: err },
      );
    }
    if (!metadata.topics.has(options.topic)) {
      throw new Error(`Topic '${options.topic}' does not exist. \`dp up\` creates the platform's topics.`);
    }

    const start = now();
    const intervalMs = 1000 / options.ratePerSecond;
    const endAt = options.durationMs === undefined ? Infinity : start + options.durationMs;
    const maxEvents = options.maxEvents ?? Infinity;
    let generated = 0;
    let lastProgress = start;
    let lastSend = -Infinity;
    let reportedAcked = -1;
    const update = () => {
      stats.elapsedMs = now() - start;
      stats.rate = stats.elapsedMs > 0 ? (stats.acked * 1000) / stats.elapsedMs : 0;
    };
    for (;;) {
      const t = now();
      if (options.signal?.aborted) stats.stoppedBy = 'signal';
      else if (generated >= maxEvents) stats.stoppedBy = 'max-events';
      else if (t >= endAt && start + generated * intervalMs >= endAt) stats.stoppedBy = 'duration';
      if (stats.stoppedBy) break;
      if (t - lastSend < lingerMs) {
        await sleep(lingerMs - (t - lastSend), options.signal);
        continue;
      }

      // Readings that are due by now (and before the end), at most one batch of them.
      const batch: SensorEvent[] = [];
      while (
        batch.length < batchSize &&
        generated < maxEvents &&
        start + generated * intervalMs <= t &&
        start + generated * intervalMs < endAt
      ) {
        batch.push(generator.next(Math.floor(start + generated * intervalMs)));
        generated++;
      }
      if (batch.length === 0) {
        const nextDue = start + generated * intervalMs;
        await sleep(Math.max(1, Math.min(nextDue - t, 250)), options.signal);
        continue;
      }
      stats.sent += batch.length;
      lastSend = t;
      await sendBatch(batch);
      stats.acked += batch.length;
      stats.batches++;
      options.onAcked?.(batch);
      if (options.onProgress && now() - lastProgress >= 1000) {
        lastProgress = now();
        update();
        reportedAcked = stats.acked;
        options.onProgress({ ...stats });
      }
    }
    update();
    if (stats.acked !== reportedAcked) options.onProgress?.({ ...stats });
    return stats;
  } finally {
    await withDeadline(producer.close(), 5000, () => new Error('close timed out')).catch(() => undefined);
  }
}
