// The benchmarks, by name:
//
//   tsx bench/run.ts <name> [args]        (npm run bench -- <name> [args])
//
// Each benchmark prints its figures in words, then one JSON object as its last line of output.

interface Benchmark {
  description: string;
  args: string;
  run: (args: string[]) => Promise<void>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  elt: {
    description:
      'the monthly ELT on a full-size synthetic month (2025-03, 4,145,257 rows): Bronze append vs ' +
      'PyIceberg, the whole workflow end to end, Temporal overhead, worker peak RSS',
    args: '[--runs N] [--skip-bronze] [--reuse-landed] [--no-up]',
    run: async (args) => (await import('./elt')).eltCli(args),
  },
  'elt-bronze': {
    description: 'the Bronze append alone: product path vs the PyIceberg append baseline',
    args: '[--runs N]',
    run: async (args) => (await import('./elt-bronze')).bronzeCli(args),
  },
  backfill: {
    description:
      'a year of full-size synthetic months (2025-01..12) through the backfill workflow (dp elt backfill): ' +
      "total and per-month time, worker and Trino peak memory, every month's Gold against the reference",
    args: '[--parallel P] [--months N] [--no-up]',
    run: async (args) => (await import('./backfill')).backfillBenchCli(args),
  },
  airflow: {
    description:
      'the full-size synthetic month (2025-03) through the Airflow DAG (dp airflow run): DAG time, the Bronze ' +
      "task's peak RSS, Gold equal to the Temporal run's; baseline: the Temporal workflow on the same month",
    args: '[--no-up]',
    run: async (args) => (await import('./airflow')).airflowBenchCli(args),
  },
  stream: {
    description:
      'sensor readings through producer -> Kafka -> Flink -> Iceberg for 5 minutes: end-to-end events/s, ' +
      'p95 latency until a window is visible in Trino, lost events, Kafka and Flink RSS; baseline: the producer alone. ' +
      'With --catch-up: a backlog of 10 M readings drained after an outage: events/s from the job start until ' +
      'lag 0 and every window visible, windows checked exactly, Flink peak RSS; baseline: the fill rate',
    args:
      '[--rate R] [--duration D] [--sensors N] [--baseline D] [--no-up] | ' +
      '--catch-up [--events N] [--sensors N] [--event-rate R] [--checkpoint-interval MS] [--no-up]',
    run: async (args) =>
      args.includes('--catch-up')
        ? (await import('./stream-catchup')).streamCatchUpCli(args)
        : (await import('./stream')).streamBenchCli(args),
  },
};

function usage(): string {
  return [
    'Usage: tsx bench/run.ts <benchmark> [args]   (npm run bench -- <benchmark> [args])',
    'Benchmarks:',
    ...Object.entries(BENCHMARKS).flatMap(([name, b]) => [`  ${name} ${b.args}`, `      ${b.description}`]),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const benchmark = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (!benchmark) {
    process.stderr.write(`bench: unknown benchmark '${name}'.\n${usage()}\n`);
    return 2;
  }
  await benchmark.run(args);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // A benchmark that printed its figures but missed something (a failed run) sets the exit code itself.
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
