// The Airflow benchmark: the full-size synthetic month (2025-03, 4,145,257 rows, on the offline TLC mirror)
// through the Airflow DAG nyc_yellow_trips (`dp airflow run`, i.e. `airflow dags test`), with the Temporal
// workflow's run of the same month, in the same benchmark run, as the baseline:
//   1. the Temporal workflow monthlyYellowTrips (workflow id yellow-trips-2025-03), timed from the start
//      call until it returns (published on main); every Gold table's rows for the month are read then;
//   2. the DAG for the same month, timed by `airflowRunMonth` (from `airflow dags test` until it ends);
//   3. the Bronze task's peak RSS: VmHWM of the process that runs the task (`airflow dags test` runs every
//      task in its own process), reset by the task when it starts (/proc/self/clear_refs) and read by it
//      when its commit is done, so it is the task's own peak, measured by the kernel (not sampled). As a
//      cross-check this benchmark also samples VmRSS of that process every 250 ms over the whole DAG run
//      (all tasks; dbt runs in a child process of its own and is not counted);
//   4. the Gold rows after the DAG, compared with the Temporal run's exactly (every column of every row of
//      the four Gold tables for the month; doubles bit for bit). The largest relative difference of a
//      double is printed too, to tell float summation order from a real difference.
// The load average is printed next to each figure: other work on the 2 cores slows both runs.
//
//   tsx bench/run.ts airflow [--no-up]
//
// Needs the local platform; runs `dp up` first (unless --no-up) so the worker runs the current sources.
// Replaces 2025-03 on main twice (Temporal, then Airflow). The last line of output is one JSON object.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { WorkflowFailedError } from '@temporalio/client';
import { prepareMirror } from '../cli/elt';
import { TrinoClient } from '../clients/trino';
import { airflowRunMonth } from '../platform/local/airflow';
import { tlcMirrorDir } from '../platform/local/services';
import { readManifest, tripDataFile } from '../infra/local/tlc-mirror';
import { endpoints, loadConfig, type PlatformConfig } from '../lib/config';
import { connectClient } from '../worker/connection';
import { MONTH, ROWS, SEED } from './elt-bronze';
import { round } from './elt/common';
import { errorChain } from './elt/history';
import { checkMonthNotRunning, dpUp, seedMirrorFromBenchCache, startBenchMonth } from './elt/platform';
import { WORKFLOW_ID } from './elt/report';
import { descendants, statusMib, waitForQuietMachine } from './elt/sampling';
import { compareGold, readGoldRows } from './airflow/gold';

const RSS_INTERVAL_MS = 250;
const TARGET_BRONZE_TASK_PEAK_RSS_MIB = 1536;

function log(message: string): void {
  process.stderr.write(`[bench airflow] ${message}\n`);
}

/** The 1-, 5- and 15-minute load averages, for the figures measured while they held. */
function loadAverage(): number[] {
  return os.loadavg().map((l) => round(l, 2));
}

// ------------------------------------------------------------------------------ the DAG run's memory

/** Samples VmRSS of the `airflow dags test` process (a child of this process) while the DAG runs. */
class DagProcessSampler {
  peakMib = 0;
  samples = 0;
  readonly pids = new Set<number>();
  private timer?: NodeJS.Timeout;

  start(): void {
    this.timer = setInterval(() => this.sample(), RSS_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const pid of descendants(process.pid)) {
      let cmdline: string;
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (!/\bairflow dags test\b/.test(cmdline)) continue;
      const rss = statusMib(pid, 'VmRSS');
      if (rss === undefined) continue;
      this.pids.add(pid);
      this.samples += 1;
      this.peakMib = Math.max(this.peakMib, rss);
    }
  }
}

// ------------------------------------------------------------------------------------------ the runs

async function temporalMonth(config: PlatformConfig, sourceBaseUrl: string): Promise<number> {
  const client = await connectClient(config);
  try {
    await checkMonthNotRunning(client);
    const started = Date.now();
    const handle = await startBenchMonth(client, config, sourceBaseUrl);
    log(`Temporal workflow ${WORKFLOW_ID} started`);
    try {
      await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError)
        throw new Error(`the Temporal run of ${MONTH} failed: ${errorChain(err.cause ?? err)}`, {
          cause: err,
        });
      throw err;
    }
    return (Date.now() - started) / 1000;
  } finally {
    await client.connection.close();
  }
}

function parseArgs(args: string[]): { noUp: boolean } {
  const options = { noUp: false };
  for (const arg of args) {
    if (arg === '--no-up') options.noUp = true;
    else throw new Error(`unknown argument '${arg}': use [--no-up]`);
  }
  return options;
}

export async function airflowBenchCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const config = loadConfig();
  const trino = new TrinoClient(endpoints(config).trino, { source: 'dp-bench-airflow' });
  if (!(await trino.isReady()))
    throw new Error(`Trino is not ready at ${endpoints(config).trino}: run dp up`);
  if (options.noUp) log('dp up skipped (--no-up)');
  else {
    log('dp up (makes sure the worker runs the current sources)');
    await dpUp();
  }

  // The full-size month on the mirror (copied from the ELT benchmark's cache when it has it).
  if (await seedMirrorFromBenchCache(config)) log(`copied the cached ${MONTH} into the TLC mirror`);
  const sourceBaseUrl = await prepareMirror(config, [MONTH], ROWS, SEED);
  const manifest = await readManifest(tlcMirrorDir(config), MONTH);
  if (manifest?.rows !== ROWS)
    throw new Error(`the mirror's ${MONTH} has ${manifest?.rows} rows, not ${ROWS}`);
  // Same bytes, new modification time: both runs download the month like a newly published file.
  const touch = () => {
    const now = new Date();
    fs.utimesSync(tripDataFile(tlcMirrorDir(config), MONTH), now, now);
  };

  // 1. The baseline: the Temporal workflow on the same month.
  touch();
  const temporalWait = await waitForQuietMachine(config);
  const temporalLoadBefore = loadAverage();
  const temporalSeconds = await temporalMonth(config, sourceBaseUrl);
  const temporalLoadAfter = loadAverage();
  log(
    `Temporal: ${MONTH} published in ${temporalSeconds.toFixed(1)} s (load ${temporalLoadAfter.join(' ')})`,
  );
  const goldTemporal = await readGoldRows(trino, config.catalog, MONTH);

  // 2. The DAG, with its process's memory sampled.
  touch();
  const airflowWait = await waitForQuietMachine(config);
  const airflowLoadBefore = loadAverage();
  const sampler = new DagProcessSampler();
  let bronzeLine: string | undefined;
  sampler.start();
  let dag;
  try {
    dag = await airflowRunMonth(
      config,
      MONTH,
      (component, line) => {
        if (/replaced by \d+ rows/.test(line)) bronzeLine = line;
        log(`${component}: ${line}`);
      },
      { tlcBaseUrl: sourceBaseUrl },
    );
  } finally {
    sampler.stop();
  }
  const airflowLoadAfter = loadAverage();
  log(
    `Airflow: ${MONTH} ended ${dag.state} in ${dag.seconds.toFixed(1)} s (load ${airflowLoadAfter.join(' ')})`,
  );
  if (dag.state !== 'success') process.stderr.write(`${dag.tail}\n`);

  // 3. The Bronze task's own peak (from its log line) and the rows and Gold it left on main.
  const taskPeak = bronzeLine ? /task peak RSS (\d+) MiB/.exec(bronzeLine) : null;
  const bronzeSeconds = bronzeLine ? /rows in (\d+(?:\.\d+)?) s/.exec(bronzeLine) : null;
  const bronzeTaskPeakMib = taskPeak ? Number(taskPeak[1]) : null;
  const [{ rows: bronzeRows, runs }] = await trino.queryObjects<{ rows: number; runs: number }>(
    `SELECT count(*) AS rows, count(DISTINCT run_id) AS runs FROM ${config.catalog}.bronze.yellow_trips
     WHERE source_month = '${MONTH}' AND run_id LIKE 'airflow:%'`,
  );
  const gold = compareGold(goldTemporal, await readGoldRows(trino, config.catalog, MONTH));

  const summary = {
    benchmark: 'airflow',
    month: MONTH,
    rows: Number(bronzeRows),
    dag_state: dag.state,
    dag_s: round(dag.seconds, 1),
    bronze_task_s: bronzeSeconds ? Number(bronzeSeconds[1]) : null,
    bronze_task_peak_rss_mib: bronzeTaskPeakMib,
    bronze_task_peak_rss_measure:
      'VmHWM of the airflow dags test process (which runs the task), reset at task start, read after the commit',
    dag_process_peak_rss_sampled_mib: round(sampler.peakMib, 0),
    dag_process_rss_samples: sampler.samples,
    temporal_month_s: round(temporalSeconds, 1),
    gold_equal: gold.equal && dag.state === 'success',
    gold_tables: gold.tables,
    gold_max_relative_difference: Number.isFinite(gold.max_relative_difference)
      ? gold.max_relative_difference
      : 'rows differ',
    gold_first_difference: gold.first_difference,
    bronze_airflow_runs_on_main: Number(runs),
    load_average: {
      temporal: { before: temporalLoadBefore, after: temporalLoadAfter },
      airflow: { before: airflowLoadBefore, after: airflowLoadAfter },
    },
    quiet_machine_waits_s: { temporal: temporalWait, airflow: airflowWait },
    target_bronze_task_peak_rss_mib: TARGET_BRONZE_TASK_PEAK_RSS_MIB,
    targets_met: {
      bronze_task_peak_rss_mib:
        bronzeTaskPeakMib !== null && bronzeTaskPeakMib <= TARGET_BRONZE_TASK_PEAK_RSS_MIB,
      gold_equal: gold.equal && dag.state === 'success',
    },
  };
  const lines = [
    `Airflow DAG nyc_yellow_trips, ${MONTH} (${summary.rows} Bronze rows on main from the DAG):`,
    `  DAG run (airflow dags test):        ${summary.dag_s} s, ${dag.state} (load ${airflowLoadAfter.join(' ')})`,
    `  baseline, Temporal workflow:        ${summary.temporal_month_s} s (load ${temporalLoadAfter.join(' ')})`,
    `  Bronze task:                        ${summary.bronze_task_s ?? '?'} s, peak RSS ` +
      `${bronzeTaskPeakMib ?? '?'} MiB (VmHWM of its process since the task started; target <= ` +
      `${TARGET_BRONZE_TASK_PEAK_RSS_MIB})`,
    `  airflow dags test process:          peak VmRSS ${summary.dag_process_peak_rss_sampled_mib} MiB ` +
      `sampled every ${RSS_INTERVAL_MS} ms over the whole DAG run (${sampler.samples} samples)`,
    `  Gold equal to the Temporal run's:   ${summary.gold_equal} ` +
      Object.entries(gold.tables)
        .map(([t, v]) => `${t} ${v.rows_airflow}/${v.rows_temporal} rows, ${v.differing_rows} differ`)
        .join('; '),
    ...(gold.first_difference ? [`  first difference: ${gold.first_difference.slice(0, 400)}`] : []),
    JSON.stringify(summary),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!summary.targets_met.gold_equal || !summary.targets_met.bronze_task_peak_rss_mib) process.exitCode = 1;
}

if (require.main === module) {
  airflowBenchCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`[bench airflow] failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
