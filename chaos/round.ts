// One chaos round on the local platform: start a mirror month with `dp elt run`, kill the planned component
// with SIGKILL when the workflow reaches the planned stage, recover as a user would, wait for the month to
// end, and check the invariants (checks.ts) against what main looked like before.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TrinoClient } from '../clients/trino';
import { eltProgressQuery } from '../domain/queries';
import { workflowIdForMonth } from '../domain/names';
import type { EltStage } from '../domain/elt';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../infra/local/tlc-mirror';
import { endpoints, paths, REPO_ROOT, type PlatformConfig } from '../lib/config';
import { isAlive, runningPid } from '../lib/process';
import { pollUntil, sleep } from '../lib/time';
import { probeLocal } from '../platform/local/health';
import { PLATFORM_COMPONENTS, tlcMirrorDir } from '../platform/local/services';
import { connectClient } from '../worker/connection';
import { computeReference } from '../test/support/reference-elt';
import {
  diffFromReference,
  findDuplicates,
  layerCounts,
  mainHash,
  referenceCounts,
  runLeftovers,
} from './checks';
import { stageReached, type ChaosComponent, type MonthRound } from './plan';
import type { RoundResult } from './summary';

export interface RoundSettings {
  config: PlatformConfig;
  /** Rows and seed of the generated mirror months. */
  rows: number;
  seed: number;
  /** How long the month may take to end after the kill before the round counts as hung. */
  roundTimeoutMs: number;
  /** How long a killed Trino, Nessie or object store may take to come back by itself. */
  recoveryTimeoutMs: number;
  log: (message: string) => void;
}

/** Components a user brings back with `dp up`; the others are the platform's own to restart. */
const USER_RESTARTED = new Set<string>(['worker', 'temporal']);

/** The log of the `dp` commands the harness runs, under the platform's logs. */
export function commandLog(config: PlatformConfig): string {
  return path.join(paths(config).logs, 'chaos.log');
}

/** Runs `dp <args>` on the platform at config.home (with `env` added), output appended to the chaos log. */
export function startDp(
  config: PlatformConfig,
  args: string[],
  env: Record<string, string> = {},
): ChildProcess {
  const logFile = commandLog(config);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  fs.writeSync(log, `\n==== ${new Date().toISOString()} dp ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), ...args], {
    env: { ...process.env, ...env, DP_HOME: config.home },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  return child;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** `dp up`, waited for; throws with the log's name when it fails. */
export async function dpUp(config: PlatformConfig): Promise<void> {
  const code = await exited(startDp(config, ['up']));
  if (code !== 0) throw new Error(`dp up failed (exit ${code}); see ${commandLog(config)}`);
}

/**
 * `dp up` after a kill, returning the seconds from the kill until the component's probe passed again (while
 * `dp up` goes on with the rest of the platform, which is not the component's recovery).
 */
async function dpUpTimed(
  config: PlatformConfig,
  component: ChaosComponent,
  killTime: number,
): Promise<number> {
  let finished = false;
  const up = exited(startDp(config, ['up']));
  void up.then(() => (finished = true));
  let healthyAt: number | undefined;
  while (!finished && healthyAt === undefined) {
    if ((await probeLocal(config, component)).healthy) healthyAt = Date.now();
    else await sleep(500);
  }
  const code = await up;
  if (code !== 0) throw new Error(`dp up failed (exit ${code}); see ${commandLog(config)}`);
  return ((healthyAt ?? Date.now()) - killTime) / 1000;
}

/** Brings the platform back with `dp up` when a component is unhealthy; returns the ones that were. */
export async function restoreIfNeeded(config: PlatformConfig): Promise<string[]> {
  const unhealthy: string[] = [];
  // One at a time, and a failed probe asked again after a pause: under load a probe's few seconds can run
  // out on a component that is fine.
  for (const component of PLATFORM_COMPONENTS) {
    if ((await probeLocal(config, component)).healthy) continue;
    await sleep(3000);
    if (!(await probeLocal(config, component)).healthy) unhealthy.push(component);
  }
  if (unhealthy.length > 0) await dpUp(config);
  return unhealthy;
}

/** A Temporal client that reconnects after the server went away (a killed dev server, restarted). */
class TemporalSession {
  private client: Client | undefined;
  constructor(private readonly config: PlatformConfig) {}

  async get(): Promise<Client> {
    if (!this.client) {
      this.client = await connectClient(this.config, undefined, { connectTimeoutMs: 5000 });
    }
    return this.client;
  }

  async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.connection.close().catch(() => undefined);
  }

  /** `action` with a client, reconnecting once on a failure (the second failure is the caller's). */
  async call<T>(action: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await action(await this.get());
    } catch {
      await this.reset();
      return action(await this.get());
    }
  }
}

type Outcome = { status: 'published' } | { status: 'failed'; message: string } | { status: 'hung' };

function failureText(err: unknown): string {
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
  return chain.join(': ').slice(0, 300);
}

/** SIGKILL to the component's process group (the worker's dbt, Trino's launcher and JVM go with it). */
export function kill(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

export async function runRound(settings: RoundSettings, planned: MonthRound): Promise<RoundResult> {
  const { config, log } = settings;
  const { month, component } = planned;
  const e = endpoints(config);
  const trino = new TrinoClient(e.trino, { catalog: config.catalog, source: 'dp-chaos' });
  const notes: string[] = [];
  const result = (fields: Partial<RoundResult>): RoundResult => ({
    index: planned.index,
    component,
    plannedStage: planned.stage,
    killedAt: 'not killed',
    month,
    verdict: 'dirty',
    duplicates: 0,
    leakedBranches: 0,
    notes,
    ...fields,
  });

  const hashBefore = await mainHash(e.nessieApi);
  const countsBefore = await layerCounts(trino, month);
  const session = new TemporalSession(config);
  const workflowId = workflowIdForMonth(month);
  const startedAt = Date.now();
  const elt = startDp(config, [
    'elt',
    'run',
    '--month',
    month,
    '--mirror',
    '--rows',
    String(settings.rows),
    '--seed',
    String(settings.seed),
  ]);
  try {
    // The run `dp elt run` started: the month's workflow, running, started after we launched the command.
    const runId = await findRun(session, workflowId, startedAt, elt, settings.roundTimeoutMs);
    const handle = (client: Client) => client.workflow.getHandle(workflowId, runId);
    log(`round ${planned.index}: ${month} run ${runId}; killing ${component} at '${planned.stage}'`);

    const killedAt = await waitForStage(session, handle, planned, settings.roundTimeoutMs);
    const pid = runningPid(paths(config).pid(component));
    let recoverySeconds: number | undefined;
    if (pid === undefined) {
      notes.push(`${component} was not running at the kill; nothing killed`);
    } else {
      kill(pid);
      const killTime = Date.now();
      while (isAlive(pid)) await sleep(100);
      log(`round ${planned.index}: killed ${component} (pid ${pid}) at '${killedAt}'`);
      if (USER_RESTARTED.has(component)) {
        recoverySeconds = await dpUpTimed(config, component, killTime);
      } else {
        recoverySeconds = await waitHealthy(config, component, killTime, settings.recoveryTimeoutMs);
        if (recoverySeconds === undefined) {
          notes.push(
            `${component} still dead ${settings.recoveryTimeoutMs / 1000} s after the kill (the watch did not bring it back)`,
          );
        }
      }
    }

    const outcome = await waitForEnd(session, handle, config, notes, settings.roundTimeoutMs);
    let restored = false;
    if (recoverySeconds === undefined) {
      // Restore the platform for the invariants and the next round, as `dp up` would for a user.
      await dpUp(config);
      restored = true;
      notes.push('restored with dp up');
    }
    log(`round ${planned.index}: ${month} ${outcome.status}${restored ? ' (platform restored)' : ''}`);
    const judged = await judge(outcome, runId);
    // Nothing killed is no injection: whatever the month did, the round says nothing about recovery.
    if (pid === undefined) judged.verdict = 'dirty';
    return result({ killedAt, recoverySeconds, ...judged });
  } finally {
    if (elt.exitCode === null && elt.signalCode === null) elt.kill('SIGTERM');
    await exited(elt);
    await session.reset();
  }

  async function judge(
    outcome: Outcome,
    runId: string,
  ): Promise<Pick<RoundResult, 'verdict' | 'duplicates' | 'leakedBranches'>> {
    const hashAfter = await mainHash(e.nessieApi);
    if (outcome.status === 'hung') {
      const found = await findDuplicates(trino, month, countsBefore);
      notes.push(...found.notes);
      return { verdict: 'dirty', duplicates: found.duplicates, leakedBranches: 0 };
    }
    if (outcome.status === 'failed') {
      notes.push(`failed: ${outcome.message}`);
      const found = await findDuplicates(trino, month, countsBefore);
      notes.push(...found.notes);
      const moved = hashAfter !== hashBefore;
      if (moved) notes.push(`main moved from ${hashBefore} to ${hashAfter} although the run failed`);
      const clean = !moved && found.notes.length === 0;
      return { verdict: clean ? 'clean failure' : 'dirty', duplicates: found.duplicates, leakedBranches: 0 };
    }
    const reference = await computeReference(
      tripDataFile(tlcMirrorDir(config), month),
      month,
      ZONE_LOOKUP_SEED,
    );
    const found = await findDuplicates(trino, month, referenceCounts(reference));
    const differences = await diffFromReference(trino, month, reference);
    const leftovers = await runLeftovers(e.nessieApi, trino, month, runId);
    const problems = [
      ...found.notes,
      ...differences.slice(0, 5),
      ...(differences.length > 5 ? [`... ${differences.length - 5} more differences`] : []),
      ...leftovers.map((l) => `${l} left after the publish`),
      ...(hashAfter === hashBefore ? ['published, yet main did not move'] : []),
    ];
    notes.push(...problems);
    return {
      verdict: problems.length === 0 ? 'published' : 'dirty',
      duplicates: found.duplicates,
      leakedBranches: leftovers.length,
    };
  }
}

async function findRun(
  session: TemporalSession,
  workflowId: string,
  startedAt: number,
  elt: ChildProcess,
  timeoutMs: number,
): Promise<string> {
  const runId = await pollUntil(
    async () => {
      if (elt.exitCode !== null) {
        throw new Error(`dp elt run exited (${elt.exitCode}) before its workflow started; see the chaos log`);
      }
      const description = await session
        .call((client) => client.workflow.getHandle(workflowId).describe())
        .catch(() => undefined);
      // A second earlier than our start: the server's clock and ours are the same machine's.
      return description && description.startTime.getTime() >= startedAt - 1000 && description.runId;
    },
    { timeoutMs, intervalMs: 250 },
  );
  if (runId) return runId;
  throw new Error(`the workflow ${workflowId} did not start within ${timeoutMs / 1000} s`);
}

/** Stages in workflow order; a stage a kill is aimed at counts as reached once the workflow is at or past it. */
async function waitForStage(
  session: TemporalSession,
  handle: (client: Client) => WorkflowHandle,
  planned: MonthRound,
  timeoutMs: number,
): Promise<string> {
  const reached = await pollUntil(
    async () => {
      const stage = await session
        .call((client) => handle(client).query(eltProgressQuery))
        .then((p) => p.stage as EltStage)
        .catch(() => undefined);
      if (stage !== undefined) return stageReached(stage, planned.stage) && stage;
      const status = await session
        .call(async (client) => (await handle(client).describe()).status.name)
        .catch(() => 'UNKNOWN');
      return status !== 'RUNNING' && status !== 'UNKNOWN' && 'ended';
    },
    { timeoutMs, intervalMs: 200 },
  );
  if (reached) return reached;
  throw new Error(`the month did not reach '${planned.stage}' within ${timeoutMs / 1000} s`);
}

/** Seconds from the kill until the component's probe passes again, or undefined after the timeout. */
export async function waitHealthy(
  config: PlatformConfig,
  component: ChaosComponent,
  killTime: number,
  timeoutMs: number,
): Promise<number | undefined> {
  return pollUntil(
    async () => (await probeLocal(config, component)).healthy && (Date.now() - killTime) / 1000,
    { timeoutMs: timeoutMs - (Date.now() - killTime), intervalMs: 1000 },
  );
}

/**
 * The month's outcome, waiting at most `timeoutMs`: reconnecting while Temporal is down, and bringing a
 * worker that died meanwhile back with `dp up` as a user looking at `dp status` would (noted). A month still
 * running at the deadline is terminated, so the next round starts clean, and counts as hung.
 */
async function waitForEnd(
  session: TemporalSession,
  handle: (client: Client) => WorkflowHandle,
  config: PlatformConfig,
  notes: string[],
  timeoutMs: number,
): Promise<Outcome> {
  const ended = await pollUntil(
    async (): Promise<Outcome | undefined> => {
      const status = await session
        .call(async (client) => (await handle(client).describe()).status.name)
        .catch(() => undefined);
      if (status === 'COMPLETED') return { status: 'published' };
      if (status !== undefined && status !== 'RUNNING') {
        try {
          await session.call((client) => handle(client).result());
          return { status: 'published' };
        } catch (err) {
          return { status: 'failed', message: failureText(err) };
        }
      }
      for (const c of ['temporal', 'worker'] as const) {
        if (!(await probeLocal(config, c)).healthy) {
          notes.push(`${c} was down while the month ran; dp up again`);
          await dpUp(config);
          break;
        }
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 2000 },
  );
  if (ended) return ended;
  await session
    .call((client) => handle(client).terminate('dp chaos: the month did not end in time'))
    .catch(() => undefined);
  notes.push(`the month did not end within ${timeoutMs / 1000} s after the kill; terminated`);
  return { status: 'hung' };
}
