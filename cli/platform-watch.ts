// The platform watch from the CLI: `dp up` (local target) starts it after the bring-up, `dp down` stops it
// before anything else (so it does not restart what `dp down` stops), `dp status` shows it and its restarts.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PlatformConfig } from '../lib/config';
import type { Reporter } from '../lib/progress';
import { connectClient } from '../worker/connection';
import {
  PLATFORM_WATCH_WORKFLOW_ID,
  type PlatformWatchState,
  type WatchRestart,
} from '../domain/platform-watch';
import { platformWatchQuery } from '../domain/queries';
import { platformWatch } from '../workflows';

/** `dp status` and `dp down` answer within this even when Temporal or the worker does not. */
const ASK_DEADLINE_MS = 5000;

export interface WatchStatus {
  running: boolean;
  /** What was found, for people: why it is not running, or how long it has watched. */
  detail: string;
  runId?: string;
  watchingSince?: string;
  lastRoundAt?: string;
  restarting?: string[];
  /** The watch's recent restarts, oldest first (empty when it could not be asked). */
  restarts: WatchRestart[];
}

/**
 * A client on a connection that gives up after a few seconds: a stopped Temporal refuses at once, so
 * `dp status` stays fast; a starved one (a loaded 2-core machine) gets a little longer to answer.
 */
function quickClient(config: PlatformConfig): Promise<Client> {
  return connectClient(config, undefined, { connectTimeoutMs: 8000 });
}

function withinDeadline<T>(client: Client, ask: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + ASK_DEADLINE_MS, ask);
}

/** The running watch's state, or undefined when there is none or it does not answer in time. */
async function askWatch(client: Client): Promise<PlatformWatchState | undefined> {
  try {
    return await withinDeadline(client, () =>
      client.workflow.getHandle(PLATFORM_WATCH_WORKFLOW_ID).query(platformWatchQuery),
    );
  } catch {
    return undefined;
  }
}

/**
 * Starts the watch, replacing a running one (so it runs this checkout's workflow code) and carrying over the
 * restarts that one recorded. Exactly one watch runs afterwards.
 */
export async function startPlatformWatch(
  client: Client,
  config: PlatformConfig,
  report: Reporter,
): Promise<void> {
  const previous = await askWatch(client);
  const handle = await client.workflow.start(platformWatch, {
    workflowId: PLATFORM_WATCH_WORKFLOW_ID,
    taskQueue: config.taskQueue,
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    args: [{ restarts: previous?.restarts ?? [], watchingSince: previous?.watchingSince }],
  });
  report(
    'watch',
    `workflow ${PLATFORM_WATCH_WORKFLOW_ID} run ${handle.firstExecutionRunId}: probes every component ` +
      'every 10 s and restarts a dead one',
  );
}

/** `dp down`: terminates the watch first. Returns what it did, for the report line. */
export async function stopPlatformWatch(config: PlatformConfig): Promise<string> {
  let client: Client;
  try {
    client = await quickClient(config);
  } catch {
    return 'not running (Temporal is not reachable)';
  }
  try {
    await withinDeadline(client, () =>
      client.workflow.getHandle(PLATFORM_WATCH_WORKFLOW_ID).terminate('dp down'),
    );
    return 'stopped';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'was not running';
    // Terminating a closed run answers "not found" too; anything else is worth saying.
    return `could not be stopped: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await client.connection.close();
  }
}

/** `dp status`: whether the watch runs, and its recent restarts. Never waits long. */
export async function platformWatchStatus(config: PlatformConfig): Promise<WatchStatus> {
  let client: Client;
  try {
    client = await quickClient(config);
  } catch (err) {
    return {
      running: false,
      detail: `Temporal not reachable: ${(err as Error).message.split('\n')[0]}`,
      restarts: [],
    };
  }
  try {
    const handle = client.workflow.getHandle(PLATFORM_WATCH_WORKFLOW_ID);
    const description = await withinDeadline(client, () => handle.describe()).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (!description) return { running: false, detail: 'not started (dp up starts it)', restarts: [] };
    if (description.status.name !== 'RUNNING') {
      const closed = description.closeTime?.toISOString() ?? '?';
      return {
        running: false,
        detail: `${description.status.name.toLowerCase()} at ${closed}; dp up starts it again`,
        runId: description.runId,
        restarts: [],
      };
    }
    const state = await askWatch(client);
    if (!state) {
      return {
        running: true,
        detail: 'running, but not answering (is the worker up?)',
        runId: description.runId,
        restarts: [],
      };
    }
    return {
      running: true,
      detail: `watching since ${state.watchingSince}, ${state.rounds} probe rounds`,
      runId: description.runId,
      watchingSince: state.watchingSince,
      lastRoundAt: state.lastRoundAt,
      restarting: state.restarting,
      restarts: state.restarts,
    };
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    return { running: false, detail: `cannot ask Temporal: ${reason}`, restarts: [] };
  } finally {
    await client.connection.close();
  }
}

/** The lines `dp status` prints under the component table. */
export function formatWatchStatus(watch: WatchStatus, shownRestarts = 10): string {
  const lines = [`watch: ${watch.running ? 'running' : 'NOT running'} (${watch.detail})`];
  if (watch.restarting?.length) lines.push(`  restarting now: ${watch.restarting.join(', ')}`);
  const recent = watch.restarts.slice(-shownRestarts);
  if (recent.length > 0) {
    lines.push(`  recent restarts (${recent.length} of ${watch.restarts.length}):`);
    for (const r of recent) {
      const took = r.secondsToHealthy === undefined ? '' : `, healthy after ${r.secondsToHealthy} s`;
      lines.push(`    ${r.at}  ${r.component}  ${r.reason} (${r.detail}) -> ${r.outcome}${took}`);
    }
  }
  return lines.join('\n');
}
