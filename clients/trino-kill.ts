// Killing the statements a run left running on its Trino catalog. A timed-out attempt's worker may be gone,
// so nobody cancels its statements; the retry kills them before it writes to the same branch.
import { sqlIdentifier, sqlString, type TrinoClient } from './trino';
import { sleep } from '../lib/time';

export interface RunningQuery {
  queryId: string;
  state: string;
  query: string;
}

const QUERY_ID = /^[A-Za-z0-9_]+$/;

/**
 * True when the statement's text names the catalog as a whole word (quoted or not): run catalogs have unique
 * names like etl_2025_03_0123456789_1, which occur in no other run's statements.
 */
export function namesCatalog(sql: string, catalog: string): boolean {
  const name = sqlIdentifier(catalog);
  return new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`, 'i').test(sql);
}

/** Statements not finished yet whose text names `catalog`; this query itself never does (it has no name). */
export async function runningQueriesOn(trino: TrinoClient, catalog: string): Promise<RunningQuery[]> {
  const rows = await trino.queryObjects<{ query_id: string; state: string; query: string }>(
    "SELECT query_id, state, query FROM system.runtime.queries WHERE state NOT IN ('FINISHED', 'FAILED')",
  );
  return rows
    .filter((r) => namesCatalog(r.query, catalog))
    .map((r) => ({ queryId: r.query_id, state: r.state, query: r.query }));
}

export interface KillOptions {
  /** Recorded as the killed statements' error message. */
  message: string;
  /** How long to wait for the killed statements to end; default 30 s. */
  waitMs?: number;
}

/**
 * Kills every statement still running on `catalog` and waits until none is left (or `waitMs` passed).
 * Returns the ids of the statements it killed.
 */
export async function killQueriesOn(
  trino: TrinoClient,
  catalog: string,
  options: KillOptions,
): Promise<string[]> {
  const killed: string[] = [];
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const running = await runningQueriesOn(trino, catalog);
    if (running.length === 0) return killed;
    if (Date.now() > deadline) {
      throw new Error(
        `Statements on Trino catalog ${catalog} still run after being killed: ` +
          running.map((q) => q.queryId).join(', '),
      );
    }
    for (const q of running) {
      if (!QUERY_ID.test(q.queryId)) continue;
      try {
        const args = `query_id => ${sqlString(q.queryId)}, message => ${sqlString(options.message)}`;
        await trino.query(`CALL system.runtime.kill_query(${args})`);
        if (!killed.includes(q.queryId)) killed.push(q.queryId);
      } catch {
        // It ended between the listing and the kill: the next listing shows it gone.
      }
    }
    await sleep(500);
  }
}
