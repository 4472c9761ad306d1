import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Type, type Table, type Timestamp } from 'apache-arrow';
import { Compression } from 'parquet-wasm';
import { generateMonth } from '../../../../infra/local/tlc-mirror/generate';
import {
  columnValues,
  numericColumn,
  pearson,
  readArrowTable,
  readFooter,
  zoneIdsByBorough,
} from './parquet-helpers';

// Written out here, not imported from the generator: the TLC layouts as documented (TLC-DATA.md).
const MONEY = [
  ['fare_amount', 'Float64'],
  ['extra', 'Float64'],
  ['mta_tax', 'Float64'],
  ['tip_amount', 'Float64'],
  ['tolls_amount', 'Float64'],
  ['improvement_surcharge', 'Float64'],
  ['total_amount', 'Float64'],
] as const;
const EXPECTED_LAYOUT: Record<'2023' | '2024' | '2025', ReadonlyArray<readonly [string, string]>> = {
  '2025': [
    ['VendorID', 'Int32'],
    ['tpep_pickup_datetime', 'Timestamp<MICROSECOND>'],
    ['tpep_dropoff_datetime', 'Timestamp<MICROSECOND>'],
    ['passenger_count', 'Int64'],
    ['trip_distance', 'Float64'],
    ['RatecodeID', 'Int64'],
    ['store_and_fwd_flag', 'Utf8'],
    ['PULocationID', 'Int32'],
    ['DOLocationID', 'Int32'],
    ['payment_type', 'Int64'],
    ...MONEY,
    ['congestion_surcharge', 'Float64'],
    ['Airport_fee', 'Float64'],
    ['cbd_congestion_fee', 'Float64'],
  ],
  '2024': [
    ['VendorID', 'Int32'],
    ['tpep_pickup_datetime', 'Timestamp<MICROSECOND>'],
    ['tpep_dropoff_datetime', 'Timestamp<MICROSECOND>'],
    ['passenger_count', 'Int64'],
    ['trip_distance', 'Float64'],
    ['RatecodeID', 'Int64'],
    ['store_and_fwd_flag', 'Utf8'],
    ['PULocationID', 'Int32'],
    ['DOLocationID', 'Int32'],
    ['payment_type', 'Int64'],
    ...MONEY,
    ['congestion_surcharge', 'Float64'],
    ['Airport_fee', 'Float64'],
  ],
  '2023': [
    ['VendorID', 'Int64'],
    ['tpep_pickup_datetime', 'Timestamp<MICROSECOND>'],
    ['tpep_dropoff_datetime', 'Timestamp<MICROSECOND>'],
    ['passenger_count', 'Float64'],
    ['trip_distance', 'Float64'],
    ['RatecodeID', 'Float64'],
    ['store_and_fwd_flag', 'Utf8'],
    ['PULocationID', 'Int64'],
    ['DOLocationID', 'Int64'],
    ['payment_type', 'Int64'],
    ...MONEY,
    ['congestion_surcharge', 'Float64'],
    ['airport_fee', 'Float64'],
  ],
};
const MONEY_COLUMNS_2025 = [
  ...MONEY.map(([name]) => name).filter((name) => name !== 'total_amount'),
  'congestion_surcharge',
  'Airport_fee',
  'cbd_congestion_fee',
];

let workDir: string;
beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlc-generate-'));
});
afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function generate(month: string, rows: number, seed: number, extra: { rowGroupSize?: number } = {}) {
  const outFile = path.join(workDir, `${month}-${rows}-${seed}-${extra.rowGroupSize ?? 'default'}.parquet`);
  const result = await generateMonth({ month, rows, seed, outFile, ...extra });
  return { result, outFile, bytes: fs.readFileSync(outFile) };
}

function share(count: number, total: number): number {
  return count / total;
}

describe('schema families', () => {
  it.each([
    ['2025-03', '2025', Compression.ZSTD],
    ['2024-03', '2024', Compression.ZSTD],
    ['2023-06', '2023', Compression.ZSTD],
    ['2022-11', '2023', Compression.GZIP],
  ] as const)('%s has the %s layout, exact row count and codec %s', async (month, family, codec) => {
    const rows = 20_000;
    const { bytes } = await generate(month, rows, 7);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(bytes.subarray(bytes.length - 4).toString('latin1')).toBe('PAR1');

    const table = readArrowTable(bytes);
    const layout = table.schema.fields.map((field) => [field.name, String(field.type)]);
    expect(layout).toEqual(EXPECTED_LAYOUT[family].map(([name, type]) => [name, type]));
    for (const field of table.schema.fields) {
      if (field.type.typeId === Type.Timestamp) {
        expect((field.type as Timestamp).timezone ?? null).toBeNull(); // naive local times
      }
    }
    expect(table.numRows).toBe(rows);

    const footer = await readFooter(bytes);
    expect(footer.numRows).toBe(rows);
    expect([...footer.codecs]).toEqual([codec]);
  });

  it('writes several row groups of the requested size', async () => {
    const { bytes } = await generate('2025-02', 20_000, 3, { rowGroupSize: 8192 });
    const footer = await readFooter(bytes);
    expect(footer.rowGroupRows).toEqual([8192, 8192, 20_000 - 2 * 8192]);
    expect(footer.numRows).toBe(20_000);
  });

  it('writes a valid empty file for zero rows', async () => {
    const { bytes, result } = await generate('2025-02', 0, 3);
    expect(result.rows).toBe(0);
    const footer = await readFooter(bytes);
    expect(footer.numRows).toBe(0);
    expect(readArrowTable(bytes).schema.fields.map((field) => field.name)).toEqual(
      EXPECTED_LAYOUT['2025'].map(([name]) => name),
    );
  });

  it('2024 nulls the surcharges on Flex Fare rows, 2025 does not', async () => {
    for (const [month, surchargesNull] of [
      ['2024-03', true],
      ['2025-03', false],
    ] as const) {
      const table = readArrowTable((await generate(month, 20_000, 5)).bytes);
      const paymentType = numericColumn(table, 'payment_type');
      const congestion = numericColumn(table, 'congestion_surcharge');
      const airportFee = numericColumn(table, 'Airport_fee');
      let flexRows = 0;
      const wrongRows: number[] = [];
      for (let row = 0; row < table.numRows; row++) {
        const shouldBeNull = paymentType[row] === 0 && surchargesNull;
        if (paymentType[row] === 0) flexRows++;
        if ((congestion[row] === null) !== shouldBeNull || (airportFee[row] === null) !== shouldBeNull) {
          wrongRows.push(row);
        }
      }
      expect(flexRows).toBeGreaterThan(1000);
      expect(wrongRows).toEqual([]);
    }
  });

  it('rejects malformed input', async () => {
    const outFile = path.join(workDir, 'bad.parquet');
    await expect(generateMonth({ month: '2025-13', rows: 1, seed: 1, outFile })).rejects.toThrow(/YYYY-MM/);
    await expect(generateMonth({ month: '2025-01', rows: -1, seed: 1, outFile })).rejects.toThrow(/rows/);
    await expect(generateMonth({ month: '2025-01', rows: 1.5, seed: 1, outFile })).rejects.toThrow(/rows/);
  });
});

describe('determinism', () => {
  it('same seed gives the same bytes, another seed other bytes', async () => {
    const first = await generate('2025-01', 20_000, 11);
    const again = await generateMonth({
      month: '2025-01',
      rows: 20_000,
      seed: 11,
      outFile: path.join(workDir, 'again.parquet'),
    });
    const other = await generate('2025-01', 20_000, 12);

    const independentHash = createHash('sha256').update(first.bytes).digest('hex');
    expect(first.result.sha256).toBe(independentHash);
    expect(first.result.bytes).toBe(first.bytes.length);
    expect(first.result.rows).toBe(20_000);
    expect(again.sha256).toBe(first.result.sha256);
    expect(other.result.sha256).not.toBe(first.result.sha256);
  });
});

describe('a 2025 month looks like the real data', () => {
  const rows = 50_000;
  let table: Table;
  let col: (name: string) => Array<number | null>;
  beforeAll(async () => {
    table = readArrowTable((await generate('2025-03', rows, 2025)).bytes);
    const cache = new Map<string, Array<number | null>>();
    col = (name) => {
      if (!cache.has(name)) cache.set(name, numericColumn(table, name));
      return cache.get(name) as Array<number | null>;
    };
  });

  const count = (name: string, predicate: (value: number | null, row: number) => boolean) =>
    col(name).filter((value, row) => predicate(value, row)).length;

  it('has ~15% Flex Fare rows with passenger_count, RatecodeID and store_and_fwd_flag null together', () => {
    const paymentType = col('payment_type');
    const passengers = col('passenger_count');
    const ratecode = col('RatecodeID');
    const flag = columnValues(table, 'store_and_fwd_flag');
    const flexRows = paymentType.filter((value) => value === 0).length;
    expect(share(flexRows, rows)).toBeGreaterThan(0.13);
    expect(share(flexRows, rows)).toBeLessThan(0.18);
    // Collected rather than asserted per row: a per-row expect() over 50k rows is slow.
    const inconsistentRows: number[] = [];
    for (let row = 0; row < rows; row++) {
      const isNull = paymentType[row] === 0;
      const nulls = [passengers[row] === null, ratecode[row] === null, flag[row] === null];
      const flagValid = isNull || flag[row] === 'Y' || flag[row] === 'N';
      if (nulls.some((value) => value !== isNull) || !flagValid) inconsistentRows.push(row);
    }
    expect(inconsistentRows).toEqual([]);
  });

  it('has the payment, passenger and rate code mix of the real files', () => {
    expect(
      share(
        count('payment_type', (v) => v === 1),
        rows,
      ),
    ).toBeGreaterThan(0.64);
    expect(
      share(
        count('payment_type', (v) => v === 1),
        rows,
      ),
    ).toBeLessThan(0.76);
    expect(
      share(
        count('payment_type', (v) => v === 2),
        rows,
      ),
    ).toBeGreaterThan(0.08);
    expect(
      share(
        count('payment_type', (v) => v === 2),
        rows,
      ),
    ).toBeLessThan(0.14);
    expect(
      share(
        count('passenger_count', (v) => v === 1),
        rows,
      ),
    ).toBeGreaterThan(0.6);
    expect(
      share(
        count('passenger_count', (v) => v === 1),
        rows,
      ),
    ).toBeLessThan(0.74);
    expect(
      share(
        count('passenger_count', (v) => v === 0),
        rows,
      ),
    ).toBeGreaterThan(0.002);
    expect(
      share(
        count('passenger_count', (v) => v === 0),
        rows,
      ),
    ).toBeLessThan(0.015);
    expect(
      share(
        count('RatecodeID', (v) => v === 1),
        rows,
      ),
    ).toBeGreaterThan(0.72);
    expect(
      share(
        count('RatecodeID', (v) => v === 1),
        rows,
      ),
    ).toBeLessThan(0.86);
    expect(
      share(
        count('RatecodeID', (v) => v === 99),
        rows,
      ),
    ).toBeGreaterThan(0.006);
    expect(
      share(
        count('RatecodeID', (v) => v === 99),
        rows,
      ),
    ).toBeLessThan(0.02);
    const vendors = new Set(col('VendorID'));
    expect([...vendors].every((vendor) => [1, 2, 6, 7].includes(vendor as number))).toBe(true);
    expect(vendors.has(1) && vendors.has(2)).toBe(true);
  });

  it('tips mostly on card payments, never on cash', () => {
    const paymentType = col('payment_type');
    const tip = col('tip_amount');
    const cardRows = paymentType.filter((value) => value === 1).length;
    const tippedCard = tip.filter((value, row) => paymentType[row] === 1 && (value ?? 0) > 0).length;
    expect(share(tippedCard, cardRows)).toBeGreaterThan(0.75);
    expect(tip.filter((value, row) => paymentType[row] === 2 && value !== 0)).toEqual([]);
  });

  it('has ~4% negative fares, ~1.8% negative totals and ~2.6% zero distances', () => {
    const negativeFares = share(
      count('fare_amount', (v) => (v ?? 0) < 0),
      rows,
    );
    const negativeTotals = share(
      count('total_amount', (v) => (v ?? 0) < 0),
      rows,
    );
    const zeroDistance = share(
      count('trip_distance', (v) => v === 0),
      rows,
    );
    expect(negativeFares).toBeGreaterThan(0.03);
    expect(negativeFares).toBeLessThan(0.055);
    expect(negativeTotals).toBeGreaterThan(0.012);
    expect(negativeTotals).toBeLessThan(0.025);
    expect(zeroDistance).toBeGreaterThan(0.018);
    expect(zeroDistance).toBeLessThan(0.035);
  });

  it('keeps money in cents and total_amount equal to the sum of its parts', () => {
    const total = col('total_amount');
    const parts = MONEY_COLUMNS_2025.map((name) => col(name));
    let mismatches = 0;
    let notInCents = 0;
    for (let row = 0; row < rows; row++) {
      const sum = parts.reduce((running, part) => running + (part[row] ?? 0), 0);
      if (Math.abs(sum - (total[row] as number)) > 0.005) mismatches++;
      for (const value of [total[row], ...parts.map((part) => part[row])]) {
        if (value !== null && Math.abs(value * 100 - Math.round(value * 100)) > 1e-6) notInCents++;
      }
    }
    expect(mismatches).toBe(0);
    expect(notInCents).toBe(0);
  });

  it('puts pickups in the month, bar a few before and after it', () => {
    const monthStart = Date.UTC(2025, 2, 1);
    const monthEnd = Date.UTC(2025, 3, 1);
    const before = count('tpep_pickup_datetime', (v) => (v as number) < monthStart);
    const after = count('tpep_pickup_datetime', (v) => (v as number) >= monthEnd);
    expect(before).toBeGreaterThanOrEqual(1);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(share(before + after, rows)).toBeLessThan(0.001);
  });

  it('follows the daily demand curve', () => {
    const hours = col('tpep_pickup_datetime').map((ms) => new Date(ms as number).getUTCHours());
    const eveningRush = hours.filter((hour) => hour >= 17 && hour <= 19).length;
    const smallHours = hours.filter((hour) => hour >= 3 && hour <= 5).length;
    expect(eveningRush).toBeGreaterThan(3 * smallHours);
  });

  it('correlates duration and fare with distance', () => {
    const distance = col('trip_distance') as number[];
    const pickup = col('tpep_pickup_datetime') as number[];
    const dropoff = col('tpep_dropoff_datetime') as number[];
    const fare = col('fare_amount') as number[];
    const ratecode = col('RatecodeID');
    const sane: number[] = [];
    for (let row = 0; row < rows; row++) {
      const minutes = (dropoff[row] - pickup[row]) / 60_000;
      if (distance[row] > 0 && distance[row] < 100 && minutes > 0 && minutes < 300) sane.push(row);
    }
    expect(share(sane.length, rows)).toBeGreaterThan(0.95);
    const minutes = sane.map((row) => (dropoff[row] - pickup[row]) / 60_000);
    expect(
      pearson(
        sane.map((row) => distance[row]),
        minutes,
      ),
    ).toBeGreaterThan(0.6);
    const metered = sane.filter((row) => ratecode[row] === 1 && fare[row] > 0 && fare[row] < 1000);
    expect(
      pearson(
        metered.map((row) => distance[row]),
        metered.map((row) => fare[row]),
      ),
    ).toBeGreaterThan(0.8);
  });

  it('has a few broken trips: dropoff not after pickup, over 24 h, absurd distances', () => {
    const pickup = col('tpep_pickup_datetime') as number[];
    const dropoff = col('tpep_dropoff_datetime') as number[];
    const notAfter = pickup.filter((ms, row) => dropoff[row] <= ms).length;
    const overADay = pickup.filter((ms, row) => dropoff[row] - ms > 24 * 3600_000).length;
    const absurd = count('trip_distance', (v) => (v as number) > 500);
    for (const defects of [notAfter, overADay, absurd]) {
      expect(defects).toBeGreaterThanOrEqual(1);
      expect(share(defects, rows)).toBeLessThan(0.002);
    }
  });

  it('uses zone ids 1..265, with 264/265 present and out-of-range ids very rare', () => {
    const zones = [...col('PULocationID'), ...col('DOLocationID')] as number[];
    const outOfRange = zones.filter((zone) => zone < 1 || zone > 265).length;
    expect(outOfRange).toBeGreaterThanOrEqual(1);
    expect(share(outOfRange, zones.length)).toBeLessThan(0.001);
    expect(zones.filter((zone) => zone === 264).length).toBeGreaterThan(0);
    expect(zones.filter((zone) => zone === 265).length).toBeGreaterThan(0);
    const manhattan = zoneIdsByBorough().get('Manhattan') as Set<number>;
    const pickups = col('PULocationID') as number[];
    expect(share(pickups.filter((zone) => manhattan.has(zone)).length, rows)).toBeGreaterThan(0.75);
  });

  it('contains a small number of exact duplicate rows', () => {
    const names = table.schema.fields.map((field) => field.name);
    const columns = names.map((name) => columnValues(table, name));
    const seen = new Set<string>();
    let duplicates = 0;
    for (let row = 0; row < rows; row++) {
      const key = JSON.stringify(columns.map((values) => values[row]));
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    expect(duplicates).toBeGreaterThanOrEqual(1);
    expect(share(duplicates, rows)).toBeLessThan(0.005);
  });

  it('charges the $0.75 CBD fee only on Manhattan trips, with reversals at -0.75', () => {
    const manhattan = zoneIdsByBorough().get('Manhattan') as Set<number>;
    const fee = col('cbd_congestion_fee');
    const pickupZone = col('PULocationID') as number[];
    const dropoffZone = col('DOLocationID') as number[];
    expect(new Set(fee)).toEqual(new Set([0, 0.75, -0.75]));
    let manhattanTrips = 0;
    let charged = 0;
    for (let row = 0; row < rows; row++) {
      const inManhattan = manhattan.has(pickupZone[row]) || manhattan.has(dropoffZone[row]);
      if (!inManhattan) expect(fee[row]).toBe(0);
      if (manhattan.has(pickupZone[row]) && manhattan.has(dropoffZone[row])) {
        manhattanTrips++;
        if (fee[row] === 0.75) charged++;
      }
    }
    expect(share(charged, manhattanTrips)).toBeGreaterThan(0.5);
    expect(share(charged, manhattanTrips)).toBeLessThan(0.98);
  });
});

it('starts the CBD fee on 2025-01-05', async () => {
  const table = readArrowTable((await generate('2025-01', 20_000, 99)).bytes);
  const pickup = numericColumn(table, 'tpep_pickup_datetime') as number[];
  const fee = numericColumn(table, 'cbd_congestion_fee');
  const feeStart = Date.UTC(2025, 0, 5);
  const early = pickup.map((ms, row) => [ms, fee[row]] as const).filter(([ms]) => ms < feeStart);
  expect(early.length).toBeGreaterThan(500);
  expect(early.every(([, value]) => value === 0)).toBe(true);
  expect(fee.filter((value, row) => pickup[row] >= feeStart && value === 0.75).length).toBeGreaterThan(5000);
});
