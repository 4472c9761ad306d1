import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import {
  columnsFromFooter,
  InvalidParquetError,
  rowCountFromFooter,
} from '../../../../activities/elt/bronze/parquet-footer';

/** A Parquet file written by parquet-wasm from `rows` rows, in row groups of at most `rowGroup` rows. */
function parquetFile(rows: number, rowGroup: number): Uint8Array {
  const table = tableFromArrays({
    trip_distance: Float64Array.from({ length: rows }, (_, i) => i / 10),
    store_and_fwd_flag: Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 'Y' : 'N')),
    passenger_count: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 5)),
  });
  const properties = new parquet.WriterPropertiesBuilder()
    .setMaxRowGroupSize(rowGroup)
    .setKeyValueMetadata(new Map([['written-by', 'the footer test']]))
    .build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
}

/** The footer's bytes as the reader hands them over: without the length and the closing magic. */
function footerOf(file: Uint8Array): Uint8Array {
  const length = Buffer.from(file).readUInt32LE(file.byteLength - 8);
  return file.subarray(file.byteLength - 8 - length, file.byteLength - 8);
}

describe('rowCountFromFooter', () => {
  test.each([
    [0, 10],
    [1, 10],
    [12_345, 1_000],
    [70_001, 65_536],
  ])('%i rows in row groups of %i: the count the writer was given', (rows, rowGroup) => {
    const footer = footerOf(parquetFile(rows, rowGroup));
    expect(rowCountFromFooter('s3://b/k.parquet', footer)).toBe(rows);
    expect(columnsFromFooter('s3://b/k.parquet', footer).map((c) => c.name)).toEqual([
      'trip_distance',
      'store_and_fwd_flag',
      'passenger_count',
    ]);
  });

  test('a footer cut short is refused, naming the file', () => {
    const footer = footerOf(parquetFile(100, 10));
    const cut = footer.subarray(0, 20);
    expect(() => rowCountFromFooter('s3://b/cut.parquet', cut)).toThrow(InvalidParquetError);
    expect(() => rowCountFromFooter('s3://b/cut.parquet', cut)).toThrow(
      's3://b/cut.parquet is not a valid Parquet file: its footer cannot be parsed',
    );
  });
});
