// Backfill and the monthly schedule's entry point: both run months as child workflows with the ids
// `yellow-trips-YYYY-MM`, so a month is never processed twice at once and every run is visible on its own.
import { executeChild, ParentClosePolicy, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  BackfillInput,
  BackfillResult,
  MonthlyYellowTripsResult,
  MonthOutcome,
  ScheduledInput,
} from '../domain/elt';
import { laggedMonth, monthRange, supportedMonth } from '../domain/months';
import { workflowIdForMonth } from '../domain/names';
import { backfillProgressQuery } from '../domain/queries';
import { TEMPORAL_SCHEDULED_START_TIME } from '../domain/search-attributes';
import { checkedInput, monthlyYellowTrips } from './monthly-yellow-trips';

function describeFailure(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = (e as Error).cause) messages.push(e.message);
  return messages[messages.length - 1] ?? String(err);
}

export async function yellowTripsBackfill(input: BackfillInput): Promise<BackfillResult> {
  const months = checkedInput(() => monthRange(input.from, input.to).map(supportedMonth));
  const parallel = Math.max(1, Math.min(input.parallel ?? 1, 12));
  const outcomes = new Map<string, MonthOutcome>();
  setHandler(backfillProgressQuery, () =>
    months.map((m) => outcomes.get(m) ?? { month: m, status: 'pending', detail: '' }),
  );

  const queue = [...months];
  const runOne = async (month: string) => {
    outcomes.set(month, { month, status: 'running', detail: '' });
    try {
      const result: MonthlyYellowTripsResult = await executeChild(monthlyYellowTrips, {
        workflowId: workflowIdForMonth(month),
        args: [{ month, sourceBaseUrl: input.sourceBaseUrl }],
        // A backfill that is cancelled or fails stops its months too: nothing runs unseen.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      outcomes.set(month, {
        month,
        status: 'published',
        detail: `tag ${result.tag}`,
        attempts: result.attempts,
      });
    } catch (err) {
      outcomes.set(month, { month, status: 'failed', detail: describeFailure(err) });
    }
  };
  const lanes = Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    for (let month = queue.shift(); month; month = queue.shift()) await runOne(month);
  });
  await Promise.all(lanes);

  const results = months.map((m) => outcomes.get(m) as MonthOutcome);
  const failed = results.filter((r) => r.status === 'failed').length;
  return { months: results, published: results.length - failed, failed };
}

/** Started by the Temporal Schedule: works out the month from the scheduled time and runs it. */
export async function scheduledYellowTrips(input: ScheduledInput): Promise<MonthlyYellowTripsResult> {
  const info = workflowInfo();
  // The scheduled time (not the actual start) decides the month, so schedule backfills pick the right one.
  const scheduled = info.typedSearchAttributes.get(TEMPORAL_SCHEDULED_START_TIME);
  const month = checkedInput(() =>
    supportedMonth(laggedMonth(scheduled ?? new Date(info.startTime), input.lagMonths)),
  );
  return executeChild(monthlyYellowTrips, {
    workflowId: workflowIdForMonth(month),
    args: [{ month, sourceBaseUrl: input.sourceBaseUrl }],
  });
}
