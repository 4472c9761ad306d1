// Names the platform's workflows, the CLI and tests agree on: workflow and schedule ids, the per-run Nessie
// branch and Trino catalog, the month's tag. Pure, so workflows can compute them too.
import { validMonth } from './months';

/** The hex digits of the start of a Temporal run id ('run' when it has none): the run in its names. */
export function runIdHex(runId: string): string {
  return (
    runId
      .replace(/[^0-9a-f]/gi, '')
      .toLowerCase()
      .slice(0, 10) || 'run'
  );
}

/** A short, SQL- and ref-safe token of a Temporal run id and a publish attempt. */
export function runToken(runId: string, attempt: number): string {
  return `${runIdHex(runId)}_${attempt}`;
}

export function runBranchName(month: string, runId: string, attempt: number): string {
  return `etl-yellow-trips-${validMonth(month)}-${runToken(runId, attempt).replace('_', '-')}`;
}

export function runCatalogName(month: string, runId: string, attempt: number): string {
  return catalogOf(month, runIdHex(runId), attempt);
}

function catalogOf(month: string, hex: string, attempt: number): string {
  return `etl_${validMonth(month).replace('-', '_')}_${hex}_${attempt}`;
}

/** What a run branch's name says: the month, the run's token (see runToken) and the publish attempt. */
export interface RunBranchParts {
  month: string;
  /** The hex digits of the start of the run id (or 'run'). */
  runHex: string;
  attempt: number;
  /** The run's Trino catalog, named from the same parts. */
  catalog: string;
}

const RUN_BRANCH = /^etl-yellow-trips-(\d{4}-\d{2})-([0-9a-f]{1,10}|run)-([1-9]\d{0,3})$/;

/** The parts of a name made by runBranchName; undefined for any other branch. */
export function parseRunBranchName(name: string): RunBranchParts | undefined {
  const m = RUN_BRANCH.exec(name);
  if (!m) return undefined;
  const [, month, runHex, attempt] = m;
  try {
    validMonth(month);
  } catch {
    return undefined;
  }
  return {
    month,
    runHex,
    attempt: Number(attempt),
    catalog: catalogOf(month, runHex, Number(attempt)),
  };
}

/** True when the run branch (or catalog) parts were named after this Temporal run id. */
export function isRunOf(parts: Pick<RunBranchParts, 'runHex'>, runId: string): boolean {
  return runIdHex(runId) === parts.runHex;
}

/** Where the audit of a run's month is written (one report per run; a later attempt's replaces it). */
export function auditReportPrefix(month: string): string {
  return `audits/yellow_trips/${validMonth(month)}/`;
}

export function auditReportKey(month: string, runId: string): string {
  return `${auditReportPrefix(month)}${runId}.json`;
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
