// Editing a small Parquet file for tests that need data the generator never makes (e.g. a payment code
// the contract does not know). The whole file is held in memory: test-sized files only.
import * as fs from 'node:fs';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** Rewrites `src` into `dest` with `payment_type` set to `value` on the given rows. */
export async function writeWithPaymentType(
  src: string,
  dest: string,
  rows: number[],
  value: number,
): Promise<void> {
  const wasmTable = parquet.readParquet(new Uint8Array(fs.readFileSync(src)));
  const table = tableFromIPC(wasmTable.intoIPCStream());
  const column = table.getChild('payment_type');
  if (!column) throw new Error(`${src} has no payment_type column`);
  for (const row of rows) {
    // Find the chunk holding the row, then write into its value buffer in place.
    let offset = row;
    const chunk = column.data.find((data) => {
      if (offset < data.length) return true;
      offset -= data.length;
      return false;
    });
    if (!chunk) throw new Error(`row ${row} is beyond the file's ${table.numRows} rows`);
    const values = chunk.values as BigInt64Array | Int32Array;
    values[offset] = (values instanceof BigInt64Array ? BigInt(value) : value) as never;
  }
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), properties);
  fs.writeFileSync(dest, bytes);
}
