// An independent, in-memory computation of what the dbt models must produce for one month, straight from
// the month's Parquet file and the zone CSV (no SQL). Integration tests compare every Silver count and
// every Gold row against it.
//
// The contract it implements:
//  - A row is rejected for the first rule it fails, in RULES order; a null in a checked column fails.
//  - Rows that pass every rule are deduplicated on all 20 source columns (lineage ignored); rejected rows
//    are not, so bronzeRows = silverRows + duplicatesRemoved + sum(rejectedByReason).
//  - Money is rounded per row to whole cents (Math.round(x * 100)) and summed as integers, so every money
//    figure here is an exact integer number of cents; distance likewise in hundredths of a mile.
//  - Timestamps are naive local times: hour, weekday and date are read as if they were UTC.
import * as fs from 'node:fs/promises';
import { readTlcParquet, type RawColumn } from './tlc-parquet';
import { parseMonth } from '../../domain/months';

export const REJECT_REASONS = [
  'pickup_outside_month',
  'dropoff_not_after_pickup',
  'trip_over_24h',
  'trip_distance_out_of_range',
  'negative_fare',
  'negative_total',
  'pu_location_out_of_range',
  'do_location_out_of_range',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const PAYMENT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Flex Fare'],
  [1, 'Credit card'],
  [2, 'Cash'],
  [3, 'No charge'],
  [4, 'Dispute'],
  [5, 'Unknown'],
  [6, 'Voided trip'],
]);

export interface MonthlySummary {
  sourceMonth: string;
  trips: number;
  passengers: number;
  /** Sum of trip_distance rounded per trip to hundredths of a mile, as an exact integer of hundredths. */
  distanceHundredths: number;
  fareAmountCents: number;
  tipAmountCents: number;
  tollsAmountCents: number;
  totalAmountCents: number;
  /** Null when no valid trip has the column (files before 2025). */
  cbdCongestionFeeCents: number | null;
  avgTripMinutes: number;
}

export interface DailyZoneMetric {
  sourceMonth: string;
  /** 'YYYY-MM-DD' */
  pickupDate: string;
  pickupBorough: string;
  pickupZone: string;
  trips: number;
  totalAmountCents: number;
  avgDistance: number;
  avgFare: number;
  /** Card tips / card fares; null without card trips or when their fares sum to 0. */
  cardTipRate: number | null;
}

export interface HourlyDemand {
  sourceMonth: string;
  /** ISO, 1 Monday .. 7 Sunday */
  pickupWeekday: number;
  pickupHour: number;
  trips: number;
  avgTripMinutes: number;
}

export interface PaymentMix {
  sourceMonth: string;
  paymentType: number | null;
  paymentTypeName: string;
  trips: number;
  totalAmountCents: number;
  tripShare: number;
}

/** Sums over all Silver rows of the month of every money column, in cents (null when all are null). */
export type SilverMoneyTotals = Record<(typeof MONEY_COLUMNS)[number], number | null>;

export interface ReferenceResult {
  month: string;
  bronzeRows: number;
  silverRows: number;
  rejectedByReason: Record<RejectReason, number>;
  duplicatesRemoved: number;
  silverMoneyCents: SilverMoneyTotals;
  monthlySummary: MonthlySummary | null;
  dailyZoneMetrics: DailyZoneMetric[];
  hourlyDemand: HourlyDemand[];
  paymentMix: PaymentMix[];
}

export interface Zone {
  locationId: number;
  borough: string;
  zone: string;
  serviceZone: string;
}

/** Silver's money columns (each summed in cents by the checks). */
export const MONEY_COLUMNS = [
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
type MoneyColumn = (typeof MONEY_COLUMNS)[number];

/** Canonical column name -> the names it has in any year's file (first present wins). */
const SOURCE_NAMES = {
  vendor_id: ['VendorID'],
  tpep_pickup_datetime: ['tpep_pickup_datetime'],
  tpep_dropoff_datetime: ['tpep_dropoff_datetime'],
  passenger_count: ['passenger_count'],
  trip_distance: ['trip_distance'],
  ratecode_id: ['RatecodeID'],
  store_and_fwd_flag: ['store_and_fwd_flag'],
  pu_location_id: ['PULocationID'],
  do_location_id: ['DOLocationID'],
  payment_type: ['payment_type'],
  fare_amount: ['fare_amount'],
  extra: ['extra'],
  mta_tax: ['mta_tax'],
  tip_amount: ['tip_amount'],
  tolls_amount: ['tolls_amount'],
  improvement_surcharge: ['improvement_surcharge'],
  total_amount: ['total_amount'],
  congestion_surcharge: ['congestion_surcharge'],
  airport_fee: ['Airport_fee', 'airport_fee'],
  cbd_congestion_fee: ['cbd_congestion_fee'],
} as const;
type SourceColumn = keyof typeof SOURCE_NAMES;
const SOURCE_COLUMNS = Object.keys(SOURCE_NAMES) as SourceColumn[];

const MICROS_PER_DAY = 86_400_000_000n;

/** Parses a CSV with double-quoted fields ("" escapes a quote). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export async function readZones(zoneCsvPath: string): Promise<Map<number, Zone>> {
  const [header, ...rows] = parseCsv(await fs.readFile(zoneCsvPath, 'utf8'));
  const index = (name: string) => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`${zoneCsvPath}: no column ${name}`);
    return at;
  };
  const [id, borough, zone, serviceZone] = ['LocationID', 'Borough', 'Zone', 'service_zone'].map(index);
  const zones = new Map<number, Zone>();
  for (const row of rows) {
    if (row.length === 1 && row[0] === '') continue;
    const locationId = Number(row[id]);
    zones.set(locationId, {
      locationId,
      borough: row[borough],
      zone: row[zone],
      serviceZone: row[serviceZone],
    });
  }
  return zones;
}

/** Epoch microseconds of the first instant of month 'YYYY-MM' and of the next month (naive, read as UTC). */
export function monthBoundsMicros(month: string): { start: bigint; next: bigint } {
  const { year, month: number } = parseMonth(month);
  return {
    start: BigInt(Date.UTC(year, number - 1, 1)) * 1000n,
    next: BigInt(Date.UTC(year, number, 1)) * 1000n,
  };
}

/** A value rounded half up to hundredths, as an integer (cents of a dollar, hundredths of a mile). */
export function toCents(value: number): number {
  return Math.round(value * 100);
}

type Cell = number | bigint | string | null;

/** A typed, null-aware accessor for one canonical column. */
class Columns {
  private readonly raw = new Map<SourceColumn, RawColumn | undefined>();

  constructor(columns: Map<string, RawColumn>) {
    for (const name of SOURCE_COLUMNS) {
      const physical = SOURCE_NAMES[name].find((candidate) => columns.has(candidate));
      this.raw.set(name, physical === undefined ? undefined : columns.get(physical));
    }
  }

  cell(name: SourceColumn, row: number): Cell {
    const column = this.raw.get(name);
    return column === undefined ? null : column.values[row];
  }

  number(name: SourceColumn, row: number): number | null {
    const value = this.cell(name, row);
    if (value === null) return null;
    if (typeof value !== 'number') throw new Error(`${name} is not numeric`);
    return value;
  }

  micros(name: SourceColumn, row: number): bigint | null {
    const value = this.cell(name, row);
    if (value === null) return null;
    if (typeof value !== 'bigint') throw new Error(`${name} is not a timestamp`);
    return value;
  }
}

interface SilverTrip {
  pickupMicros: bigint;
  tripMinutes: number;
  passengerCount: number | null;
  tripDistance: number;
  paymentType: number | null;
  cents: Record<MoneyColumn, number | null>;
  puLocationId: number;
}

/** First failed rule of a row, or null when it passes them all. A null checked value fails its rule. */
function classify(columns: Columns, row: number, start: bigint, next: bigint): RejectReason | null {
  const pickup = columns.micros('tpep_pickup_datetime', row);
  if (pickup === null || pickup < start || pickup >= next) return 'pickup_outside_month';
  const dropoff = columns.micros('tpep_dropoff_datetime', row);
  if (dropoff === null || dropoff <= pickup) return 'dropoff_not_after_pickup';
  if (dropoff - pickup > MICROS_PER_DAY) return 'trip_over_24h';
  const distance = columns.number('trip_distance', row);
  if (distance === null || !(distance >= 0 && distance < 500)) return 'trip_distance_out_of_range';
  const fare = columns.number('fare_amount', row);
  if (fare === null || !(fare >= 0)) return 'negative_fare';
  const total = columns.number('total_amount', row);
  if (total === null || !(total >= 0)) return 'negative_total';
  const pu = columns.number('pu_location_id', row);
  if (pu === null || !(pu >= 1 && pu <= 265)) return 'pu_location_out_of_range';
  const dropoffZone = columns.number('do_location_id', row);
  if (dropoffZone === null || !(dropoffZone >= 1 && dropoffZone <= 265)) return 'do_location_out_of_range';
  return null;
}

/** Identity of a row over all source columns (nulls equal to each other, distinct from any value). */
function rowKey(columns: Columns, row: number): string {
  return SOURCE_COLUMNS.map((name) => {
    const value = columns.cell(name, row);
    if (value === null) return '\u0000';
    // Bronze widens integers to double where needed: 1 and 1.0 are the same value either way.
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  }).join('|');
}

function pickupParts(micros: bigint): { date: string; hour: number; isoWeekday: number } {
  const millis = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
  const at = new Date(millis);
  const day = at.getUTCDay(); // 0 Sunday
  return { date: at.toISOString().slice(0, 10), hour: at.getUTCHours(), isoWeekday: day === 0 ? 7 : day };
}

function sumOrNull(values: Array<number | null>): number | null {
  let sum: number | null = null;
  for (const value of values) if (value !== null) sum = (sum ?? 0) + value;
  return sum;
}

function mean(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export async function computeReference(
  parquetFile: string,
  month: string,
  zoneCsvPath: string,
): Promise<ReferenceResult> {
  const { start, next } = monthBoundsMicros(month);
  const zones = await readZones(zoneCsvPath);
  const parquet = await readTlcParquet(parquetFile);
  const columns = new Columns(parquet.columns);

  const rejectedByReason = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, 0])) as Record<
    RejectReason,
    number
  >;
  const seen = new Set<string>();
  const silver: SilverTrip[] = [];
  let duplicatesRemoved = 0;
  for (let row = 0; row < parquet.numRows; row++) {
    const reason = classify(columns, row, start, next);
    if (reason !== null) {
      rejectedByReason[reason]++;
      continue;
    }
    const key = rowKey(columns, row);
    if (seen.has(key)) {
      duplicatesRemoved++;
      continue;
    }
    seen.add(key);
    const pickup = columns.micros('tpep_pickup_datetime', row) as bigint;
    const dropoff = columns.micros('tpep_dropoff_datetime', row) as bigint;
    const cents = Object.fromEntries(
      MONEY_COLUMNS.map((name) => {
        const value = columns.number(name, row);
        return [name, value === null ? null : toCents(value)];
      }),
    ) as Record<MoneyColumn, number | null>;
    const passengers = columns.number('passenger_count', row);
    silver.push({
      pickupMicros: pickup,
      // Whole milliseconds of the duration (Trino's date_diff truncates below that), in minutes.
      tripMinutes: Number((dropoff - pickup) / 1000n) / 60_000,
      passengerCount: passengers === null ? null : Math.round(passengers),
      tripDistance: columns.number('trip_distance', row) as number,
      paymentType: columns.number('payment_type', row),
      cents,
      puLocationId: columns.number('pu_location_id', row) as number,
    });
  }

  const silverMoneyCents = Object.fromEntries(
    MONEY_COLUMNS.map((name) => [name, sumOrNull(silver.map((trip) => trip.cents[name]))]),
  ) as SilverMoneyTotals;
  const moneySum = (trips: SilverTrip[], name: MoneyColumn) =>
    sumOrNull(trips.map((t) => t.cents[name])) ?? 0;

  const monthlySummary: MonthlySummary | null =
    silver.length === 0
      ? null
      : {
          sourceMonth: month,
          trips: silver.length,
          passengers: silver.reduce((sum, trip) => sum + (trip.passengerCount ?? 0), 0),
          distanceHundredths: silver.reduce((sum, trip) => sum + toCents(trip.tripDistance), 0),
          fareAmountCents: moneySum(silver, 'fare_amount'),
          tipAmountCents: moneySum(silver, 'tip_amount'),
          tollsAmountCents: moneySum(silver, 'tolls_amount'),
          totalAmountCents: moneySum(silver, 'total_amount'),
          cbdCongestionFeeCents: silverMoneyCents.cbd_congestion_fee,
          avgTripMinutes: mean(silver.map((trip) => trip.tripMinutes)),
        };

  const zoneOf = (trip: SilverTrip): Zone => {
    const zone = zones.get(trip.puLocationId);
    if (!zone) throw new Error(`zone ${trip.puLocationId} is not in the zone table`);
    return zone;
  };
  const dailyZoneMetrics: DailyZoneMetric[] = [];
  const byDayAndZone = groupBy(silver, (trip) => {
    const zone = zoneOf(trip);
    return JSON.stringify([pickupParts(trip.pickupMicros).date, zone.borough, zone.zone]);
  });
  for (const [key, trips] of byDayAndZone) {
    const [pickupDate, pickupBorough, pickupZone] = JSON.parse(key) as [string, string, string];
    const cardTrips = trips.filter((trip) => trip.paymentType === 1);
    const cardFareCents = sumOrNull(cardTrips.map((trip) => trip.cents.fare_amount));
    const cardTipCents = sumOrNull(cardTrips.map((trip) => trip.cents.tip_amount));
    dailyZoneMetrics.push({
      sourceMonth: month,
      pickupDate,
      pickupBorough,
      pickupZone,
      trips: trips.length,
      totalAmountCents: moneySum(trips, 'total_amount'),
      avgDistance: mean(trips.map((trip) => trip.tripDistance)),
      avgFare: moneySum(trips, 'fare_amount') / 100 / trips.length,
      cardTipRate:
        cardFareCents === null || cardFareCents === 0 || cardTipCents === null
          ? null
          : cardTipCents / cardFareCents,
    });
  }

  const hourlyDemand: HourlyDemand[] = [];
  const byHour = groupBy(silver, (trip) => {
    const { isoWeekday, hour } = pickupParts(trip.pickupMicros);
    return `${isoWeekday}|${hour}`;
  });
  for (const [key, trips] of byHour) {
    const [pickupWeekday, pickupHour] = key.split('|').map(Number);
    hourlyDemand.push({
      sourceMonth: month,
      pickupWeekday,
      pickupHour,
      trips: trips.length,
      avgTripMinutes: mean(trips.map((trip) => trip.tripMinutes)),
    });
  }

  const paymentMix: PaymentMix[] = [];
  const byPayment = groupBy(silver, (trip) => String(trip.paymentType));
  for (const trips of byPayment.values()) {
    const paymentType = trips[0].paymentType;
    paymentMix.push({
      sourceMonth: month,
      paymentType,
      paymentTypeName: (paymentType === null ? undefined : PAYMENT_TYPE_NAMES.get(paymentType)) ?? 'Unmapped',
      trips: trips.length,
      totalAmountCents: moneySum(trips, 'total_amount'),
      tripShare: trips.length / silver.length,
    });
  }

  return {
    month,
    bronzeRows: parquet.numRows,
    silverRows: silver.length,
    rejectedByReason,
    duplicatesRemoved,
    silverMoneyCents,
    monthlySummary,
    dailyZoneMetrics: dailyZoneMetrics.sort((a, b) =>
      compareKeys(
        [a.pickupDate, a.pickupBorough, a.pickupZone],
        [b.pickupDate, b.pickupBorough, b.pickupZone],
      ),
    ),
    hourlyDemand: hourlyDemand.sort((a, b) =>
      compareKeys([a.pickupWeekday, a.pickupHour], [b.pickupWeekday, b.pickupHour]),
    ),
    paymentMix: paymentMix.sort((a, b) => compareKeys([a.paymentType ?? -1], [b.paymentType ?? -1])),
  };
}

/** Orders rows by a tuple of keys (numbers numerically, strings by code unit). */
export function compareKeys(a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
