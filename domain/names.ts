// Names of the per-run Nessie branch and Trino catalog. Pure, so workflows can compute them too.
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
