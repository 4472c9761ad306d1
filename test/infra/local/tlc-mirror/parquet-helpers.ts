// Reads generated files back through parquet-wasm's reader and Arrow JS, independently of the writer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

export function readArrowTable(bytes: Uint8Array): Table {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}

export interface ParquetFooter {
  numRows: number;
  rowGroupRows: number[];
  /** Compression codec of every column chunk (parquet-wasm's Compression enum values). */
  codecs: Set<number>;
  keyValueMetadata: Map<string, string>;
}

export async function readFooter(bytes: Uint8Array): Promise<ParquetFooter> {
  const file = await parquet.ParquetFile.fromFile(new Blob([bytes]));
  const metadata = file.metadata();
  const rowGroups = metadata.rowGroups();
  const codecs = new Set<number>();
  for (const rowGroup of rowGroups) {
    for (const column of rowGroup.columns()) codecs.add(column.compression());
  }
  return {
    numRows: metadata.fileMetadata().numRows(),
    rowGroupRows: rowGroups.map((rowGroup) => rowGroup.numRows()),
    codecs,
    keyValueMetadata: metadata.fileMetadata().keyValueMetadata() as Map<string, string>,
  };
}

/** Column values as plain numbers/strings (int64 bigints converted, timestamps in epoch ms), nulls kept. */
export function columnValues(table: Table, name: string): Array<number | string | null> {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`column ${name} missing`);
  const values: Array<number | string | null> = new Array(vector.length);
  for (let row = 0; row < vector.length; row++) {
    const value: unknown = vector.get(row);
    values[row] = typeof value === 'bigint' ? Number(value) : (value as number | string | null);
  }
  return values;
}

export function numericColumn(table: Table, name: string): Array<number | null> {
  return columnValues(table, name).map((value) => {
    if (typeof value === 'string') throw new Error(`column ${name} is not numeric`);
    return value;
  });
}

/** LocationIDs by borough, from the product's own copy of the zone table. */
export function zoneIdsByBorough(): Map<string, Set<number>> {
  const csv = fs.readFileSync(path.resolve(__dirname, '../../../../dbt/seeds/taxi_zone_lookup.csv'), 'utf8');
  const byBorough = new Map<string, Set<number>>();
  for (const line of csv.trim().split('\n').slice(1)) {
    const [id, borough] = line.split(',').map((cell) => cell.replace(/"/g, ''));
    if (!byBorough.has(borough)) byBorough.set(borough, new Set());
    byBorough.get(borough)?.add(Number(id));
  }
  return byBorough;
}

export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    covariance += (xs[i] - meanX) * (ys[i] - meanY);
    varianceX += (xs[i] - meanX) ** 2;
    varianceY += (ys[i] - meanY) ** 2;
  }
  return covariance / Math.sqrt(varianceX * varianceY);
}
