// The three physical layouts of the TLC yellow-taxi files (docs: shared TLC-DATA.md "Drift between
// years"). Column order, names and Arrow types must match the real files exactly: the ELT under test
// has to cope with every one of them.
import { DataType, Field, Float64, Int32, Int64, Schema, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import { Compression } from 'parquet-wasm';
import { parseMonth } from '../../../domain/months';

export type SchemaFamily = '2023' | '2024' | '2025';
export const SCHEMA_FAMILIES: readonly SchemaFamily[] = ['2023', '2024', '2025'];

/** Physical column type as written to Parquet (via the Arrow schema stored in the file). */
export type PhysicalType = 'int32' | 'int64' | 'float64' | 'timestampMicros' | 'utf8';

/** Which generated value feeds a column; one value can feed differently named/typed columns per year. */
export type TripField =
  | 'vendorId'
  | 'pickup'
  | 'dropoff'
  | 'passengerCount'
  | 'tripDistance'
  | 'ratecodeId'
  | 'storeAndForward'
  | 'pickupLocation'
  | 'dropoffLocation'
  | 'paymentType'
  | 'fareAmount'
  | 'extra'
  | 'mtaTax'
  | 'tipAmount'
  | 'tollsAmount'
  | 'improvementSurcharge'
  | 'totalAmount'
  | 'congestionSurcharge'
  | 'airportFee'
  | 'cbdCongestionFee';

export interface ColumnSpec {
  name: string;
  type: PhysicalType;
  field: TripField;
  /** Null on the payment_type 0 ("Flex Fare") rows, as in the real files. */
  nullOnFlexFare: boolean;
}

function column(name: string, type: PhysicalType, field: TripField, nullOnFlexFare = false): ColumnSpec {
  return { name, type, field, nullOnFlexFare };
}

const MONEY_COLUMNS: readonly ColumnSpec[] = [
  column('fare_amount', 'float64', 'fareAmount'),
  column('extra', 'float64', 'extra'),
  column('mta_tax', 'float64', 'mtaTax'),
  column('tip_amount', 'float64', 'tipAmount'),
  column('tolls_amount', 'float64', 'tollsAmount'),
  column('improvement_surcharge', 'float64', 'improvementSurcharge'),
  column('total_amount', 'float64', 'totalAmount'),
];

export const COLUMNS: Record<SchemaFamily, readonly ColumnSpec[]> = {
  // 2022-2023: int64 ids, double passenger_count/RatecodeID, lowercase airport_fee.
  '2023': [
    column('VendorID', 'int64', 'vendorId'),
    column('tpep_pickup_datetime', 'timestampMicros', 'pickup'),
    column('tpep_dropoff_datetime', 'timestampMicros', 'dropoff'),
    column('passenger_count', 'float64', 'passengerCount', true),
    column('trip_distance', 'float64', 'tripDistance'),
    column('RatecodeID', 'float64', 'ratecodeId', true),
    column('store_and_fwd_flag', 'utf8', 'storeAndForward', true),
    column('PULocationID', 'int64', 'pickupLocation'),
    column('DOLocationID', 'int64', 'dropoffLocation'),
    column('payment_type', 'int64', 'paymentType'),
    ...MONEY_COLUMNS,
    column('congestion_surcharge', 'float64', 'congestionSurcharge', true),
    column('airport_fee', 'float64', 'airportFee', true),
  ],
  '2024': [
    column('VendorID', 'int32', 'vendorId'),
    column('tpep_pickup_datetime', 'timestampMicros', 'pickup'),
    column('tpep_dropoff_datetime', 'timestampMicros', 'dropoff'),
    column('passenger_count', 'int64', 'passengerCount', true),
    column('trip_distance', 'float64', 'tripDistance'),
    column('RatecodeID', 'int64', 'ratecodeId', true),
    column('store_and_fwd_flag', 'utf8', 'storeAndForward', true),
    column('PULocationID', 'int32', 'pickupLocation'),
    column('DOLocationID', 'int32', 'dropoffLocation'),
    column('payment_type', 'int64', 'paymentType'),
    ...MONEY_COLUMNS,
    column('congestion_surcharge', 'float64', 'congestionSurcharge', true),
    column('Airport_fee', 'float64', 'airportFee', true),
  ],
  // 2025: as 2024 plus cbd_congestion_fee; congestion_surcharge/Airport_fee stay filled on Flex Fare rows.
  '2025': [
    column('VendorID', 'int32', 'vendorId'),
    column('tpep_pickup_datetime', 'timestampMicros', 'pickup'),
    column('tpep_dropoff_datetime', 'timestampMicros', 'dropoff'),
    column('passenger_count', 'int64', 'passengerCount', true),
    column('trip_distance', 'float64', 'tripDistance'),
    column('RatecodeID', 'int64', 'ratecodeId', true),
    column('store_and_fwd_flag', 'utf8', 'storeAndForward', true),
    column('PULocationID', 'int32', 'pickupLocation'),
    column('DOLocationID', 'int32', 'dropoffLocation'),
    column('payment_type', 'int64', 'paymentType'),
    ...MONEY_COLUMNS,
    column('congestion_surcharge', 'float64', 'congestionSurcharge'),
    column('Airport_fee', 'float64', 'airportFee'),
    column('cbd_congestion_fee', 'float64', 'cbdCongestionFee'),
  ],
};

export function arrowType(type: PhysicalType): DataType {
  switch (type) {
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'timestampMicros':
      return new TimestampMicrosecond(); // no timezone: TLC times are naive New York wall-clock times
    case 'utf8':
      return new Utf8();
  }
}

/** Every column is declared nullable (OPTIONAL in Parquet), as pandas/pyarrow write the real files. */
export function arrowSchema(family: SchemaFamily): Schema {
  return new Schema(COLUMNS[family].map((spec) => new Field(spec.name, arrowType(spec.type), true)));
}

/** 2022-2023 (and older) months use the 2023 layout; 2024 its own; 2025 and later the 2025 layout. */
export function defaultSchemaFamily(month: string): SchemaFamily {
  const { year } = parseMonth(month);
  if (year <= 2023) return '2023';
  if (year === 2024) return '2024';
  return '2025';
}

/** TLC wrote GZIP up to early 2023 and ZSTD after; the switch is placed at 2023-03 here. */
export function compressionFor(month: string, family: SchemaFamily): Compression {
  return family === '2023' && month < '2023-03' ? Compression.GZIP : Compression.ZSTD;
}
