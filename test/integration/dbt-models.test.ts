// The dbt project end to end: a synthetic TLC month is loaded into Bronze, `dbt build` turns it into
// Silver and Gold, and every Silver count and every Gold row is checked against an independent in-memory
// computation of the contract (test/support/reference-elt.ts). Then: re-running a month changes nothing,
// and building another month (2024 file layout) leaves the first month's rows untouched.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrinoClient } from '../../activities/trino/client';
import { ensureMirrorMonth, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { toolPaths } from '../../infra/local/install';
import { endpoints, loadConfig, REPO_ROOT } from '../../lib/config';
import { loadBronzeViaSql } from '../support/load-bronze-sql';
import {
  compareKeys,
  computeReference,
  REJECT_REASONS,
  type DailyZoneMetric,
  type HourlyDemand,
  type MonthlySummary,
  type PaymentMix,
  type ReferenceResult,
} from '../support/reference-elt';

const config = loadConfig();
const TRINO_URL = endpoints(config).trino;
const CATALOG = config.catalog;
const DBT_DIR = path.join(REPO_ROOT, 'dbt');
const DBT_BIN = path.join(toolPaths(config.cacheDir).dbtVenv, 'bin', 'dbt');
const RELATIVE_TOLERANCE = 1e-9;

const FIRST = { month: '2025-03', rows: 30_000, seed: 20250301 };
const SECOND = { month: '2024-11', rows: 8_000, seed: 20241101 };
const TABLES = {
  bronze: `${CATALOG}.bronze.yellow_trips`,
  silver: `${CATALOG}.silver.yellow_trips`,
  rejected: `${CATALOG}.silver.yellow_trips_rejected`,
  monthlySummary: `${CATALOG}.gold.monthly_summary`,
  dailyZoneMetrics: `${CATALOG}.gold.daily_zone_metrics`,
  hourlyDemand: `${CATALOG}.gold.hourly_demand`,
  paymentMix: `${CATALOG}.gold.payment_mix`,
};

const trino = new TrinoClient(TRINO_URL, { user: 'dp-test', source: 'dbt-models.test' });

// ---------------------------------------------------------------------------------------------- dbt

interface DbtResult {
  code: number | null;
  output: string;
  summary: string;
  /** Nodes whose status is not success/pass, e.g. "test.lakehouse.x: fail". */
  failures: string[];
}

interface RunResults {
  results: Array<{ unique_id: string; status: string; message: string | null }>;
}

function runDbt(workDir: string, args: string[]): Promise<DbtResult> {
  const targetPath = path.join(workDir, 'dbt-target');
  const fullArgs = [
    ...args,
    '--profiles-dir',
    DBT_DIR,
    '--project-dir',
    DBT_DIR,
    '--target-path',
    targetPath,
    '--log-path',
    path.join(workDir, 'dbt-logs'),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DP_TRINO_HOST: config.host,
    DP_TRINO_PORT: String(config.ports.trino),
    DP_DBT_CATALOG: CATALOG,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(DBT_BIN, fullArgs, { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const summary = /Done\. PASS=.*$/m.exec(output)?.[0] ?? '(no summary line)';
      let failures: string[] = [];
      const resultsFile = path.join(targetPath, 'run_results.json');
      if (fs.existsSync(resultsFile)) {
        const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as RunResults;
        failures = results.results
          .filter((r) => !['success', 'pass'].includes(r.status))
          .map((r) => `${r.unique_id}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
      }
      resolve({ code, output, summary, failures });
    });
  });
}

async function dbtBuild(workDir: string, month: string): Promise<DbtResult> {
  const result = await runDbt(workDir, ['build', '--vars', `{month: '${month}'}`]);
  process.stderr.write(`[dbt-models] dbt build ${month}: ${result.summary}\n`);
  if (result.code !== 0 || result.failures.length > 0) {
    throw new Error(
      `dbt build for ${month} failed (exit ${result.code}): ${result.summary}\n` +
        `${result.failures.join('\n')}\n--- output (tail) ---\n${result.output.slice(-6000)}`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------- reading tables

function asNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new Error(`${what}: expected a number, got ${JSON.stringify(value)}`);
}

function asNullableNumber(value: unknown, what: string): number | null {
  return value === null || value === undefined ? null : asNumber(value, what);
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Trino returns decimals as exact text ('-12.30'): parsed to integer cents without going through a float. */
function decimalToCents(value: unknown, what: string): number {
  const text = asString(value, what);
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new Error(`${what}: not a decimal with at most 2 places: ${text}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -cents : cents;
}

function nullableCents(value: unknown, what: string): number | null {
  return value === null || value === undefined ? null : decimalToCents(value, what);
}

const monthFilter = (month: string) => `source_month = '${month}'`;

async function readMonthlySummary(month: string): Promise<MonthlySummary[]> {
  const rows = await trino.queryObjects(`SELECT * FROM ${TABLES.monthlySummary} WHERE ${monthFilter(month)}`);
  return rows.map((r) => ({
    sourceMonth: asString(r.source_month, 'source_month'),
    trips: asNumber(r.trips, 'trips'),
    passengers: asNumber(r.passengers, 'passengers'),
    distanceMiles: asNumber(r.distance_miles, 'distance_miles'),
    fareAmountCents: decimalToCents(r.fare_amount, 'fare_amount'),
    tipAmountCents: decimalToCents(r.tip_amount, 'tip_amount'),
    tollsAmountCents: decimalToCents(r.tolls_amount, 'tolls_amount'),
    totalAmountCents: decimalToCents(r.total_amount, 'total_amount'),
    cbdCongestionFeeCents: nullableCents(r.cbd_congestion_fee, 'cbd_congestion_fee'),
    avgTripMinutes: asNumber(r.avg_trip_minutes, 'avg_trip_minutes'),
  }));
}

async function readDailyZoneMetrics(month: string): Promise<DailyZoneMetric[]> {
  const rows = await trino.queryObjects(
    `SELECT source_month, CAST(pickup_date AS varchar) AS pickup_date, pickup_borough, pickup_zone, trips,
            total_amount, avg_distance, avg_fare, card_tip_rate
     FROM ${TABLES.dailyZoneMetrics} WHERE ${monthFilter(month)}`,
  );
  return rows
    .map((r) => ({
      sourceMonth: asString(r.source_month, 'source_month'),
      pickupDate: asString(r.pickup_date, 'pickup_date'),
      pickupBorough: asString(r.pickup_borough, 'pickup_borough'),
      pickupZone: asString(r.pickup_zone, 'pickup_zone'),
      trips: asNumber(r.trips, 'trips'),
      totalAmountCents: decimalToCents(r.total_amount, 'total_amount'),
      avgDistance: asNumber(r.avg_distance, 'avg_distance'),
      avgFare: asNumber(r.avg_fare, 'avg_fare'),
      cardTipRate: asNullableNumber(r.card_tip_rate, 'card_tip_rate'),
    }))
    .sort((a, b) =>
      compareKeys(
        [a.pickupDate, a.pickupBorough, a.pickupZone],
        [b.pickupDate, b.pickupBorough, b.pickupZone],
      ),
    );
}

async function readHourlyDemand(month: string): Promise<HourlyDemand[]> {
  const rows = await trino.queryObjects(`SELECT * FROM ${TABLES.hourlyDemand} WHERE ${monthFilter(month)}`);
  return rows
    .map((r) => ({
      sourceMonth: asString(r.source_month, 'source_month'),
      pickupWeekday: asNumber(r.pickup_weekday, 'pickup_weekday'),
      pickupHour: asNumber(r.pickup_hour, 'pickup_hour'),
      trips: asNumber(r.trips, 'trips'),
      avgTripMinutes: asNumber(r.avg_trip_minutes, 'avg_trip_minutes'),
    }))
    .sort((a, b) => compareKeys([a.pickupWeekday, a.pickupHour], [b.pickupWeekday, b.pickupHour]));
}

async function readPaymentMix(month: string): Promise<PaymentMix[]> {
  const rows = await trino.queryObjects(`SELECT * FROM ${TABLES.paymentMix} WHERE ${monthFilter(month)}`);
  return rows
    .map((r) => ({
      sourceMonth: asString(r.source_month, 'source_month'),
      paymentType: asNullableNumber(r.payment_type, 'payment_type'),
      paymentTypeName: asString(r.payment_type_name, 'payment_type_name'),
      trips: asNumber(r.trips, 'trips'),
      totalAmountCents: decimalToCents(r.total_amount, 'total_amount'),
      tripShare: asNumber(r.trip_share, 'trip_share'),
    }))
    .sort((a, b) => compareKeys([a.paymentType ?? -1], [b.paymentType ?? -1]));
}

interface GoldSnapshot {
  monthlySummary: MonthlySummary[];
  dailyZoneMetrics: DailyZoneMetric[];
  hourlyDemand: HourlyDemand[];
  paymentMix: PaymentMix[];
}

async function readGold(month: string): Promise<GoldSnapshot> {
  return {
    monthlySummary: await readMonthlySummary(month),
    dailyZoneMetrics: await readDailyZoneMetrics(month),
    hourlyDemand: await readHourlyDemand(month),
    paymentMix: await readPaymentMix(month),
  };
}

interface SilverCounts {
  silverRows: number;
  distinctTripIds: number;
  duplicatesRemoved: number;
  rejectedByReason: Record<string, number>;
  moneyCents: Record<string, number | null>;
}

const MONEY_COLUMNS = [
  'fare_amount',
  'extra',
  'mta_tax',
  'tip_amount',
  'tolls_amount',
  'improvement_surcharge',
  'total_amount',
  'congestion_surcharge',
  'airport_fee',
  'cbd_congestion_fee',
] as const;

async function readSilverCounts(month: string): Promise<SilverCounts> {
  const [silver] = await trino.queryObjects(
    `SELECT count(*) AS silver_rows, count(DISTINCT trip_id) AS trip_ids, coalesce(sum(source_row_count), 0) AS source_rows,
            ${MONEY_COLUMNS.map((c) => `CAST(sum(${c}) AS varchar) AS ${c}`).join(', ')}
     FROM ${TABLES.silver} WHERE ${monthFilter(month)}`,
  );
  const rejected = await trino.queryObjects(
    `SELECT reject_reason, count(*) AS n FROM ${TABLES.rejected} WHERE ${monthFilter(month)} GROUP BY 1`,
  );
  const silverRows = asNumber(silver.silver_rows, 'silver_rows');
  return {
    silverRows,
    distinctTripIds: asNumber(silver.trip_ids, 'trip_ids'),
    duplicatesRemoved: asNumber(silver.source_rows, 'source_rows') - silverRows,
    rejectedByReason: Object.fromEntries(
      rejected.map((r) => [asString(r.reject_reason, 'reject_reason'), asNumber(r.n, 'n')]),
    ),
    moneyCents: Object.fromEntries(MONEY_COLUMNS.map((c) => [c, nullableCents(silver[c], c)])),
  };
}

async function countRows(table: string, month: string): Promise<number> {
  const [row] = await trino.queryObjects(`SELECT count(*) AS n FROM ${table} WHERE ${monthFilter(month)}`);
  return asNumber(row.n, `count of ${table}`);
}

// ------------------------------------------------------------------------------------ comparisons

function close(actual: number | null, expected: number | null): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Math.abs(actual - expected) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(expected));
}

type FieldKind = 'exact' | 'approx';

/**
 * Compares row lists keyed by `key`: every row on both sides, every field exactly or within the relative
 * tolerance. Returns human-readable differences (empty when equal).
 */
function diffRows<T extends object>(
  table: string,
  actual: readonly T[],
  expected: readonly T[],
  key: (row: T) => string,
  fields: Partial<Record<keyof T & string, FieldKind>>,
): string[] {
  const differences: string[] = [];
  const actualByKey = new Map(actual.map((row) => [key(row), row]));
  const expectedByKey = new Map(expected.map((row) => [key(row), row]));
  if (actualByKey.size !== actual.length) differences.push(`${table}: duplicate keys in the table`);
  for (const [k, want] of expectedByKey) {
    const got = actualByKey.get(k);
    if (!got) {
      differences.push(`${table} ${k}: missing`);
      continue;
    }
    for (const [field, kind] of Object.entries(fields) as Array<[keyof T & string, FieldKind]>) {
      const a = got[field] as unknown;
      const e = want[field] as unknown;
      const same =
        kind === 'approx'
          ? close(a as number | null, e as number | null)
          : JSON.stringify(a) === JSON.stringify(e);
      if (!same) differences.push(`${table} ${k}: ${field} is ${String(a)}, expected ${String(e)}`);
    }
  }
  for (const k of actualByKey.keys())
    if (!expectedByKey.has(k)) differences.push(`${table} ${k}: unexpected row`);
  return differences;
}

function goldOf(reference: ReferenceResult): GoldSnapshot {
  return {
    monthlySummary: reference.monthlySummary ? [reference.monthlySummary] : [],
    dailyZoneMetrics: reference.dailyZoneMetrics,
    hourlyDemand: reference.hourlyDemand,
    paymentMix: reference.paymentMix,
  };
}

/**
 * Differences between two Gold snapshots: counts and money exactly, doubles within the relative tolerance
 * (Trino sums doubles in no fixed order, so even two runs over the same rows may differ in the last bits).
 */
function diffGold(actual: GoldSnapshot, expected: GoldSnapshot): string[] {
  return [
    ...diffRows('monthly_summary', actual.monthlySummary, expected.monthlySummary, (r) => r.sourceMonth, {
      trips: 'exact',
      passengers: 'exact',
      distanceMiles: 'approx',
      fareAmountCents: 'exact',
      tipAmountCents: 'exact',
      tollsAmountCents: 'exact',
      totalAmountCents: 'exact',
      cbdCongestionFeeCents: 'exact',
      avgTripMinutes: 'approx',
    }),
    ...diffRows(
      'daily_zone_metrics',
      actual.dailyZoneMetrics,
      expected.dailyZoneMetrics,
      (r) => `${r.sourceMonth}/${r.pickupDate}/${r.pickupBorough}/${r.pickupZone}`,
      {
        trips: 'exact',
        totalAmountCents: 'exact',
        avgDistance: 'approx',
        avgFare: 'approx',
        cardTipRate: 'approx',
      },
    ),
    ...diffRows(
      'hourly_demand',
      actual.hourlyDemand,
      expected.hourlyDemand,
      (r) => `${r.sourceMonth}/${r.pickupWeekday}/${r.pickupHour}`,
      { trips: 'exact', avgTripMinutes: 'approx' },
    ),
    ...diffRows(
      'payment_mix',
      actual.paymentMix,
      expected.paymentMix,
      (r) => `${r.sourceMonth}/${String(r.paymentType)}`,
      { paymentTypeName: 'exact', trips: 'exact', totalAmountCents: 'exact', tripShare: 'approx' },
    ),
  ];
}

function expectedRejected(reference: ReferenceResult): Record<string, number> {
  return Object.fromEntries(
    REJECT_REASONS.filter((reason) => reference.rejectedByReason[reason] > 0).map((reason) => [
      reason,
      reference.rejectedByReason[reason],
    ]),
  );
}

// ------------------------------------------------------------------------------------------- tests

interface LoadedMonth {
  month: string;
  file: string;
  reference: ReferenceResult;
}

describe('the dbt project (Bronze -> Silver -> Gold)', () => {
  let workDir: string;
  let first: LoadedMonth;
  let second: LoadedMonth;
  let firstGold: GoldSnapshot;

  async function prepare(spec: { month: string; rows: number; seed: number }): Promise<LoadedMonth> {
    const mirror = await ensureMirrorMonth(path.join(workDir, 'mirror'), spec.month, {
      rows: spec.rows,
      seed: spec.seed,
    });
    const reference = await computeReference(mirror.file, spec.month, ZONE_LOOKUP_SEED);
    const loaded = await loadBronzeViaSql(TRINO_URL, CATALOG, mirror.file, {
      sourceMonth: spec.month,
      sourceFile: path.basename(mirror.file),
      sourceSha256: mirror.manifest.sha256,
      runId: `dbt-models-test-${process.pid}`,
    });
    expect(loaded.rows).toBe(spec.rows);
    return { month: spec.month, file: mirror.file, reference };
  }

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-dbt-models-'));
    if (!fs.existsSync(DBT_BIN)) throw new Error(`dbt is not installed at ${DBT_BIN}: run dp install`);
  });

  afterAll(async () => {
    // Leave no test months behind in a platform that other tests share.
    for (const month of [FIRST.month, SECOND.month]) {
      for (const table of Object.values(TABLES)) {
        await trino.query(`DELETE FROM ${table} WHERE ${monthFilter(month)}`).catch(() => undefined);
      }
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  test('loads a mirror month into Bronze and `dbt build` passes for it', async () => {
    first = await prepare(FIRST);
    expect(await countRows(TABLES.bronze, FIRST.month)).toBe(FIRST.rows);
    // The synthetic month exercises the rules: some rows are rejected, some repeated.
    expect(first.reference.silverRows).toBeGreaterThan(FIRST.rows * 0.9);
    expect(first.reference.duplicatesRemoved).toBeGreaterThan(0);
    await dbtBuild(workDir, FIRST.month);
  }, 900_000);

  test('Silver holds exactly the valid, deduplicated rows and the rejected rows by first failed rule', async () => {
    const reference = first.reference;
    const counts = await readSilverCounts(FIRST.month);
    expect(counts.silverRows).toBe(reference.silverRows);
    expect(counts.distinctTripIds).toBe(reference.silverRows);
    expect(counts.duplicatesRemoved).toBe(reference.duplicatesRemoved);
    expect(counts.rejectedByReason).toEqual(expectedRejected(reference));
    expect(counts.moneyCents).toEqual(reference.silverMoneyCents);
    const rejected = Object.values(reference.rejectedByReason).reduce((sum, n) => sum + n, 0);
    expect(reference.silverRows + reference.duplicatesRemoved + rejected).toBe(reference.bronzeRows);
  }, 120_000);

  test('every Gold row matches the reference computation', async () => {
    firstGold = await readGold(FIRST.month);
    expect(firstGold.monthlySummary).toHaveLength(1);
    expect(firstGold.hourlyDemand).toHaveLength(7 * 24);
    expect(diffGold(firstGold, goldOf(first.reference))).toEqual([]);
  }, 120_000);

  test('re-running the same month replaces it: no duplicates, nothing changes', async () => {
    const before = await readSilverCounts(FIRST.month);
    await dbtBuild(workDir, FIRST.month);
    expect(await readSilverCounts(FIRST.month)).toEqual(before);
    expect(diffGold(await readGold(FIRST.month), firstGold)).toEqual([]);
  }, 900_000);

  test('building another month (2024 layout) leaves the first month untouched and matches its reference', async () => {
    second = await prepare(SECOND);
    await dbtBuild(workDir, SECOND.month);

    const counts = await readSilverCounts(SECOND.month);
    expect(counts.silverRows).toBe(second.reference.silverRows);
    expect(counts.distinctTripIds).toBe(second.reference.silverRows);
    expect(counts.duplicatesRemoved).toBe(second.reference.duplicatesRemoved);
    expect(counts.rejectedByReason).toEqual(expectedRejected(second.reference));
    expect(counts.moneyCents).toEqual(second.reference.silverMoneyCents);
    // No cbd_congestion_fee column before 2025: the monthly sum is null.
    expect(second.reference.monthlySummary?.cbdCongestionFeeCents).toBeNull();
    expect(diffGold(await readGold(SECOND.month), goldOf(second.reference))).toEqual([]);

    expect(diffGold(await readGold(FIRST.month), firstGold)).toEqual([]);
    expect((await readSilverCounts(FIRST.month)).silverRows).toBe(first.reference.silverRows);
  }, 900_000);
});
