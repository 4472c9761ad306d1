// Watching Trino during the run: the run's queries, the dbt node of each, the heap, a quiet Trino.
import type { TrinoClient } from '../../clients/trino';
import { log, sleep } from './common';

export const TRINO_SNAPSHOT_INTERVAL_MS = 15_000;
export const BENCH_TRINO_SOURCE = 'dp-bench-elt';
/** Trino sources of the product's own work during a run (activities, Bronze, dbt). */
export const PRODUCT_SOURCES = [/^dp-elt$/, /^dp-bronze$/, /^dbt/];

export interface TrinoQueryRecord {
  id: string;
  user: string;
  source: string;
  state: string;
  created: number;
  end: number | null;
  error: string | null;
  text: string;
}

export async function trinoQueriesSince(trino: TrinoClient, sinceMs: number): Promise<TrinoQueryRecord[]> {
  const result = await trino.query(
    `SELECT query_id, "user", coalesce(source, ''), state, to_unixtime(created), to_unixtime("end"), ` +
      `substr(query, 1, 2000), error_code FROM system.runtime.queries ` +
      `WHERE created >= from_unixtime(${(sinceMs / 1000).toFixed(3)}) AND coalesce(source, '') <> '${BENCH_TRINO_SOURCE}'`,
  );
  return result.rows.map(([id, user, source, state, created, end, text, error]) => ({
    id: String(id),
    user: String(user),
    source: String(source),
    state: String(state),
    created: Number(created) * 1000,
    end: end === null ? null : Number(end) * 1000,
    error: error === null || error === undefined ? null : String(error),
    text: String(text),
  }));
}

/** First words of a statement, without dbt's leading comment, on one line. */
export function statementSummary(text: string, width = 100): string {
  const oneLine = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > width ? `${oneLine.slice(0, width - 3)}...` : oneLine;
}

/**
 * The dbt node a query belongs to: its query comment's node_id when dbt added one, else the table that a
 * write statement targets (dbt-trino sends the model's own INSERT/CREATE without the comment).
 */
export function dbtNode(text: string): string | undefined {
  const node = /"node_id":\s*"([^"]+)"/.exec(text)?.[1];
  if (node) return node;
  const target =
    /^\s*(?:insert\s+into|create\s+(?:or\s+replace\s+)?table|delete\s+from|merge\s+into|drop\s+table(?:\s+if\s+exists)?|alter\s+table)\s+"?\w+"?\."?(\w+)"?\."?(\w+)"?/i.exec(
      text.replace(/\/\*[\s\S]*?\*\//g, ' '),
    );
  return target ? `table ${target[1]}.${target[2].replace(/__dbt_tmp$/, '')}` : undefined;
}

/** The layer (dbt/models/<layer>/) of a dbt model node ('model.lakehouse.<name>' or 'table <schema>.<name>'). */
export function dbtModelLayer(
  node: string,
  modelsByLayer: Readonly<Record<string, readonly string[]>>,
): string | undefined {
  const name = /^model\.[^.]+\.(\w+)$/.exec(node)?.[1] ?? /^table \w+\.(\w+)$/.exec(node)?.[1] ?? undefined;
  if (name === undefined) return undefined;
  return Object.entries(modelsByLayer).find(([, models]) => models.includes(name))?.[0];
}

export async function trinoHeapUsedMib(trinoUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${trinoUrl}/v1/status`, {
      headers: { 'X-Trino-User': 'dp-bench' },
      signal: AbortSignal.timeout(3000),
    });
    const status = (await response.json()) as { heapUsed?: number };
    return status.heapUsed === undefined ? undefined : status.heapUsed / 2 ** 20;
  } catch {
    return undefined;
  }
}

/** Waits (up to 2 minutes) until Trino runs nothing but the benchmark's own queries for 3 s in a row. */
export async function waitForQuietTrino(trino: TrinoClient): Promise<string[]> {
  const busy = async () =>
    (
      await trino.query(
        `SELECT query_id, coalesce(source, '') FROM system.runtime.queries ` +
          `WHERE state IN ('QUEUED', 'RUNNING') AND coalesce(source, '') <> '${BENCH_TRINO_SOURCE}'`,
      )
    ).rows.map(([id, source]) => `${String(source)}:${String(id)}`);
  const deadline = performance.now() + 120_000;
  for (let quiet = 0; quiet < 3;) {
    const last = await busy();
    quiet = last.length === 0 ? quiet + 1 : 0;
    if (performance.now() > deadline) {
      log(`Trino stayed busy with other work for 2 minutes (${last.join(', ')}); measuring anyway`);
      return last;
    }
    if (quiet < 3) await sleep(1000);
  }
  return [];
}
