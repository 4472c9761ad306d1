// Development/test stand-in for the real Bronze ingest: reads a mirror month's Parquet file and writes
// it into <catalog>.bronze.yellow_trips with plain INSERT ... VALUES statements through Trino. Replaces
// the month first, so loading the same month twice leaves one copy. Fine for test months of tens of
// thousands of rows; far too slow for a real month (use the ingest workflow for those).
import {
  BRONZE_LINEAGE_COLUMNS,
  BRONZE_SOURCE_COLUMNS,
  BRONZE_TABLE,
  bronzeCreateTableSql,
  type BronzeColumn,
} from '../../activities/tlc/bronze-schema';
import { sqlIdentifier, sqlString, TrinoClient } from '../../activities/trino/client';
import { formatMicros, readTlcParquet, type RawColumn } from './tlc-parquet';

export interface BronzeLineage {
  /** 'YYYY-MM': the partition the rows are written to. */
  sourceMonth: string;
  sourceFile: string;
  sourceSha256: string;
  runId: string;
  /** Defaults to the time the load starts. */
  ingestedAt?: Date;
}

export interface LoadBronzeOptions {
  /** Rows per INSERT statement. */
  batchRows?: number;
  user?: string;
}

export interface LoadBronzeResult {
  rows: number;
  statements: number;
  /** Bronze columns with no source column in the file (written as null), e.g. cbd_congestion_fee before 2025. */
  missingColumns: string[];
}

const DEFAULT_BATCH_ROWS = 2_000;
const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A Trino DOUBLE literal that parses back to exactly this value. */
function doubleLiteral(value: number): string {
  if (Number.isNaN(value)) return 'nan()';
  if (value === Infinity) return 'infinity()';
  if (value === -Infinity) return '-infinity()';
  // JavaScript prints the shortest text that round-trips; an exponent makes Trino read it as DOUBLE
  // (a plain 1.25 would be a DECIMAL literal).
  const text = String(value);
  return text.includes('e') ? text : `${text}E0`;
}

type CellRenderer = (row: number) => string;

/** Renders one Bronze column of row `row` as a SQL literal of the Bronze type. */
function cellRenderer(column: BronzeColumn, source: RawColumn | undefined): CellRenderer {
  if (!source) return () => 'NULL';
  const where = `${column.name} (from ${source.kind})`;
  switch (column.type) {
    case 'bigint': {
      if (source.kind !== 'integer' && source.kind !== 'double') throw new Error(`${where}: not numeric`);
      const values = source.values;
      return (row) => {
        const value = values[row];
        if (value === null) return 'NULL';
        if (!Number.isSafeInteger(value)) throw new Error(`${where}: ${value} is not an integer`);
        return String(value);
      };
    }
    case 'double': {
      if (source.kind !== 'integer' && source.kind !== 'double') throw new Error(`${where}: not numeric`);
      const values = source.values;
      return (row) => {
        const value = values[row];
        return value === null ? 'NULL' : doubleLiteral(value);
      };
    }
    case 'timestamp(6)': {
      if (source.kind !== 'timestampMicros') throw new Error(`${where}: not a timestamp`);
      const values = source.values;
      return (row) => {
        const value = values[row];
        return value === null ? 'NULL' : `TIMESTAMP '${formatMicros(value)}'`;
      };
    }
    case 'varchar': {
      const values = source.values;
      return (row) => {
        const value = values[row];
        return value === null ? 'NULL' : sqlString(String(value));
      };
    }
    case 'timestamp(6) with time zone':
      throw new Error(`${where}: no TLC source column has a time zone`);
  }
}

export async function loadBronzeViaSql(
  trinoUrl: string,
  catalog: string,
  parquetFile: string,
  lineage: BronzeLineage,
  options: LoadBronzeOptions = {},
): Promise<LoadBronzeResult> {
  if (!MONTH_PATTERN.test(lineage.sourceMonth)) {
    throw new Error(`sourceMonth must look like YYYY-MM, got ${JSON.stringify(lineage.sourceMonth)}`);
  }
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) throw new Error(`batchRows must be >= 1`);
  const table = `${sqlIdentifier(catalog)}.${BRONZE_TABLE.schema}.${BRONZE_TABLE.table}`;
  const client = new TrinoClient(trinoUrl, { user: options.user ?? 'dp-test', source: 'dp-load-bronze-sql' });

  const parquet = await readTlcParquet(parquetFile);
  const missingColumns: string[] = [];
  const renderers = BRONZE_SOURCE_COLUMNS.map((column) => {
    const sourceName = column.sources.find((name) => parquet.columns.has(name));
    if (sourceName === undefined) missingColumns.push(column.name);
    return cellRenderer(column, sourceName === undefined ? undefined : parquet.columns.get(sourceName));
  });
  const ingestedAt = (lineage.ingestedAt ?? new Date()).toISOString().replace('T', ' ').replace('Z', '');
  const lineageValues: Record<string, string> = {
    source_month: sqlString(lineage.sourceMonth),
    source_file: sqlString(lineage.sourceFile),
    source_sha256: sqlString(lineage.sourceSha256),
    ingested_at: `TIMESTAMP '${ingestedAt} UTC'`,
    run_id: sqlString(lineage.runId),
  };
  const lineageSql = BRONZE_LINEAGE_COLUMNS.map((column) => {
    const value = lineageValues[column.name];
    if (value === undefined) throw new Error(`no value for lineage column ${column.name}`);
    return value;
  }).join(', ');
  const columnList = [...BRONZE_SOURCE_COLUMNS, ...BRONZE_LINEAGE_COLUMNS].map((c) => c.name).join(', ');

  await client.query(bronzeCreateTableSql(sqlIdentifier(catalog)));
  await client.query(`DELETE FROM ${table} WHERE source_month = ${sqlString(lineage.sourceMonth)}`);
  let statements = 0;
  for (let first = 0; first < parquet.numRows; first += batchRows) {
    const last = Math.min(parquet.numRows, first + batchRows);
    const tuples: string[] = [];
    for (let row = first; row < last; row++) {
      tuples.push(`(${renderers.map((render) => render(row)).join(', ')}, ${lineageSql})`);
    }
    const result = await client.query(`INSERT INTO ${table} (${columnList}) VALUES\n${tuples.join(',\n')}`);
    if (result.updateCount !== undefined && result.updateCount !== last - first) {
      throw new Error(`INSERT wrote ${result.updateCount} rows, expected ${last - first}`);
    }
    statements++;
  }
  return { rows: parquet.numRows, statements, missingColumns };
}
