// The monthly Yellow Taxi ELT as a durable workflow, with Write-Audit-Publish on Nessie:
// fetch -> branch -> Bronze -> dbt (Silver, Gold) -> audit -> publish (one atomic merge into main).
//
// Nothing before the publish touches main. A failed audit leaves main as it was and keeps the branch for
// inspection (for the worker's DP_AUDIT_BRANCH_RETENTION_DAYS; each run first removes expired ones). A run
// that fails for any other reason, or is cancelled, removes its branch and catalog. When another run
// published the same tables first, Nessie refuses the merge; the run then
// redoes its work on a fresh branch from the new main, so concurrent months never overwrite each other.
import {
  ApplicationFailure,
  CancellationScope,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { EltActivities } from '../activities/monthly-yellow-trips';
import type {
  EltProgress,
  EltStage,
  LandedFile,
  MonthlyYellowTripsInput,
  MonthlyYellowTripsResult,
  PublishOutcome,
} from '../domain/elt';
import { supportedMonth, validMonth } from '../domain/months';
import { validMonthSource } from '../domain/month-source';
import { runBranchName, runCatalogName } from '../domain/names';
import { eltProgressQuery } from '../domain/queries';
import { PIPELINE_STAGE, YELLOW_TRIPS_MONTH } from '../domain/search-attributes';

/** Downloading ~70 MB on a slow link, or generating it on the mirror, takes minutes at worst. */
const FETCH_TIMEOUT = '30 minutes';
/** Loading and transforming one month on a 2-core machine. */
const LOAD_TIMEOUT = '45 minutes';
/** The long activities heartbeat every 5 s; a silent one is stuck or its worker is gone. */
const HEARTBEAT_TIMEOUT = '30 seconds';
const SHORT_TIMEOUT = '5 minutes';
/** How often an unpublished month is checked again. */
const SOURCE_CHECK_INTERVAL = '1 day';
const DEFAULT_MAX_WAIT_DAYS = 45;
/** Publish attempts before giving up when other runs keep publishing the same tables first. */
const MAX_PUBLISH_ATTEMPTS = 5;

// Retries ride out a restart of a component by the platform watch (a JVM takes 30-90 s to start on a loaded
// machine): 5 + 10 + 20 + 40 s, then a minute apart, about 6 minutes over ATTEMPTS tries. Non-retryable
// failures (bad input, an invalid source file, a failed audit) still fail at once.
const retry: RetryPolicy = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
/** Tries of each activity: enough for the retry interval to span a component's restart. */
const ATTEMPTS = 10;

const { fetchMonth } = proxyActivities<EltActivities>({
  startToCloseTimeout: FETCH_TIMEOUT,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { ...retry, maximumAttempts: ATTEMPTS },
});
const { appendBronze, runDbt, audit } = proxyActivities<EltActivities>({
  startToCloseTimeout: LOAD_TIMEOUT,
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { ...retry, maximumAttempts: ATTEMPTS },
});
const { createRunBranch, publish, dropRunBranch } = proxyActivities<EltActivities>({
  startToCloseTimeout: SHORT_TIMEOUT,
  retry: { ...retry, maximumAttempts: ATTEMPTS },
});

/** Housekeeping: one quick try, as a failure of it must not hold up the month. */
const { pruneExpiredAuditBranches } = proxyActivities<EltActivities>({
  startToCloseTimeout: SHORT_TIMEOUT,
  retry: { maximumAttempts: 2 },
});

/**
 * Removes a failed or cancelled attempt's branch and catalog, even while the workflow is being cancelled.
 * A failure here is logged, not thrown: the run's own failure is what the caller reports.
 */
async function removeAfterFailure(run: { branch: string; catalog: string }): Promise<void> {
  try {
    await CancellationScope.nonCancellable(() => dropRunBranch({ run }));
  } catch (err) {
    log.warn('could not remove the run branch of a failed run; `dp elt branches --prune` will', {
      branch: run.branch,
      catalog: run.catalog,
      error: (err as Error).message,
    });
  }
}

/** Bad input fails the workflow at once (a plain error would only fail, and retry, the workflow task). */
export function checkedInput<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidInput');
  }
}

export async function monthlyYellowTrips(input: MonthlyYellowTripsInput): Promise<MonthlyYellowTripsResult> {
  const month = checkedInput(() => supportedMonth(validMonth(input.month)));
  const source = checkedInput(() => (input.source ? validMonthSource(input.source) : undefined));
  const { runId } = workflowInfo();
  const progress: EltProgress = { month, stage: 'fetching', detail: '', attempt: 0 };
  setHandler(eltProgressQuery, () => progress);
  const stageSeconds: Record<string, number> = {};
  let stageStarted = Date.now();

  const enter = (stage: EltStage, detail = '') => {
    stageSeconds[progress.stage] = (stageSeconds[progress.stage] ?? 0) + (Date.now() - stageStarted) / 1000;
    stageStarted = Date.now();
    progress.stage = stage;
    progress.detail = detail;
    upsertSearchAttributes([
      { key: YELLOW_TRIPS_MONTH, value: month },
      { key: PIPELINE_STAGE, value: stage },
    ]);
  };
  enter('fetching');

  // Steps added while runs were in flight are patched, so those runs replay as they ran.
  if (patched('prune-expired-audit-branches')) {
    try {
      const removed = await pruneExpiredAuditBranches();
      if (removed.length > 0) log.info('removed expired audit branches', { removed });
    } catch (err) {
      log.warn('could not remove expired audit branches', { error: (err as Error).message });
    }
  }

  // 1. Fetch, waiting durably (a timer, not a retry storm) while the month is not published yet.
  const maxWaitDays = input.maxWaitDays ?? DEFAULT_MAX_WAIT_DAYS;
  let landed: LandedFile | undefined;
  for (let check = 0; !landed; check++) {
    const outcome = await fetchMonth({ month, baseUrl: input.sourceBaseUrl, source, runId });
    if (outcome.status === 'landed') {
      landed = outcome.file;
      break;
    }
    if (check >= maxWaitDays) {
      throw ApplicationFailure.nonRetryable(
        `${month} is still not published (HTTP ${outcome.httpStatus}) after ${maxWaitDays} daily checks. ` +
          'Run it again once TLC publishes the file.',
        'SourceNotPublished',
      );
    }
    const interval = input.sourceCheckInterval ?? SOURCE_CHECK_INTERVAL;
    enter(
      'waiting for source',
      `HTTP ${outcome.httpStatus}; check ${check + 1} of ${maxWaitDays}, next in ${interval}`,
    );
    await sleep(interval);
    enter('fetching');
  }

  // 2-6. Branch, load, transform, audit and publish; on a publish conflict, all again on a fresh branch.
  for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt++) {
    progress.attempt = attempt;
    const names = {
      branch: runBranchName(month, runId, attempt),
      catalog: runCatalogName(month, runId, attempt),
    };
    // Only a failed audit keeps its branch; any other failure, and a cancellation, removes it.
    let keepBranch = false;
    try {
      enter('branching');
      const run = await createRunBranch(names);
      enter('loading bronze', `catalog ${run.catalog} on branch ${run.branch}`);
      await appendBronze({ run, landed, runId });
      enter('transforming', 'dbt build');
      const dbt = await runDbt({ run, month });
      enter('auditing');
      const report = await audit({ run, landed, dbt, runId });
      if (!report.passed) {
        keepBranch = true;
        enter('audit failed', `branch ${run.branch} kept for inspection (Trino catalog ${run.catalog})`);
        const failed = report.checks.filter((c) => !c.passed);
        throw ApplicationFailure.nonRetryable(
          `Audit of ${month} failed; main is unchanged. Failed checks: ` +
            failed.map((c) => `${c.name} (expected ${c.expected}, got ${c.actual})`).join('; ') +
            `. Inspect branch ${run.branch} through Trino catalog ${run.catalog}; report ${report.reportLocation}.`,
          'AuditFailed',
          report,
        );
      }
      enter('publishing');
      const outcome: PublishOutcome = await publish({ run, month, runId, auditedHash: report.auditedHash });
      await dropRunBranch({ run });
      if (outcome.status === 'published') {
        enter('published', `main ${outcome.mainHash}, tag ${outcome.tag}`);
        return {
          month,
          landed,
          audit: report,
          mainHash: outcome.mainHash,
          tag: outcome.tag,
          attempts: attempt,
          stageSeconds,
        };
      }
      progress.detail = `main moved under this run (${outcome.message}); redoing on a fresh branch`;
    } catch (err) {
      if (!keepBranch && patched('remove-failed-run-branch')) await removeAfterFailure(names);
      throw err;
    }
  }
  throw ApplicationFailure.nonRetryable(
    `${month}: other runs published the same tables first ${MAX_PUBLISH_ATTEMPTS} times; run it again later.`,
    'PublishConflict',
  );
}
