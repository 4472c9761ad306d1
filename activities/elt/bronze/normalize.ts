// The worker path's normaliser: rewrites a TLC month file into the canonical Bronze layout (names, widest
// types, lineage columns) as ZSTD Parquet, in bounded memory. The source is read one row group at a time
// in batches (parquet-wasm over a file-backed Blob), each batch is converted in JS (apache-arrow) and
// handed to parquet-wasm's streaming writer, which encodes row groups as batches arrive.
import { openAsBlob } from 'node:fs';
import * as fs from 'node:fs/promises';
import {
  DataType,
  Field,
  Float64,
  Int64,
  makeData,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  TimeUnit,
  TimestampMicrosecond,
  Utf8,
  type Data,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import type { BronzeType } from '../../../domain/bronze-schema';
import { CANONICAL_COLUMNS, type Lineage, type SourcePlan } from './sql';

/** Rows per batch: bounds the JS and wasm working set (~25 columns x 8 bytes x 128k = ~26 MB a batch). */
const BATCH_ROWS = 131_072;
const ROW_GROUP_ROWS = 1_048_576;
const TWO_TO_32 = 4294967296;

export interface NormaliseOptions {
  inputFile: string;
  outputFile: string;
  plan: SourcePlan;
  lineage: Lineage;
  /** Called after each batch with the rows written so far. */
  onProgress?: (rows: number) => void;
}

function arrowTypeFor(type: BronzeType): DataType {
  switch (type) {
    case 'bigint':
      return new Int64();
    case 'double':
      return new Float64();
    case 'varchar':
      return new Utf8();
    case 'timestamp(6)':
      return new TimestampMicrosecond();
    case 'timestamp(6) with time zone':
      return new TimestampMicrosecond('UTC');
  }
}

export const CANONICAL_ARROW_SCHEMA = new Schema(
  CANONICAL_COLUMNS.map((c) => new Field(c.name, arrowTypeFor(c.type), true)),
);

/** The validity bitmap of `data` re-based to bit 0, or undefined when it has no nulls. */
function validity(data: Data): Uint8Array | undefined {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.byteLength === 0) return undefined;
  const bitmap = data.nullBitmap;
  if (data.offset % 8 === 0)
    return bitmap.subarray(data.offset >> 3, (data.offset >> 3) + Math.ceil(data.length / 8));
  const out = new Uint8Array(Math.ceil(data.length / 8));
  for (let i = 0; i < data.length; i++) {
    const bit = data.offset + i;
    if (bitmap[bit >> 3] & (1 << (bit & 7))) out[i >> 3] |= 1 << (i & 7);
  }
  return out;
}

function int64Words(values: BigInt64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** Number value of each int64 (exact below 2^53, which covers every TLC value). */
function int64ToFloat64(values: BigInt64Array): Float64Array {
  const words = int64Words(values);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = words[2 * i + 1] * TWO_TO_32 + (words[2 * i] >>> 0);
  return out;
}

function int32ToInt64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = int64Words(out);
  for (let i = 0; i < values.length; i++) {
    words[2 * i] = values[i];
    words[2 * i + 1] = values[i] < 0 ? -1 : 0;
  }
  return out;
}

function timestampToMicros(values: BigInt64Array, unit: TimeUnit): BigInt64Array {
  if (unit === TimeUnit.MICROSECOND) return values;
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (unit === TimeUnit.SECOND) out[i] = v * 1_000_000n;
    else if (unit === TimeUnit.MILLISECOND) out[i] = v * 1000n;
    else out[i] = v / 1000n;
  }
  return out;
}

/** Utf8 offsets and bytes of `data` (Utf8 or LargeUtf8) re-based to 0. */
function utf8Buffers(data: Data): { offsets: Int32Array; bytes: Uint8Array } {
  const raw = data.valueOffsets as Int32Array | BigInt64Array;
  const values = data.values as Uint8Array;
  const n = data.length;
  const start = Number(raw[data.offset]);
  const end = Number(raw[data.offset + n]);
  if (raw instanceof Int32Array && start === 0) {
    return { offsets: raw.subarray(data.offset, data.offset + n + 1), bytes: values.subarray(0, end) };
  }
  if (end - start > 0x7fffffff) throw new Error('a string column batch exceeds 2 GiB');
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) offsets[i] = Number(raw[data.offset + i]) - start;
  return { offsets, bytes: values.subarray(start, end) };
}

function fixedValues<T extends { subarray(a: number, b: number): T }>(data: Data, what: string): T {
  const values = data.values as unknown as T | undefined;
  if (!values) throw new Error(`no values buffer for ${what}`);
  return values.subarray(data.offset, data.offset + data.length);
}

/** Converts one source column (a Data of the file's type) to the canonical type. */
function convertColumn(source: Data, target: BronzeType, name: string): Data {
  const length = source.length;
  const nullBitmap = validity(source);
  const nullCount = nullBitmap ? source.nullCount : 0;
  const common = { length, nullCount, nullBitmap };
  const type = source.type as DataType;
  switch (target) {
    case 'varchar': {
      if (!DataType.isUtf8(type) && !DataType.isLargeUtf8(type)) break;
      const { offsets, bytes } = utf8Buffers(source);
      return makeData({ type: new Utf8(), ...common, valueOffsets: offsets, data: bytes });
    }
    case 'bigint': {
      if (!DataType.isInt(type) || !type.isSigned) break;
      const data =
        type.bitWidth === 64
          ? fixedValues<BigInt64Array>(source, name)
          : int32ToInt64(Int32Array.from(fixedValues<Int32Array | Int16Array | Int8Array>(source, name)));
      return makeData({ type: new Int64(), ...common, data });
    }
    case 'double': {
      let data: Float64Array;
      if (DataType.isFloat(type) && type.precision === Precision.DOUBLE) data = fixedValues(source, name);
      else if (DataType.isFloat(type)) data = Float64Array.from(fixedValues<Float32Array>(source, name));
      else if (DataType.isInt(type) && type.bitWidth === 64) data = int64ToFloat64(fixedValues(source, name));
      else if (DataType.isInt(type))
        data = Float64Array.from(fixedValues<Int32Array | Int16Array | Int8Array>(source, name));
      else break;
      return makeData({ type: new Float64(), ...common, data });
    }
    case 'timestamp(6)': {
      if (!DataType.isTimestamp(type)) break;
      // A zoned (UTC-adjusted) timestamp keeps its instant, read as a UTC wall-clock time.
      const data = timestampToMicros(fixedValues<BigInt64Array>(source, name), type.unit);
      return makeData({ type: new TimestampMicrosecond(), ...common, data });
    }
    case 'timestamp(6) with time zone':
      break;
  }
  throw new Error(`cannot convert column ${name} of type ${String(type)} to ${target}`);
}

/** Batch-size buffers for the all-null and constant columns, built once and sliced per batch. */
class ConstantColumns {
  private readonly strings = new Map<string, { offsets: Int32Array; bytes: Uint8Array }>();
  private readonly zeros = new Uint8Array(Math.ceil(BATCH_ROWS / 8));
  private readonly nullDoubles = new Float64Array(BATCH_ROWS);
  private readonly nullLongs = new BigInt64Array(BATCH_ROWS);
  private readonly ingestedAt: BigInt64Array;

  constructor(lineage: Lineage) {
    this.ingestedAt = new BigInt64Array(BATCH_ROWS).fill(BigInt(lineage.ingestedAt.getTime()) * 1000n);
  }

  nulls(type: BronzeType, length: number): Data {
    const common = { length, nullCount: length, nullBitmap: this.zeros.subarray(0, Math.ceil(length / 8)) };
    switch (type) {
      case 'double':
        return makeData({ type: new Float64(), ...common, data: this.nullDoubles.subarray(0, length) });
      case 'bigint':
        return makeData({ type: new Int64(), ...common, data: this.nullLongs.subarray(0, length) });
      case 'varchar':
        return makeData({
          type: new Utf8(),
          ...common,
          valueOffsets: new Int32Array(length + 1),
          data: new Uint8Array(0),
        });
      case 'timestamp(6)':
        return makeData({
          type: new TimestampMicrosecond(),
          ...common,
          data: this.nullLongs.subarray(0, length),
        });
      case 'timestamp(6) with time zone':
        return makeData({
          type: new TimestampMicrosecond('UTC'),
          ...common,
          data: this.nullLongs.subarray(0, length),
        });
    }
  }

  text(value: string, length: number): Data {
    let buffers = this.strings.get(value);
    if (!buffers) {
      const one = Buffer.from(value, 'utf8');
      const bytes = new Uint8Array(one.byteLength * BATCH_ROWS);
      const offsets = new Int32Array(BATCH_ROWS + 1);
      for (let i = 0; i < BATCH_ROWS; i++) {
        bytes.set(one, i * one.byteLength);
        offsets[i + 1] = (i + 1) * one.byteLength;
      }
      buffers = { offsets, bytes };
      this.strings.set(value, buffers);
    }
    const width = buffers.offsets[1];
    return makeData({
      type: new Utf8(),
      length,
      nullCount: 0,
      valueOffsets: buffers.offsets.subarray(0, length + 1),
      data: buffers.bytes.subarray(0, width * length),
    });
  }

  timestamp(length: number): Data {
    return makeData({
      type: new TimestampMicrosecond('UTC'),
      length,
      nullCount: 0,
      data: this.ingestedAt.subarray(0, length),
    });
  }
}

/** One canonical RecordBatch from one source batch. */
function canonicalBatch(source: RecordBatch, plan: SourcePlan, lineage: Lineage, constants: ConstantColumns) {
  const length = source.numRows;
  const children: Data[] = plan.columns.map(({ target, source: column }) => {
    if (!column) return constants.nulls(target.type, length);
    const index = source.schema.fields.findIndex((f) => f.name === column.name);
    if (index < 0) throw new Error(`column ${column.name} missing from a batch of the source`);
    return convertColumn(source.data.children[index], target.type, column.name);
  });
  children.push(
    constants.text(lineage.month, length),
    constants.text(lineage.sourceFile, length),
    constants.text(lineage.sourceSha256, length),
    constants.timestamp(length),
    constants.text(lineage.runId, length),
  );
  const data = makeData({
    type: new Struct(CANONICAL_ARROW_SCHEMA.fields),
    length,
    nullCount: 0,
    children,
  });
  return new RecordBatch(CANONICAL_ARROW_SCHEMA, data);
}

/** Source batches, one row group at a time, as apache-arrow RecordBatches. */
async function* sourceBatches(file: parquet.ParquetFile, columns: string[]): AsyncGenerator<RecordBatch> {
  const metadata = file.metadata();
  const rowGroups = metadata.numRowGroups();
  metadata.free();
  for (let rowGroup = 0; rowGroup < rowGroups; rowGroup++) {
    const stream = (await file.stream({
      rowGroups: [rowGroup],
      batchSize: BATCH_ROWS,
      columns,
    })) as ReadableStream<parquet.RecordBatch>;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const table = tableFromIPC(value.intoIPCStream());
      for (const batch of table.batches) yield batch;
    }
  }
}

async function writeFully(file: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, written, chunk.byteLength - written);
    written += bytesWritten;
  }
}

/** Writes the canonical Parquet file; returns the rows written and the file's size. */
export async function normaliseToCanonicalParquet(
  options: NormaliseOptions,
): Promise<{ rows: number; bytes: number }> {
  const { plan, lineage } = options;
  const blob = await openAsBlob(options.inputFile);
  const file = await parquet.ParquetFile.fromFile(blob);
  const columns = plan.columns.flatMap(({ source }) => (source ? [source.name] : []));
  const batches = sourceBatches(file, columns);
  const constants = new ConstantColumns(lineage);
  let rows = 0;
  let sentEmpty = false;
  const canonical = new ReadableStream<parquet.RecordBatch>(
    {
      async pull(controller) {
        const next = await batches.next();
        if (next.done) {
          if (rows === 0 && !sentEmpty) {
            // The writer takes its schema from the batches: an empty file still needs one.
            sentEmpty = true;
            controller.enqueue(
              toWasm(
                new RecordBatch(
                  CANONICAL_ARROW_SCHEMA,
                  makeData({
                    type: new Struct(CANONICAL_ARROW_SCHEMA.fields),
                    length: 0,
                    nullCount: 0,
                    children: CANONICAL_COLUMNS.map((c) => constants.nulls(c.type, 0)),
                  }),
                ),
              ),
            );
            return;
          }
          controller.close();
          return;
        }
        const batch = canonicalBatch(next.value, plan, lineage, constants);
        rows += batch.numRows;
        controller.enqueue(toWasm(batch));
        options.onProgress?.(rows);
      },
    },
    { highWaterMark: 0 },
  );
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .build();
  const output = await parquet.transformParquetStream(canonical, properties);
  const handle = await fs.open(options.outputFile, 'w');
  let bytes = 0;
  try {
    const reader = output.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value as Uint8Array;
      await writeFully(handle, chunk);
      bytes += chunk.byteLength;
    }
  } finally {
    await handle.close();
    file.free();
  }
  return { rows, bytes };
}

function toWasm(batch: RecordBatch): parquet.RecordBatch {
  const table = parquet.Table.fromIPCStream(tableToIPC(new Table(batch), 'stream'));
  const wasmBatch = table.recordBatch(0);
  table.free();
  if (!wasmBatch) throw new Error('parquet-wasm returned no record batch');
  return wasmBatch;
}
