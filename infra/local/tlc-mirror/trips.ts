// Synthesises yellow-taxi trips one batch at a time into plain typed arrays. The shapes, rates and
// dirt follow the shared TLC-DATA.md notes on real months (January 2025 unless noted):
//  - ~15.5% payment_type 0 ("Flex Fare") rows with passenger_count/RatecodeID/store_and_fwd_flag null,
//  - card 70% / cash 11%, tips almost only on card rows,
//  - ~4.1% negative fare_amount of which ~1.8% points are full reversals with a negative total,
//  - ~2.6% zero distance, RatecodeID 99 on ~1.2%, passenger_count 0 on ~0.7%,
//  - rare rows: pickups outside the month (some years back), dropoff at/before pickup, trips over 24 h,
//    absurd distances and fares, out-of-range zone ids (0, 266) and verbatim duplicate rows.
import { SeededRandom, WeightedChoice } from './random';
import type { ParsedMonth } from '../../../domain/months';
import type { SchemaFamily, TripField } from './schema';
import {
  EWR_ZONE,
  GROUP_INDEX,
  isInCongestionReliefZone,
  JFK_ZONE,
  LGA_ZONE,
  typicalMiles,
  ZoneSampler,
} from './zones';

const MANHATTAN_CORE = GROUP_INDEX.manhattanCore;
const MANHATTAN_UPPER = GROUP_INDEX.manhattanUpper;

/** Fields held as integers while generating (ids, codes, counts; store_and_fwd_flag as 1 = "Y"). */
export const INTEGER_FIELDS = [
  'vendorId',
  'passengerCount',
  'ratecodeId',
  'storeAndForward',
  'pickupLocation',
  'dropoffLocation',
  'paymentType',
] as const satisfies readonly TripField[];
export type IntegerField = (typeof INTEGER_FIELDS)[number];
/** Timestamps (as epoch seconds of the naive wall-clock time) and money/distance values. */
export type RealField = Exclude<TripField, IntegerField>;
export const REAL_FIELDS: readonly RealField[] = [
  'pickup',
  'dropoff',
  'tripDistance',
  'fareAmount',
  'extra',
  'mtaTax',
  'tipAmount',
  'tollsAmount',
  'improvementSurcharge',
  'totalAmount',
  'congestionSurcharge',
  'airportFee',
  'cbdCongestionFee',
];

const INTEGER_FIELD_SET = new Set<TripField>(INTEGER_FIELDS);
export function isIntegerField(field: TripField): field is IntegerField {
  return INTEGER_FIELD_SET.has(field);
}

/** Reusable column buffers for one batch; `flexFare[i] = 1` marks rows whose nullable columns are null. */
export class TripColumns {
  readonly integers: Record<IntegerField, Int32Array>;
  readonly reals: Record<RealField, Float64Array>;
  readonly flexFare: Uint8Array;

  constructor(readonly capacity: number) {
    this.integers = Object.fromEntries(
      INTEGER_FIELDS.map((field) => [field, new Int32Array(capacity)]),
    ) as Record<IntegerField, Int32Array>;
    this.reals = Object.fromEntries(
      REAL_FIELDS.map((field) => [field, new Float64Array(capacity)]),
    ) as Record<RealField, Float64Array>;
    this.flexFare = new Uint8Array(capacity);
  }

  copyRow(from: number, to: number): void {
    for (const field of INTEGER_FIELDS) this.integers[field][to] = this.integers[field][from];
    for (const field of REAL_FIELDS) this.reals[field][to] = this.reals[field][from];
    this.flexFare[to] = this.flexFare[from];
  }
}

// Rare defects, placed at random rows of each batch as bit flags. Rates are per row; the first batch
// always gets at least one of each so even a small test file exercises every validation rule.
const ANOMALY = {
  pickupBeforeMonth: 1 << 0,
  pickupAfterMonth: 1 << 1,
  dropoffNotAfterPickup: 1 << 2,
  tripOver24Hours: 1 << 3,
  absurdDistance: 1 << 4,
  absurdFare: 1 << 5,
  zoneOutOfRange: 1 << 6,
  duplicateRow: 1 << 7,
} as const;

const ANOMALY_RATES: ReadonlyArray<readonly [flag: number, ratePerRow: number]> = [
  [ANOMALY.pickupBeforeMonth, 8e-6], // January 2025: 21 rows before the month
  [ANOMALY.pickupAfterMonth, 1e-6], // ... and 1 after
  [ANOMALY.dropoffNotAfterPickup, 5.7e-4], // ~2,000 rows a month
  [ANOMALY.tripOver24Hours, 3e-6],
  [ANOMALY.absurdDistance, 3e-6], // up to ~276,000 miles
  [ANOMALY.absurdFare, 1e-6], // up to ~863,000 dollars
  [ANOMALY.zoneOutOfRange, 1e-6], // not in the real data: there to exercise the pipeline's validation
  [ANOMALY.duplicateRow, 2e-5],
];

const FLEX_FARE_SHARE = 0.155;
const REVERSAL_SHARE = 0.018; // every amount negated: negative fare and negative total
const FARE_ADJUSTMENT_SHARE = 0.023; // negative fare, total still >= 0
const ZERO_DISTANCE_SHARE = 0.026;
const STORE_AND_FORWARD_SHARE = 0.005;
const CBD_FEE_CHARGED_SHARE = 0.92; // some trips touching the zone avoid it (e.g. FDR Drive)
const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;
const CBD_FEE_START_SECONDS = Date.UTC(2025, 0, 5) / 1000;

// Payment mixes chosen so the whole file lands near card 70% / cash 11% once Flex Fare rows (type 0),
// reversals and adjustments are counted in.
const NORMAL_PAYMENT = new WeightedChoice([
  [1, 0.8563],
  [2, 0.1256],
  [3, 0.009],
  [4, 0.0089],
  [5, 0.0001],
  [6, 0.0001],
]);
const REVERSAL_PAYMENT = new WeightedChoice([
  [4, 0.55],
  [3, 0.2],
  [2, 0.25],
]);
const ADJUSTMENT_PAYMENT = new WeightedChoice([
  [1, 0.5],
  [2, 0.2],
  [4, 0.3],
]);
// Given a non-Flex row: passenger_count 1 on ~79% (67% of all rows), 0 on ~0.8% (0.7% of all rows).
const PASSENGER_COUNT = new WeightedChoice([
  [0, 0.0083],
  [1, 0.79],
  [2, 0.125],
  [3, 0.03],
  [4, 0.02],
  [5, 0.014],
  [6, 0.0125],
  [7, 0.0001],
  [8, 0.0001],
  [9, 0.0001],
]);
// Rate codes for trips that are not JFK flat fares or Newark trips: 1 standard, 4 Nassau/Westchester,
// 5 negotiated, 6 group ride, 99 unknown (~1.2% of all rows).
const GENERAL_RATECODE = new WeightedChoice([
  [1, 0.969],
  [99, 0.0147],
  [5, 0.0104],
  [4, 0.002],
  [6, 0.0001],
]);
const VENDOR_BY_FAMILY: Record<SchemaFamily, WeightedChoice> = {
  '2023': new WeightedChoice([
    [1, 0.26],
    [2, 0.74],
  ]),
  '2024': new WeightedChoice([
    [1, 0.25],
    [2, 0.745],
    [6, 0.005],
  ]),
  '2025': new WeightedChoice([
    [1, 0.22],
    [2, 0.77],
    [6, 0.002],
    [7, 0.008],
  ]),
};
const TIP_PERCENT = new WeightedChoice([
  [15, 0.2],
  [18, 0.1],
  [20, 0.35],
  [25, 0.2],
  [30, 0.1],
  [10, 0.05],
]);
const TOLLS = [6.94, 6.94, 6.94, 6.94, 13.88, 17.63];

// Demand by hour of day (weekdays peak in the evening rush, weekends run late into the night) and by
// day of week (Sunday = 0).
const WEEKDAY_HOURLY_DEMAND = [
  0.35, 0.22, 0.14, 0.1, 0.1, 0.18, 0.45, 0.8, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.45, 1.5,
  1.35, 1.2, 1.15, 1.0, 0.7,
];
const WEEKEND_HOURLY_DEMAND = [
  0.75, 0.6, 0.45, 0.3, 0.18, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95, 1.05, 1.1, 1.1, 1.1, 1.1, 1.15, 1.15, 1.1,
  1.0, 1.0, 0.95, 0.85,
];
const DAY_OF_WEEK_DEMAND = [0.85, 0.9, 1.0, 1.05, 1.1, 1.1, 1.05];
// Average street speed by hour of day in mph (slowest in the afternoon).
const SPEED_MPH_BY_HOUR = [
  18, 19, 20, 20, 20, 18, 14, 11, 10, 10, 10, 10, 10, 10, 9.5, 9, 8.5, 8.5, 9, 10, 12, 13, 14, 16,
];

/** Meter rates and surcharges; the December 2022 fare increase splits the eras. */
interface Tariff {
  initialCharge: number;
  /** Charged per 1/5 mile, or per minute in slow traffic. */
  perUnit: number;
  jfkFlatFare: number;
  newarkSurcharge: number;
  mtaTax: number;
  improvementSurcharge: number;
  congestionSurcharge: number;
  airportFee: number;
  overnightExtra: number;
  rushHourExtra: number;
}

function tariffFor(month: ParsedMonth): Tariff {
  const afterDecember2022 = month.year >= 2023;
  return {
    initialCharge: afterDecember2022 ? 3 : 2.5,
    perUnit: afterDecember2022 ? 0.7 : 0.5,
    jfkFlatFare: afterDecember2022 ? 70 : 52,
    newarkSurcharge: afterDecember2022 ? 20 : 17.5,
    mtaTax: 0.5,
    improvementSurcharge: afterDecember2022 ? 1 : 0.3,
    congestionSurcharge: 2.5,
    airportFee: afterDecember2022 ? 1.75 : 1.25,
    overnightExtra: afterDecember2022 ? 1 : 0.5,
    rushHourExtra: afterDecember2022 ? 2.5 : 1,
  };
}

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Negation that never produces -0 (it would survive into the file as a distinct value). */
function negate(value: number): number {
  return value === 0 ? 0 : -value;
}

type RowKind = 'normal' | 'flexFare' | 'reversal' | 'fareAdjustment';

export class TripSynthesizer {
  private readonly random: SeededRandom;
  private readonly zones = new ZoneSampler();
  private readonly tariff: Tariff;
  private readonly vendors: WeightedChoice;
  private readonly monthStartSeconds: number;
  private readonly nextMonthStartSeconds: number;
  /** Cumulative demand over the hours of the month, for inverse-CDF sampling of pickup times. */
  private readonly cumulativeHourlyDemand: Float64Array;
  private readonly anomalyFlags: Uint16Array;
  private readonly sortedQuantiles: Float64Array;

  constructor(
    month: ParsedMonth,
    private readonly family: SchemaFamily,
    seed: number,
    private readonly totalRows: number,
    readonly columns: TripColumns,
  ) {
    this.random = new SeededRandom(seed);
    this.tariff = tariffFor(month);
    this.vendors = VENDOR_BY_FAMILY[family];
    this.monthStartSeconds = Date.UTC(month.year, month.month - 1, 1) / 1000;
    this.nextMonthStartSeconds = Date.UTC(month.year, month.month, 1) / 1000;
    const hours = (this.nextMonthStartSeconds - this.monthStartSeconds) / SECONDS_PER_HOUR;
    this.cumulativeHourlyDemand = new Float64Array(hours);
    let running = 0;
    for (let hour = 0; hour < hours; hour++) {
      const start = this.monthStartSeconds + hour * SECONDS_PER_HOUR;
      const dayOfWeek = new Date(start * 1000).getUTCDay();
      const hourOfDay = hour % 24;
      const weekend = dayOfWeek === 0 || dayOfWeek === 6;
      running +=
        DAY_OF_WEEK_DEMAND[dayOfWeek] * (weekend ? WEEKEND_HOURLY_DEMAND : WEEKDAY_HOURLY_DEMAND)[hourOfDay];
      this.cumulativeHourlyDemand[hour] = running;
    }
    this.anomalyFlags = new Uint16Array(columns.capacity);
    this.sortedQuantiles = new Float64Array(columns.capacity);
  }

  /**
   * Fills rows [0, rowCount) of the column buffers with the file's rows [firstRow, firstRow + rowCount).
   * Pickup times advance through the month from batch to batch, so the file is ordered by pickup
   * like the real ones (which also helps compression), apart from the defects.
   */
  fillBatch(firstRow: number, rowCount: number): void {
    this.samplePickupTimes(firstRow, rowCount);
    this.scheduleAnomalies(rowCount, firstRow === 0);
    for (let row = 0; row < rowCount; row++) {
      const flags = this.anomalyFlags[row];
      if (flags & ANOMALY.duplicateRow) {
        this.columns.copyRow(row - 1 - this.random.int(Math.min(row, 5000)), row);
      } else {
        this.generateRow(row, flags);
      }
    }
  }

  private samplePickupTimes(firstRow: number, rowCount: number): void {
    const quantiles = this.sortedQuantiles.subarray(0, rowCount);
    for (let row = 0; row < rowCount; row++) {
      quantiles[row] = (firstRow + this.random.float() * rowCount) / this.totalRows;
    }
    quantiles.sort();
    const cumulative = this.cumulativeHourlyDemand;
    const totalDemand = cumulative[cumulative.length - 1];
    const pickup = this.columns.reals.pickup;
    let hour = 0;
    for (let row = 0; row < rowCount; row++) {
      const target = quantiles[row] * totalDemand;
      while (hour < cumulative.length - 1 && cumulative[hour] <= target) hour++; // quantiles ascend
      const hourStartDemand = hour === 0 ? 0 : cumulative[hour - 1];
      const withinHour = (target - hourStartDemand) / (cumulative[hour] - hourStartDemand);
      pickup[row] =
        this.monthStartSeconds +
        hour * SECONDS_PER_HOUR +
        Math.min(SECONDS_PER_HOUR - 1, Math.floor(withinHour * SECONDS_PER_HOUR));
    }
  }

  private scheduleAnomalies(rowCount: number, firstBatch: boolean): void {
    const flags = this.anomalyFlags;
    flags.fill(0, 0, rowCount);
    for (const [flag, rate] of ANOMALY_RATES) {
      const expected = rate * rowCount;
      let count = Math.floor(expected) + (this.random.chance(expected % 1) ? 1 : 0);
      if (firstBatch) count = Math.max(count, 1);
      // A duplicate needs an earlier row to copy; everything else can sit anywhere.
      const lowestRow = flag === ANOMALY.duplicateRow ? 1 : 0;
      if (rowCount <= lowestRow) continue;
      for (let placed = 0; placed < count; placed++) {
        for (let attempt = 0; attempt < 32; attempt++) {
          const row = lowestRow + this.random.int(rowCount - lowestRow);
          if (flags[row] === 0) {
            flags[row] = flag;
            break;
          }
        }
      }
    }
  }

  private sampleRowKind(): RowKind {
    const draw = this.random.float();
    if (draw < FLEX_FARE_SHARE) return 'flexFare';
    if (draw < FLEX_FARE_SHARE + REVERSAL_SHARE) return 'reversal';
    if (draw < FLEX_FARE_SHARE + REVERSAL_SHARE + FARE_ADJUSTMENT_SHARE) return 'fareAdjustment';
    return 'normal';
  }

  private generateRow(row: number, flags: number): void {
    const random = this.random;
    const tariff = this.tariff;
    const { integers, reals } = this.columns;
    const kind = this.sampleRowKind();
    const isFlexFare = kind === 'flexFare';

    // Where and when.
    let pickup = reals.pickup[row];
    if (flags & ANOMALY.pickupBeforeMonth) pickup = this.pickupBeforeMonth();
    if (flags & ANOMALY.pickupAfterMonth)
      pickup = this.nextMonthStartSeconds + random.int(2 * SECONDS_PER_DAY);
    const pickupGroup = this.zones.samplePickupGroup(random);
    const dropoffGroup = this.zones.sampleDropoffGroup(random, pickupGroup);
    let pickupZone = this.zones.sampleZone(random, pickupGroup);
    let dropoffZone = this.zones.sampleZone(random, dropoffGroup);
    const hourOfDay = Math.floor(pickup / SECONDS_PER_HOUR) % 24;
    const dayOfWeek = (Math.floor(pickup / SECONDS_PER_DAY) + 4) % 7; // 1970-01-01 was a Thursday

    // Distance and duration: minutes follow distance at an hour-dependent speed.
    const medianMiles = typicalMiles(pickupGroup, dropoffGroup);
    const isZeroDistance = random.chance(ZERO_DISTANCE_SHARE);
    let distance = isZeroDistance ? 0 : Math.min(150, Math.max(0.01, random.logNormal(medianMiles, 0.55)));
    distance = roundCents(distance);
    let minutes: number;
    if (isZeroDistance) {
      minutes = random.logNormal(3, 1);
    } else {
      const highwayFactor = medianMiles >= 8 ? 1.7 : 1;
      const speed = SPEED_MPH_BY_HOUR[hourOfDay] * highwayFactor * random.logNormal(1, 0.25);
      minutes = (distance / speed) * 60 + 0.5 + random.float() * 1.5;
    }
    let durationSeconds = Math.max(1, Math.round(Math.min(minutes, 300) * 60));

    // Rate code (JFK <-> Manhattan is a flat fare, Newark has its own code).
    const touchesManhattan = pickupGroup === MANHATTAN_CORE || dropoffGroup === MANHATTAN_CORE;
    const isJfkManhattan = (pickupZone === JFK_ZONE || dropoffZone === JFK_ZONE) && touchesManhattan;
    const touchesNewark = pickupZone === EWR_ZONE || dropoffZone === EWR_ZONE;
    let ratecode: number;
    if (isJfkManhattan && random.chance(0.9)) ratecode = 2;
    else if (touchesNewark && random.chance(0.8)) ratecode = 3;
    else ratecode = GENERAL_RATECODE.sample(random);

    // Fare.
    const meterUnits = distance * 5 + 0.6 * Math.max(0, minutes - distance * 5);
    const meteredFare = tariff.initialCharge + tariff.perUnit * Math.round(meterUnits);
    let fare: number;
    let extra = 0;
    let mtaTax = tariff.mtaTax;
    if (isFlexFare) {
      fare = roundCents(meteredFare * random.uniform(0.85, 1.3)); // fixed upfront price
    } else if (ratecode === 2) {
      fare = tariff.jfkFlatFare;
    } else if (ratecode === 3) {
      fare = meteredFare + tariff.newarkSurcharge;
    } else if (ratecode === 4) {
      fare = roundCents(meteredFare * 1.5);
    } else if (ratecode === 5) {
      fare = Math.round(meteredFare * random.uniform(0.7, 1.4)); // negotiated, whole dollars
      mtaTax = 0;
    } else if (ratecode === 6) {
      fare = roundCents(meteredFare * 0.6);
    } else {
      fare = meteredFare;
    }
    fare = roundCents(fare);
    if (!isFlexFare && ratecode !== 5) {
      const isWeekday = dayOfWeek >= 1 && dayOfWeek <= 5;
      if (hourOfDay >= 20 || hourOfDay < 6) extra += tariff.overnightExtra;
      if (isWeekday && hourOfDay >= 16 && hourOfDay < 20) extra += tariff.rushHourExtra;
    }

    // Surcharges.
    const improvement = tariff.improvementSurcharge;
    const congestion = touchesManhattan ? tariff.congestionSurcharge : 0;
    const airportFee = pickupZone === JFK_ZONE || pickupZone === LGA_ZONE ? tariff.airportFee : 0;
    const touchesCongestionReliefZone =
      isInCongestionReliefZone(pickupZone) || isInCongestionReliefZone(dropoffZone);
    const cbdFee =
      pickup >= CBD_FEE_START_SECONDS && touchesCongestionReliefZone && random.chance(CBD_FEE_CHARGED_SHARE)
        ? 0.75
        : 0;
    const crossesWater =
      pickupGroup !== dropoffGroup && !(isManhattanGroup(pickupGroup) && isManhattanGroup(dropoffGroup));
    const tolls = distance > 6 && crossesWater && random.chance(0.35) ? TOLLS[random.int(TOLLS.length)] : 0;

    // Payment type and tip.
    let paymentType: number;
    if (isFlexFare) paymentType = 0;
    else if (kind === 'reversal') paymentType = REVERSAL_PAYMENT.sample(random);
    else if (kind === 'fareAdjustment') paymentType = ADJUSTMENT_PAYMENT.sample(random);
    else paymentType = NORMAL_PAYMENT.sample(random);
    // On 2022-2024 Flex Fare rows congestion_surcharge/Airport_fee are null and so not in the total.
    const surchargesNull = isFlexFare && this.family !== '2025';
    const countedCongestion = surchargesNull ? 0 : congestion;
    const countedAirportFee = surchargesNull ? 0 : airportFee;
    const tipBase =
      fare + extra + mtaTax + improvement + countedCongestion + countedAirportFee + cbdFee + tolls;
    let tip = 0;
    if ((paymentType === 1 && random.chance(0.9)) || (isFlexFare && random.chance(0.25))) {
      tip = roundCents((tipBase * TIP_PERCENT.sample(random)) / 100);
    }

    if (flags & ANOMALY.absurdFare) fare = roundCents(random.logUniform(1000, 900_000));
    if (kind === 'fareAdjustment') {
      // A partial refund of the fare that never exceeds the other charges: the total stays >= 0.
      const otherCharges =
        extra + mtaTax + tip + tolls + improvement + countedCongestion + countedAirportFee + cbdFee;
      fare = negate(roundCents(otherCharges * random.uniform(0.1, 1)));
    }
    let total = roundCents(
      fare + extra + mtaTax + tip + tolls + improvement + countedCongestion + countedAirportFee + cbdFee,
    );

    // Defects that only touch time, distance or zones.
    if (flags & ANOMALY.dropoffNotAfterPickup) {
      durationSeconds = random.chance(0.5) ? 0 : -(1 + random.int(SECONDS_PER_HOUR));
    }
    if (flags & ANOMALY.tripOver24Hours) {
      durationSeconds = SECONDS_PER_DAY + 1 + random.int(2 * SECONDS_PER_DAY);
    }
    if (flags & ANOMALY.absurdDistance) distance = roundCents(random.logUniform(500, 280_000));
    if (flags & ANOMALY.zoneOutOfRange) {
      const outOfRange = random.chance(0.5) ? 0 : 266;
      if (random.chance(0.5)) pickupZone = outOfRange;
      else dropoffZone = outOfRange;
    }

    const isReversal = kind === 'reversal';
    if (isReversal) total = negate(total);

    integers.vendorId[row] = this.vendors.sample(random);
    integers.passengerCount[row] = isFlexFare ? 0 : PASSENGER_COUNT.sample(random);
    integers.ratecodeId[row] = isFlexFare ? 0 : ratecode;
    integers.storeAndForward[row] = !isFlexFare && random.chance(STORE_AND_FORWARD_SHARE) ? 1 : 0;
    integers.pickupLocation[row] = pickupZone;
    integers.dropoffLocation[row] = dropoffZone;
    integers.paymentType[row] = paymentType;
    reals.pickup[row] = pickup;
    reals.dropoff[row] = pickup + durationSeconds;
    reals.tripDistance[row] = distance;
    reals.fareAmount[row] = isReversal ? negate(fare) : fare;
    reals.extra[row] = isReversal ? negate(extra) : extra;
    reals.mtaTax[row] = isReversal ? negate(mtaTax) : mtaTax;
    reals.tipAmount[row] = isReversal ? negate(tip) : tip;
    reals.tollsAmount[row] = isReversal ? negate(tolls) : tolls;
    reals.improvementSurcharge[row] = isReversal ? negate(improvement) : improvement;
    reals.totalAmount[row] = total;
    reals.congestionSurcharge[row] = isReversal ? negate(countedCongestion) : countedCongestion;
    reals.airportFee[row] = isReversal ? negate(countedAirportFee) : countedAirportFee;
    reals.cbdCongestionFee[row] = isReversal ? negate(cbdFee) : cbdFee;
    this.columns.flexFare[row] = isFlexFare ? 1 : 0;
  }

  /** Mostly the last days of the previous month; one in seven years off (a 2024 file held a 2009 pickup). */
  private pickupBeforeMonth(): number {
    const random = this.random;
    if (random.chance(1 / 7)) {
      return (
        Date.UTC(2002 + random.int(7), random.int(12), 1 + random.int(28)) / 1000 +
        random.int(SECONDS_PER_DAY)
      );
    }
    return this.monthStartSeconds - 1 - random.int(3 * SECONDS_PER_DAY);
  }
}

function isManhattanGroup(group: number): boolean {
  return group === MANHATTAN_CORE || group === MANHATTAN_UPPER;
}
