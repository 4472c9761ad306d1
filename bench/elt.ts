// The ELT benchmark: one full-size synthetic month (2025-03, 4,145,257 rows, like March 2025) through
//   1. the Bronze append alone, product path against the PyIceberg append baseline (bench/elt-bronze.ts),
//      medians of --runs alternating runs (default 3);
//   2. the whole monthly workflow (monthlyYellowTrips, workflow id yellow-trips-2025-03) started with the
//      Temporal client on the offline TLC mirror, timed from the start call until it returns (published on
//      main, run branch dropped);
//   3. Temporal's own overhead: that time minus the union of the activities' [started, closed] intervals
//      in the workflow history, with each activity's duration and queueing;
//   4. the worker's peak RSS during the run (VmRSS every 250 ms from /proc; VmHWM when `dp up` has just
//      started the worker, so its high-water mark covers nothing but this run and the bring-up).
// It also records, to explain the figures: the CPU seconds each platform process used during the run, the
// Trino queries of the run (per stage and per dbt model) and Trino's heap. Before each measured part it
// waits (up to 5 minutes) for a quiet machine and a quiet Trino. When the workflow fails, the figures up to
// the failure are still printed (month_end_to_end_s is null) and the exit code is 1.
//
//   tsx bench/run.ts elt [--runs N] [--skip-bronze] [--reuse-landed] [--no-up]
//
// --skip-bronze leaves part 1 out (its JSON fields are null); --reuse-landed lets the fetch reuse an already
// landed copy of the month (by default the mirror file's modification time is moved to now, like TLC
// re-publishing the same bytes, so the run downloads it);
// --no-up measures whatever worker runs (reported in the JSON) instead of running `dp up`.
// Needs the local platform. Runs `dp up` at the start (and again before the workflow if the worker's sources
// changed meanwhile) so the worker runs the current sources. Replaces 2025-03 on main (the month's workflow
// id is the contract: one open run per month; the benchmark refuses to start while one is open).
// The last line of output is one JSON object.
// This file runs the benchmark; bench/elt/ holds its parts: sampling.ts (processes' CPU and memory from
// /proc), trino.ts (Trino's queries and heap during the run), history.ts (the workflow history's activity
// spans), platform.ts (dp up, the mirror, open workflows) and report.ts (the lines and JSON printed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { BronzeLoad, DbtOutcome, FetchOutcome, MonthlyYellowTripsResult } from '../domain/elt';
import { PIPELINE_STAGE } from '../domain/search-attributes';
import { prepareMirror } from '../cli/elt';
import { TrinoClient } from '../clients/trino';
import { readPid, runningPid } from '../lib/process';
import { componentFingerprint, LOCAL_COMPONENTS, tlcMirrorDir } from '../platform/local/services';
import { readManifest, tripDataFile } from '../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths, REPO_ROOT } from '../lib/config';
import { connectClient } from '../worker/connection';
import { benchBronzeAppend, MONTH, ROWS, SEED, type BronzeSummary } from './elt-bronze';
import { clip, log, round, sleep, unionLength, type Interval } from './elt/common';
import { analyseHistory, errorChain } from './elt/history';
import { checkMonthNotRunning, dpUp, seedMirrorFromBenchCache, startBenchMonth } from './elt/platform';
import { reportLines, TARGETS, WORKFLOW_ID } from './elt/report';
import { machineBusySeconds, procStat, RssSampler, statusMib, waitForQuietMachine } from './elt/sampling';
import {
  BENCH_TRINO_SOURCE,
  dbtModelLayer,
  dbtNode,
  PRODUCT_SOURCES,
  statementSummary,
  TRINO_SNAPSHOT_INTERVAL_MS,
  trinoHeapUsedMib,
  trinoQueriesSince,
  waitForQuietTrino,
  type TrinoQueryRecord,
} from './elt/trino';

// ---------------------------------------------------------------------------------------------------------
// The benchmark

interface Options {
  runs: number;
  skipBronze: boolean;
  reuseLanded: boolean;
  noUp: boolean;
}

function parseArgs(args: string[]): Options {
  const options: Options = { runs: 3, skipBronze: false, reuseLanded: false, noUp: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--runs') {
      options.runs = Number(args[++i]);
      if (!Number.isInteger(options.runs) || options.runs < 1)
        throw new Error('--runs needs a positive integer');
    } else if (arg === '--skip-bronze') options.skipBronze = true;
    else if (arg === '--reuse-landed') options.reuseLanded = true;
    else if (arg === '--no-up') options.noUp = true;
    else
      throw new Error(`unknown argument '${arg}': use [--runs N] [--skip-bronze] [--reuse-landed] [--no-up]`);
  }
  return options;
}

export async function eltCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const benchStarted = Date.now();
  const config = loadConfig();
  const e = endpoints(config);
  const trino = new TrinoClient(e.trino, { source: BENCH_TRINO_SOURCE });
  if (!(await trino.isReady())) throw new Error(`Trino is not ready at ${e.trino}: run \`dp up\` first`);

  const client = await connectClient(config);
  try {
    // 0. Fail fast if a run of the month is open.
    await checkMonthNotRunning(client);

    // `dp up` first (fails fast), and again before the workflow if the worker's sources changed meanwhile.
    const workerPidFile = paths(config).pid('worker');
    const pidBefore = runningPid(workerPidFile);
    const workerCurrent = () =>
      readPid(workerPidFile)?.fingerprint === componentFingerprint('worker', config);
    const dpUpFailures: string[] = [];
    // dp up can fail on a component the ELT does not use; what the benchmark needs is a current worker.
    const upForWorker = async () => {
      log('dp up (makes sure the worker runs the current sources)');
      try {
        await dpUp();
      } catch (err) {
        dpUpFailures.push((err as Error).message);
        if (!workerCurrent() || runningPid(workerPidFile) === undefined) {
          throw new Error(`${(err as Error).message}, and the worker does not run the current sources`, {
            cause: err,
          });
        }
        log(`WARNING: ${(err as Error).message}; the worker runs the current sources, so measuring anyway`);
      }
    };
    if (options.noUp) log('dp up skipped (--no-up)');
    else await upForWorker();

    // 1. Bronze append: product path vs PyIceberg, in this process's children (bench/elt-bronze.ts).
    let bronze: BronzeSummary | undefined;
    const quietWaits: { before: string; waitedS: number; otherCores: number }[] = [];
    if (options.skipBronze) log('Bronze comparison skipped (--skip-bronze)');
    else {
      quietWaits.push({ before: 'bronze comparison', ...(await waitForQuietMachine(config)) });
      log(`Bronze append: product path vs PyIceberg, ${options.runs} runs each`);
      bronze = await benchBronzeAppend({ runs: options.runs });
    }

    // 2. The month on the mirror, and a worker running the current sources.
    const seeded = await seedMirrorFromBenchCache(config);
    if (seeded) log(`copied the cached ${MONTH} (${ROWS} rows, seed ${SEED}) into the TLC mirror`);
    const sourceBaseUrl = await prepareMirror(config, [MONTH], ROWS, SEED);
    const mirrorManifest = await readManifest(tlcMirrorDir(config), MONTH);
    if (mirrorManifest?.rows !== ROWS)
      throw new Error(`the mirror's ${MONTH} has ${mirrorManifest?.rows} rows`);
    if (!options.reuseLanded) {
      // Same bytes, new modification time: a new source version, so the fetch downloads it like a new month.
      const now = new Date();
      fs.utimesSync(tripDataFile(tlcMirrorDir(config), MONTH), now, now);
    }
    if (!options.noUp && !workerCurrent()) {
      log('the worker sources changed since dp up: dp up again');
      await upForWorker();
    }
    const workerPid = runningPid(workerPidFile);
    if (workerPid === undefined) throw new Error('the worker is not running: run dp up');
    const workerRecord = readPid(workerPidFile);
    const workerFresh =
      workerPid !== pidBefore ||
      (workerRecord !== undefined && Date.parse(workerRecord.startedAt) >= benchStarted);
    const workerRunsCurrentSources = workerCurrent();
    log(
      `worker pid ${workerPid} (${workerFresh ? 'started by this benchmark' : 'already running'}; ` +
        `${workerRunsCurrentSources ? 'current sources' : 'WARNING: not the current sources'})`,
    );
    const otherOpen = await checkMonthNotRunning(client);
    if (otherOpen.length > 0)
      log(`other open workflows (may compete for the machine): ${otherOpen.join(', ')}`);
    quietWaits.push({ before: 'workflow', ...(await waitForQuietMachine(config)) });
    const busyBefore = await waitForQuietTrino(trino);

    // 3. The workflow, with the samplers running.
    const componentPids = Object.fromEntries(
      LOCAL_COMPONENTS.map((c) => [c, runningPid(paths(config).pid(c))] as const).filter(
        (entry): entry is [(typeof LOCAL_COMPONENTS)[number], number] => entry[1] !== undefined,
      ),
    );
    const cpuBefore = Object.fromEntries(
      Object.entries(componentPids).map(([c, pid]) => [c, procStat(pid)?.cpuSeconds ?? NaN]),
    );
    const machineBefore = machineBusySeconds();
    const benchCpuBefore = process.cpuUsage();
    const queries = new Map<string, TrinoQueryRecord>();
    let heapPeakMib = 0;
    const heapBeforeMib = await trinoHeapUsedMib(e.trino);
    const componentPidSet = new Set(
      Object.entries(componentPids)
        .filter(([c]) => c !== 'worker')
        .map(([, pid]) => pid),
    );
    const rss = new RssSampler(
      () => runningPid(workerPidFile),
      () => componentPidSet,
    );
    let running = true;
    let lastStage = '';
    const started = Date.now();
    const monitor = (async () => {
      let nextSnapshot = Date.now() + TRINO_SNAPSHOT_INTERVAL_MS;
      while (running) {
        const heap = await trinoHeapUsedMib(e.trino);
        if (heap !== undefined) heapPeakMib = Math.max(heapPeakMib, heap);
        if (Date.now() >= nextSnapshot) {
          nextSnapshot = Date.now() + TRINO_SNAPSHOT_INTERVAL_MS;
          for (const q of await trinoQueriesSince(trino, started).catch(() => [])) queries.set(q.id, q);
        }
        await sleep(2000);
      }
    })();
    rss.start();
    let result: MonthlyYellowTripsResult | undefined;
    let failure: string | undefined;
    let runId: string;
    let ended: number;
    try {
      const handle = await startBenchMonth(client, config, sourceBaseUrl);
      runId = handle.firstExecutionRunId;
      log(
        `workflow ${WORKFLOW_ID} run ${runId} started (${e.temporalUi}/namespaces/${config.temporalNamespace}/workflows/${WORKFLOW_ID})`,
      );
      const stageWatch = (async () => {
        while (running) {
          try {
            const d = await handle.describe();
            const stage = d.typedSearchAttributes.get(PIPELINE_STAGE);
            if (stage && stage !== lastStage) {
              log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${stage}`);
              lastStage = stage;
            }
          } catch {
            // not visible yet
          }
          await sleep(1000);
        }
      })();
      try {
        result = (await handle.result()) as MonthlyYellowTripsResult;
      } catch (err) {
        if (!(err instanceof WorkflowFailedError)) throw err;
        failure = errorChain(err.cause ?? err);
      } finally {
        ended = Date.now();
        running = false;
        await stageWatch;
      }
    } finally {
      running = false;
      rss.stop();
      await monitor;
    }
    const monthSeconds = (ended - started) / 1000;
    if (failure) log(`the workflow FAILED after ${monthSeconds.toFixed(1)} s: ${failure}`);
    else log(`published on main: ${monthSeconds.toFixed(1)} s`);

    // 4. After the run: CPU, memory, history, Trino queries, a check on main.
    const cpuSeconds = Object.fromEntries(
      Object.entries(componentPids).map(([c, pid]) => [
        c,
        round((procStat(pid)?.cpuSeconds ?? NaN) - cpuBefore[c], 1),
      ]),
    );
    const machineCpu = machineBusySeconds() - machineBefore;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const platformCpu = Object.values(cpuSeconds).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
    const otherCpu = machineCpu - platformCpu - (benchCpu.user + benchCpu.system) / 1e6;
    const vmhwm = statusMib(workerPid, 'VmHWM');
    const workerStillSame = runningPid(workerPidFile) === workerPid && rss.pids.size <= 1;
    for (const q of await trinoQueriesSince(trino, started)) queries.set(q.id, q);
    const history = analyseHistory(await client.workflow.getHandle(WORKFLOW_ID, runId).fetchHistory());
    const mainRows = Number(
      (
        await trino.query(
          `SELECT count(*) FROM ${config.catalog}.bronze.yellow_trips WHERE source_month = '${MONTH}'`,
        )
      ).rows[0][0],
    );

    const activityIntervals = history.activities.map((a): Interval => [a.started, a.closed]);
    const activitySeconds = unionLength(activityIntervals) / 1000;
    const historySeconds = (history.workflowClosed - history.workflowStarted) / 1000;
    const publish = history.activities.find((a) => a.name === 'publish' && a.outcome === 'completed');
    const publishedOnMainSeconds = publish ? (publish.closed - started) / 1000 : null;

    // Trino time per stage: the union of the run's product queries that ran inside each stage's activities.
    const productQueries = [...queries.values()].filter((q) =>
      PRODUCT_SOURCES.some((re) => re.test(q.source)),
    );
    const otherQueries = [...queries.values()].filter((q) => !productQueries.includes(q));
    const queryInterval = (q: TrinoQueryRecord): Interval => [q.created, q.end ?? ended];
    const stages = [...new Set(history.activities.map((a) => a.stage))];
    const stageFigures = stages.map((stage) => {
      const spans = history.activities.filter((a) => a.stage === stage);
      // From scheduling: a retried activity's earlier attempts ran before its last start.
      const windows = spans.map((a): Interval => [a.scheduled, a.closed]);
      const inStage = productQueries.filter((q) =>
        windows.some(([s, t]) => q.created >= s && q.created <= t),
      );
      const trinoBusy = windows.reduce(
        (sum, [s, t]) => sum + unionLength(clip(inStage.map(queryInterval), s, t)),
        0,
      );
      return {
        stage,
        workflow_s: result ? round(result.stageSeconds[stage] ?? 0) : null,
        activity_s: round(unionLength(windows) / 1000),
        trino_busy_s: round(trinoBusy / 1000),
        trino_queries: inStage.length,
      };
    });
    const dbtNodes = new Map<string, { seconds: number; queries: number }>();
    for (const q of productQueries) {
      const node = q.source.startsWith('dbt') ? dbtNode(q.text) : undefined;
      if (!node) continue;
      const entry = dbtNodes.get(node) ?? { seconds: 0, queries: 0 };
      entry.seconds += ((q.end ?? ended) - q.created) / 1000;
      entry.queries += 1;
      dbtNodes.set(node, entry);
    }
    // Each layer's models (not their tests): the wall-clock union of their Trino queries.
    const modelsByLayer = Object.fromEntries(
      ['silver', 'gold'].map((layer) => [
        layer,
        fs
          .readdirSync(path.join(REPO_ROOT, 'dbt', 'models', layer))
          .filter((file) => file.endsWith('.sql'))
          .map((file) => file.slice(0, -'.sql'.length)),
      ]),
    );
    const layerSeconds = (layer: string): number | null => {
      const spans = productQueries
        .filter((q) => q.source.startsWith('dbt'))
        .filter((q) => {
          const node = dbtNode(q.text);
          return node !== undefined && dbtModelLayer(node, modelsByLayer) === layer;
        })
        .map(queryInterval);
      return spans.length === 0 ? null : round(unionLength(spans) / 1000);
    };
    const topDbtNodes = [...dbtNodes.entries()]
      .sort((a, b) => b[1].seconds - a[1].seconds)
      .slice(0, 10)
      .map(([node, v]) => ({ node, seconds: round(v.seconds), queries: v.queries }));
    const topQueries = productQueries
      .map((q) => ({
        seconds: round(((q.end ?? ended) - q.created) / 1000),
        source: q.source,
        state: q.state,
        error: q.error,
        node: (q.source.startsWith('dbt') ? dbtNode(q.text) : undefined) ?? null,
        stage:
          history.activities.find((a) => q.created >= a.scheduled && q.created <= a.closed)?.stage ??
          'between stages',
        sql: statementSummary(q.text),
      }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10);

    const ratio = bronze ? bronze.ratio : null;
    const lastResult = <T>(name: string) =>
      history.activities.filter((a) => a.name === name && a.result !== undefined).pop()?.result as
        T | undefined;
    const fetched = lastResult<FetchOutcome>('fetchMonth');
    const landed = result?.landed ?? (fetched?.status === 'landed' ? fetched.file : undefined);
    const bronzeLoad = lastResult<BronzeLoad>('appendBronze');
    const dbtOutcome = lastResult<DbtOutcome>('runDbt');
    const failedActivity = history.activities.find((a) => a.outcome !== 'completed');
    const temporalOverhead = monthSeconds - activitySeconds;
    const vmhwmFresh = workerFresh && workerStillSame && vmhwm !== undefined ? round(vmhwm, 0) : null;
    const summary = {
      bronze_append_s: bronze ? bronze.bronze_append_s : null,
      pyiceberg_append_s: bronze ? bronze.pyiceberg_append_s : null,
      month_end_to_end_s: failure ? null : round(monthSeconds),
      rows: ROWS,
      dbt_s: dbtOutcome ? round(dbtOutcome.seconds) : null,
      silver_s: layerSeconds('silver'),
      gold_s: layerSeconds('gold'),
      audit_s: stageFigures.find((s) => s.stage === 'auditing')?.activity_s ?? null,
      worker_peak_rss_mib: round(rss.peakMib, 0),
      trino_peak_heap_mib: round(heapPeakMib, 0),
      temporal_overhead_s: round(temporalOverhead),
      bronze_pyiceberg_ratio: ratio,
      month: MONTH,
      workflow_id: WORKFLOW_ID,
      run_id: runId,
      workflow_status: failure ? 'failed' : 'completed',
      workflow_failure: failure ?? null,
      workflow_failed_after_s: failure ? round(monthSeconds) : null,
      failed_activity: failedActivity
        ? {
            name: failedActivity.name,
            attempt: failedActivity.attempt,
            failure: failedActivity.failure ?? null,
          }
        : null,
      published_on_main_s: publishedOnMainSeconds === null ? null : round(publishedOnMainSeconds),
      workflow_history_s: round(historySeconds),
      activity_union_s: round(activitySeconds),
      temporal_overhead_in_history_s: round(historySeconds - activitySeconds),
      client_overhead_s: round(monthSeconds - historySeconds),
      // Queueing of first attempts; for a retried activity, scheduled -> last start is its earlier
      // attempts plus the retry backoff (the history records only the last attempt's start).
      activity_schedule_to_start_s: round(
        history.activities
          .filter((a) => a.attempt === 1)
          .reduce((sum, a) => sum + (a.started - a.scheduled), 0) / 1000,
      ),
      retried_attempts_and_backoff_s: round(
        history.activities
          .filter((a) => a.attempt > 1)
          .reduce((sum, a) => sum + (a.started - a.scheduled), 0) / 1000,
      ),
      workflow_task_s: round(history.workflowTaskSeconds),
      workflow_tasks: history.workflowTasks,
      stage_seconds: result
        ? Object.fromEntries(Object.entries(result.stageSeconds).map(([k, v]) => [k, round(v)]))
        : null,
      stages: stageFigures,
      activities: history.activities.map((a) => ({
        name: a.name,
        attempt: a.attempt,
        outcome: a.outcome,
        schedule_to_start_s: round((a.started - a.scheduled) / 1000, 3),
        run_s: round((a.closed - a.started) / 1000),
      })),
      fetch_downloaded: landed ? !landed.reused : null,
      landed_rows: landed?.rows ?? null,
      bronze_load_in_workflow: bronzeLoad
        ? { rows: bronzeLoad.rows, files: bronzeLoad.files, seconds: round(bronzeLoad.seconds) }
        : null,
      dbt_failed_tests: dbtOutcome ? dbtOutcome.failedTests.length : null,
      audit: result
        ? { passed: result.audit.passed, checks: result.audit.checks.length, counts: result.audit.counts }
        : null,
      main_bronze_rows_for_month: mainRows,
      publish_attempts: result?.attempts ?? null,
      worker_pid: workerPid,
      worker_started_by_bench: workerFresh,
      worker_runs_current_sources: workerRunsCurrentSources,
      dp_up_failures: dpUpFailures,
      worker_replaced_during_run: !workerStillSame,
      worker_vmhwm_mib: vmhwmFresh,
      worker_vmhwm_lifetime_mib: vmhwm === undefined ? null : round(vmhwm, 0),
      worker_with_children_peak_rss_mib: round(rss.peakTreeMib, 0),
      worker_rss_samples: rss.samples,
      cpu_seconds_during_month: cpuSeconds,
      cpu_seconds_machine_during_month: round(machineCpu, 1),
      cpu_seconds_other_processes_during_month: round(otherCpu, 1),
      trino_heap_used_mib: {
        before: heapBeforeMib === undefined ? null : round(heapBeforeMib, 0),
        peak: round(heapPeakMib, 0),
      },
      trino_queries: productQueries.length,
      trino_top_queries: topQueries,
      dbt_top_nodes: topDbtNodes,
      trino_other_queries_during_month: otherQueries.map((q) => `${q.source || q.user}:${q.id}`),
      trino_busy_before_month: busyBefore,
      quiet_machine_waits: quietWaits,
      other_open_workflows: otherOpen,
      targets: TARGETS,
      targets_met: {
        month_end_to_end_s: !failure && monthSeconds <= TARGETS.month_end_to_end_s,
        bronze_pyiceberg_ratio: ratio === null ? null : ratio <= TARGETS.bronze_pyiceberg_ratio,
        worker_peak_rss_mib: rss.peakMib <= TARGETS.worker_peak_rss_mib,
      },
      bronze: bronze
        ? {
            runs: bronze.runs,
            bronze_runs_s: bronze.bronze_runs_s,
            pyiceberg_runs_s: bronze.pyiceberg_runs_s,
            pyiceberg_append_only_s: bronze.pyiceberg_append_only_s,
            bronze_child_peak_rss_mib: bronze.worker_peak_rss_mib,
            pyiceberg_peak_rss_mib: bronze.pyiceberg_peak_rss_mib,
            files: bronze.files,
            counts_verified_in_trino: bronze.counts_verified_in_trino,
            trino_foreign_queries_seen: bronze.trino_foreign_queries_seen,
            versions: bronze.versions,
          }
        : null,
    };

    process.stdout.write(
      reportLines({
        summary,
        bronze,
        result,
        failure,
        failedActivity,
        monthSeconds,
        historySeconds,
        activitySeconds,
        temporalOverhead,
        ratio,
        history,
        workerPid,
        vmhwmFresh,
        landed,
        bronzeLoad,
        dbtOutcome,
        mainRows,
        stageFigures,
        cpuSeconds,
        machineCpu,
        otherCpu,
        topQueries,
        topDbtNodes,
        otherQueries,
        otherOpen,
      }).join('\n'),
    );
    if (failure) process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}

if (require.main === module) {
  eltCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`[bench elt] failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
