// Appends one landed month of yellow-taxi trips to the Iceberg table <catalog>.bronze.yellow_trips in the
// canonical Bronze schema, replacing that month's partition (a re-run never duplicates).
//
// How (chosen by measurement against PyIceberg, see bench/elt-bronze.ts):
//   0. hash the landed object again: it must be the file the fetch stage landed (LandedFileChanged);
//   1. read the source file's footer from the object store (a few KB): a truncated or non-Parquet file
//      fails here, naming the file, before anything changes; the footer says which year's layout it has
//      and how many rows the file holds (a file without rows is refused);
//   2. register the landed file, untouched, as the only data file of a throw-away unpartitioned Iceberg
//      staging table that has the file's own column names and types (add_files: metadata only);
//   3. DELETE the month (a metadata-only delete of one identity partition), then one
//      INSERT ... SELECT <renames, lossless casts, nulls for absent columns, lineage> FROM staging, tuned
//      for a single partition (parallel writers, no NDV sketches);
//   4. check the rows Trino wrote against the file's record count while the staging table is dropped.
// Steps 0-2 run at once with the reads of the target (its columns and snapshot) and the drop of stale
// staging tables, so their round trips overlap; nothing touches the target before all of them succeeded.
// If the INSERT fails after the DELETE (e.g. a corrupt data page that the footer check cannot see), the
// table is rolled back to its snapshot before the DELETE, unless someone else committed in between.
//
// Why not normalise the file in the worker and register the result in Bronze directly? Trino's add_files
// refuses partitioned tables ("The procedure does not support partitioned tables", Trino 476) and
// add_files_from_table needs a Hive-metastore catalog, so files written by the worker would still have to
// be copied into the partitioned table by Trino: all of this path's Trino work plus a read, normalise,
// write and upload in the worker. Measured on the 2-core machine, 4,145,257 rows: this path ~8 s (worker
// RSS ~150 MiB), normalising in the worker ~23 s (RSS ~600 MiB), PyIceberg baseline ~13 s (RSS ~4.4 GiB).
//
// One month must not be loaded into the same table by two runs at once (the Temporal workflow id per
// month prevents it); if it happens anyway, the row-count check after the INSERT fails the later run.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client, type ObjectStoreAccess } from '../../../clients/s3';
import { BRONZE_COLUMNS } from '../../../domain/bronze-schema';
import { readParquetFooter, type ParquetFooter } from './parquet-footer';
import { InvalidSourceFile } from '../invalid-source-file';
import {
  createBronzeTableSql,
  createStagingTableSql,
  deleteMonthSql,
  insertFromStagingSql,
  metadataTable,
  planSource,
  qualified,
  tableRef,
  type Lineage,
  type SourcePlan,
  type TableRef,
} from './sql';
import { sqlString, TrinoClient, TrinoQueryError, type QueryProgress } from '../../../clients/trino';
import {
  BronzeInputError,
  validateBucket,
  validateFileName,
  validateMonth,
  validateRunId,
  validateSha256,
  validateSourceKey,
} from './validate';

export interface AppendBronzeOptions {
  trinoUrl: string;
  /** Trino catalog, possibly bound to a Nessie branch (e.g. lakehouse_etl_2025_03). */
  catalog: string;
  s3: ObjectStoreAccess;
  bucket: string;
  /** Key of the landed source Parquet, e.g. landing/yellow/2025-03/<run>/yellow_tripdata_2025-03.parquet. */
  sourceKey: string;
  /** 'YYYY-MM': the partition replaced. */
  month: string;
  /** File name recorded in lineage, e.g. yellow_tripdata_2025-03.parquet. */
  sourceFile: string;
  /** The landed file's SHA-256 as the fetch stage computed it: the object is hashed again and must match. */
  sourceSha256: string;
  /** The landed file's size as the fetch stage saw it; checked too when given. */
  sourceBytes?: number;
  /** The Temporal run that loads the rows. */
  runId: string;
  /** Called at every step and about once a second while Trino works: heartbeat from it. */
  onProgress?: (message: string) => void;
  /** Target schema and table; default bronze.yellow_trips. */
  schema?: string;
  table?: string;
  /** Create the table (and schema) when missing; default true. */
  createTable?: boolean;
  /** Parallel table writers in Trino for the month's partition; default 2. */
  writers?: number;
  /** X-Trino-Source of the statements (shows in Trino's query list); default 'dp-bronze'. */
  trinoSource?: string;
  /** Cancels the running statement and stops the load when aborted (an activity's cancellation). */
  signal?: AbortSignal;
  /** Accept a source file without rows (it empties the month); default false: such a file is refused. */
  allowEmptySource?: boolean;
}

export interface AppendBronzeResult {
  /** Rows now in the month's partition (= rows in the source file). */
  rows: number;
  /** Data files of the month's partition. */
  files: number;
  seconds: number;
  /** Rows of the month that were there before and were replaced. */
  replacedRows: number;
}

interface Context {
  trino: TrinoClient;
  s3: S3Client;
  target: TableRef;
  month: string;
  /** s3:// location of the source file, for messages. */
  source: string;
  allowEmptySource: boolean;
  log: (message: string) => void;
  queryProgress: (label: string) => (progress: QueryProgress) => void;
}

const STAGING_PREFIX = 'bronze_stage_';

/** The landed object is not the file the fetch stage landed (overwritten since): loading it would lie. */
export class LandedFileChanged extends InvalidSourceFile {
  override name = 'LandedFileChanged';
}

/**
 * Hashes the landed object again (streaming) and compares it with what the fetch stage recorded, so Bronze
 * never loads bytes other than the ones whose hash it writes as the rows' lineage.
 */
async function checkLandedObject(
  client: S3Client,
  bucket: string,
  key: string,
  month: string,
  expected: { sha256: string; bytes?: number },
): Promise<void> {
  const location = `s3://${bucket}/${key}`;
  let body: Readable;
  let size: number | undefined;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    body = object.Body as Readable;
    size = object.ContentLength;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new Error(`source file ${location} does not exist`, { cause: error });
    throw error;
  }
  const again = `Nothing was loaded. Run the month again (dp elt run --month ${month}) to land it anew.`;
  if (expected.bytes !== undefined && size !== undefined && size !== expected.bytes) {
    body.destroy();
    throw new LandedFileChanged(
      `${location} changed after it was landed: it has ${size} bytes, the landing recorded ` +
        `${expected.bytes}. ${again}`,
    );
  }
  const hash = createHash('sha256');
  await pipeline(body, hash);
  const actual = hash.digest('hex');
  if (actual !== expected.sha256) {
    throw new LandedFileChanged(
      `${location} changed after it was landed: its sha256 is ${actual}, the landing recorded ` +
        `${expected.sha256}. ${again}`,
    );
  }
}

/** Trino could not decode the source's data although its footer was fine: the file is corrupt. */
export class CorruptSourceDataError extends InvalidSourceFile {}

/** Failures of Trino's Parquet reader on bad bytes, as opposed to transient ones (network, memory). */
function isCorruptDataError(error: unknown): boolean {
  if (!(error instanceof TrinoQueryError)) return false;
  if (error.errorName === 'ICEBERG_BAD_DATA') return true;
  return /org\.apache\.parquet\.format|PageHeader|Malformed Parquet|corrupt|decompress/i.test(error.message);
}

function stagingPrefix(month: string): string {
  return `${STAGING_PREFIX}${month.replace('-', '_')}_`;
}

function asNumber(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`unexpected ${what}: ${String(value)}`);
  return n;
}

/** Columns of the target as Trino sees them; empty when the table does not exist. */
async function tableColumns(ctx: Context, ref: TableRef): Promise<Map<string, string>> {
  const rows = await ctx.trino.queryObjects<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM ${ref.catalog}.information_schema.columns ` +
      `WHERE table_schema = ${sqlString(ref.schema)} AND table_name = ${sqlString(ref.table)}`,
  );
  return new Map(rows.map((r) => [r.column_name, r.data_type]));
}

async function ensureTarget(ctx: Context, create: boolean): Promise<void> {
  let columns = await tableColumns(ctx, ctx.target);
  if (columns.size === 0) {
    if (!create) throw new Error(`table ${qualified(ctx.target)} does not exist`);
    ctx.log(`creating ${qualified(ctx.target)}`);
    await ctx.trino.query(`CREATE SCHEMA IF NOT EXISTS ${ctx.target.catalog}.${ctx.target.schema}`);
    await ctx.trino.query(createBronzeTableSql(ctx.target));
    columns = await tableColumns(ctx, ctx.target);
  }
  const problems = BRONZE_COLUMNS.filter((c) => columns.get(c.name) !== c.type).map((c) =>
    columns.has(c.name) ? `${c.name} is ${columns.get(c.name)}, expected ${c.type}` : `${c.name} is missing`,
  );
  if (problems.length > 0) {
    throw new Error(`${qualified(ctx.target)} is not in the canonical Bronze schema: ${problems.join('; ')}`);
  }
}

async function currentSnapshot(ctx: Context): Promise<string | undefined> {
  const rows = await ctx.trino.query(
    `SELECT value FROM ${metadataTable(ctx.target, 'properties')} WHERE key = 'current-snapshot-id'`,
  );
  const value = rows.rows[0]?.[0];
  return typeof value === 'string' && /^-?\d+$/.test(value) ? value : undefined;
}

/** Drops staging tables of this month left by runs that crashed (never another month's, nor `own`). */
async function dropStaleStaging(ctx: Context, own: string): Promise<void> {
  const prefix = stagingPrefix(ctx.month);
  const rows = await ctx.trino.query(
    `SELECT table_name FROM ${ctx.target.catalog}.information_schema.tables ` +
      `WHERE table_schema = ${sqlString(ctx.target.schema)} AND table_name LIKE ${sqlString(`${STAGING_PREFIX}%`)}`,
  );
  for (const [name] of rows.rows) {
    if (typeof name === 'string' && name !== own && name.startsWith(prefix) && /^[a-z0-9_]+$/.test(name)) {
      ctx.log(`dropping stale staging table ${name}`);
      await ctx.trino.query(`DROP TABLE IF EXISTS ${ctx.target.catalog}.${ctx.target.schema}.${name}`);
    }
  }
}

async function addFiles(ctx: Context, staging: TableRef, location: string): Promise<void> {
  try {
    await ctx.trino.query(
      `ALTER TABLE ${qualified(staging)} EXECUTE add_files(location => ${sqlString(location)}, format => 'PARQUET')`,
    );
  } catch (error) {
    if (error instanceof TrinoQueryError && /add_files procedure is disabled/i.test(error.message)) {
      throw new Error(
        `catalog ${staging.catalog} does not allow add_files: create it with ` +
          `iceberg.add-files-procedure.enabled=true (as lib/catalog.ts does)`,
        { cause: error },
      );
    }
    throw error;
  }
}

function insertSession(catalog: string, writers: number): Record<string, string> {
  // One month = one partition value. Trino's default routes a partition to a single writer thread and
  // computes NDV sketches for every column: both made the INSERT 3-5x slower here. The writers run in the
  // stage that reads the file instead of behind an exchange that serializes every row once more
  // (redistribute_writes; README, Benchmarks).
  return {
    redistribute_writes: 'false',
    use_preferred_write_partitioning: 'false',
    scale_writers: 'false',
    task_scale_writers_enabled: 'false',
    task_min_writer_count: String(writers),
    [`${catalog}.collect_extended_statistics_on_write`]: 'false',
  };
}

/** The snapshot a snapshot was committed on (undefined for the table's first). */
async function parentSnapshot(ctx: Context, snapshot: string): Promise<string | undefined> {
  const rows = await ctx.trino.query(
    `SELECT CAST(parent_id AS varchar) FROM ${metadataTable(ctx.target, 'snapshots')} ` +
      `WHERE snapshot_id = ${snapshot}`,
  );
  const value = rows.rows[0]?.[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * DELETE the month, then INSERT; if the INSERT fails, roll back to `before` (the table's snapshot before the
 * DELETE) when the DELETE's snapshot was committed on it and nobody has committed since. Returns [rows
 * replaced, rows inserted].
 */
async function replaceMonth(
  ctx: Context,
  before: string | undefined,
  insertSql: string,
  writers: number,
): Promise<[number, number]> {
  const deleted = await ctx.trino.query(`${deleteMonthSql(ctx.target, ctx.month)}`);
  const replaced = deleted.updateCount ?? 0;
  ctx.log(`deleted ${replaced} earlier rows of ${ctx.month}; inserting`);
  // The DELETE's snapshot is read while the INSERT runs: the INSERT commits only at its end, seconds later.
  const afterDelete = currentSnapshot(ctx).catch(() => undefined);
  try {
    const inserted = await ctx.trino.query(insertSql, {
      session: insertSession(ctx.target.catalog, writers),
      onProgress: ctx.queryProgress('INSERT'),
    });
    return [replaced, inserted.updateCount ?? 0];
  } catch (error) {
    // Cancelled: the retry (or the run's cleanup) takes it from here; no statement can run now anyway.
    if (ctx.trino.cancelled) throw error;
    const corrupt = isCorruptDataError(error);
    const fail = (text: string) =>
      corrupt ? new CorruptSourceDataError(text, { cause: error }) : new Error(text, { cause: error });
    const message = corrupt
      ? `${ctx.source} has unreadable data (corrupt Parquet pages?): ${(error as Error).message}`
      : (error as Error).message;
    const deleteSnapshot = await afterDelete;
    if (before === undefined || deleteSnapshot === before) {
      throw fail(`loading ${ctx.month} into ${qualified(ctx.target)} failed: ${message}`);
    }
    const [now, parent] = await Promise.all([
      currentSnapshot(ctx).catch(() => undefined),
      deleteSnapshot === undefined ? undefined : parentSnapshot(ctx, deleteSnapshot).catch(() => undefined),
    ]);
    if (now !== deleteSnapshot || parent !== before) {
      throw fail(
        `loading ${ctx.month} into ${qualified(ctx.target)} failed after its earlier rows were deleted, and ` +
          `the table changed around the load, so it was not rolled back (re-run the load): ${message}`,
      );
    }
    await ctx.trino.query(`ALTER TABLE ${qualified(ctx.target)} EXECUTE rollback_to_snapshot(${before})`);
    throw fail(
      `loading ${ctx.month} into ${qualified(ctx.target)} failed; the table was rolled back to its state ` +
        `before the load: ${message}`,
    );
  }
}

async function monthStats(ctx: Context): Promise<{ rows: number; files: number }> {
  const [result, counted] = await Promise.all([
    ctx.trino.query(
      `SELECT count(*), coalesce(sum(record_count), 0) FROM ${metadataTable(ctx.target, 'files')} ` +
        `WHERE content = 0 AND partition.source_month = ${sqlString(ctx.month)}`,
    ),
    ctx.trino.query(
      `SELECT count(*) FROM ${qualified(ctx.target)} WHERE source_month = ${sqlString(ctx.month)}`,
    ),
  ]);
  const files = asNumber(result.rows[0]?.[0], 'file count');
  const rows = asNumber(counted.rows[0]?.[0], 'row count');
  return { rows, files };
}

/** A month file without rows would silently empty the month: refuse it unless asked not to. */
function checkSourceRows(ctx: Context, rows: number): void {
  if (rows === 0 && !ctx.allowEmptySource) {
    throw new InvalidSourceFile(
      `${ctx.source} has no rows: refusing to empty month ${ctx.month}. Check the source file, then run ` +
        'the month again.',
    );
  }
}

function newStagingRef(ctx: Context): TableRef {
  return {
    catalog: ctx.target.catalog,
    schema: ctx.target.schema,
    table: `${stagingPrefix(ctx.month)}${randomBytes(4).toString('hex')}`,
  };
}

interface Staged {
  footer: ParquetFooter;
  plan: SourcePlan;
  /** The target's current snapshot before the load (undefined for a table without one). */
  before: string | undefined;
}

/**
 * Everything before the DELETE, at once: the hash and the footer (reads), the target's columns and snapshot,
 * stale staging tables, and the staging table (throw-away) registered as soon as the footer is read. A
 * changed object is reported as such first, then a bad file, then anything else.
 */
async function prepare(
  ctx: Context,
  landed: { bucket: string; key: string; sha256: string; bytes?: number },
  staging: TableRef,
  createTable: boolean,
): Promise<Staged> {
  const staged = readParquetFooter(ctx.s3, landed.bucket, landed.key).then(async (footer) => {
    const plan = planSource(footer.location, footer.columns);
    checkSourceRows(ctx, footer.rows);
    if (plan.missing.length > 0) ctx.log(`absent in this file, loaded as null: ${plan.missing.join(', ')}`);
    if (plan.ignored.length > 0) ctx.log(`columns not in Bronze, ignored: ${plan.ignored.join(', ')}`);
    await ctx.trino.query(createStagingTableSql(staging, plan));
    await addFiles(ctx, staging, footer.location);
    ctx.log(`staged ${footer.location} (${footer.rows} rows) as ${staging.table}`);
    return { footer, plan };
  });
  const [hashed, stagedFile, before, stale] = await Promise.allSettled([
    checkLandedObject(ctx.s3, landed.bucket, landed.key, ctx.month, landed),
    staged,
    ensureTarget(ctx, createTable).then(() => currentSnapshot(ctx)),
    dropStaleStaging(ctx, staging.table),
  ]);
  if (hashed.status === 'rejected') throw hashed.reason;
  if (stagedFile.status === 'rejected') throw stagedFile.reason;
  if (before.status === 'rejected') throw before.reason;
  if (stale.status === 'rejected') throw stale.reason;
  return { ...stagedFile.value, before: before.value };
}

/** Appends one month to Bronze, replacing that month's rows. See the top of this file. */
export async function appendBronzeMonth(opts: AppendBronzeOptions): Promise<AppendBronzeResult> {
  const started = performance.now();
  const month = validateMonth(opts.month);
  const bucket = validateBucket(opts.bucket);
  const sourceKey = validateSourceKey(opts.sourceKey);
  const lineage: Lineage = {
    month,
    sourceFile: validateFileName(opts.sourceFile),
    sourceSha256: validateSha256(opts.sourceSha256),
    runId: validateRunId(opts.runId),
    ingestedAt: new Date(),
  };
  const target = tableRef(opts.catalog, opts.schema, opts.table);
  const writers = opts.writers ?? 2;
  if (!Number.isInteger(writers) || writers < 1 || writers > 64) {
    throw new BronzeInputError(`writers must be an integer in 1..64, got ${writers}`);
  }

  if (opts.sourceBytes !== undefined && (!Number.isSafeInteger(opts.sourceBytes) || opts.sourceBytes < 0)) {
    throw new BronzeInputError(`sourceBytes must be a non-negative integer, got ${opts.sourceBytes}`);
  }

  const trinoSource = opts.trinoSource ?? 'dp-bronze';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(trinoSource)) {
    throw new BronzeInputError(`invalid trinoSource ${JSON.stringify(trinoSource)}`);
  }

  const log = (message: string) => opts.onProgress?.(`bronze ${month}: ${message}`);
  let lastProgress = 0;
  const ctx: Context = {
    trino: new TrinoClient(opts.trinoUrl, { user: 'dp', source: trinoSource, signal: opts.signal }),
    s3: s3Client(opts.s3),
    target,
    month,
    source: `s3://${bucket}/${sourceKey}`,
    allowEmptySource: opts.allowEmptySource ?? false,
    log,
    queryProgress: (label) => (progress) => {
      const now = performance.now();
      if (now - lastProgress < 1000) return;
      lastProgress = now;
      log(
        `${label} ${progress.state}, ${progress.processedRows} rows read, ${Math.round(progress.elapsedMs / 1000)}s`,
      );
    },
  };
  const staging = newStagingRef(ctx);
  const dropStaging = () =>
    ctx.trino.query(`DROP TABLE IF EXISTS ${qualified(staging)}`).catch(() => undefined);
  let stagingDropped = false;
  try {
    log(`checking ${sourceKey}`);
    const { footer, plan, before } = await prepare(
      ctx,
      { bucket, key: sourceKey, sha256: lineage.sourceSha256, bytes: opts.sourceBytes },
      staging,
      opts.createTable ?? true,
    );
    const [replacedRows, inserted] = await replaceMonth(
      ctx,
      before,
      insertFromStagingSql(target, staging, plan, lineage),
      writers,
    );
    // The staging table is not needed for the checks: drop it while they run.
    stagingDropped = true;
    const [stats] = await Promise.all([monthStats(ctx), dropStaging()]);
    const expected = footer.rows;
    if (inserted !== expected || stats.rows !== expected) {
      throw new Error(
        `row count check failed for ${month} in ${qualified(target)}: the file has ${expected} rows, ` +
          `the INSERT wrote ${inserted}, the partition now holds ${stats.rows} (was another load of ` +
          `this month running at the same time? re-run it)`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    log(`loaded ${stats.rows} rows in ${stats.files} files (${seconds.toFixed(1)}s)`);
    return { rows: stats.rows, files: stats.files, seconds, replacedRows };
  } finally {
    if (!stagingDropped) await dropStaging();
    ctx.s3.destroy();
  }
}
