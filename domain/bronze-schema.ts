// The canonical Bronze schema of the Yellow Taxi trip records: one schema for every year's file.
// Source columns get snake_case names and the widest physical type seen across 2022-2025 (see the drift
// table in the README); lineage columns say where each row came from.

export type BronzeType = 'bigint' | 'double' | 'varchar' | 'timestamp(6)' | 'timestamp(6) with time zone';

export interface BronzeColumn {
  name: string;
  type: BronzeType;
  /** Source column names this column is read from, in any year's file (first match wins). */
  sources: string[];
}

export const BRONZE_SOURCE_COLUMNS: BronzeColumn[] = [
  { name: 'vendor_id', type: 'bigint', sources: ['VendorID'] },
  { name: 'tpep_pickup_datetime', type: 'timestamp(6)', sources: ['tpep_pickup_datetime'] },
  { name: 'tpep_dropoff_datetime', type: 'timestamp(6)', sources: ['tpep_dropoff_datetime'] },
  // double in 2022-2023 files, int64 since 2024: double holds both exactly.
  { name: 'passenger_count', type: 'double', sources: ['passenger_count'] },
  { name: 'trip_distance', type: 'double', sources: ['trip_distance'] },
  { name: 'ratecode_id', type: 'double', sources: ['RatecodeID'] },
  { name: 'store_and_fwd_flag', type: 'varchar', sources: ['store_and_fwd_flag'] },
  { name: 'pu_location_id', type: 'bigint', sources: ['PULocationID'] },
  { name: 'do_location_id', type: 'bigint', sources: ['DOLocationID'] },
  { name: 'payment_type', type: 'bigint', sources: ['payment_type'] },
  { name: 'fare_amount', type: 'double', sources: ['fare_amount'] },
  { name: 'extra', type: 'double', sources: ['extra'] },
  { name: 'mta_tax', type: 'double', sources: ['mta_tax'] },
  { name: 'tip_amount', type: 'double', sources: ['tip_amount'] },
  { name: 'tolls_amount', type: 'double', sources: ['tolls_amount'] },
  { name: 'improvement_surcharge', type: 'double', sources: ['improvement_surcharge'] },
  { name: 'total_amount', type: 'double', sources: ['total_amount'] },
  { name: 'congestion_surcharge', type: 'double', sources: ['congestion_surcharge'] },
  // `airport_fee` in 2022-2023 files, `Airport_fee` since 2024.
  { name: 'airport_fee', type: 'double', sources: ['Airport_fee', 'airport_fee'] },
  // New in 2025; null for earlier files.
  { name: 'cbd_congestion_fee', type: 'double', sources: ['cbd_congestion_fee'] },
];

export const BRONZE_LINEAGE_COLUMNS: { name: string; type: BronzeType }[] = [
  { name: 'source_month', type: 'varchar' }, // 'YYYY-MM', the partition
  { name: 'source_file', type: 'varchar' }, // e.g. yellow_tripdata_2025-03.parquet
  { name: 'source_sha256', type: 'varchar' },
  { name: 'ingested_at', type: 'timestamp(6) with time zone' },
  { name: 'run_id', type: 'varchar' }, // the Temporal run that loaded the rows
];

export const BRONZE_TABLE = { schema: 'bronze', table: 'yellow_trips', partitionedBy: 'source_month' };

/** CREATE TABLE statement for Bronze in the given catalog. */
export function bronzeCreateTableSql(catalog: string): string {
  const columns = [...BRONZE_SOURCE_COLUMNS, ...BRONZE_LINEAGE_COLUMNS].map((c) => `  ${c.name} ${c.type}`);
  return (
    `CREATE TABLE IF NOT EXISTS ${catalog}.${BRONZE_TABLE.schema}.${BRONZE_TABLE.table} (\n` +
    columns.join(',\n') +
    `\n) WITH (format = 'PARQUET', partitioning = ARRAY['${BRONZE_TABLE.partitionedBy}'])`
  );
}
