// domain/bronze-schema.json is the one definition of the Bronze table: the TypeScript ELT imports it, the
// Airflow DAG (and the PyIceberg bench) read it at run time, and dbt keeps copies Jinja can use. Any drift
// between them fails here.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import schema from '../../domain/bronze-schema.json';
import {
  BRONZE_COLUMNS,
  BRONZE_LINEAGE_COLUMNS,
  BRONZE_SOURCE_COLUMNS,
  BRONZE_TABLE,
} from '../../domain/bronze-schema';
import { createBronzeTableSql, OPTIONAL_SOURCE_COLUMNS } from '../../activities/elt/bronze/sql';
import { findPython } from '../../infra/local/prereqs';
import { REPO_ROOT } from '../../lib/config';

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const names = (columns: { name: string }[]) => columns.map((c) => c.name);
const ALL_NAMES = [...schema.sourceColumns, ...schema.lineageColumns].map((c) => c.name);

describe('the TypeScript ELT', () => {
  test('takes every column, type and source name from the JSON, in its order', () => {
    expect(BRONZE_SOURCE_COLUMNS).toEqual(
      schema.sourceColumns.map((c) => ({
        name: c.name,
        type: c.type,
        sources: c.sources,
        optional: 'optional' in c && c.optional === true,
      })),
    );
    expect(BRONZE_LINEAGE_COLUMNS).toEqual(schema.lineageColumns.map(({ name, type }) => ({ name, type })));
    expect(names(BRONZE_COLUMNS)).toEqual(ALL_NAMES);
    expect(BRONZE_TABLE).toEqual({ schema: 'bronze', table: 'yellow_trips', partitionedBy: 'source_month' });
    expect(ALL_NAMES).toContain(BRONZE_TABLE.partitionedBy);
    expect(new Set(ALL_NAMES).size).toBe(ALL_NAMES.length);
  });

  test("the optional source columns are the JSON's: the ones older files lack", () => {
    expect([...OPTIONAL_SOURCE_COLUMNS].sort()).toEqual(
      BRONZE_SOURCE_COLUMNS.filter((c) => c.optional)
        .map((c) => c.name)
        .sort(),
    );
    // congestion_surcharge from 2019, airport_fee from 2021, cbd_congestion_fee from 2025.
    expect([...OPTIONAL_SOURCE_COLUMNS].sort()).toEqual([
      'airport_fee',
      'cbd_congestion_fee',
      'congestion_surcharge',
    ]);
  });

  test('the DDL is exactly the table the ELT has always created', () => {
    const ref = { catalog: 'lakehouse', schema: 'bronze', table: 'yellow_trips' };
    const columns = [
      'vendor_id bigint',
      'tpep_pickup_datetime timestamp(6)',
      'tpep_dropoff_datetime timestamp(6)',
      'passenger_count double',
      'trip_distance double',
      'ratecode_id double',
      'store_and_fwd_flag varchar',
      'pu_location_id bigint',
      'do_location_id bigint',
      'payment_type bigint',
      'fare_amount double',
      'extra double',
      'mta_tax double',
      'tip_amount double',
      'tolls_amount double',
      'improvement_surcharge double',
      'total_amount double',
      'congestion_surcharge double',
      'airport_fee double',
      'cbd_congestion_fee double',
      'source_month varchar',
      'source_file varchar',
      'source_sha256 varchar',
      'ingested_at timestamp(6) with time zone',
      'run_id varchar',
    ]
      .map((c) => `  ${c}`)
      .join(',\n');
    expect(createBronzeTableSql(ref)).toBe(
      `CREATE TABLE IF NOT EXISTS lakehouse.bronze.yellow_trips (\n${columns}\n) ` +
        `WITH (format = 'PARQUET', partitioning = ARRAY['source_month'])`,
    );
  });
});

describe('dbt', () => {
  test("the project var bronze_source_columns (macros bronze_source_columns, bronze_source_column_types) is the JSON's source columns and types", () => {
    const project = parse(read('dbt/dbt_project.yml')) as {
      vars: { bronze_source_columns: Record<string, string> };
    };
    expect(Object.entries(project.vars.bronze_source_columns)).toEqual(
      schema.sourceColumns.map((c) => [c.name, c.type]),
    );
    const macros = read('dbt/macros/fingerprint.sql');
    expect(macros).toMatch(/return\(var\('bronze_source_columns'\)\.keys\(\) \| list\)/);
    expect(macros).toMatch(/return\(var\('bronze_source_columns'\)\)/);
  });

  test('the Bronze source lists every column in table order', () => {
    const sources = parse(read('dbt/models/staging/_bronze__sources.yml')) as {
      sources: { name: string; schema: string; tables: { name: string; columns: { name: string }[] }[] }[];
    };
    const bronze = sources.sources.find((s) => s.name === 'bronze');
    expect(bronze?.schema).toBe(schema.schema);
    const table = bronze?.tables.find((t) => t.name === schema.table);
    expect(names(table?.columns ?? [])).toEqual(ALL_NAMES);
  });

  test('the staging model selects exactly the Bronze columns', () => {
    const sql = read('dbt/models/staging/stg_bronze__yellow_trips.sql');
    const renamed = sql.slice(sql.indexOf('renamed as'));
    const select = renamed.slice(renamed.indexOf('select'), renamed.indexOf('from source'));
    const listed = [...select.matchAll(/^\s+([a-z_0-9]+),?\s*$/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...ALL_NAMES].sort());
  });

  test("silver.yellow_trips_rejected's contract keeps the Bronze columns and types verbatim", () => {
    const models = parse(read('dbt/models/silver/_silver__models.yml')) as {
      models: { name: string; columns: { name: string; data_type: string }[] }[];
    };
    const rejected = models.models.find((m) => m.name === 'yellow_trips_rejected');
    const columns = (rejected?.columns ?? []).map(({ name, data_type }) => ({ name, type: data_type }));
    expect(columns).toEqual([{ name: 'reject_reason', type: 'varchar' }, ...BRONZE_COLUMNS]);
  });
});

describe('the Airflow DAG and the PyIceberg bench', () => {
  test('read the same schema from the JSON at run time', () => {
    const printed = execFileSync(findPython(), ['-m', 'yellow_trips.bronze_schema'], {
      cwd: path.join(REPO_ROOT, 'airflow', 'dags'),
      env: { ...process.env, DP_BRONZE_SCHEMA_FILE: '' },
      encoding: 'utf8',
    });
    const fromPython = JSON.parse(printed) as {
      file: string;
      table: string;
      partitioned_by: string;
      columns: [string, string][];
      sources: Record<string, string[]>;
      optional: string[];
    };
    expect(fromPython.file).toBe(path.join(REPO_ROOT, 'domain', 'bronze-schema.json'));
    expect(fromPython.table).toBe(`${BRONZE_TABLE.schema}.${BRONZE_TABLE.table}`);
    expect(fromPython.partitioned_by).toBe(BRONZE_TABLE.partitionedBy);
    expect(fromPython.columns).toEqual(BRONZE_COLUMNS.map((c) => [c.name, c.type]));
    expect(fromPython.sources).toEqual(
      Object.fromEntries(BRONZE_SOURCE_COLUMNS.map((c) => [c.name, c.sources])),
    );
    expect(fromPython.optional).toEqual([...OPTIONAL_SOURCE_COLUMNS].sort());
  });

  test('keep no column list of their own', () => {
    const files = [
      ...fs
        .readdirSync(path.join(REPO_ROOT, 'airflow', 'dags'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.py'))
        .map((f) => path.join('airflow', 'dags', f)),
      'bench/pyiceberg_append.py',
    ];
    expect(files).toContain(path.join('airflow', 'dags', 'nyc_yellow_trips_dag.py'));
    for (const file of files) {
      // A quoted source-only name (or a file's spelling of one) means a hard-coded copy of the list.
      const copies = ['VendorID', 'Airport_fee', 'cbd_congestion_fee', 'improvement_surcharge'].filter((n) =>
        new RegExp(`["']${n}["']`).test(read(file)),
      );
      expect({ file, copies }).toEqual({ file, copies: [] });
    }
  });
});
