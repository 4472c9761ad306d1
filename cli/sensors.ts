// `dp sensors produce`: simulated temperature sensors writing readings to Kafka's sensor topic.
import type { Command } from 'commander';
import { describeKafkaError } from '../clients/kafka/client';
import { produceSensorEvents, type OutageEvent, type ProduceStats } from '../clients/kafka/producer';
import { SENSOR_TOPIC } from '../clients/kafka/topics';
import { endpoints, loadConfig } from '../lib/config';

/** '30s', '5m', '1h', '1500ms' or a plain number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`Invalid duration '${text}': use e.g. 30s, 5m, 1h or 1500ms.`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
}

/** '200', '200/s' or '200/sec' readings per second. */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(\/\s*s(ec)?)?$/.exec(text.trim());
  const rate = match ? Number(match[1]) : NaN;
  if (!(rate > 0)) throw new Error(`Invalid rate '${text}': use readings per second above 0, e.g. 200/s.`);
  return rate;
}

function parseCount(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`Invalid ${name} '${text}': use a whole number of at least ${min}.`);
  }
  return value;
}

function progressLine(stats: ProduceStats): string {
  const outages =
    stats.outages > 0
      ? `, ${stats.outages} Kafka outage(s), ${(stats.outageMs / 1000).toFixed(1)} s waiting`
      : '';
  return (
    `sent ${stats.sent}, acked ${stats.acked} in ${(stats.elapsedMs / 1000).toFixed(1)} s ` +
    `(${stats.rate.toFixed(1)} events/s, ${stats.batches} batches${outages})`
  );
}

interface ProduceCommandOptions {
  sensors: string;
  rate: string;
  duration?: string;
  count?: string;
  seed: string;
  topic: string;
  maxOutage: string;
}

function outageLine(event: OutageEvent, bootstrap: string, now = Date.now()): string {
  const down = ((now - event.since) / 1000).toFixed(1);
  if (event.state === 'recovered') {
    return `Kafka is back at ${bootstrap} after ${down} s: the held batch of ${event.pending} readings was delivered, continuing`;
  }
  return (
    `Kafka unreachable at ${bootstrap} (${event.error}): holding ${event.pending} readings, ` +
    `retrying (attempt ${event.attempts}, down ${down} s). \`dp status\` shows the broker; \`dp up\` restarts it`
  );
}

export async function sensorsProduceCommand(options: ProduceCommandOptions): Promise<void> {
  const config = loadConfig();
  const bootstrap = endpoints(config).kafka;
  const sensors = parseCount('--sensors', options.sensors, 1);
  const ratePerSecond = parseRate(options.rate);
  const durationMs = options.duration === undefined ? undefined : parseDuration(options.duration);
  const maxEvents = options.count === undefined ? undefined : parseCount('--count', options.count, 1);
  const seed = parseCount('--seed', options.seed, 0);
  const maxOutageMs = parseDuration(options.maxOutage);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('[sensors] interrupted again: exiting without waiting for acknowledgements\n');
      process.exit(130);
    }
    process.stderr.write(
      '[sensors] stopping: waiting for the batch on the wire (Ctrl-C again to quit now)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const until = [
    durationMs === undefined ? undefined : `for ${options.duration}`,
    maxEvents === undefined ? undefined : `up to ${maxEvents} readings`,
  ].filter(Boolean);
  process.stderr.write(
    `[sensors] ${sensors} sensors, ${ratePerSecond} readings/s to '${options.topic}' at ${bootstrap} ` +
      `(${until.length > 0 ? until.join(', ') : 'until Ctrl-C'}; seed ${seed})\n`,
  );
  try {
    const stats = await produceSensorEvents({
      bootstrap,
      topic: options.topic,
      sensors,
      ratePerSecond,
      durationMs,
      maxEvents,
      seed,
      signal: controller.signal,
      maxOutageMs,
      onOutage: (event) => process.stderr.write(`[sensors] ${outageLine(event, bootstrap)}\n`),
      onProgress: (s) => process.stderr.write(`[sensors] ${progressLine(s)}\n`),
    });
    const reason = { duration: 'duration reached', 'max-events': 'count reached', signal: 'interrupted' };
    console.log(
      `Produced ${stats.acked} readings to '${options.topic}' ` +
        `(${stats.stoppedBy ? reason[stats.stoppedBy] : 'done'}): ${progressLine(stats)}`,
    );
  } catch (err) {
    process.stderr.write(`dp: ${err instanceof Error ? err.message : describeKafkaError(err)}\n`);
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export function registerSensorCommands(program: Command): void {
  const sensors = program
    .command('sensors')
    .description('simulated IoT temperature sensors writing to Kafka');
  sensors
    .command('produce')
    .description('produce sensor readings (JSON, keyed by sensor id) at a steady rate until stopped')
    .requiredOption('--sensors <n>', 'number of sensors', '10')
    .requiredOption('--rate <r/s>', 'readings per second over all sensors, e.g. 200/s', '10/s')
    .option('--duration <d>', 'stop after this long, e.g. 30s, 5m (default: until Ctrl-C)')
    .option('--count <n>', 'stop after this many readings')
    .option('--seed <n>', 'random seed: the same seed gives the same sensors and readings', '42')
    .option('--topic <name>', 'topic to write to', SENSOR_TOPIC.name)
    .option(
      '--max-outage <d>',
      'how long Kafka may be unreachable mid-run (readings are held and re-sent) before giving up',
      '5m',
    )
    .action(sensorsProduceCommand);
}
