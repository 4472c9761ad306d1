// The fault-injection harness:
//
//   tsx chaos/run.ts [--injections N] [--seed S] [--rows R] [--components list] [--first-month M] [--json]
//   (npm run chaos -- ...)
//
// Runs bounded rounds on the local platform at DP_HOME: a month round starts a mirror month, SIGKILLs one
// component at a planned stage, recovers as a user would and checks the invariants; a stream round runs the
// stream job on readings of its own, SIGKILLs Kafka or the job at a planned moment and checks the windows
// (see README, Fault injection).
// Prints one line per round, the component x stage table and, last, one JSON line of totals.
import { Command } from 'commander';
import { loadConfig, paths } from '../lib/config';
import { runningPid } from '../lib/process';
import { readWantedStream } from '../platform/local/flink';
import { supportedMonth, validMonth } from '../domain/months';
import { boundedInteger, CHAOS_COMPONENTS, parseComponents, planRounds } from './plan';
import { dpUp, restoreIfNeeded, runRound } from './round';
import { runStreamRound } from './stream-round';
import { renderRounds, renderTable, summarize, type RoundResult } from './summary';

interface Options {
  injections: string;
  seed: string;
  rows: string;
  components: string;
  firstMonth: string;
  roundTimeout: string;
  recoveryTimeout: string;
  keepStreamData?: boolean;
  json?: boolean;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('chaos')
    .description('kill platform processes during mirror months and check that nothing is lost or doubled')
    .option('--injections <n>', 'rounds, one kill each', '5')
    .option('--seed <n>', 'seed of the plan (components, stages) and of the generated months', '20250301')
    .option('--rows <n>', 'rows of each generated mirror month', '20000')
    .option('--components <list>', `components to kill, comma-separated`, CHAOS_COMPONENTS.join(','))
    .option('--first-month <YYYY-MM>', 'month of the first round; the rounds cycle over 12 months', '2025-01')
    .option('--round-timeout <s>', 'seconds a month may take to end after the kill', '600')
    .option(
      '--recovery-timeout <s>',
      'seconds a killed Trino, Nessie, object store, Kafka or stream job may take to return',
      '120',
    )
    .option('--keep-stream-data', "keep each stream round's topics and table (their names go to stderr)")
    .option('--json', 'print only the JSON line (progress still goes to stderr)');
  program.parse(argv, { from: 'user' });
  const options = program.opts<Options>();

  const injections = boundedInteger('--injections', options.injections, 1, 500);
  const seed = boundedInteger('--seed', options.seed, 0, 2 ** 31 - 1);
  const rows = boundedInteger('--rows', options.rows, 1000, 5_000_000);
  const roundTimeoutMs = boundedInteger('--round-timeout', options.roundTimeout, 30, 7200) * 1000;
  const recoveryTimeoutMs = boundedInteger('--recovery-timeout', options.recoveryTimeout, 5, 3600) * 1000;
  const components = parseComponents(options.components);
  const firstMonth = supportedMonth(validMonth(options.firstMonth));
  const plan = planRounds({ injections, seed, components, firstMonth });

  const config = loadConfig();
  if (plan.some((round) => round.kind === 'stream')) {
    // Stream rounds run a job of their own, and one job runs per platform.
    const running = runningPid(paths(config).pid('flink'));
    if (running !== undefined || readWantedStream(config)) {
      throw new Error(
        `The stream job runs${running === undefined ? ' (or is wanted)' : ` (pid ${running})`}; stream rounds ` +
          "run a job of their own. Stop it with 'dp stream stop' (its checkpoints stay), or leave kafka and " +
          'flink out of --components.',
      );
    }
  }
  const log = (message: string) => process.stderr.write(`[chaos] ${message}\n`);
  log(`platform ${config.home}: ${injections} round(s), seed ${seed}, ${rows} rows a month`);
  const restoredFirst = await restoreIfNeeded(config);
  if (restoredFirst.length > 0) log(`${restoredFirst.join(', ')} unhealthy before the first round: dp up`);

  const results: RoundResult[] = [];
  for (const planned of plan) {
    const settings = { config, rows, seed, roundTimeoutMs, recoveryTimeoutMs, log };
    const round =
      planned.kind === 'stream'
        ? runStreamRound({ ...settings, keepStreamData: options.keepStreamData === true }, planned)
        : runRound(settings, planned);
    const result = await round.catch(
      // A round the harness could not finish (the month never started, dp up failed) proves nothing
      // clean: it counts as dirty, with the reason, and the next round still runs.
      (error: unknown): RoundResult => ({
        index: planned.index,
        kind: planned.kind,
        component: planned.component,
        plannedStage: planned.stage,
        killedAt: 'not reached',
        month: planned.month,
        verdict: 'dirty',
        duplicates: 0,
        leakedBranches: 0,
        notes: [`round aborted: ${(error as Error).message.split('\n')[0]}`],
      }),
    );
    results.push(result);
    log(
      `round ${result.index}: ${result.verdict}${result.notes.length ? ` (${result.notes.join('; ')})` : ''}`,
    );
    // Every round starts on a healthy platform, whatever the last one left behind.
    const restored = await restoreIfNeeded(config);
    if (restored.length > 0) log(`${restored.join(', ')} unhealthy after round ${result.index}: dp up`);
  }
  // Leave the platform as a user expects it: everything up.
  await dpUp(config);

  const summary = summarize(results);
  if (!options.json) {
    console.log(renderRounds(results));
    console.log('');
    console.log(renderTable(results));
    console.log('');
  }
  console.log(JSON.stringify(summary));
  if (summary.dirty > 0) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`[chaos] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
});
