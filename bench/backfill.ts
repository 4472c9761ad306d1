// The backfill benchmark: a year of full-size synthetic months (2025-01 to 2025-12, 4,145,257 rows each, on
// the offline TLC mirror) through the product's backfill workflow (yellowTripsBackfill, what
// `dp elt backfill --from 2025-01 --to 2025-12 --parallel P` starts), then every month's Gold checked against
// the independent reference computed from the month's file (test/support/reference-elt.ts).
//   - total_s: from the start call until the backfill returns with every month published on main;
//   - s_per_month: total_s / months; beside it each month's own workflow time (start to close) and their
//     sum over total_s, how much the lanes overlapped (1 with --parallel 1; a month slowed down by sharing
//     the 2 cores shows as a longer own time, so compare s_per_month across --parallel runs);
//   - the worker's peak RSS (VmRSS every 250 ms, its children included) and Trino's peak heap.
// Before the backfill it waits (up to 5 minutes) for a quiet machine and a quiet Trino.
//
//   tsx bench/run.ts backfill [--parallel P] [--months N] [--no-up]
//
// --months N backfills 2025-01 to the N-th month only (a shorter trial run); --no-up measures whatever worker
// runs instead of running `dp up` first. The months are generated on the mirror the first time (about
// 15 s each), then kept; each run moves their files' modification time to now, so every month downloads
// and republishes like a new source version. The last line of output is one JSON object.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { BackfillInput, BackfillResult } from '../domain/elt';
import { backfillWorkflowId, workflowIdForMonth } from '../domain/names';
import { backfillProgressQuery } from '../domain/queries';
import { yellowTripsBackfill } from '../workflows';
import { prepareMirror } from '../cli/elt';
import { TrinoClient } from '../clients/trino';
import { runningPid } from '../lib/process';
import { endpoints, loadConfig, paths, type PlatformConfig } from '../lib/config';
import { LOCAL_COMPONENTS, tlcMirrorDir } from '../platform/local/services';
import { readManifest, tripDataFile, ZONE_LOOKUP_SEED } from '../infra/local/tlc-mirror';
import { connectClient } from '../worker/connection';
import { computeReference } from '../test/support/reference-elt';
import {
  diffGold,
  goldOf,
  lakehouseTables,
  readGold,
  type GoldSnapshot,
} from '../test/support/lakehouse-check';
import { benchMirrorDir, MONTH as ELT_BENCH_MONTH, ROWS, SEED as ELT_BENCH_SEED } from './elt-bronze';
import { round, sleep } from './elt/common';
import { errorChain } from './elt/history';
import { checkNotRunning, dpUp, seedMirrorFromBenchCache } from './elt/platform';
import { RssSampler, waitForQuietMachine } from './elt/sampling';
import { BENCH_TRINO_SOURCE, trinoHeapUsedMib, waitForQuietTrino } from './elt/trino';

const YEAR = 2025;
/** Measured on this machine (2 cores): 2 lanes took 183.5 s a month, 1 lane 87.2 s (README, Benchmarks). */
const DEFAULT_PARALLEL = 1;
const TARGET_TOTAL_S = 900;
const PROGRESS_INTERVAL_MS = 5000;
const HEAP_INTERVAL_MS = 1000;

function log(message: string): void {
  process.stderr.write(`[bench backfill] ${message}\n`);
}

interface Options {
  parallel: number;
  months: number;
  noUp: boolean;
}

function parseArgs(args: string[]): Options {
  const options: Options = { parallel: DEFAULT_PARALLEL, months: 12, noUp: false };
  const positive = (name: string, value: string | undefined, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`${name} needs an integer from 1 to ${max}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--parallel') options.parallel = positive('--parallel', args[++i], 12);
    else if (arg === '--months') options.months = positive('--months', args[++i], 12);
    else if (arg === '--no-up') options.noUp = true;
    else throw new Error(`unknown argument '${arg}': use [--parallel P] [--months N] [--no-up]`);
  }
  return options;
}

/**
 * The year's months on the mirror. prepareMirror gives month i the seed base + i; the base is chosen so that
 * 2025-03 is the ELT benchmark's month (same rows, same seed), which is then shared, not generated twice.
 */
async function yearOnMirror(config: PlatformConfig, months: string[]): Promise<string> {
  if (await seedMirrorFromBenchCache(config)) log(`copied the ELT benchmark's cached ${ELT_BENCH_MONTH}`);
  const seedBase = ELT_BENCH_SEED - (Number(ELT_BENCH_MONTH.slice(5)) - 1);
  log(`the mirror's months (${months.length} x ${ROWS} rows; a missing one is generated, about 15 s each)`);
  const url = await prepareMirror(config, months, ROWS, seedBase);
  // Same bytes, new modification time: a new source version, so every month is fetched and published again.
  const now = new Date();
  for (const month of months) fs.utimesSync(tripDataFile(tlcMirrorDir(config), month), now, now);
  return url;
}

/** Each month's own workflow time, from its execution (start to close), in seconds. */
async function monthSeconds(client: Client, month: string): Promise<number | undefined> {
  const description = await client.workflow.getHandle(workflowIdForMonth(month)).describe();
  if (!description.closeTime) return undefined;
  return (description.closeTime.getTime() - description.startTime.getTime()) / 1000;
}

/**
 * The month's Gold as the reference computes it from the mirror file (about 80 s for a full-size month), kept
 * in the benchmark cache beside the file's identity (rows, seed, generator, size), so later runs reuse it.
 */
async function referenceGold(config: PlatformConfig, month: string): Promise<GoldSnapshot> {
  const manifest = await readManifest(tlcMirrorDir(config), month);
  if (!manifest) throw new Error(`the mirror has no ${month}: run the benchmark again to generate it`);
  const identity = JSON.stringify([manifest.rows, manifest.seed, manifest.generatorVersion, manifest.bytes]);
  const cacheFile = path.join(benchMirrorDir(config.cacheDir), 'gold-reference', `${month}.json`);
  const cached = fs.existsSync(cacheFile)
    ? (JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { identity: string; gold: GoldSnapshot })
    : undefined;
  if (cached?.identity === identity) return cached.gold;
  const file = tripDataFile(tlcMirrorDir(config), month);
  const gold = goldOf(await computeReference(file, month, ZONE_LOOKUP_SEED));
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(`${cacheFile}.tmp`, JSON.stringify({ identity, gold }));
  fs.renameSync(`${cacheFile}.tmp`, cacheFile);
  return gold;
}

/** Every month's Gold on main against the reference computed from its mirror file; the differences found. */
async function verifyGold(config: PlatformConfig, trino: TrinoClient, months: string[]): Promise<string[]> {
  const tables = lakehouseTables(config.catalog);
  const problems: string[] = [];
  for (const month of months) {
    const started = performance.now();
    const differences = diffGold(await readGold(trino, tables, month), await referenceGold(config, month));
    log(
      `${month} Gold ${differences.length === 0 ? 'equals the reference' : `differs in ${differences.length} places`}` +
        ` (${round((performance.now() - started) / 1000, 1)} s)`,
    );
    problems.push(...differences.slice(0, 3).map((d) => `${month}: ${d}`));
  }
  return problems;
}

export async function backfillBenchCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const months = Array.from(
    { length: options.months },
    (_, i) => `${YEAR}-${String(i + 1).padStart(2, '0')}`,
  );
  const [from, to] = [months[0], months[months.length - 1]];
  const backfillId = backfillWorkflowId(from, to);
  const config = loadConfig();
  const trino = new TrinoClient(endpoints(config).trino, { source: BENCH_TRINO_SOURCE });

  if (options.noUp) log('dp up skipped (--no-up)');
  else {
    log('dp up (makes sure the worker runs the current sources)');
    await dpUp();
  }
  if (!(await trino.isReady()))
    throw new Error(`Trino is not ready at ${endpoints(config).trino}: run dp up`);
  const client = await connectClient(config);
  try {
    await checkNotRunning(client, [backfillId, ...months.map(workflowIdForMonth)]);
    const sourceBaseUrl = await yearOnMirror(config, months);
    const quiet = await waitForQuietMachine(config);
    await waitForQuietTrino(trino);

    const workerPidFile = paths(config).pid('worker');
    const components = new Set(
      LOCAL_COMPONENTS.filter((c) => c !== 'worker')
        .map((c) => runningPid(paths(config).pid(c)))
        .filter((pid): pid is number => pid !== undefined),
    );
    const worker = new RssSampler(
      () => runningPid(workerPidFile),
      () => components,
    );
    let heapPeakMib = 0;
    let running = true;
    const heapMonitor = (async () => {
      while (running) {
        heapPeakMib = Math.max(heapPeakMib, (await trinoHeapUsedMib(endpoints(config).trino)) ?? 0);
        await sleep(HEAP_INTERVAL_MS);
      }
    })();

    log(`backfill ${from}..${to}, ${options.parallel} at a time (workflow ${backfillId})`);
    worker.start();
    const started = Date.now();
    const input: BackfillInput = { from, to, parallel: options.parallel, sourceBaseUrl };
    const handle = await client.workflow.start(yellowTripsBackfill, {
      workflowId: backfillId,
      taskQueue: config.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    });
    let lastProgress = '';
    const progress = setInterval(() => {
      handle
        .query(backfillProgressQuery)
        .then((states) => {
          const line = states.map((s) => `${s.month.slice(5)}:${s.status}`).join(' ');
          if (line !== lastProgress) log(`${Math.round((Date.now() - started) / 1000)} s  ${line}`);
          lastProgress = line;
        })
        .catch(() => undefined);
    }, PROGRESS_INTERVAL_MS);
    let result: BackfillResult;
    try {
      result = await handle.result();
    } catch (err) {
      throw new Error(
        `the backfill failed: ${errorChain(err instanceof WorkflowFailedError ? (err.cause ?? err) : err)}`,
        { cause: err },
      );
    } finally {
      clearInterval(progress);
      worker.stop();
      running = false;
      await heapMonitor;
    }
    const totalS = (Date.now() - started) / 1000;
    const failed = result.months.filter((m) => m.status !== 'published');

    const perMonth = await Promise.all(months.map((m) => monthSeconds(client, m)));
    const sumS = perMonth.reduce<number>((sum, s) => sum + (s ?? 0), 0);
    log('verifying every month against the reference computed from its file');
    const goldProblems = failed.length === 0 ? await verifyGold(config, trino, months) : [];
    const goldVerified = failed.length === 0 && goldProblems.length === 0;

    const summary = {
      months: months.length,
      total_s: round(totalS, 1),
      s_per_month: round(totalS / months.length, 1),
      parallel: options.parallel,
      worker_peak_rss_mib: Math.round(worker.peakTreeMib),
      trino_peak_heap_mib: Math.round(heapPeakMib),
      gold_verified: goldVerified,
    };
    const lines = [
      `Backfill of ${from}..${to}: ${months.length} months x ${ROWS} rows, ${options.parallel} at a time`,
      `  total:                      ${summary.total_s} s   (target <= ${TARGET_TOTAL_S} s for 12 months)`,
      `  per month:                  ${summary.s_per_month} s`,
      `  months' own workflow times: ${perMonth.map((s, i) => `${months[i].slice(5)} ${s === undefined ? '?' : round(s, 1)}`).join(', ')}`,
      `  overlap (sum / total):      ${round(sumS / totalS, 2)}`,
      `  worker peak RSS:            ${summary.worker_peak_rss_mib} MiB (with its children; ${worker.samples} samples)`,
      `  Trino peak heap:            ${summary.trino_peak_heap_mib} MiB`,
      `  machine before the start:   ${round(quiet.otherCores, 2)} cores used by others (waited ${round(quiet.waitedS, 0)} s)`,
      `  every month published:      ${failed.length === 0}${failed.length ? ` (${failed.map((m) => `${m.month}: ${m.detail}`).join('; ')})` : ''}`,
      `  Gold equal to the reference: ${goldVerified}${goldProblems.length ? ` (${goldProblems.join('; ')})` : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(summary)}\n`);
    if (!goldVerified) process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}
