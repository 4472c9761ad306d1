// Where a month's file lands in the object store: one key per workflow run, so two runs of a month (or the
// Airflow DAG, which has its own prefix) never write the same object, and which landed files of earlier runs
// may be pruned. Pure, so workflows, activities and tests agree on the names.
import { validMonth } from './months';

/** Landed files of the Temporal ELT; the Airflow DAG lands under landing/airflow/yellow instead. */
export const LANDING_PREFIX = 'landing/yellow';

/** Landed files of other runs older than this are deleted when a month is landed again (the newest stays). */
export const LANDED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

// Temporal run ids are UUIDs; tests use short names. Never '/', '.' first, or anything outside a key segment.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export class LandingKeyError extends Error {
  override name = 'LandingKeyError';
}

/** A run id that is safe as one segment of an object key; throws a LandingKeyError saying why otherwise. */
export function validLandingRunId(runId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new LandingKeyError(
      `Invalid run id ${JSON.stringify(String(runId).slice(0, 80))} for a landing key: use 1 to 128 letters, ` +
        'digits, - and _ (a Temporal run id is a UUID), starting with a letter or digit.',
    );
  }
  return runId;
}

/** The TLC's name of a month's yellow-taxi file. */
export function sourceFileName(month: string): string {
  return `yellow_tripdata_${validMonth(month)}.parquet`;
}

/** The folder of a month's landed files, one sub-folder per run (with the trailing '/'). */
export function monthLandingPrefix(month: string): string {
  return `${LANDING_PREFIX}/${validMonth(month)}/`;
}

/** landing/yellow/<month>/<runId>/yellow_tripdata_<month>.parquet */
export function landingKey(month: string, runId: string): string {
  return `${monthLandingPrefix(month)}${validLandingRunId(runId)}/${sourceFileName(month)}`;
}

/** The run that landed `key` when it is a landed file of `month` (not a .partial upload), else undefined. */
export function landingRunOf(key: string, month: string): string | undefined {
  const prefix = monthLandingPrefix(month);
  if (!key.startsWith(prefix)) return undefined;
  const [runId, file, ...rest] = key.slice(prefix.length).split('/');
  if (rest.length > 0 || file !== sourceFileName(month) || !RUN_ID.test(runId ?? '')) return undefined;
  return runId;
}

export interface LandedObject {
  key: string;
  lastModified: Date;
}

/**
 * Which objects under a month's landing folder to delete once `runId` has landed its file: those of other
 * runs (landed files and abandoned .partial uploads) older than the retention, except the newest landed
 * file of another run, kept so that an unchanged source can still be copied instead of downloaded.
 */
export function landedObjectsToPrune(
  objects: LandedObject[],
  month: string,
  runId: string,
  now: Date,
  retentionMs = LANDED_RETENTION_MS,
): string[] {
  const prefix = monthLandingPrefix(month);
  const ownFolder = `${prefix}${validLandingRunId(runId)}/`;
  const others = objects.filter((o) => o.key.startsWith(prefix) && !o.key.startsWith(ownFolder));
  const newestLanded = others
    .filter((o) => landingRunOf(o.key, month) !== undefined)
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())[0];
  const cutoff = now.getTime() - retentionMs;
  return others
    .filter((o) => o !== newestLanded && o.lastModified.getTime() < cutoff)
    .map((o) => o.key)
    .sort();
}
