// Sequencing of the monthly ELT workflow and the backfill on a real Temporal dev server, with activities
// replaced by recorders: the Write-Audit-Publish order, waiting for an unpublished month, failure paths.
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  defineSearchAttributeKey,
  TypedSearchAttributes,
} from '@temporalio/common';
import type { EltActivities } from '../../activities/monthly-yellow-trips';
import type { AuditReport, FetchOutcome, LandedFile, PublishOutcome, RunBranch } from '../../domain/elt';
import { laggedMonth } from '../../domain/months';
import { eltProgressQuery } from '../../domain/queries';
import { monthlyYellowTrips, scheduledYellowTrips, yellowTripsBackfill } from '../../workflows';
import { runWithWorker, useTestEnvironment } from './env';
import { pollUntil } from '../../lib/time';

const env = useTestEnvironment();

function landed(month: string): LandedFile {
  return {
    month,
    bucket: 'warehouse',
    key: `landing/yellow/${month}/run/yellow_tripdata_${month}.parquet`,
    sourceFile: `yellow_tripdata_${month}.parquet`,
    sourceUrl: `http://mirror/trip-data/yellow_tripdata_${month}.parquet`,
    bytes: 1000,
    sha256: 'ab'.repeat(32),
    rows: 100,
    version: { etag: '"1"', lastModified: 'x', size: 1000 },
    reused: false,
  };
}

function report(month: string, passed: boolean): AuditReport {
  return {
    month,
    runId: 'r',
    catalog: 'c',
    passed,
    checks: [
      { name: 'bronze rows = source footer rows', passed: true, expected: '100', actual: '100' },
      { name: 'gold monthly trips = silver rows', passed, expected: '90', actual: passed ? '90' : '89' },
    ],
    counts: { bronze: 100, silver: 90, rejected: 8, duplicatesRemoved: 2, sourceFooterRows: 100 },
    failedDbtTests: [],
    auditedAt: '',
    auditedHash: 'a0a0a0a0',
  };
}

interface Script {
  fetch?: (month: string, call: number) => FetchOutcome;
  /** A stage that fails (each of its attempts), or never ends until cancelled. */
  failing?: 'bronze' | 'dbt';
  hanging?: 'bronze';
  audit?: (month: string) => AuditReport;
  publish?: (month: string, call: number) => PublishOutcome;
}

function recorder(calls: string[], script: Script = {}): EltActivities {
  const counts: Record<string, number> = {};
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  return {
    async fetchMonth({ month }) {
      calls.push(`fetch:${month}`);
      return script.fetch?.(month, count(`fetch:${month}`)) ?? { status: 'landed', file: landed(month) };
    },
    async createRunBranch({ branch, catalog }) {
      calls.push(`branch:${branch}`);
      return { branch, catalog, fromHash: 'h0' } satisfies RunBranch;
    },
    async appendBronze({ landed: l }) {
      calls.push(`bronze:${l.month}`);
      if (script.failing === 'bronze') {
        throw ApplicationFailure.nonRetryable('bronze exploded', 'BronzeBoom');
      }
      if (script.hanging === 'bronze') await hangUntilCancelled();
      return { rows: l.rows, files: 1, seconds: 1 };
    },
    async runDbt({ month }) {
      calls.push(`dbt:${month}`);
      if (script.failing === 'dbt') throw ApplicationFailure.nonRetryable('dbt exploded', 'DbtBoom');
      return { seconds: 1, passed: 10, failedTests: [] };
    },
    async audit({ landed: l }) {
      calls.push(`audit:${l.month}`);
      return script.audit?.(l.month) ?? report(l.month, true);
    },
    async publish({ month, auditedHash }) {
      calls.push(`publish:${month}@${auditedHash}`);
      return (
        script.publish?.(month, count(`publish:${month}`)) ?? {
          status: 'published',
          mainHash: 'h1',
          tag: `yellow-trips-${month}`,
        }
      );
    },
    async dropRunBranch({ run }) {
      calls.push(`drop:${run.branch}`);
    },
    async pruneExpiredAuditBranches() {
      return [];
    },
  };
}

/** Heartbeats until Temporal cancels the activity (the cancel arrives with a heartbeat's reply). */
async function hangUntilCancelled(): Promise<never> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat();
    await ctx.sleep(100); // rejects with the cancellation
  }
}

function withWorker<T>(activities: EltActivities, taskQueue: string, fn: () => Promise<T>): Promise<T> {
  return runWithWorker(env(), activities, taskQueue, fn);
}

const stages = (calls: string[]) => calls.map((c) => c.split(':')[0]);

/** Resolves once `condition` holds, checking every 10 ms; false if it still does not after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return (await pollUntil(condition, { timeoutMs, intervalMs: 10 })) === true;
}

describe('monthlyYellowTrips', () => {
  test('runs fetch, branch, bronze, dbt, audit, publish, then drops the run branch', async () => {
    const calls: string[] = [];
    const result = await withWorker(recorder(calls), 'wap', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'wap',
        workflowId: 'yellow-trips-2025-03-wap',
        args: [{ month: '2025-03' }],
      }),
    );
    expect(stages(calls)).toEqual(['fetch', 'branch', 'bronze', 'dbt', 'audit', 'publish', 'drop']);
    expect(calls[1]).toMatch(/^branch:etl-yellow-trips-2025-03-[0-9a-f]+-1$/);
    expect(result).toMatchObject({
      month: '2025-03',
      tag: 'yellow-trips-2025-03',
      attempts: 1,
      mainHash: 'h1',
    });
    const described = await env().client.workflow.getHandle('yellow-trips-2025-03-wap').describe();
    expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['YellowTripsMonth', '2025-03'],
        ['PipelineStage', 'published'],
      ]),
    );
  });

  test('waits durably for an unpublished month, checking again after the interval', async () => {
    const calls: string[] = [];
    const activities = recorder(calls, {
      fetch: (month, call) =>
        call < 3 ? { status: 'not-published', httpStatus: 404 } : { status: 'landed', file: landed(month) },
    });
    const handle = await env().client.workflow.start(monthlyYellowTrips, {
      taskQueue: 'wait',
      workflowId: 'yellow-trips-2025-11-wait',
      args: [{ month: '2025-11', sourceCheckInterval: '1 second', maxWaitDays: 5 }],
    });
    let waiting: { stage: string; detail: string } | undefined;
    const result = await withWorker(activities, 'wait', async () => {
      // While it waits (two 1-second timers), the workflow says so.
      await until(async () => {
        const p = await handle.query(eltProgressQuery);
        if (p.stage === 'waiting for source') waiting = p;
        return waiting !== undefined;
      }, 10_000);
      return handle.result();
    });
    expect(waiting?.detail).toMatch(/HTTP 404; check \d of 5/);
    expect(calls.filter((c) => c.startsWith('fetch:'))).toHaveLength(3);
    expect(result.tag).toBe('yellow-trips-2025-11');
    const history = await handle.fetchHistory();
    const timers = history.events?.filter((e) => e.timerStartedEventAttributes) ?? [];
    expect(timers).toHaveLength(2);
  });

  test('gives up with a clear error when the month stays unpublished', async () => {
    const calls: string[] = [];
    const activities = recorder(calls, { fetch: () => ({ status: 'not-published', httpStatus: 403 }) });
    const failure = await withWorker(activities, 'never', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'never',
        workflowId: 'yellow-trips-2025-12-never',
        args: [{ month: '2025-12', sourceCheckInterval: '100 milliseconds', maxWaitDays: 2 }],
      }),
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).message).toMatch(
      /2025-12 is still not published \(HTTP 403\) after 2 daily checks/,
    );
    expect(stages(calls)).toEqual(['fetch', 'fetch', 'fetch']);
  });

  test('a failed audit fails the run without publishing and keeps the branch', async () => {
    const calls: string[] = [];
    const activities = recorder(calls, { audit: (m) => report(m, false) });
    const failure = await withWorker(activities, 'audit', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'audit',
        workflowId: 'yellow-trips-2025-04-audit',
        args: [{ month: '2025-04' }],
      }),
    ).catch((err: unknown) => err);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('AuditFailed');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/gold monthly trips = silver rows \(expected 90, got 89\)/);
    expect(cause.message).toMatch(/main is unchanged/);
    expect(stages(calls)).toEqual(['fetch', 'branch', 'bronze', 'dbt', 'audit']);
    expect(calls.filter((c) => c.startsWith('drop:'))).toEqual([]);
  });

  const failingStages = [
    ['bronze', 'BronzeBoom', ['fetch', 'branch', 'bronze', 'drop']],
    ['dbt', 'DbtBoom', ['fetch', 'branch', 'bronze', 'dbt', 'drop']],
  ] as const;
  test.each(failingStages)('a failing %s drops the run branch, keeps its error', async (stage, type, seq) => {
    const calls: string[] = [];
    const failure = await withWorker(recorder(calls, { failing: stage }), `fail-${stage}`, () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: `fail-${stage}`,
        workflowId: `yellow-trips-2025-06-fail-${stage}`,
        args: [{ month: '2025-06' }],
      }),
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ActivityFailure;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect((cause.cause as ApplicationFailure).type).toBe(type);
    expect(stages(calls)).toEqual(seq);
    // The branch removed is the one the run made.
    expect(calls[calls.length - 1].replace('drop:', 'branch:')).toBe(calls[1]);
  });

  test('a cancelled run removes its run branch, and ends cancelled', async () => {
    const calls: string[] = [];
    const handle = await env().client.workflow.start(monthlyYellowTrips, {
      taskQueue: 'cancel',
      workflowId: 'yellow-trips-2025-07-cancel',
      args: [{ month: '2025-07' }],
    });
    const failure = await withWorker(recorder(calls, { hanging: 'bronze' }), 'cancel', async () => {
      expect(await until(() => calls.some((c) => c.startsWith('bronze:')), 10_000)).toBe(true);
      await handle.cancel();
      return handle.result().catch((err: unknown) => err);
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(stages(calls)).toEqual(['fetch', 'branch', 'bronze', 'drop']);
    expect(calls[3].replace('drop:', 'branch:')).toBe(calls[1]);
  });

  test('first removes expired audit branches; a failure of that does not hold up the month', async () => {
    const calls: string[] = [];
    const base = recorder(calls);
    const activities: EltActivities = {
      ...base,
      async pruneExpiredAuditBranches() {
        calls.push('prune:');
        throw ApplicationFailure.nonRetryable('Nessie is down', 'Down');
      },
    };
    const result = await withWorker(activities, 'prune', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'prune',
        workflowId: 'yellow-trips-2025-08-prune',
        args: [{ month: '2025-08' }],
      }),
    );
    expect(result.tag).toBe('yellow-trips-2025-08');
    expect(stages(calls)).toEqual(['prune', 'fetch', 'branch', 'bronze', 'dbt', 'audit', 'publish', 'drop']);
  });

  test('publishes the commit the audit read', async () => {
    const calls: string[] = [];
    const activities = recorder(calls, { audit: (m) => ({ ...report(m, true), auditedHash: 'feedbeef' }) });
    await withWorker(activities, 'audited-hash', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'audited-hash',
        workflowId: 'yellow-trips-2025-09-audited-hash',
        args: [{ month: '2025-09' }],
      }),
    );
    expect(calls).toContain('publish:2025-09@feedbeef');
  });

  test('a publish conflict redoes the work on a fresh branch, then publishes', async () => {
    const calls: string[] = [];
    const activities = recorder(calls, {
      publish: (month, call) =>
        call === 1
          ? { status: 'conflict', message: 'HTTP 409' }
          : { status: 'published', mainHash: 'h2', tag: `yellow-trips-${month}` },
    });
    const result = await withWorker(activities, 'conflict', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'conflict',
        workflowId: 'yellow-trips-2025-05-conflict',
        args: [{ month: '2025-05' }],
      }),
    );
    expect(result.attempts).toBe(2);
    const branches = calls.filter((c) => c.startsWith('branch:'));
    expect(branches).toHaveLength(2);
    expect(branches[0]).toMatch(/-1$/);
    expect(branches[1]).toMatch(/-2$/);
    expect(stages(calls)).toEqual([
      'fetch',
      ...['branch', 'bronze', 'dbt', 'audit', 'publish', 'drop'],
      ...['branch', 'bronze', 'dbt', 'audit', 'publish', 'drop'],
    ]);
  });

  test('a month before the supported schema family is refused', async () => {
    const failure = await withWorker(recorder([]), 'old', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'old',
        workflowId: 'yellow-trips-2019-01-old',
        args: [{ month: '2019-01' }],
      }),
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/Month 2019-01 is not supported: the pipeline loads 2023-01 and later/);
  });

  test("hands the fetch the run's id, so the run lands the file under a key of its own", async () => {
    const runIds: Array<string | undefined> = [];
    const activities: EltActivities = {
      ...recorder([]),
      async fetchMonth({ month, runId }) {
        runIds.push(runId);
        return { status: 'landed', file: landed(month) };
      },
    };
    const handle = await withWorker(activities, 'run-id', async () => {
      const started = await env().client.workflow.start(monthlyYellowTrips, {
        taskQueue: 'run-id',
        workflowId: 'yellow-trips-2025-05-run-id',
        args: [{ month: '2025-05' }],
      });
      await started.result();
      return started;
    });
    expect(runIds).toEqual([handle.firstExecutionRunId]);
  });

  test('hands an explicit source to the fetch, and refuses a bad one before fetching', async () => {
    const calls: string[] = [];
    const sources: unknown[] = [];
    const activities: EltActivities = {
      ...recorder(calls),
      async fetchMonth({ month, source }) {
        sources.push(source);
        return { status: 'landed', file: landed(month) };
      },
    };
    const source = { kind: 'url' as const, url: 'https://example.org/april.parquet' };
    await withWorker(activities, 'source', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'source',
        workflowId: 'yellow-trips-2025-04-source',
        args: [{ month: '2025-04', source }],
      }),
    );
    expect(sources).toEqual([source]);

    const failure = await withWorker(activities, 'bad-source', () =>
      env().client.workflow.execute(monthlyYellowTrips, {
        taskQueue: 'bad-source',
        workflowId: 'yellow-trips-2025-04-bad-source',
        args: [{ month: '2025-04', source: { kind: 'url', url: 'file:///etc/passwd' } }],
      }),
    ).catch((err: unknown) => err);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/Unsupported source URL scheme 'file:'/);
    expect(sources).toHaveLength(1);
  });
});

describe('yellowTripsBackfill', () => {
  test('runs every month as a child workflow with bounded parallelism and reports each one', async () => {
    const calls: string[] = [];
    const workflowId = 'yellow-trips-backfill-test';
    const months = 4;
    let started = 0;
    let running = 0;
    let peak = 0;
    let childrenWhileTwoRan: number | undefined;
    const base = recorder(calls, { audit: (m) => report(m, m !== '2025-02') });
    const activities: EltActivities = {
      ...base,
      async appendBronze(input) {
        const index = ++started;
        running++;
        peak = Math.max(peak, running);
        if (running === 2 && childrenWhileTwoRan === undefined) {
          // Two months in flight: a backfill bounded to 2 cannot have started a third child yet.
          const history = await env().client.workflow.getHandle(workflowId).fetchHistory();
          childrenWhileTwoRan = history.events?.filter(
            (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
          ).length;
        }
        // Each month's Bronze stage holds until the next month's has started beside it (the last one
        // runs alone), so the overlap does not hang on timing; without parallelism it gives up and the
        // peak says so.
        await until(() => started > index || started === months, 10_000);
        running--;
        return base.appendBronze(input);
      },
    };
    const result = await withWorker(activities, 'backfill', () =>
      env().client.workflow.execute(yellowTripsBackfill, {
        taskQueue: 'backfill',
        workflowId,
        args: [{ from: '2025-01', to: '2025-04', parallel: 2 }],
      }),
    );
    expect(result.months.map((m) => [m.month, m.status])).toEqual([
      ['2025-01', 'published'],
      ['2025-02', 'failed'],
      ['2025-03', 'published'],
      ['2025-04', 'published'],
    ]);
    expect(result.months[1].detail).toMatch(/Audit of 2025-02 failed/);
    expect(result).toMatchObject({ published: 3, failed: 1 });
    expect(peak).toBe(2);
    expect(childrenWhileTwoRan).toBe(2);
  });
});

describe('scheduledYellowTrips', () => {
  const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

  test('runs the month lagMonths before the scheduled time, as the child yellow-trips-YYYY-MM', async () => {
    const calls: string[] = [];
    const result = await withWorker(recorder(calls), 'scheduled', () =>
      env().client.workflow.execute(scheduledYellowTrips, {
        taskQueue: 'scheduled',
        workflowId: 'scheduled-yellow-trips-test',
        args: [{ lagMonths: 2 }],
        // What a Temporal Schedule sets: a schedule backfill starts now for a time in the past.
        typedSearchAttributes: new TypedSearchAttributes([
          { key: SCHEDULED_START_TIME, value: new Date('2024-02-01T00:00:00Z') },
        ]),
      }),
    );
    expect(result).toMatchObject({ month: '2023-12', tag: 'yellow-trips-2023-12' });
    expect(calls[0]).toBe('fetch:2023-12');
    const child = await env().client.workflow.getHandle('yellow-trips-2023-12').describe();
    expect(child.type).toBe('monthlyYellowTrips');
    expect(child.parentExecution?.workflowId).toBe('scheduled-yellow-trips-test');
  });

  test('without a scheduled time it uses the start time', async () => {
    const calls: string[] = [];
    const before = new Date();
    const result = await withWorker(recorder(calls), 'unscheduled', () =>
      env().client.workflow.execute(scheduledYellowTrips, {
        taskQueue: 'unscheduled',
        workflowId: 'scheduled-yellow-trips-now',
        args: [{ lagMonths: 3 }],
      }),
    );
    const after = new Date();
    const expected = [before, after].map((d) => laggedMonth(d, 3));
    expect(expected).toContain(result.month);
  });

  test('a scheduled time whose lagged month is before the supported family is refused', async () => {
    const failure = await withWorker(recorder([]), 'scheduled-old', () =>
      env().client.workflow.execute(scheduledYellowTrips, {
        taskQueue: 'scheduled-old',
        workflowId: 'scheduled-yellow-trips-old',
        args: [{ lagMonths: 2 }],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: SCHEDULED_START_TIME, value: new Date('2023-02-28T23:00:00Z') },
        ]),
      }),
    ).catch((err: unknown) => err);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/Month 2022-12 is not supported/);
  });
});
