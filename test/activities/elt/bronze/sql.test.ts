// The Bronze append's SQL, without Trino: how each year's file layout maps to the canonical columns, and
// the shape of the statements (identifiers checked, literals quoted and escaped).
import type { ParquetColumn } from '../../../../activities/elt/bronze/parquet-footer';
import {
  createBronzeTableSql,
  createStagingTableSql,
  deleteMonthSql,
  insertFromStagingSql,
  metadataTable,
  planSource,
  qualified,
  SourceSchemaError,
  tableRef,
  timestampTzLiteral,
  type Lineage,
} from '../../../../activities/elt/bronze/sql';
import { BronzeInputError } from '../../../../activities/elt/bronze/validate';
import {
  BRONZE_COLUMNS,
  BRONZE_LINEAGE_COLUMNS,
  BRONZE_SOURCE_COLUMNS,
} from '../../../../domain/bronze-schema';
import {
  COLUMNS,
  SCHEMA_FAMILIES,
  type PhysicalType,
  type SchemaFamily,
} from '../../../../infra/local/tlc-mirror/schema';

// The Trino type readParquetFooter reports for each physical type the TLC files use.
const TRINO_TYPE: Record<PhysicalType, string> = {
  int32: 'integer',
  int64: 'bigint',
  float64: 'double',
  timestampMicros: 'timestamp(6)',
  utf8: 'varchar',
};

/** The footer's columns of a file of the given year's layout (the layouts the offline mirror writes). */
function layout(family: SchemaFamily): ParquetColumn[] {
  return COLUMNS[family].map((c) => ({ name: c.name, arrowType: c.type, trinoType: TRINO_TYPE[c.type] }));
}

const col = (name: string, trinoType: string | undefined, arrowType = 'x'): ParquetColumn => ({
  name,
  arrowType,
  trinoType,
});

const target = tableRef('lakehouse_etl_2025_03');
const staging = tableRef('lakehouse_etl_2025_03', 'bronze', 'bronze_stage_2025_03_ab12cd34');
const lineage: Lineage = {
  month: '2025-03',
  sourceFile: "yellow_tripdata_2025-03's.parquet",
  sourceSha256: 'ab'.repeat(32),
  ingestedAt: new Date('2025-05-02T07:08:09.123Z'),
  runId: "run-'1",
};

describe('planSource over the three TLC layouts', () => {
  test.each(SCHEMA_FAMILIES.map((f) => [f]))('%s: every canonical column is read, none ignored', (family) => {
    const plan = planSource('f', layout(family));
    expect(plan.columns.map((c) => c.target.name)).toEqual(BRONZE_SOURCE_COLUMNS.map((c) => c.name));
    expect(plan.ignored).toEqual([]);
    expect(plan.missing).toEqual(family === '2025' ? [] : ['cbd_congestion_fee']);
    for (const { target: t, source } of plan.columns) {
      if (t.name === 'cbd_congestion_fee' && family !== '2025') expect(source).toBeUndefined();
      else expect(t.sources).toContain(source?.name);
    }
  });

  test('airport_fee is read from lower-case airport_fee in 2023 and Airport_fee since 2024', () => {
    const airportFee = (family: SchemaFamily) =>
      planSource('f', layout(family)).columns.find((c) => c.target.name === 'airport_fee')?.source?.name;
    expect(airportFee('2023')).toBe('airport_fee');
    expect(airportFee('2024')).toBe('Airport_fee');
    expect(airportFee('2025')).toBe('Airport_fee');
  });

  test('the exact spelling wins over a case-insensitive match, which is used when it is the only one', () => {
    const renamed = layout('2025').map((c) => (c.name === 'VendorID' ? { ...c, name: 'vendorid' } : c));
    expect(planSource('f', renamed).columns[0].source?.name).toBe('vendorid');
  });

  test('columns Bronze does not read are listed as ignored', () => {
    const plan = planSource('f', [...layout('2024'), col('extra_column', 'varchar')]);
    expect(plan.ignored).toEqual(['extra_column']);
  });

  test('a missing required column, a narrowing type or an unknown type is refused, naming the file', () => {
    const withoutVendor = layout('2024').filter((c) => c.name !== 'VendorID');
    expect(() => planSource('s3://b/k.parquet', withoutVendor)).toThrow(SourceSchemaError);
    expect(() => planSource('s3://b/k.parquet', withoutVendor)).toThrow(
      /^s3:\/\/b\/k\.parquet does not have .*missing column VendorID/,
    );
    // ...and says what to do about it.
    expect(() => planSource('s3://b/k.parquet', withoutVendor)).toThrow(
      /VendorID\. Give a TLC yellow-taxi trip file \(2023 or later layout\), then run the month again\.$/,
    );
    const narrowing = layout('2024').map((c) =>
      c.name === 'VendorID' ? col('VendorID', 'double', 'Float64') : c,
    );
    expect(() => planSource('f', narrowing)).toThrow(
      /column VendorID has type Float64, which does not widen to bigint/,
    );
    const unknown = layout('2024').map((c) =>
      c.name === 'trip_distance' ? col('trip_distance', undefined, 'Decimal') : c,
    );
    expect(() => planSource('f', unknown)).toThrow(/trip_distance has type Decimal/);
  });

  test('two columns that differ only in case are refused', () => {
    expect(() => planSource('f', [...layout('2024'), col('airport_fee', 'double')])).toThrow(
      /columns Airport_fee and airport_fee differ only in case/,
    );
  });

  test('a timestamp with time zone is accepted for a naive timestamp column', () => {
    const zoned = layout('2025').map((c) =>
      c.name === 'tpep_pickup_datetime' ? col(c.name, 'timestamp(6) with time zone') : c,
    );
    expect(planSource('f', zoned).columns[1].source?.trinoType).toBe('timestamp(6) with time zone');
  });
});

describe('tableRef and names', () => {
  test('defaults to bronze.yellow_trips and checks every part as an identifier', () => {
    expect(qualified(tableRef('lakehouse'))).toBe('lakehouse.bronze.yellow_trips');
    for (const [catalog, schema, table] of [
      ['Lakehouse', 'bronze', 'yellow_trips'],
      ['lakehouse; DROP TABLE x', 'bronze', 'yellow_trips'],
      ['lakehouse', 'bro"nze', 'yellow_trips'],
      ['lakehouse', 'bronze', 'yellow.trips'],
    ]) {
      expect(() => tableRef(catalog, schema, table)).toThrow(BronzeInputError);
    }
  });

  test('metadata tables are quoted, as their names hold a $', () => {
    expect(metadataTable(target, 'files')).toBe('lakehouse_etl_2025_03.bronze."yellow_trips$files"');
  });
});

describe('statements', () => {
  const plan2023 = planSource('f', layout('2023'));

  test('the canonical table: every column in order, Parquet, partitioned by month; same as the domain', () => {
    const sql = createBronzeTableSql(target);
    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS lakehouse_etl_2025_03\.bronze\.yellow_trips \(\n/);
    expect(sql).toMatch(/\) WITH \(format = 'PARQUET', partitioning = ARRAY\['source_month'\]\)$/);
    const columns = sql
      .split('\n')
      .slice(1, -1)
      .map((l) => l.trim().replace(/,$/, ''));
    expect(columns).toEqual(BRONZE_COLUMNS.map((c) => `${c.name} ${c.type}`));
  });

  test("the staging table has the file's own columns, lower-cased and quoted, unpartitioned", () => {
    const sql = createStagingTableSql(staging, plan2023);
    expect(sql).toMatch(/^CREATE TABLE lakehouse_etl_2025_03\.bronze\.bronze_stage_2025_03_ab12cd34 \(\n/);
    expect(sql).toMatch(/\) WITH \(format = 'PARQUET'\)$/);
    expect(sql).not.toMatch(/partitioning/);
    expect(sql).toContain('  "vendorid" bigint');
    expect(sql).toContain('  "airport_fee" double');
    expect(sql).not.toContain('cbd_congestion_fee'); // absent from 2023 files
    expect(sql.split('\n')).toHaveLength(plan2023.columns.filter((c) => c.source).length + 2);
  });

  test('the INSERT renames, widens, fills absent columns with null and adds escaped lineage literals', () => {
    const plan2024 = planSource('f', layout('2024'));
    const sql = insertFromStagingSql(target, staging, plan2024, lineage);
    const names = BRONZE_COLUMNS.map((c) => c.name);
    expect(sql.split('\n')[0]).toBe(
      `INSERT INTO lakehouse_etl_2025_03.bronze.yellow_trips (${names.join(', ')})`,
    );
    expect(sql).toMatch(/\nFROM lakehouse_etl_2025_03\.bronze\.bronze_stage_2025_03_ab12cd34$/);
    const select = sql.split('\n').slice(2, -1);
    expect(select.map((l) => / AS (\w+),?$/.exec(l)?.[1])).toEqual(names);
    expect(select).toEqual(
      expect.arrayContaining([
        '  CAST("vendorid" AS bigint) AS vendor_id,', // int32 in 2024 files
        '  CAST("passenger_count" AS double) AS passenger_count,', // int64 in 2024 files
        '  "trip_distance" AS trip_distance,', // already double
        '  "airport_fee" AS airport_fee,', // Airport_fee, as Trino folds it
        '  CAST(NULL AS double) AS cbd_congestion_fee,',
        "  '2025-03' AS source_month,",
        "  'yellow_tripdata_2025-03''s.parquet' AS source_file,",
        `  '${'ab'.repeat(32)}' AS source_sha256,`,
        "  TIMESTAMP '2025-05-02 07:08:09.123000 UTC' AS ingested_at,",
        "  'run-''1' AS run_id",
      ]),
    );
  });

  test('a zoned timestamp is converted to UTC wall-clock time', () => {
    const zoned = layout('2025').map((c) =>
      c.name === 'tpep_pickup_datetime' ? col(c.name, 'timestamp(6) with time zone') : c,
    );
    const sql = insertFromStagingSql(target, staging, planSource('f', zoned), lineage);
    expect(sql).toContain(
      `CAST("tpep_pickup_datetime" AT TIME ZONE 'UTC' AS timestamp(6)) AS tpep_pickup_datetime`,
    );
  });

  test('the DELETE replaces exactly the month, quoted as a literal', () => {
    expect(deleteMonthSql(target, '2025-03')).toBe(
      "DELETE FROM lakehouse_etl_2025_03.bronze.yellow_trips WHERE source_month = '2025-03'",
    );
    expect(deleteMonthSql(target, "x' OR '1'='1")).toBe(
      "DELETE FROM lakehouse_etl_2025_03.bronze.yellow_trips WHERE source_month = 'x'' OR ''1''=''1'",
    );
  });

  test('timestamp literals are UTC with microseconds', () => {
    expect(timestampTzLiteral(new Date('2026-11-25T19:30:00.000Z'))).toBe(
      "TIMESTAMP '2026-11-25 19:30:00.000000 UTC'",
    );
  });

  test('the lineage columns come last, in the domain order', () => {
    expect(BRONZE_COLUMNS.slice(-BRONZE_LINEAGE_COLUMNS.length)).toEqual(BRONZE_LINEAGE_COLUMNS);
  });
});
