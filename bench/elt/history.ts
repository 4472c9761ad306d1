// The workflow history of the run: each activity's span (scheduled, started, closed), workflow tasks.
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { tsToMs } from '@temporalio/common/lib/time';

/** The stage each activity belongs to (the workflow's own stage names). */
export const STAGE_OF_ACTIVITY: Record<string, string> = {
  fetchMonth: 'fetching',
  createRunBranch: 'branching',
  appendBronze: 'loading bronze',
  runDbt: 'transforming',
  audit: 'auditing',
  publish: 'publishing',
  dropRunBranch: 'publishing',
  pruneExpiredAuditBranches: 'fetching',
};

// History event types (temporal.api.enums.v1.EventType).
export const EVENT = {
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
export const ACTIVITY_CLOSED: readonly number[] = [
  EVENT.activityCompleted,
  EVENT.activityFailed,
  EVENT.activityTimedOut,
  EVENT.activityCanceled,
];

/** Protobuf int64 fields arrive as Long objects (or numbers). */
export function int64(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(String(value));
}

export interface ActivitySpan {
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

export interface HistoryFigures {
  workflowStarted: number;
  workflowClosed: number;
  activities: ActivitySpan[];
  /** Summed time from a workflow task being scheduled to its completion. */
  workflowTaskSeconds: number;
  workflowTasks: number;
}

export interface FailureLike {
  message?: string | null;
  cause?: FailureLike | null;
}

export function failureChain(failure: FailureLike): string {
  const messages: string[] = [];
  for (let f: FailureLike | null | undefined = failure; f; f = f.cause)
    if (f.message) messages.push(f.message);
  return messages.join(' <- ');
}

export function errorChain(err: unknown): string {
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
