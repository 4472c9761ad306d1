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
//   tsx bench/run.ts elt [--runs N] [--skip-bronze] [--worker-path] [--reuse-landed] [--no-up]
//
// --skip-bronze leaves part 1 out (its JSON fields are null); --worker-path also times Bronze's worker path
// in part 1; --reuse-landed lets the fetch reuse an already landed copy of the month (by default the mirror
// file's modification time is moved to now, like TLC re-publishing the same bytes, so the run downloads it);
// --no-up measures whatever worker runs (reported in the JSON) instead of running `dp up`.
// Needs the local platform. Runs `dp up` at the start (and again before the workflow if the worker's sources
// changed meanwhile) so the worker runs the current sources. Replaces 2025-03 on main (the month's workflow
// id is the contract: one open run per month; the benchmark refuses to start while one is open).
// The last line of output is one JSON object.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, defineSearchAttributeKey } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { tsToMs } from '@temporalio/common/lib/time';
import type { BronzeLoad, DbtOutcome } from '../activities/monthly-yellow-trips';
import type { FetchOutcome } from '../activities/elt/fetch';
import type { MonthlyYellowTripsInput, MonthlyYellowTripsResult } from '../workflows/monthly-yellow-trips';
import { prepareMirror } from '../cli/elt';
import { TrinoClient } from '../clients/trino';
import { residentMiB } from '../platform/local/health';
import { readPid, runningPid } from '../lib/process';
import { componentFingerprint, LOCAL_COMPONENTS, tlcMirrorDir } from '../platform/local/services';
import { manifestFile, readManifest, tripDataFile } from '../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths, REPO_ROOT, type PlatformConfig } from '../lib/config';
import { connectClient } from '../worker/connection';
import {
  benchBronzeAppend,
  benchMirrorDir,
  bronzeSummaryLines,
  MONTH,
  ROWS,
  SEED,
  type BronzeSummary,
} from './elt-bronze';
import { sleep } from '../lib/time';

const WORKFLOW_ID = `yellow-trips-${MONTH}`;
const TARGETS = { month_end_to_end_s: 120, bronze_pyiceberg_ratio: 1.0, worker_peak_rss_mib: 1536 };
const RSS_INTERVAL_MS = 250;
const TRINO_SNAPSHOT_INTERVAL_MS = 15_000;
const BENCH_TRINO_SOURCE = 'dp-bench-elt';
/** Trino sources of the product's own work during a run (activities, Bronze, dbt). */
const PRODUCT_SOURCES = [/^dp-elt$/, /^dp-bronze$/, /^dbt/];
const STAGE_KEY = defineSearchAttributeKey('PipelineStage', 'KEYWORD');
/** The stage each activity belongs to (the workflow's own stage names). */
const STAGE_OF_ACTIVITY: Record<string, string> = {
  fetchMonth: 'fetching',
  createRunBranch: 'branching',
  appendBronze: 'loading bronze',
  runDbt: 'transforming',
  audit: 'auditing',
  publish: 'publishing',
  dropRunBranch: 'publishing',
};

// History event types (temporal.api.enums.v1.EventType).
const EVENT = {
  workflowStarted: 1,
  workflowCompleted: 2,
  workflowFailed: 3,
  workflowTaskScheduled: 5,
  workflowTaskCompleted: 7,
  activityScheduled: 10,
  activityStarted: 11,
  activityCompleted: 12,
  activityFailed: 13,
  activityTimedOut: 14,
  activityCanceled: 16,
} as const;
const ACTIVITY_CLOSED: readonly number[] = [
  EVENT.activityCompleted,
  EVENT.activityFailed,
  EVENT.activityTimedOut,
  EVENT.activityCanceled,
];

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
function log(message: string): void {
  process.stderr.write(`[bench elt] ${message}\n`);
}

/** Protobuf int64 fields arrive as Long objects (or numbers). */
function int64(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(String(value));
}

// ---------------------------------------------------------------------------------------------------------
// Intervals

type Interval = [start: number, end: number];

/** Total length covered by a set of intervals (overlaps counted once). */
export function unionLength(intervals: Interval[]): number {
  const sorted = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: Interval | undefined;
  for (const [start, end] of sorted) {
    if (current && start <= current[1]) current[1] = Math.max(current[1], end);
    else {
      if (current) total += current[1] - current[0];
      current = [start, end];
    }
  }
  return current ? total + current[1] - current[0] : total;
}

/** The parts of `intervals` that fall inside [from, to]. */
function clip(intervals: Interval[], from: number, to: number): Interval[] {
  return intervals.map(([s, e]): Interval => [Math.max(s, from), Math.min(e, to)]).filter(([s, e]) => e > s);
}

// ---------------------------------------------------------------------------------------------------------
// /proc sampling

interface ProcStat {
  /** CPU seconds of the process itself plus its waited-for children (dbt for the worker). */
  cpuSeconds: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(out.stdout?.trim()) || 100;
  }
  return clockTicks;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is [0]; utime, stime, cutime, cstime are [11..14].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { cpuSeconds: ticks / ticksPerSecond() };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

function statusMib(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every descendant of `pid` (dbt and its Python, esbuild, ...), from /proc/<pid>/task/<tid>/children,
 * leaving out `exclude` and their own descendants (platform components the worker started detached).
 */
function descendants(pid: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children: string;
      try {
        children = fs.readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child) && !exclude.has(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

/**
 * Samples the worker's VmRSS (and that of the worker with its child processes) on a timer. The pid is
 * looked up at every sample, so a worker replaced mid-run (another `dp up`) is followed, and noted.
 */
class RssSampler {
  peakMib = 0;
  peakTreeMib = 0;
  samples = 0;
  readonly pids = new Set<number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly currentPid: () => number | undefined,
    /** Processes that are not the worker's even when it is their parent (components it started). */
    private readonly notTheWorkers: () => ReadonlySet<number>,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const pid = this.currentPid();
    if (pid === undefined) return;
    const rss = statusMib(pid, 'VmRSS') ?? residentMiB(pid);
    if (rss === undefined) return;
    const children = descendants(pid, this.notTheWorkers()).reduce(
      (sum, child) => sum + (statusMib(child, 'VmRSS') ?? 0),
      0,
    );
    this.pids.add(pid);
    this.samples += 1;
    this.peakMib = Math.max(this.peakMib, rss);
    this.peakTreeMib = Math.max(this.peakTreeMib, rss + children);
  }
}

/**
 * Waits (up to 5 minutes) until processes outside the platform use under 0.3 cores for two 5-second
 * windows in a row: other work on the 2 cores (tests, builds) would slow every figure. Returns the wait.
 */
async function waitForQuietMachine(config: PlatformConfig): Promise<{ waitedS: number; otherCores: number }> {
  const platformCpu = () =>
    LOCAL_COMPONENTS.map((c) => runningPid(paths(config).pid(c)))
      .filter((pid): pid is number => pid !== undefined)
      .reduce((sum, pid) => sum + (procStat(pid)?.cpuSeconds ?? 0), 0);
  const started = performance.now();
  let otherCores = 0;
  for (let quiet = 0; quiet < 2;) {
    const [machine0, platform0, self0] = [machineBusySeconds(), platformCpu(), process.cpuUsage()];
    await sleep(5000);
    const self = process.cpuUsage(self0);
    const other =
      machineBusySeconds() - machine0 - (platformCpu() - platform0) - (self.user + self.system) / 1e6;
    otherCores = Math.max(0, other / 5);
    quiet = otherCores < 0.3 ? quiet + 1 : 0;
    if (quiet === 0) log(`other processes use ${otherCores.toFixed(1)} cores; waiting for a quiet machine`);
    if (performance.now() - started > 300_000) {
      log('the machine stayed busy for 5 minutes; measuring anyway');
      break;
    }
  }
  return { waitedS: round((performance.now() - started) / 1000, 0), otherCores: round(otherCores, 2) };
}

// ---------------------------------------------------------------------------------------------------------
// Trino

interface TrinoQueryRecord {
  id: string;
  user: string;
  source: string;
  state: string;
  created: number;
  end: number | null;
  error: string | null;
  text: string;
}

async function trinoQueriesSince(trino: TrinoClient, sinceMs: number): Promise<TrinoQueryRecord[]> {
  const result = await trino.query(
    `SELECT query_id, "user", coalesce(source, ''), state, to_unixtime(created), to_unixtime("end"), ` +
      `substr(query, 1, 2000), error_code FROM system.runtime.queries ` +
      `WHERE created >= from_unixtime(${(sinceMs / 1000).toFixed(3)}) AND coalesce(source, '') <> '${BENCH_TRINO_SOURCE}'`,
  );
  return result.rows.map(([id, user, source, state, created, end, text, error]) => ({
    id: String(id),
    user: String(user),
    source: String(source),
    state: String(state),
    created: Number(created) * 1000,
    end: end === null ? null : Number(end) * 1000,
    error: error === null || error === undefined ? null : String(error),
    text: String(text),
  }));
}

/** First words of a statement, without dbt's leading comment, on one line. */
function statementSummary(text: string, width = 100): string {
  const oneLine = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine;
}

/**
 * The dbt node a query belongs to: its query comment's node_id when dbt added one, else the table that a
 * write statement targets (dbt-trino sends the model's own INSERT/CREATE without the comment).
 */
export function dbtNode(text: string): string | undefined {
  const node = /"node_id":\s*"([^"]+)"/.exec(text)?.[1];
  if (node) return node;
  const target =
    /^\s*(?:insert\s+into|create\s+(?:or\s+replace\s+)?table|delete\s+from|merge\s+into|drop\s+table(?:\s+if\s+exists)?|alter\s+table)\s+"?\w+"?\."?(\w+)"?\."?(\w+)"?/i.exec(
      text.replace(/\/\*[\s\S]*?\*\//g, ' '),
    );
  return target ? `table ${target[1]}.${target[2].replace(/__dbt_tmp$/, '')}` : undefined;
}

async function trinoHeapUsedMib(trinoUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${trinoUrl}/v1/status`, {
      headers: { 'X-Trino-User': 'dp-bench' },
      signal: AbortSignal.timeout(3000),
    });
    const status = (await response.json()) as { heapUsed?: number };
    return status.heapUsed === undefined ? undefined : status.heapUsed / 2 ** 20;
  } catch {
    return undefined;
  }
}

/** Waits (up to 2 minutes) until Trino runs nothing but the benchmark's own queries for 3 s in a row. */
async function waitForQuietTrino(trino: TrinoClient): Promise<string[]> {
  const busy = async () =>
    (
      await trino.query(
        `SELECT query_id, coalesce(source, '') FROM system.runtime.queries ` +
          `WHERE state IN ('QUEUED', 'RUNNING') AND coalesce(source, '') <> '${BENCH_TRINO_SOURCE}'`,
      )
    ).rows.map(([id, source]) => `${String(source)}:${String(id)}`);
  const deadline = performance.now() + 120_000;
  for (let quiet = 0; quiet < 3;) {
    const last = await busy();
    quiet = last.length === 0 ? quiet + 1 : 0;
    if (performance.now() > deadline) {
      log(`Trino stayed busy with other work for 2 minutes (${last.join(', ')}); measuring anyway`);
      return last;
    }
    if (quiet < 3) await sleep(1000);
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------
// Platform helpers

/** `dp up`: installs/starts what is missing and replaces the worker when its sources changed. */
function dpUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its output goes to our stderr: stdout is reserved for the figures and the JSON line.
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), 'up'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 2, 2],
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`dp up exited with ${code}`))));
  });
}

/**
 * The mirror month, with the parameters prepareMirror asks for. The benchmark cache (bench/elt-bronze.ts)
 * holds the same month generated with the same parameters and generator version (the generator is
 * deterministic), so it is copied into the mirror when the mirror lacks it, instead of generating it again.
 */
async function seedMirrorFromBenchCache(config: PlatformConfig): Promise<boolean> {
  const dir = tlcMirrorDir(config);
  const cacheDir = benchMirrorDir(config.cacheDir);
  const [mirror, cached] = await Promise.all([readManifest(dir, MONTH), readManifest(cacheDir, MONTH)]);
  const wanted = (m: typeof mirror) => m !== undefined && m.rows === ROWS && m.seed === SEED;
  if (wanted(mirror) || !wanted(cached) || cached === undefined) return false;
  const source = tripDataFile(cacheDir, MONTH);
  if (fs.statSync(source, { throwIfNoEntry: false })?.size !== cached.bytes) return false;
  const target = tripDataFile(dir, MONTH);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${process.pid}-bench`;
  try {
    fs.copyFileSync(source, temporary);
    fs.rmSync(manifestFile(dir, MONTH), { force: true });
    fs.renameSync(temporary, target);
    fs.writeFileSync(
      `${manifestFile(dir, MONTH)}.tmp-${process.pid}`,
      `${JSON.stringify(cached, null, 2)}\n`,
    );
    fs.renameSync(`${manifestFile(dir, MONTH)}.tmp-${process.pid}`, manifestFile(dir, MONTH));
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return true;
}

async function openWorkflows(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    ids.push(`${wf.type}:${wf.workflowId}`);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------------------
// History

interface ActivitySpan {
  name: string;
  stage: string;
  attempt: number;
  outcome: 'completed' | 'failed' | 'timed out' | 'canceled' | 'open';
  scheduled: number;
  started: number;
  closed: number;
  /** The failure and its causes, for an activity that failed or timed out. */
  failure?: string;
  /** What a completed activity returned. */
  result?: unknown;
}

interface HistoryFigures {
  workflowStarted: number;
  workflowClosed: number;
  activities: ActivitySpan[];
  /** Summed time from a workflow task being scheduled to its completion. */
  workflowTaskSeconds: number;
  workflowTasks: number;
}

interface FailureLike {
  message?: string | null;
  cause?: FailureLike | null;
}

function failureChain(failure: FailureLike): string {
  const messages: string[] = [];
  for (let f: FailureLike | null | undefined = failure; f; f = f.cause)
    if (f.message) messages.push(f.message);
  return messages.join(' <- ');
}

function errorChain(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.join(' <- ');
}

export function analyseHistory(history: History): HistoryFigures {
  const events = history.events ?? [];
  const time = (e: (typeof events)[number]) => tsToMs(e.eventTime);
  let workflowStarted = NaN;
  let workflowClosed = NaN;
  const scheduled = new Map<number, { name: string; at: number }>();
  const started = new Map<number, { at: number; attempt: number }>();
  const activities: ActivitySpan[] = [];
  const workflowTasks = new Map<number, number>();
  let workflowTaskSeconds = 0;
  let workflowTaskCount = 0;
  for (const e of events) {
    const type = Number(e.eventType);
    const id = int64(e.eventId);
    if (type === EVENT.workflowStarted) workflowStarted = time(e);
    else if (type === EVENT.workflowCompleted || type === EVENT.workflowFailed) workflowClosed = time(e);
    else if (type === EVENT.workflowTaskScheduled) workflowTasks.set(id, time(e));
    else if (type === EVENT.workflowTaskCompleted) {
      const from = workflowTasks.get(int64(e.workflowTaskCompletedEventAttributes?.scheduledEventId));
      if (from !== undefined) {
        workflowTaskSeconds += (time(e) - from) / 1000;
        workflowTaskCount += 1;
      }
    } else if (type === EVENT.activityScheduled) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      scheduled.set(id, { name, at: time(e) });
    } else if (type === EVENT.activityStarted) {
      const a = e.activityTaskStartedEventAttributes;
      started.set(int64(a?.scheduledEventId), { at: time(e), attempt: a?.attempt ?? 1 });
    } else if (ACTIVITY_CLOSED.includes(type)) {
      const a =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      const scheduledId = int64(a?.scheduledEventId);
      const s = scheduled.get(scheduledId);
      const st = started.get(scheduledId);
      if (!s) continue;
      activities.push({
        name: s.name,
        stage: STAGE_OF_ACTIVITY[s.name] ?? s.name,
        attempt: st?.attempt ?? 1,
        outcome:
          type === EVENT.activityCompleted
            ? 'completed'
            : type === EVENT.activityFailed
              ? 'failed'
              : type === EVENT.activityTimedOut
                ? 'timed out'
                : 'canceled',
        scheduled: s.at,
        started: st?.at ?? time(e),
        closed: time(e),
      });
      const failure =
        e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure;
      if (failure) activities[activities.length - 1].failure = failureChain(failure);
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      if (payload) {
        try {
          activities[activities.length - 1].result = defaultPayloadConverter.fromPayload(payload);
        } catch {
          // not JSON: leave it out
        }
      }
      scheduled.delete(scheduledId);
    }
  }
  return {
    workflowStarted,
    workflowClosed,
    activities,
    workflowTaskSeconds,
    workflowTasks: workflowTaskCount,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The benchmark

interface Options {
  runs: number;
  skipBronze: boolean;
  workerPath: boolean;
  reuseLanded: boolean;
  noUp: boolean;
}

function parseArgs(args: string[]): Options {
  const options: Options = { runs: 3, skipBronze: false, workerPath: false, reuseLanded: false, noUp: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--runs') {
      options.runs = Number(args[++i]);
      if (!Number.isInteger(options.runs) || options.runs < 1)
        throw new Error('--runs needs a positive integer');
    } else if (arg === '--skip-bronze') options.skipBronze = true;
    else if (arg === '--worker-path') options.workerPath = true;
    else if (arg === '--reuse-landed') options.reuseLanded = true;
    else if (arg === '--no-up') options.noUp = true;
    else
      throw new Error(
        `unknown argument '${arg}': use [--runs N] [--skip-bronze] [--worker-path] [--reuse-landed] [--no-up]`,
      );
  }
  return options;
}

const verdict = (ok: boolean | null) => (ok === null ? '-' : ok ? 'met' : 'MISSED');
const seconds = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)} s`);

export async function eltCli(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const benchStarted = Date.now();
  const config = loadConfig();
  const e = endpoints(config);
  const trino = new TrinoClient(e.trino, { source: BENCH_TRINO_SOURCE });
  if (!(await trino.isReady())) throw new Error(`Trino is not ready at ${e.trino}: run \`dp up\` first`);

  const client = await connectClient(config);
  try {
    // 0. Fail fast if a run of the month is open (one open run per month: it would not be ours to time).
    const checkNotRunning = async () => {
      const open = await openWorkflows(client);
      if (open.some((id) => id.endsWith(`:${WORKFLOW_ID}`))) {
        throw new Error(
          `a run of ${WORKFLOW_ID} is open; wait for it (or cancel it) and run the benchmark again`,
        );
      }
      return open;
    };
    await checkNotRunning();

    // `dp up` first (fails fast), and again before the workflow if the worker's sources changed meanwhile.
    const workerPidFile = paths(config).pid('worker');
    const pidBefore = runningPid(workerPidFile);
    const workerCurrent = () => readPid(workerPidFile)?.fingerprint === componentFingerprint('worker');
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
      bronze = await benchBronzeAppend({ runs: options.runs, withWorkerPath: options.workerPath });
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
    const otherOpen = await checkNotRunning();
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
      const input: MonthlyYellowTripsInput = { month: MONTH, sourceBaseUrl };
      const handle = await client.workflow
        .start('monthlyYellowTrips', {
          workflowId: WORKFLOW_ID,
          taskQueue: config.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
        })
        .catch((err: unknown) => {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new Error(
              `a run of ${WORKFLOW_ID} was started by someone else meanwhile; run the benchmark again`,
            );
          }
          throw err;
        });
      runId = handle.firstExecutionRunId;
      log(
        `workflow ${WORKFLOW_ID} run ${runId} started (${e.temporalUi}/namespaces/${config.temporalNamespace}/workflows/${WORKFLOW_ID})`,
      );
      const stageWatch = (async () => {
        while (running) {
          try {
            const d = await handle.describe();
            const stage = d.typedSearchAttributes.get(STAGE_KEY);
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
      temporal_overhead_s: round(temporalOverhead),
      worker_peak_rss_mib: round(rss.peakMib, 0),
      rows: ROWS,
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
      dbt_build_s: dbtOutcome ? round(dbtOutcome.seconds) : null,
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
            worker_path_append_s: bronze.worker_path_append_s,
            files: bronze.files,
            counts_verified_in_trino: bronze.counts_verified_in_trino,
            trino_foreign_queries_seen: bronze.trino_foreign_queries_seen,
            versions: bronze.versions,
          }
        : null,
    };

    const row = (label: string, measured: string, target: string, met: boolean | null) =>
      `  ${label.padEnd(34)} ${measured.padStart(10)}   ${target.padEnd(12)} ${verdict(met)}`;
    const lines = [
      '',
      ...(bronze ? [...bronzeSummaryLines(bronze), ''] : []),
      `ELT benchmark, ${MONTH} (${ROWS} rows, synthetic, offline TLC mirror), workflow ${WORKFLOW_ID}:`,
      `  ${'figure'.padEnd(34)} ${'measured'.padStart(10)}   ${'target'.padEnd(12)} verdict`,
      row(
        'month end to end',
        failure ? `FAILED ${monthSeconds.toFixed(1)} s` : seconds(monthSeconds),
        '<= 120 s',
        summary.targets_met.month_end_to_end_s,
      ),
      row('bronze append (product path)', seconds(summary.bronze_append_s), '', null),
      row('pyiceberg append (baseline)', seconds(summary.pyiceberg_append_s), '', null),
      row(
        'ratio bronze/pyiceberg',
        ratio === null ? 'n/a' : ratio.toFixed(3),
        '<= 1.0',
        summary.targets_met.bronze_pyiceberg_ratio,
      ),
      row(
        'worker peak RSS (VmRSS, 250 ms)',
        `${summary.worker_peak_rss_mib} MiB`,
        '<= 1536 MiB',
        summary.targets_met.worker_peak_rss_mib,
      ),
      row('temporal overhead', seconds(summary.temporal_overhead_s), '', null),
      '',
      ...(failure
        ? [
            `  THE WORKFLOW FAILED after ${seconds(monthSeconds)}; main is unchanged. ${failure}`,
            ...(failedActivity
              ? [
                  `  failed activity: ${failedActivity.name} (attempt ${failedActivity.attempt}): ${failedActivity.failure}`,
                ]
              : []),
          ]
        : []),
      `  published on main after ${seconds(summary.published_on_main_s)}; the workflow ` +
        `${failure ? 'failed' : 'returned'} after ${seconds(monthSeconds)} (history ${seconds(historySeconds)}, ` +
        `activities ${seconds(activitySeconds)})`,
      `  Temporal overhead ${seconds(temporalOverhead)}: ${seconds(summary.temporal_overhead_in_history_s)} inside ` +
        `the workflow (activity queueing ${seconds(summary.activity_schedule_to_start_s)}, earlier attempts of ` +
        `retried activities and their backoff ${seconds(summary.retried_attempts_and_backoff_s)}, ${history.workflowTasks} ` +
        `workflow tasks ${seconds(summary.workflow_task_s)}), ${seconds(summary.client_overhead_s)} start/result calls`,
      `  worker: pid ${workerPid}, with its children (dbt) peak ${summary.worker_with_children_peak_rss_mib} MiB; VmHWM ` +
        (vmhwmFresh !== null
          ? `${vmhwmFresh} MiB (worker started by this benchmark's dp up)`
          : `n/a (worker not restarted; lifetime high-water mark ${summary.worker_vmhwm_lifetime_mib} MiB)`),
      `  fetch: ${landed ? (landed.reused ? 'reused the landed copy' : 'downloaded the month from the mirror') : '?'}` +
        `; Bronze in the workflow: ${bronzeLoad ? `${bronzeLoad.rows} rows, ${bronzeLoad.seconds.toFixed(1)} s` : '-'}` +
        `; dbt build: ${dbtOutcome ? `${dbtOutcome.seconds.toFixed(1)} s` : '-'}`,
      `  audit: ${
        result
          ? `${result.audit.passed ? 'passed' : 'FAILED'} (${result.audit.checks.length} checks): ` +
            Object.entries(result.audit.counts)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          : 'not reached'
      }; main has ${mainRows} Bronze rows for ${MONTH}`,
      '',
      '  stage              workflow s  activity s  Trino busy s  queries',
      ...stageFigures.map(
        (s) =>
          `  ${s.stage.padEnd(18)} ${(s.workflow_s === null ? '-' : s.workflow_s.toFixed(1)).padStart(10)}  ` +
          `${s.activity_s.toFixed(1).padStart(10)}  ` +
          `${s.trino_busy_s.toFixed(1).padStart(12)}  ${String(s.trino_queries).padStart(7)}`,
      ),
      '',
      '  CPU seconds during the month: ' +
        Object.entries(cpuSeconds)
          .map(([c, v]) => `${c} ${v}`)
          .join(', ') +
        `; machine ${machineCpu.toFixed(0)} of ${(2 * monthSeconds).toFixed(0)} core-s, other processes ` +
        `${otherCpu.toFixed(0)} core-s`,
      `  Trino heap used: ${summary.trino_heap_used_mib.before ?? '?'} MiB before, peak ${summary.trino_heap_used_mib.peak} MiB`,
      '  longest Trino queries of the run:',
      ...topQueries.map(
        (q) =>
          `    ${q.seconds.toFixed(1).padStart(6)} s  [${q.stage}${q.node ? ` ${q.node}` : ''}]` +
          `${q.error ? ` ${q.state} ${q.error}` : ''} ${q.sql}`,
      ),
      ...(topDbtNodes.length > 0
        ? [
            '  dbt nodes by Trino time:',
            ...topDbtNodes.map(
              (n) => `    ${n.seconds.toFixed(1).padStart(6)} s  ${n.node} (${n.queries} queries)`,
            ),
          ]
        : []),
      otherQueries.length > 0 || otherOpen.length > 0
        ? `  WARNING: other work during the month: ${otherQueries.length} other Trino queries, open workflows ` +
          `${otherOpen.join(', ') || 'none'}`
        : '  no other Trino queries and no other open workflows during the month',
      JSON.stringify(summary),
      '',
    ];
    process.stdout.write(lines.join('\n'));
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
