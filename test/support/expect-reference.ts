// The Jest expectations that a month on main equals the reference computed from its file
// (reference-elt.ts): Bronze's rows, Silver's rows, trip ids, duplicates, rejects and money, every Gold row.
import type { TrinoClient } from '../../clients/trino';
import {
  countRows,
  diffGold,
  expectedRejected,
  goldOf,
  readGold,
  readSilverCounts,
  type LakehouseTables,
} from './lakehouse-check';
import type { ReferenceResult } from './reference-elt';

export async function expectMonthMatchesReference(
  trino: TrinoClient,
  tables: LakehouseTables,
  month: string,
  reference: ReferenceResult,
): Promise<void> {
  expect(await countRows(trino, tables.bronze, month)).toBe(reference.bronzeRows);
  const silver = await readSilverCounts(trino, tables, month);
  expect(silver.silverRows).toBe(reference.silverRows);
  expect(silver.distinctTripIds).toBe(reference.silverRows);
  expect(silver.duplicatesRemoved).toBe(reference.duplicatesRemoved);
  expect(silver.rejectedByReason).toEqual(expectedRejected(reference));
  expect(silver.moneyCents).toEqual(reference.silverMoneyCents);
  expect(diffGold(await readGold(trino, tables, month), goldOf(reference))).toEqual([]);
}
