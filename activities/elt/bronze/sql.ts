// SQL for the Bronze append: the canonical table, the staging table that exposes a landed source file in
// its own layout, and the INSERT that renames, widens and adds lineage. Pure functions, no I/O.
import {
  BRONZE_COLUMNS,
  BRONZE_SOURCE_COLUMNS,
  BRONZE_TABLE,
  type BronzeColumn,
  type BronzeType,
} from '../../../domain/bronze-schema';
import { sqlString } from '../../../clients/trino';
import type { ParquetColumn } from './parquet-footer';
import { InvalidSourceFile } from '../invalid-source-file';
import { validateIdentifier } from './validate';

export interface TableRef {
  catalog: string;
  schema: string;
  table: string;
}

export function tableRef(catalog: string, schema: string = BRONZE_TABLE.schema, table = BRONZE_TABLE.table) {
  return {
    catalog: validateIdentifier('catalog', catalog),
    schema: validateIdentifier('schema', schema),
    table: validateIdentifier('table', table),
  };
}

export function qualified(ref: TableRef): string {
  return `${ref.catalog}.${ref.schema}.${ref.table}`;
}

/** A metadata table of an Iceberg table, e.g. "yellow_trips$files". */
export function metadataTable(ref: TableRef, kind: 'files' | 'properties' | 'snapshots'): string {
  return `${ref.catalog}.${ref.schema}."${ref.table}$${kind}"`;
}

/** Canonical columns that older files do not have: they load as null. Every other column is required. */
export const OPTIONAL_SOURCE_COLUMNS: ReadonlySet<string> = new Set(
  BRONZE_SOURCE_COLUMNS.filter((c) => c.optional).map((c) => c.name),
);

/** The canonical columns as a CREATE TABLE column list, one per line. */
function canonicalColumnsDdl(): string {
  return BRONZE_COLUMNS.map((c) => `  ${c.name} ${c.type}`).join(',\n');
}

/** CREATE TABLE for the canonical Bronze table, partitioned by month: the only DDL of Bronze. */
export function createBronzeTableSql(ref: TableRef): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualified(ref)} (\n${canonicalColumnsDdl()}\n) ` +
    `WITH (format = 'PARQUET', partitioning = ARRAY['${BRONZE_TABLE.partitionedBy}'])`
  );
}

/** Source file types each canonical type may be read from (all lossless widenings). */
const ACCEPTED_SOURCE_TYPES: Record<BronzeType, readonly string[]> = {
  bigint: ['integer', 'bigint'],
  double: ['integer', 'bigint', 'real', 'double'],
  varchar: ['varchar'],
  'timestamp(6)': ['timestamp(6)', 'timestamp(6) with time zone'],
  'timestamp(6) with time zone': ['timestamp(6) with time zone'],
};

/** How one canonical column is filled from a file. */
export interface ColumnSource {
  target: BronzeColumn;
  /** The file's column; absent when the file does not have it (then null). */
  source?: ParquetColumn;
}

export interface SourcePlan {
  columns: ColumnSource[];
  /** Columns of the file that Bronze does not read. */
  ignored: string[];
  /** Canonical columns the file lacks (loaded as null). */
  missing: string[];
}

export class SourceSchemaError extends InvalidSourceFile {
  constructor(location: string, problems: string[]) {
    super(
      `${location} does not have the yellow-taxi trip layout Bronze reads: ${problems.join('; ')}. ` +
        'Give a TLC yellow-taxi trip file (2023 or later layout), then run the month again.',
    );
  }
}

const PLAIN_COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Matches the file's columns to the canonical ones: each canonical column takes the first of its source
 * names the file has (exact spelling first, then ignoring case, as Trino does), and must have a type
 * that widens losslessly to the canonical type.
 */
export function planSource(location: string, columns: ParquetColumn[]): SourcePlan {
  const problems: string[] = [];
  const byLowerName = new Map<string, ParquetColumn[]>();
  for (const column of columns) {
    const key = column.name.toLowerCase();
    byLowerName.set(key, [...(byLowerName.get(key) ?? []), column]);
  }
  const used = new Set<ParquetColumn>();
  const plan: ColumnSource[] = [];
  const missing: string[] = [];
  for (const target of BRONZE_SOURCE_COLUMNS) {
    let source: ParquetColumn | undefined;
    for (const name of target.sources) {
      const candidates = byLowerName.get(name.toLowerCase()) ?? [];
      if (candidates.length > 1) {
        problems.push(`columns ${candidates.map((c) => c.name).join(' and ')} differ only in case`);
      }
      source = candidates.find((c) => c.name === name) ?? candidates[0];
      if (source) break;
    }
    if (!source) {
      if (OPTIONAL_SOURCE_COLUMNS.has(target.name)) missing.push(target.name);
      else problems.push(`missing column ${target.sources.join(' or ')}`);
      plan.push({ target });
      continue;
    }
    if (!PLAIN_COLUMN_NAME.test(source.name)) problems.push(`unsupported column name ${source.name}`);
    if (!source.trinoType || !ACCEPTED_SOURCE_TYPES[target.type].includes(source.trinoType)) {
      problems.push(
        `column ${source.name} has type ${source.arrowType}, which does not widen to ${target.type}`,
      );
    }
    used.add(source);
    plan.push({ target, source });
  }
  if (problems.length > 0) throw new SourceSchemaError(location, problems);
  const ignored = columns.filter((c) => !used.has(c)).map((c) => c.name);
  return { columns: plan, ignored, missing };
}

/** Staging table with the file's own column names (Trino folds them to lower case) and types. */
export function createStagingTableSql(ref: TableRef, plan: SourcePlan): string {
  const columns = plan.columns.flatMap(({ source }) =>
    source ? [`  "${source.name.toLowerCase()}" ${source.trinoType}`] : [],
  );
  return `CREATE TABLE ${qualified(ref)} (\n${columns.join(',\n')}\n) WITH (format = 'PARQUET')`;
}

export interface Lineage {
  month: string;
  sourceFile: string;
  sourceSha256: string;
  ingestedAt: Date;
  runId: string;
}

/** A TIMESTAMP WITH TIME ZONE literal in UTC with microsecond precision. */
export function timestampTzLiteral(at: Date): string {
  const iso = at.toISOString(); // 2026-11-25T19:30:00.123Z
  return `TIMESTAMP '${iso.slice(0, 10)} ${iso.slice(11, 23)}000 UTC'`;
}

function sourceExpression({ target, source }: ColumnSource): string {
  if (!source) return `CAST(NULL AS ${target.type})`;
  const column = `"${source.name.toLowerCase()}"`;
  if (source.trinoType === target.type) return column;
  if (source.trinoType === 'timestamp(6) with time zone') {
    return `CAST(${column} AT TIME ZONE 'UTC' AS ${target.type})`;
  }
  return `CAST(${column} AS ${target.type})`;
}

function lineageExpressions(lineage: Lineage): string[] {
  return [
    sqlString(lineage.month),
    sqlString(lineage.sourceFile),
    sqlString(lineage.sourceSha256),
    timestampTzLiteral(lineage.ingestedAt),
    sqlString(lineage.runId),
  ];
}

/** INSERT of the staged source into Bronze: renames, lossless casts, nulls for absent columns, lineage. */
export function insertFromStagingSql(
  target: TableRef,
  staging: TableRef,
  plan: SourcePlan,
  lineage: Lineage,
) {
  const names = BRONZE_COLUMNS.map((c) => c.name);
  const expressions = [...plan.columns.map(sourceExpression), ...lineageExpressions(lineage)];
  const select = expressions.map((e, i) => `  ${e} AS ${names[i]}`).join(',\n');
  return `INSERT INTO ${qualified(target)} (${names.join(', ')})\nSELECT\n${select}\nFROM ${qualified(staging)}`;
}

export function deleteMonthSql(target: TableRef, month: string): string {
  return `DELETE FROM ${qualified(target)} WHERE ${BRONZE_TABLE.partitionedBy} = ${sqlString(month)}`;
}
