// Reading Silver and Gold of a month through Trino and comparing them with the independent reference
// computation (reference-elt.ts): counts and money exactly, doubles within a relative tolerance.
import { TrinoClient } from '../../clients/trino';
import {
  compareKeys,
  MONEY_COLUMNS,
  REJECT_REASONS,
  type DailyZoneMetric,
  type HourlyDemand,
  type MonthlySummary,
  type PaymentMix,
  type ReferenceResult,
} from './reference-elt';

const RELATIVE_TOLERANCE = 1e-9;

export function lakehouseTables(catalog: string) {
  return {
    bronze: `${catalog}.bronze.yellow_trips`,
    silver: `${catalog}.silver.yellow_trips`,
    rejected: `${catalog}.silver.yellow_trips_rejected`,
    monthlySummary: `${catalog}.gold.monthly_summary`,
    dailyZoneMetrics: `${catalog}.gold.daily_zone_metrics`,
    hourlyDemand: `${catalog}.gold.hourly_demand`,
    paymentMix: `${catalog}.gold.payment_mix`,
  };
}

export type LakehouseTables = ReturnType<typeof lakehouseTables>;

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

/**
 * Trino returns decimals as exact text ('-12.30'): parsed to integer hundredths (cents, hundredths of a mile)
 * without going through a float.
 */
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

export const monthFilter = (month: string) => `source_month = '${month}'`;

async function readMonthlySummary(
  trino: TrinoClient,
  TABLES: LakehouseTables,
  month: string,
): Promise<MonthlySummary[]> {
  const rows = await trino.queryObjects(`SELECT * FROM ${TABLES.monthlySummary} WHERE ${monthFilter(month)}`);
  return rows.map((r) => ({
    sourceMonth: asString(r.source_month, 'source_month'),
    trips: asNumber(r.trips, 'trips'),
    passengers: asNumber(r.passengers, 'passengers'),
    distanceHundredths: decimalToCents(r.distance_miles, 'distance_miles'),
    fareAmountCents: decimalToCents(r.fare_amount, 'fare_amount'),
    tipAmountCents: decimalToCents(r.tip_amount, 'tip_amount'),
    tollsAmountCents: decimalToCents(r.tolls_amount, 'tolls_amount'),
    totalAmountCents: decimalToCents(r.total_amount, 'total_amount'),
    cbdCongestionFeeCents: nullableCents(r.cbd_congestion_fee, 'cbd_congestion_fee'),
    avgTripMinutes: asNumber(r.avg_trip_minutes, 'avg_trip_minutes'),
  }));
}

async function readDailyZoneMetrics(
  trino: TrinoClient,
  TABLES: LakehouseTables,
  month: string,
): Promise<DailyZoneMetric[]> {
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

async function readHourlyDemand(
  trino: TrinoClient,
  TABLES: LakehouseTables,
  month: string,
): Promise<HourlyDemand[]> {
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

async function readPaymentMix(
  trino: TrinoClient,
  TABLES: LakehouseTables,
  month: string,
): Promise<PaymentMix[]> {
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

export interface GoldSnapshot {
  monthlySummary: MonthlySummary[];
  dailyZoneMetrics: DailyZoneMetric[];
  hourlyDemand: HourlyDemand[];
  paymentMix: PaymentMix[];
}

export async function readGold(
  trino: TrinoClient,
  tables: LakehouseTables,
  month: string,
): Promise<GoldSnapshot> {
  return {
    monthlySummary: await readMonthlySummary(trino, tables, month),
    dailyZoneMetrics: await readDailyZoneMetrics(trino, tables, month),
    hourlyDemand: await readHourlyDemand(trino, tables, month),
    paymentMix: await readPaymentMix(trino, tables, month),
  };
}

export interface SilverCounts {
  silverRows: number;
  distinctTripIds: number;
  duplicatesRemoved: number;
  rejectedByReason: Record<string, number>;
  moneyCents: Record<string, number | null>;
}

export async function readSilverCounts(
  trino: TrinoClient,
  TABLES: LakehouseTables,
  month: string,
): Promise<SilverCounts> {
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

export async function countRows(trino: TrinoClient, table: string, month: string): Promise<number> {
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

export function goldOf(reference: ReferenceResult): GoldSnapshot {
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
export function diffGold(actual: GoldSnapshot, expected: GoldSnapshot): string[] {
  return [
    ...diffRows('monthly_summary', actual.monthlySummary, expected.monthlySummary, (r) => r.sourceMonth, {
      trips: 'exact',
      passengers: 'exact',
      distanceHundredths: 'exact',
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

export function expectedRejected(reference: ReferenceResult): Record<string, number> {
  return Object.fromEntries(
    REJECT_REASONS.filter((reason) => reference.rejectedByReason[reason] > 0).map((reason) => [
      reason,
      reference.rejectedByReason[reason],
    ]),
  );
}
