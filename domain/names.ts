// Names the platform's workflows, the CLI and tests agree on: workflow and schedule ids, the per-run Nessie
// branch and Trino catalog, the month's tag. Pure, so workflows can compute them too.
import { validMonth } from './months';

/** A short, SQL- and ref-safe token of a Temporal run id (hex digits of its start). */
export function runToken(runId: string, attempt: number): string {
  const hex =
    runId
      .replace(/[^0-9a-f]/gi, '')
      .toLowerCase()
      .slice(0, 10) || 'run';
  return `${hex}_${attempt}`;
}

export function runBranchName(month: string, runId: string, attempt: number): string {
  return `etl-yellow-trips-${validMonth(month)}-${runToken(runId, attempt).replace('_', '-')}`;
}

export function runCatalogName(month: string, runId: string, attempt: number): string {
  return `etl_${validMonth(month).replace('-', '_')}_${runToken(runId, attempt)}`;
}

export function publishTagName(month: string): string {
  return `yellow-trips-${validMonth(month)}`;
}

/** One open run per month: the id of a month's ELT workflow, whoever starts it (CLI, backfill, schedule). */
export function workflowIdForMonth(month: string): string {
  return `yellow-trips-${validMonth(month)}`;
}

export function backfillWorkflowId(from: string, to: string): string {
  return `yellow-trips-backfill-${validMonth(from)}-${validMonth(to)}`;
}

/** The Temporal Schedule that runs the ELT monthly, and the id of the runs it starts. */
export const SCHEDULE_ID = 'yellow-trips-monthly';
export const SCHEDULED_WORKFLOW_ID = 'yellow-trips-scheduled';

export const BRING_UP_WORKFLOW_ID = 'platform-bring-up';
