// The invariants a chaos round checks, read from the platform without the code under test: Nessie through
// its REST API v2 (plain HTTP), the tables on main through Trino, the expected figures from the mirror file
// itself (test/support/reference-elt.ts, an in-memory recomputation of the ELT).
import { TrinoClient } from '../clients/trino';
import { runIdHex } from '../domain/names';
import { validMonth } from '../domain/months';
import {
  countRows,
  diffGold,
  expectedRejected,
  goldOf,
  lakehouseTables,
  monthFilter,
  readGold,
  readSilverCounts,
  type LakehouseTables,
} from '../test/support/lakehouse-check';
import type { ReferenceResult } from '../test/support/reference-elt';

interface NessieReferenceJson {
  type: string;
  name: string;
  hash: string;
}

async function nessieGet<T>(nessieApi: string, path: string): Promise<T> {
  const response = await fetch(`${nessieApi}${path}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`Nessie GET ${path}: HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The commit hash of Nessie's main branch. */
export async function mainHash(nessieApi: string): Promise<string> {
  const body = await nessieGet<{ reference: NessieReferenceJson }>(nessieApi, '/trees/main');
  return body.reference.hash;
}

/** The Nessie branches and Trino catalogs of one workflow run (any publish attempt) that still exist. */
export async function runLeftovers(
  nessieApi: string,
  trino: TrinoClient,
  month: string,
  runId: string,
): Promise<string[]> {
  // The run's names, any publish attempt.
  const token = runIdHex(runId);
  const branchPrefix = `etl-yellow-trips-${validMonth(month)}-${token}-`;
  const catalogPrefix = `etl_${month.replace('-', '_')}_${token}_`;
  const { references } = await nessieGet<{ references: NessieReferenceJson[] }>(nessieApi, '/trees');
  const branches = references
    .filter((r) => r.name.startsWith(branchPrefix))
    .map((r) => `Nessie branch ${r.name}`);
  const catalogs = (await trino.query('SHOW CATALOGS')).rows
    .map((row) => String(row[0]))
    .filter((name) => name.startsWith(catalogPrefix))
    .map((name) => `Trino catalog ${name}`);
  return [...branches, ...catalogs];
}

/** The key columns of each Gold table: one row per key. */
const GOLD_KEYS: Record<'monthlySummary' | 'dailyZoneMetrics' | 'hourlyDemand' | 'paymentMix', string> = {
  monthlySummary: 'source_month',
  dailyZoneMetrics: 'pickup_date, pickup_borough, pickup_zone',
  hourlyDemand: 'pickup_weekday, pickup_hour',
  paymentMix: 'payment_type',
};

async function duplicateKeys(
  trino: TrinoClient,
  table: string,
  keys: string,
  month: string,
): Promise<number> {
  const [row] = await trino.queryObjects<{ n: number; distinct_keys: number }>(
    `SELECT count(*) AS n, count(DISTINCT ROW(${keys})) AS distinct_keys FROM ${table} WHERE ${monthFilter(month)}`,
  );
  return Number(row.n) - Number(row.distinct_keys);
}

/** What a month's layers on main look like: the figures the round compares before and after. */
export interface LayerCounts {
  bronze: number;
  silver: number;
  rejected: number;
}

export async function layerCounts(trino: TrinoClient, month: string): Promise<LayerCounts> {
  const tables = lakehouseTables('lakehouse');
  const counted = async (table: string) => countRows(trino, table, month).catch(missingTableAsZero);
  return {
    bronze: await counted(tables.bronze),
    silver: await counted(tables.silver),
    rejected: await counted(tables.rejected),
  };
}

/** Before the first month is published, the tables do not exist yet: the month then has no rows. */
function missingTableAsZero(err: unknown): number {
  if (/TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|does not exist/i.test(String((err as Error).message))) return 0;
  throw err;
}

export interface DuplicateFinding {
  /** Rows present more than once, over all layers. */
  duplicates: number;
  notes: string[];
}

/**
 * Rows of the month on main that are there more than once. Silver: one row per trip_id; Gold: one row per
 * key of each table; Bronze and rejected rows legitimately repeat source duplicates, so they are compared by
 * count: with the source's footer rows and the reference's rejects after a publish, with the counts from
 * before the round after a failure.
 */
export async function findDuplicates(
  trino: TrinoClient,
  month: string,
  expected: LayerCounts,
): Promise<DuplicateFinding> {
  const tables: LakehouseTables = lakehouseTables('lakehouse');
  const notes: string[] = [];
  let duplicates = 0;
  const now = await layerCounts(trino, month);
  const silverRepeats = now.silver > 0 ? await duplicateKeys(trino, tables.silver, 'trip_id', month) : 0;
  if (silverRepeats > 0)
    notes.push(`silver has ${silverRepeats} rows of ${month} with a trip_id seen before`);
  for (const layer of ['bronze', 'silver', 'rejected'] as const) {
    const excess = now[layer] - expected[layer];
    if (excess !== 0) {
      notes.push(
        `${layer} has ${now[layer]} rows of ${month}, expected ${expected[layer]}${excess < 0 ? ' (rows lost)' : ''}`,
      );
    }
    // A repeated trip_id is also an excess row: counted once.
    duplicates += Math.max(0, excess, layer === 'silver' ? silverRepeats : 0);
  }
  for (const [name, keys] of Object.entries(GOLD_KEYS) as [keyof typeof GOLD_KEYS, string][]) {
    const extra = await duplicateKeys(trino, tables[name], keys, month).catch(missingTableAsZero);
    if (extra > 0) {
      duplicates += extra;
      notes.push(`${tables[name]} has ${extra} duplicate key(s) for ${month}`);
    }
  }
  return { duplicates, notes };
}

/** The counts a correct publish of the reference leaves on main. */
export function referenceCounts(reference: ReferenceResult): LayerCounts {
  return {
    bronze: reference.bronzeRows,
    silver: reference.silverRows,
    rejected: Object.values(reference.rejectedByReason).reduce((sum, n) => sum + n, 0),
  };
}

/** Differences between the month on main and the reference: Silver's counts and money, every Gold row. */
export async function diffFromReference(
  trino: TrinoClient,
  month: string,
  reference: ReferenceResult,
): Promise<string[]> {
  const tables = lakehouseTables('lakehouse');
  const silver = await readSilverCounts(trino, tables, month);
  const differences: string[] = [];
  if (silver.duplicatesRemoved !== reference.duplicatesRemoved) {
    differences.push(
      `silver removed ${silver.duplicatesRemoved} duplicates, expected ${reference.duplicatesRemoved}`,
    );
  }
  if (
    JSON.stringify(sorted(silver.rejectedByReason)) !== JSON.stringify(sorted(expectedRejected(reference)))
  ) {
    differences.push(
      `rejects by reason ${JSON.stringify(sorted(silver.rejectedByReason))}, expected ` +
        JSON.stringify(sorted(expectedRejected(reference))),
    );
  }
  for (const [column, cents] of Object.entries(reference.silverMoneyCents)) {
    if (silver.moneyCents[column] !== cents) {
      differences.push(`silver sum(${column}) is ${silver.moneyCents[column]} cents, expected ${cents}`);
    }
  }
  differences.push(...diffGold(await readGold(trino, tables, month), goldOf(reference)));
  return differences;
}

function sorted(record: Record<string, number>): [string, number][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
