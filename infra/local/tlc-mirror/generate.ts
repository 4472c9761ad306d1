// Writes one synthetic month of NYC yellow-taxi trips as a Parquet file shaped like TLC's own.
//
// Memory stays bounded for a full month (~4 M rows): rows are generated in batches into reused typed
// arrays, each batch crosses into parquet-wasm as an Arrow IPC message, and parquet-wasm's streaming
// writer (transformParquetStream) encodes row groups as batches arrive and hands back bytes that are
// hashed and appended to the file. Nothing ever holds the whole month.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import {
  Data,
  DataType,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { parseMonth } from '../../../domain/months';
import { hashSeed } from './random';
import {
  arrowSchema,
  COLUMNS,
  compressionFor,
  defaultSchemaFamily,
  SCHEMA_FAMILIES,
  type ColumnSpec,
  type SchemaFamily,
} from './schema';
import { isIntegerField, TripColumns, TripSynthesizer } from './trips';

/** Bump when the generated data changes for the same inputs (mirror sidecars record it). */
export const GENERATOR_VERSION = 1;
/** Real 2025 files hold row groups of 1,048,576 rows. */
export const DEFAULT_ROW_GROUP_SIZE = 1_048_576;
/** Rows generated and handed to the writer at a time: bounds the JS and wasm working set. */
const MAX_BATCH_ROWS = 262_144;
const TWO_TO_32 = 4294967296;

export interface GenerateMonthOptions {
  /** 'YYYY-MM' */
  month: string;
  rows: number;
  seed: number;
  /** Column layout; defaults from the month's year (2022-2023 => '2023', 2024, 2025+ => '2025'). */
  schema?: SchemaFamily;
  outFile: string;
  rowGroupSize?: number;
}

export interface GenerateMonthResult {
  rows: number;
  bytes: number;
  /** Hex SHA-256 of the written file. */
  sha256: string;
}

/** Converts one batch of generated columns into an Arrow RecordBatch of a schema family's layout. */
class ArrowBatchEncoder {
  private readonly schema: Schema;
  private readonly specs: readonly ColumnSpec[];
  /** Per-column output buffer when the physical type differs from the generation buffer. */
  private readonly converted: Array<BigInt64Array | Float64Array | undefined>;
  private readonly validity: Uint8Array;
  private readonly flagOffsets: Int32Array;
  private readonly flagBytes: Uint8Array;

  constructor(
    family: SchemaFamily,
    private readonly columns: TripColumns,
  ) {
    if (os.endianness() !== 'LE') throw new Error('the Parquet generator assumes a little-endian host');
    this.schema = arrowSchema(family);
    this.specs = COLUMNS[family];
    const capacity = columns.capacity;
    this.converted = this.specs.map((spec) => {
      if (spec.type === 'int64' || spec.type === 'timestampMicros') return new BigInt64Array(capacity);
      if (spec.type === 'float64' && isIntegerField(spec.field)) return new Float64Array(capacity);
      return undefined;
    });
    this.validity = new Uint8Array(Math.ceil(capacity / 8));
    this.flagOffsets = new Int32Array(capacity + 1);
    this.flagBytes = new Uint8Array(capacity);
  }

  encode(rowCount: number): RecordBatch {
    const flexFare = this.columns.flexFare;
    const validityBytes = Math.ceil(rowCount / 8);
    const validity = this.validity.subarray(0, validityBytes);
    validity.fill(0);
    let nullRows = 0;
    for (let row = 0; row < rowCount; row++) {
      if (flexFare[row]) nullRows++;
      else validity[row >> 3] |= 1 << (row & 7);
    }
    const children = this.specs.map((spec, index) =>
      this.encodeColumn(spec, this.converted[index], rowCount, spec.nullOnFlexFare ? nullRows : 0, validity),
    );
    const structData = makeData({
      type: new Struct(this.schema.fields),
      length: rowCount,
      nullCount: 0,
      children,
    });
    return new RecordBatch(this.schema, structData);
  }

  private encodeColumn(
    spec: ColumnSpec,
    converted: BigInt64Array | Float64Array | undefined,
    rowCount: number,
    nullCount: number,
    validity: Uint8Array,
  ): Data<DataType> {
    const nullBitmap = nullCount > 0 ? validity : undefined;
    const common = { length: rowCount, nullCount, nullBitmap };
    const { integers, reals } = this.columns;
    switch (spec.type) {
      case 'utf8': {
        // store_and_fwd_flag: "Y"/"N", empty slot for null rows.
        const flags = integers.storeAndForward;
        const offsets = this.flagOffsets.subarray(0, rowCount + 1);
        const bytes = this.flagBytes;
        let length = 0;
        offsets[0] = 0;
        for (let row = 0; row < rowCount; row++) {
          if (nullCount === 0 || !this.columns.flexFare[row]) bytes[length++] = flags[row] ? 0x59 : 0x4e;
          offsets[row + 1] = length;
        }
        return makeData({
          type: new Utf8(),
          ...common,
          valueOffsets: offsets,
          data: bytes.subarray(0, length),
        });
      }
      case 'int32': {
        if (!isIntegerField(spec.field)) throw new Error(`${spec.name}: int32 needs an integer field`);
        return makeData({
          type: new Int32(),
          ...common,
          data: integers[spec.field].subarray(0, rowCount),
        });
      }
      case 'int64': {
        if (!isIntegerField(spec.field) || !(converted instanceof BigInt64Array)) {
          throw new Error(`${spec.name}: int64 needs an integer field`);
        }
        writeInt64Column(converted, integers[spec.field], rowCount, 1);
        return makeData({
          type: new Int64(),
          ...common,
          data: converted.subarray(0, rowCount),
        });
      }
      case 'timestampMicros': {
        if (isIntegerField(spec.field) || !(converted instanceof BigInt64Array)) {
          throw new Error(`${spec.name}: timestamps come from epoch seconds`);
        }
        writeInt64Column(converted, reals[spec.field], rowCount, 1_000_000);
        return makeData({
          type: new TimestampMicrosecond(),
          ...common,
          data: converted.subarray(0, rowCount),
        });
      }
      case 'float64': {
        let values: Float64Array;
        if (isIntegerField(spec.field)) {
          if (!(converted instanceof Float64Array)) throw new Error(`${spec.name}: missing buffer`);
          const source = integers[spec.field];
          for (let row = 0; row < rowCount; row++) converted[row] = source[row];
          values = converted.subarray(0, rowCount);
        } else {
          values = reals[spec.field].subarray(0, rowCount);
        }
        return makeData({ type: new Float64(), ...common, data: values });
      }
    }
  }
}

/**
 * Writes value * scale as little-endian int64 through 32-bit halves: avoids allocating a BigInt per
 * value (8 M timestamps a month). Exact for |value * scale| < 2^53, which covers epoch microseconds.
 */
function writeInt64Column(
  target: BigInt64Array,
  source: Int32Array | Float64Array,
  rowCount: number,
  scale: number,
): void {
  const words = new Uint32Array(target.buffer, target.byteOffset, rowCount * 2);
  for (let row = 0; row < rowCount; row++) {
    const value = source[row] * scale;
    const high = Math.floor(value / TWO_TO_32);
    words[2 * row] = value - high * TWO_TO_32;
    words[2 * row + 1] = high >>> 0;
  }
}

async function writeFully(file: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, written, chunk.byteLength - written);
    written += bytesWritten;
  }
}

function validateOptions(options: GenerateMonthOptions): { family: SchemaFamily; rowGroupSize: number } {
  parseMonth(options.month);
  if (!Number.isSafeInteger(options.rows) || options.rows < 0) {
    throw new Error(`rows must be a non-negative integer, got ${options.rows}`);
  }
  if (!Number.isSafeInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  const family = options.schema ?? defaultSchemaFamily(options.month);
  if (!SCHEMA_FAMILIES.includes(family)) throw new Error(`unknown schema family ${String(family)}`);
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new Error(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  return { family, rowGroupSize };
}

/** Generates `rows` trips for `month` into `outFile` (overwritten). Same inputs => same bytes. */
export async function generateMonth(options: GenerateMonthOptions): Promise<GenerateMonthResult> {
  const { family, rowGroupSize } = validateOptions(options);
  const { month, rows, seed, outFile } = options;
  // Batches never straddle a row group boundary, so every row group is one or more whole batches.
  const batchRows = Math.max(1, Math.min(MAX_BATCH_ROWS, rowGroupSize, rows));
  const columns = new TripColumns(batchRows);
  const synthesizer = new TripSynthesizer(
    parseMonth(month),
    family,
    hashSeed(seed, month, family),
    rows,
    columns,
  );
  const encoder = new ArrowBatchEncoder(family, columns);

  let rowsQueued = 0;
  let emptyBatchSent = false;
  const batches = new ReadableStream<parquet.RecordBatch>(
    {
      pull(controller) {
        // A zero-row file still needs one (empty) batch: the writer takes its schema from the batches.
        if (rowsQueued >= rows && (rows > 0 || emptyBatchSent)) {
          controller.close();
          return;
        }
        const rowCount = Math.min(batchRows, rows - rowsQueued);
        synthesizer.fillBatch(rowsQueued, rowCount);
        const ipcStream = tableToIPC(new Table(encoder.encode(rowCount)), 'stream');
        const wasmTable = parquet.Table.fromIPCStream(ipcStream);
        const wasmBatch = wasmTable.recordBatch(0);
        wasmTable.free();
        if (!wasmBatch) throw new Error('parquet-wasm returned no record batch');
        rowsQueued += rowCount;
        emptyBatchSent = true;
        controller.enqueue(wasmBatch);
      },
    },
    { highWaterMark: 0 }, // generate a batch only when the writer asks for one
  );

  const writerProperties = new parquet.WriterPropertiesBuilder()
    .setCompression(compressionFor(month, family))
    .setMaxRowGroupSize(rowGroupSize)
    .setKeyValueMetadata(
      new Map([
        [
          'dp.tlc-mirror',
          JSON.stringify({
            synthetic: true,
            month,
            rows,
            seed,
            schema: family,
            generator: GENERATOR_VERSION,
          }),
        ],
      ]),
    )
    .build();
  const parquetBytes = await parquet.transformParquetStream(batches, writerProperties);

  const hash = createHash('sha256');
  let bytes = 0;
  const file = await fs.open(outFile, 'w');
  try {
    const reader = parquetBytes.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value as Uint8Array;
      hash.update(chunk);
      await writeFully(file, chunk);
      bytes += chunk.byteLength;
    }
    await file.sync(); // durable before any caller renames it into place
  } catch (error) {
    await file.close();
    await fs.rm(outFile, { force: true });
    throw error;
  }
  await file.close();
  return { rows, bytes, sha256: hash.digest('hex') };
}
