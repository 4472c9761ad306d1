// Reads a TLC trip Parquet file (a mirror month) into plain column arrays through parquet-wasm and
// Apache Arrow JS. Values stay exact: integers as numbers, doubles as numbers, timestamps as bigint epoch
// microseconds of the naive wall-clock time, strings as strings; nulls are null. Meant for test-sized
// months (tens of thousands of rows): the whole file is held in memory.
import * as fs from 'node:fs/promises';
import { DataType, tableFromIPC, type Data, type Vector } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

export type RawColumn =
  | { kind: 'integer'; values: Array<number | null> }
  | { kind: 'double'; values: Array<number | null> }
  | { kind: 'timestampMicros'; values: Array<bigint | null> }
  | { kind: 'string'; values: Array<string | null> };

export interface RawParquetTable {
  numRows: number;
  /** By physical column name, as in the file (e.g. VendorID, Airport_fee). */
  columns: Map<string, RawColumn>;
}

function chunkValues<T>(vector: Vector, read: (data: Data, index: number) => T): Array<T | null> {
  const out: Array<T | null> = new Array<T | null>(vector.length);
  let row = 0;
  for (const data of vector.data) {
    for (let index = 0; index < data.length; index++) {
      out[row++] = data.getValid(index) ? read(data, index) : null;
    }
  }
  return out;
}

function readColumn(name: string, vector: Vector): RawColumn {
  const type = vector.type as DataType;
  if (DataType.isTimestamp(type)) {
    const toMicros = [1_000_000n, 1_000n, 1n, undefined][type.unit];
    return {
      kind: 'timestampMicros',
      values: chunkValues(vector, (data, index) => {
        const raw = (data.values as BigInt64Array)[index];
        // Nanoseconds are truncated to microseconds, the precision of the Bronze column.
        return toMicros === undefined ? raw / 1_000n : raw * toMicros;
      }),
    };
  }
  if (DataType.isInt(type)) {
    return {
      kind: 'integer',
      values: chunkValues(vector, (data, index) => {
        const raw: unknown = (data.values as ArrayLike<unknown>)[index];
        const value = typeof raw === 'bigint' ? Number(raw) : (raw as number);
        if (!Number.isSafeInteger(value)) throw new Error(`${name}: ${String(raw)} is not a safe integer`);
        return value;
      }),
    };
  }
  if (DataType.isFloat(type)) {
    return {
      kind: 'double',
      values: chunkValues(vector, (data, index) =>
        Number((data.values as Float64Array | Float32Array)[index]),
      ),
    };
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) {
    return { kind: 'string', values: vector.toArray() as Array<string | null> };
  }
  throw new Error(`column ${name}: unsupported Arrow type ${String(type)}`);
}

export async function readTlcParquet(file: string): Promise<RawParquetTable> {
  const bytes = new Uint8Array(await fs.readFile(file));
  const wasmTable = parquet.readParquet(bytes);
  const table = tableFromIPC(wasmTable.intoIPCStream());
  const columns = new Map<string, RawColumn>();
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    if (vector) columns.set(field.name, readColumn(field.name, vector));
  }
  return { numRows: table.numRows, columns };
}

/** 'YYYY-MM-DD HH:MM:SS.ffffff' for epoch microseconds (as a UTC wall clock: the values are naive). */
export function formatMicros(micros: bigint): string {
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000n;
    seconds -= 1n;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction.toString().padStart(6, '0')}`;
}
