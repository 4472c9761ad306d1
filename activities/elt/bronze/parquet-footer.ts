// Reads just the schema of a Parquet object in the store: the 4-byte header, the 8-byte tail and the
// footer, with ranged GETs (a few KB, whatever the file's size). A file that is truncated or is not
// Parquet fails here, with a message that names it, before anything is written anywhere.
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DataType, Precision, tableFromIPC, type Field } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { InvalidSourceFile } from '../invalid-source-file';

const MAGIC = 'PAR1';
/** A footer larger than this is not a TLC file (theirs are ~15 KB); refuse rather than buffer it. */
const MAX_FOOTER_BYTES = 16 * 1024 * 1024;

export class InvalidParquetError extends InvalidSourceFile {
  constructor(
    readonly location: string,
    detail: string,
  ) {
    super(`${location} is not a valid Parquet file: ${detail}`);
  }
}

/** A top-level column of the file with the Trino type it reads as, when it has one. */
export interface ParquetColumn {
  name: string;
  /** Arrow's description of the physical/logical type, for messages. */
  arrowType: string;
  /** e.g. 'integer', 'bigint', 'double', 'varchar', 'timestamp(6)'; undefined for types Bronze never reads. */
  trinoType?: string;
}

export interface ParquetFooter {
  location: string;
  bytes: number;
  columns: ParquetColumn[];
  /** The file's record count (FileMetaData.num_rows). */
  rows: number;
}

function trinoTypeOf(field: Field): string | undefined {
  const type = field.type as DataType;
  if (DataType.isInt(type)) {
    if (!type.isSigned) return type.bitWidth < 64 ? 'bigint' : undefined;
    return type.bitWidth === 64 ? 'bigint' : 'integer';
  }
  if (DataType.isFloat(type)) return type.precision === Precision.DOUBLE ? 'double' : 'real';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'varchar';
  if (DataType.isBool(type)) return 'boolean';
  if (DataType.isDate(type)) return 'date';
  if (DataType.isTimestamp(type)) {
    return type.timezone ? 'timestamp(6) with time zone' : 'timestamp(6)';
  }
  return undefined;
}

async function getRange(client: S3Client, bucket: string, key: string, start: number, end: number) {
  const response = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }),
  );
  if (!response.Body)
    throw new Error(`empty response reading bytes ${start}-${end} of s3://${bucket}/${key}`);
  const bytes = await response.Body.transformToByteArray();
  if (bytes.byteLength !== end - start + 1) {
    throw new Error(
      `short read of s3://${bucket}/${key}: asked bytes ${start}-${end}, got ${bytes.byteLength} bytes`,
    );
  }
  return bytes;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Parses the schema from raw footer bytes (the thrift FileMetaData, without length and magic). */
export function columnsFromFooter(location: string, footer: Uint8Array): ParquetColumn[] {
  // parquet-wasm parses a footer on its own when it is framed like a whole file: magic, footer, length, magic.
  const framed = new Uint8Array(footer.byteLength + 12);
  framed.set(Buffer.from(MAGIC), 0);
  framed.set(footer, 4);
  new DataView(framed.buffer).setUint32(4 + footer.byteLength, footer.byteLength, true);
  framed.set(Buffer.from(MAGIC), 8 + footer.byteLength);
  let ipc: Uint8Array;
  try {
    ipc = parquet.readSchema(framed).intoIPCStream();
  } catch (error) {
    throw new InvalidParquetError(location, `its footer cannot be parsed (${(error as Error).message})`);
  }
  return tableFromIPC(ipc).schema.fields.map((field) => ({
    name: field.name,
    arrowType: String(field.type),
    trinoType: trinoTypeOf(field),
  }));
}

/**
 * The record count of a file from its raw footer: FileMetaData's field 3 (num_rows), read with Thrift's
 * compact protocol, skipping the fields before it (version, the schema list). parquet-wasm only exposes it
 * for a whole file.
 */
export function rowCountFromFooter(location: string, footer: Uint8Array): number {
  let at = 0;
  const bad = (why: string) => new InvalidParquetError(location, `its footer cannot be parsed (${why})`);
  const byte = () => {
    if (at >= footer.byteLength) throw bad('it ends inside a field');
    return footer[at++];
  };
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = byte();
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
    throw bad('a varint is too long');
  };
  const zigzag = (v: bigint) => (v >> 1n) ^ -(v & 1n);
  const skip = (type: number, depth: number): void => {
    if (depth > 32) throw bad('it nests too deeply');
    switch (type) {
      case 1:
      case 2:
        return; // booleans live in the field header
      case 3:
        at += 1;
        return;
      case 4:
      case 5:
      case 6:
        varint();
        return;
      case 7:
        at += 8;
        return;
      case 8: {
        const length = Number(varint()); // read before `at` is: the varint moves it
        at += length;
        return;
      }
      case 9:
      case 10: {
        const header = byte();
        const size = header >> 4 === 15 ? Number(varint()) : header >> 4;
        for (let i = 0; i < size; i++)
          skip((header & 0x0f) === 1 || (header & 0x0f) === 2 ? 3 : header & 0x0f, depth + 1);
        return;
      }
      case 11: {
        const size = Number(varint());
        if (size === 0) return;
        const types = byte();
        for (let i = 0; i < size; i++) {
          skip(types >> 4, depth + 1);
          skip(types & 0x0f, depth + 1);
        }
        return;
      }
      case 12:
        for (let field = nextField(0); field; field = nextField(field.id)) skip(field.type, depth + 1);
        return;
      default:
        throw bad(`unknown Thrift type ${type}`);
    }
  };
  const nextField = (previous: number): { id: number; type: number } | undefined => {
    const header = byte();
    if (header === 0) return undefined;
    const delta = header >> 4;
    return { id: delta === 0 ? Number(zigzag(varint())) : previous + delta, type: header & 0x0f };
  };
  for (let field = nextField(0); field; field = nextField(field.id)) {
    if (field.id === 3 && field.type === 6) {
      const rows = zigzag(varint());
      if (rows < 0n || rows > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`num_rows is ${rows}`);
      return Number(rows);
    }
    skip(field.type, 0);
  }
  throw bad('it has no num_rows');
}

/** Reads and checks the footer of s3://bucket/key; throws InvalidParquetError for a file that is not Parquet. */
export async function readParquetFooter(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ParquetFooter> {
  const location = `s3://${bucket}/${key}`;
  let bytes: number;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    bytes = head.ContentLength ?? 0;
  } catch (error) {
    if (statusOf(error) === 404) throw new Error(`source file ${location} does not exist`, { cause: error });
    throw error;
  }
  if (bytes < 12) {
    throw new InvalidParquetError(location, `it is only ${bytes} bytes long (truncated or empty)`);
  }
  const head = Buffer.from(await getRange(client, bucket, key, 0, 3));
  const tail = Buffer.from(await getRange(client, bucket, key, bytes - 8, bytes - 1));
  if (head.toString('latin1') !== MAGIC) {
    throw new InvalidParquetError(location, `it does not start with the Parquet magic bytes ${MAGIC}`);
  }
  if (tail.subarray(4).toString('latin1') !== MAGIC) {
    throw new InvalidParquetError(
      location,
      `it does not end with the Parquet magic bytes ${MAGIC}: the file is truncated or corrupt (${bytes} bytes)`,
    );
  }
  const footerLength = tail.readUInt32LE(0);
  if (footerLength === 0 || footerLength > bytes - 12 || footerLength > MAX_FOOTER_BYTES) {
    throw new InvalidParquetError(
      location,
      `its footer length ${footerLength} does not fit a ${bytes}-byte file`,
    );
  }
  const footer = await getRange(client, bucket, key, bytes - 8 - footerLength, bytes - 9);
  return {
    location,
    bytes,
    columns: columnsFromFooter(location, footer),
    rows: rowCountFromFooter(location, footer),
  };
}
