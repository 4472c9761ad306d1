// The Bronze append against the real platform: months of the three TLC layouts (2025, 2024, 2023) land in
// the object store, are appended into a fresh table, and every figure checked in Trino is computed here
// independently from the Parquet files themselves.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DataType, tableFromIPC, type Table } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import {
  appendBronzeMonth,
  LandedFileChanged,
  type AppendBronzeOptions,
} from '../../../activities/elt/bronze/append';
import type { ParquetColumn } from '../../../activities/elt/bronze/parquet-footer';
import { planSource, SourceSchemaError } from '../../../activities/elt/bronze/sql';
import { BronzeInputError } from '../../../activities/elt/bronze/validate';
import { s3Client } from '../../../clients/s3';
import { TrinoClient } from '../../../clients/trino';
import { ensureS3Credentials } from '../../../platform/local/credentials';
import { ensureMirrorMonth } from '../../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../../lib/config';

const ROWS = 20_000;
const MONTHS = [
  { month: '2025-02', family: '2025' },
  { month: '2024-06', family: '2024' },
  { month: '2023-01', family: '2023' }, // GZIP, lower-case airport_fee, double passenger_count
] as const;

interface Expected {
  rows: number;
  fareSum: number;
  nullPassengers: number;
  airportFeeSum: number;
  cbdNonNull: number;
  cbdSum: number;
  vendorSum: number;
  pickupLocationSum: number;
  storeAndForwardY: number;
  minPickup: string;
  maxDropoff: string;
}

interface Landed {
  month: string;
  family: string;
  file: string;
  key: string;
  sha256: string;
  expected: Expected;
}

/** Independent reading of a whole (small) source file with parquet-wasm + apache-arrow. */
function readWhole(file: string): Table {
  return tableFromIPC(parquet.readParquet(fs.readFileSync(file)).intoIPCStream());
}

function column(table: Table, ...names: string[]) {
  for (const name of names) {
    const vector = table.getChild(name);
    if (vector) return vector;
  }
  return undefined;
}

function sum(table: Table, ...names: string[]): number {
  const vector = column(table, ...names);
  let total = 0;
  if (!vector) return total;
  for (const value of vector) if (value !== null && value !== undefined) total += Number(value);
  return total;
}

function nulls(table: Table, name: string): number {
  const vector = column(table, name);
  if (!vector) return table.numRows;
  let count = 0;
  for (const value of vector) if (value === null) count++;
  return count;
}

/** Trino's text for a timestamp(6): '2025-02-01 00:00:00.000000'. */
function trinoTimestamp(epochMicros: bigint): string {
  const date = new Date(Number(epochMicros / 1000n));
  const micros = String(epochMicros % 1_000_000n).padStart(6, '0');
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${micros}`;
}

function extremum(table: Table, name: string, pick: 'min' | 'max'): string {
  const vector = column(table, name);
  if (!vector || !DataType.isTimestamp(vector.type)) throw new Error(`${name} is not a timestamp column`);
  let best: bigint | undefined;
  for (const value of vector.data.flatMap((d) => Array.from(d.values as BigInt64Array))) {
    if (best === undefined || (pick === 'min' ? value < best : value > best)) best = value;
  }
  if (best === undefined) throw new Error(`${name} is empty`);
  return trinoTimestamp(best);
}

function expectationsOf(file: string): Expected {
  const table = readWhole(file);
  let storeAndForwardY = 0;
  for (const value of column(table, 'store_and_fwd_flag') ?? []) if (value === 'Y') storeAndForwardY++;
  const cbd = column(table, 'cbd_congestion_fee');
  return {
    rows: table.numRows,
    fareSum: sum(table, 'fare_amount'),
    nullPassengers: nulls(table, 'passenger_count'),
    airportFeeSum: sum(table, 'Airport_fee', 'airport_fee'),
    cbdNonNull: cbd ? table.numRows - nulls(table, 'cbd_congestion_fee') : 0,
    cbdSum: sum(table, 'cbd_congestion_fee'),
    vendorSum: sum(table, 'VendorID'),
    pickupLocationSum: sum(table, 'PULocationID'),
    storeAndForwardY,
    minPickup: extremum(table, 'tpep_pickup_datetime', 'min'),
    maxDropoff: extremum(table, 'tpep_dropoff_datetime', 'max'),
  };
}

const config = loadConfig();
const e = endpoints(config);
const credentials = ensureS3Credentials(paths(config).secrets);
const trino = new TrinoClient(e.trino, { source: 'dp-test' });
const suffix = randomBytes(4).toString('hex');
const SCHEMA = 'bronze';
const TABLE = `yellow_trips_it_${suffix}`;
const QUALIFIED = `${config.catalog}.${SCHEMA}.${TABLE}`;
const LANDING = `it-landing/${suffix}/yellow`;

let mirrorDir: string;
let s3: S3Client;
const landed = new Map<string, Landed>();
const uploadedKeys: string[] = [];

async function upload(key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: config.warehouseBucket, Key: key, Body: body }));
  uploadedKeys.push(key);
}

function options(month: string, key: string, sha256: string, runId: string): AppendBronzeOptions {
  return {
    trinoUrl: e.trino,
    catalog: config.catalog,
    schema: SCHEMA,
    table: TABLE,
    s3: { endpoint: e.s3, ...credentials },
    bucket: config.warehouseBucket,
    sourceKey: key,
    month,
    sourceFile: path.basename(key),
    sourceSha256: sha256,
    runId,
  };
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function one<T = Record<string, unknown>>(sql: string): Promise<T> {
  const rows = await trino.queryObjects<T>(sql);
  if (rows.length !== 1) throw new Error(`expected one row from ${sql}, got ${rows.length}`);
  return rows[0];
}

async function countsByMonth(): Promise<Record<string, number>> {
  const rows = await trino.queryObjects<{ source_month: string; n: number }>(
    `SELECT source_month, count(*) AS n FROM ${QUALIFIED} GROUP BY source_month`,
  );
  return Object.fromEntries(rows.map((r) => [r.source_month, r.n]));
}

async function currentSnapshot(): Promise<string | undefined> {
  const rows = await trino.query(
    `SELECT value FROM ${config.catalog}.${SCHEMA}."${TABLE}$properties" WHERE key = 'current-snapshot-id'`,
  );
  return rows.rows[0]?.[0] as string | undefined;
}

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
}

/** Checks a loaded month in Trino against figures computed from its source file. */
async function checkMonth(table: string, month: string, runId: string): Promise<void> {
  const { expected, key, sha256, family } = landed.get(month)!;
  const actual = await one<Record<string, number | string | null>>(
    `SELECT count(*) AS rows, sum(fare_amount) AS fare_sum, count_if(passenger_count IS NULL) AS null_passengers,
              coalesce(sum(airport_fee), 0) AS airport_fee_sum, count(cbd_congestion_fee) AS cbd_non_null,
              coalesce(sum(cbd_congestion_fee), 0) AS cbd_sum, sum(vendor_id) AS vendor_sum,
              sum(pu_location_id) AS pickup_location_sum, count_if(store_and_fwd_flag = 'Y') AS store_and_forward_y,
              CAST(min(tpep_pickup_datetime) AS varchar) AS min_pickup,
              CAST(max(tpep_dropoff_datetime) AS varchar) AS max_dropoff,
              count(DISTINCT source_file) AS files, min(source_file) AS source_file,
              min(source_sha256) AS sha, min(run_id) AS run_id, count(DISTINCT run_id) AS run_ids,
              count_if(ingested_at IS NULL) AS no_ingested_at
       FROM ${table} WHERE source_month = '${month}'`,
  );
  expect(actual.rows).toBe(expected.rows);
  close(actual.fare_sum as number, expected.fareSum);
  expect(actual.null_passengers).toBe(expected.nullPassengers);
  close(actual.airport_fee_sum as number, expected.airportFeeSum);
  expect(expected.airportFeeSum).not.toBe(0); // the fee is read from either spelling
  expect(actual.cbd_non_null).toBe(expected.cbdNonNull);
  close(actual.cbd_sum as number, expected.cbdSum);
  if (family !== '2025') expect(actual.cbd_non_null).toBe(0);
  else expect(actual.cbd_non_null).toBe(expected.rows);
  expect(actual.vendor_sum).toBe(expected.vendorSum);
  expect(actual.pickup_location_sum).toBe(expected.pickupLocationSum);
  expect(actual.store_and_forward_y).toBe(expected.storeAndForwardY);
  expect(actual.min_pickup).toBe(expected.minPickup);
  expect(actual.max_dropoff).toBe(expected.maxDropoff);
  expect(actual).toMatchObject({
    files: 1,
    source_file: path.basename(key),
    sha: sha256,
    run_id: runId,
    run_ids: 1,
    no_ingested_at: 0,
  });
}

beforeAll(async () => {
  mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-bronze-it-'));
  s3 = s3Client({ endpoint: e.s3, ...credentials });
  for (const [index, { month, family }] of MONTHS.entries()) {
    const result = await ensureMirrorMonth(mirrorDir, month, {
      rows: ROWS,
      seed: 1000 + index,
      schema: family,
    });
    const key = `${LANDING}/yellow_tripdata_${month}.parquet`;
    await upload(key, fs.readFileSync(result.file));
    landed.set(month, {
      month,
      family,
      file: result.file,
      key,
      sha256: result.manifest.sha256,
      expected: expectationsOf(result.file),
    });
  }
});

afterAll(async () => {
  await trino.query(`DROP TABLE IF EXISTS ${QUALIFIED}`).catch(() => undefined);
  for (const key of uploadedKeys) {
    await s3
      .send(new DeleteObjectCommand({ Bucket: config.warehouseBucket, Key: key }))
      .catch(() => undefined);
  }
  s3?.destroy();
  if (mirrorDir) fs.rmSync(mirrorDir, { recursive: true, force: true });
});

describe('planSource (source layouts to the canonical schema)', () => {
  const col = (name: string, trinoType: string | undefined, arrowType = 'x'): ParquetColumn => ({
    name,
    trinoType,
    arrowType,
  });
  const layout2023 = [
    col('VendorID', 'bigint'),
    col('tpep_pickup_datetime', 'timestamp(6)'),
    col('tpep_dropoff_datetime', 'timestamp(6)'),
    col('passenger_count', 'double'),
    col('trip_distance', 'double'),
    col('RatecodeID', 'double'),
    col('store_and_fwd_flag', 'varchar'),
    col('PULocationID', 'bigint'),
    col('DOLocationID', 'bigint'),
    col('payment_type', 'bigint'),
    ...['fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge'].map((n) =>
      col(n, 'double'),
    ),
    col('total_amount', 'double'),
    col('congestion_surcharge', 'double'),
    col('airport_fee', 'double'),
  ];

  test('a 2023 layout maps by name, with cbd_congestion_fee absent (null)', () => {
    const plan = planSource('f', layout2023);
    expect(plan.missing).toEqual(['cbd_congestion_fee']);
    expect(plan.ignored).toEqual([]);
    expect(plan.columns.find((c) => c.target.name === 'airport_fee')?.source?.name).toBe('airport_fee');
  });

  test('a missing required column or a narrowing type is refused with the file named', () => {
    expect(() => planSource('s3://b/k.parquet', layout2023.slice(1))).toThrow(SourceSchemaError);
    expect(() => planSource('s3://b/k.parquet', layout2023.slice(1))).toThrow(
      /s3:\/\/b\/k\.parquet.*VendorID/,
    );
    const narrowing = layout2023.map((c) =>
      c.name === 'VendorID' ? col('VendorID', 'double', 'Float64') : c,
    );
    expect(() => planSource('f', narrowing)).toThrow(/VendorID has type Float64/);
    const ambiguous = [...layout2023, col('Airport_fee', 'double')];
    expect(() => planSource('f', ambiguous)).toThrow(/differ only in case/);
  });
});

describe('appendBronzeMonth', () => {
  test('loads months of the 2025, 2024 and 2023 layouts with values equal to the source', async () => {
    for (const { month } of MONTHS) {
      const source = landed.get(month)!;
      const progress: string[] = [];
      const result = await appendBronzeMonth({
        ...options(month, source.key, source.sha256, `run-1-${month}`),
        onProgress: (m) => progress.push(m),
      });
      expect(result.rows).toBe(source.expected.rows);
      expect(result.files).toBeGreaterThanOrEqual(1);
      expect(result.replacedRows).toBe(0);
      expect(progress.length).toBeGreaterThan(2);
    }
    for (const { month } of MONTHS) await checkMonth(QUALIFIED, month, `run-1-${month}`);
    // The landed source files are left as they were (the dropped staging table never owned them).
    for (const { key } of landed.values()) {
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: config.warehouseBucket, Key: key })),
      ).resolves.toBeDefined();
    }
    // No staging table is left behind.
    const staging = await trino.query(
      `SELECT table_name FROM ${config.catalog}.information_schema.tables ` +
        `WHERE table_schema = '${SCHEMA}' AND table_name LIKE 'bronze_stage_%'`,
    );
    expect(staging.rows.filter(([name]) => String(name).startsWith('bronze_stage_2025_02_'))).toEqual([]);
  });

  test('re-running a month replaces it: same counts, new lineage, other months untouched', async () => {
    const before = await countsByMonth();
    const source = landed.get('2025-02')!;
    const result = await appendBronzeMonth(options('2025-02', source.key, source.sha256, 'run-2-2025-02'));
    expect(result.rows).toBe(source.expected.rows);
    expect(result.replacedRows).toBe(source.expected.rows);
    expect(await countsByMonth()).toEqual(before);
    const runs = await trino.queryObjects<{ source_month: string; run_id: string; n: number }>(
      `SELECT source_month, run_id, count(*) AS n FROM ${QUALIFIED} GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(runs).toEqual([
      { source_month: '2023-01', run_id: 'run-1-2023-01', n: landed.get('2023-01')!.expected.rows },
      { source_month: '2024-06', run_id: 'run-1-2024-06', n: landed.get('2024-06')!.expected.rows },
      { source_month: '2025-02', run_id: 'run-2-2025-02', n: source.expected.rows },
    ]);
  });

  test('a truncated Parquet file fails with a clear error and leaves the table unchanged', async () => {
    const source = landed.get('2024-06')!;
    const bytes = fs.readFileSync(source.file);
    const key = `${LANDING}/truncated/yellow_tripdata_2024-06.parquet`;
    const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
    await upload(key, truncated);
    const sha256 = sha256Of(truncated); // landed as it is: the fetch stage's hash of these bytes
    const counts = await countsByMonth();
    const snapshot = await currentSnapshot();
    await expect(appendBronzeMonth(options('2024-06', key, sha256, 'run-truncated'))).rejects.toThrow(
      `s3://${config.warehouseBucket}/${key} is not a valid Parquet file`,
    );
    await expect(appendBronzeMonth(options('2024-06', key, sha256, 'run-truncated'))).rejects.toThrow(
      /truncated or corrupt/,
    );
    await expect(appendBronzeMonth(options('2024-06', key, sha256, 'run-truncated'))).rejects.toMatchObject({
      name: 'InvalidSourceFile',
    });
    expect(await currentSnapshot()).toBe(snapshot);
    expect(await countsByMonth()).toEqual(counts);
  });

  test('a file without rows is refused rather than emptying the month', async () => {
    const emptyDir = path.join(mirrorDir, 'empty');
    const empty = await ensureMirrorMonth(emptyDir, '2024-06', { rows: 0, seed: 1 });
    const key = `${LANDING}/empty/yellow_tripdata_2024-06.parquet`;
    await upload(key, fs.readFileSync(empty.file));
    const counts = await countsByMonth();
    const failure = appendBronzeMonth(options('2024-06', key, empty.manifest.sha256, 'run-empty'));
    await expect(failure).rejects.toThrow(`s3://${config.warehouseBucket}/${key} has no rows`);
    await expect(failure).rejects.toMatchObject({ name: 'InvalidSourceFile' });
    expect(await countsByMonth()).toEqual(counts);
  });

  test('a file with a valid footer but corrupt data fails and the month is rolled back', async () => {
    const source = landed.get('2024-06')!;
    const bytes = Buffer.from(fs.readFileSync(source.file));
    // Overwrite the middle of the data (between header and footer) with garbage.
    const footerLength = bytes.readUInt32LE(bytes.length - 8);
    const dataEnd = bytes.length - 8 - footerLength;
    const from = Math.floor(dataEnd * 0.3);
    bytes.fill(0xa5, from, from + Math.floor(dataEnd * 0.4));
    const key = `${LANDING}/corrupt/yellow_tripdata_2024-06.parquet`;
    await upload(key, bytes);
    const counts = await countsByMonth();
    const snapshot = await currentSnapshot();
    const failure = appendBronzeMonth(options('2024-06', key, sha256Of(bytes), 'run-corrupt'));
    await expect(failure).rejects.toThrow(/rolled back/);
    await expect(failure).rejects.toThrow(`s3://${config.warehouseBucket}/${key} has unreadable data`);
    await expect(failure).rejects.toMatchObject({ name: 'InvalidSourceFile' });
    expect(await currentSnapshot()).toBe(snapshot);
    expect(await countsByMonth()).toEqual(counts);
    const runIds = await trino.query(
      `SELECT DISTINCT run_id FROM ${QUALIFIED} WHERE source_month = '2024-06'`,
    );
    expect(runIds.rows).toEqual([['run-1-2024-06']]);
  });

  test('a landed object overwritten after the fetch is refused before anything is loaded', async () => {
    const source = landed.get('2023-01')!;
    const original = fs.readFileSync(source.file);
    const key = `${LANDING}/changed/yellow_tripdata_2023-01.parquet`;
    await upload(key, original);
    // Another valid trip file of the same month and size class replaces the landed one.
    const other = await ensureMirrorMonth(path.join(mirrorDir, 'changed'), '2023-01', {
      rows: ROWS,
      seed: 99,
      schema: '2023',
    });
    const replacement = fs.readFileSync(other.file);
    expect(sha256Of(replacement)).not.toBe(source.sha256);
    await upload(key, replacement);
    const counts = await countsByMonth();
    const snapshot = await currentSnapshot();
    const failure = appendBronzeMonth(options('2023-01', key, source.sha256, 'run-changed'));
    await expect(failure).rejects.toBeInstanceOf(LandedFileChanged);
    await expect(failure).rejects.toMatchObject({ name: 'LandedFileChanged' });
    await expect(failure).rejects.toThrow(
      `s3://${config.warehouseBucket}/${key} changed after it was landed: its sha256 is ` +
        `${sha256Of(replacement)}, the landing recorded ${source.sha256}. Nothing was loaded. ` +
        'Run the month again (dp elt run --month 2023-01)',
    );
    // A size that differs from the landing's is caught before the object is read through.
    const sized = appendBronzeMonth({
      ...options('2023-01', key, sha256Of(replacement), 'run-changed'),
      sourceBytes: replacement.length + 1,
    });
    await expect(sized).rejects.toThrow(
      `it has ${replacement.length} bytes, the landing recorded ${replacement.length + 1}`,
    );
    expect(await currentSnapshot()).toBe(snapshot);
    expect(await countsByMonth()).toEqual(counts);
  });

  test('inputs that would end up in SQL or in a key are validated before any work', async () => {
    const source = landed.get('2025-02')!;
    const good = options('2025-02', source.key, source.sha256, 'run-x');
    const bad: Partial<AppendBronzeOptions>[] = [
      { month: '2025-13' },
      { month: "2025-02' OR '1'='1" },
      { catalog: 'lakehouse; DROP TABLE x' },
      { table: 'Yellow' },
      { sourceKey: '../secrets/s3.json' },
      { sourceKey: 'landing/yellow/x.csv' },
      { sourceKey: "landing/it's.parquet" },
      { bucket: 'Warehouse_1' },
      { sourceSha256: 'abc' },
      { sourceFile: 'a/b.parquet' },
      { runId: "r'1" },
      { sourceBytes: -1 },
    ];
    for (const change of bad) {
      await expect(appendBronzeMonth({ ...good, ...change })).rejects.toThrow(BronzeInputError);
    }
    const missing = `${LANDING}/nowhere/yellow_tripdata_2025-02.parquet`;
    await expect(appendBronzeMonth(options('2025-02', missing, source.sha256, 'run-x'))).rejects.toThrow(
      /does not exist/,
    );
  });
});
