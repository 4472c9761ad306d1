// The canonical Bronze schema of the Yellow Taxi trip records: one schema for every year's file.
// Source columns get snake_case names and the widest physical type seen across 2022-2025 (see the drift
// table in the README); lineage columns say where each row came from. The definition itself is
// bronze-schema.json beside this file, shared with the Airflow DAG, the PyIceberg bench and (checked by
// test/domain/bronze-schema.test.ts) dbt; this module gives it types and refuses a malformed file.
import schema from './bronze-schema.json';

export const BRONZE_TYPES = [
  'bigint',
  'double',
  'varchar',
  'timestamp(6)',
  'timestamp(6) with time zone',
] as const;

export type BronzeType = (typeof BRONZE_TYPES)[number];

export interface BronzeColumn {
  name: string;
  type: BronzeType;
  /** Source column names this column is read from, in any year's file (first match wins). */
  sources: string[];
  /** Absent from older files (loaded as null); every other source column is required. */
  optional: boolean;
}

function bronzeType(column: string, type: string): BronzeType {
  if (!(BRONZE_TYPES as readonly string[]).includes(type)) {
    throw new Error(`domain/bronze-schema.json: column ${column} has unknown type ${type}`);
  }
  return type as BronzeType;
}

export const BRONZE_SOURCE_COLUMNS: BronzeColumn[] = schema.sourceColumns.map((c) => ({
  name: c.name,
  type: bronzeType(c.name, c.type),
  sources: [...c.sources],
  optional: 'optional' in c && c.optional === true,
}));

export const BRONZE_LINEAGE_COLUMNS: { name: string; type: BronzeType }[] = schema.lineageColumns.map(
  (c) => ({ name: c.name, type: bronzeType(c.name, c.type) }),
);

/** Every column of the table, in table order: the source columns, then lineage. */
export const BRONZE_COLUMNS: { name: string; type: BronzeType }[] = [
  ...BRONZE_SOURCE_COLUMNS.map(({ name, type }) => ({ name, type })),
  ...BRONZE_LINEAGE_COLUMNS,
];

export const BRONZE_TABLE = {
  schema: schema.schema,
  table: schema.table,
  partitionedBy: schema.partitionedBy,
};
