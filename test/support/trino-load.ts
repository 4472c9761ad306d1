// A query load on Trino for the autoscaling and metrics tests, bounded in count and time, and what Trino
// itself reports about its queries (its REST API, not its metrics), to compare Prometheus with.
import { TrinoClient } from '../../clients/trino';

/**
 * One CPU-bound query that spreads over every worker: the cross join of generated sequences runs in a
 * source stage, its GROUP BY in a hash-partitioned stage with a task on each worker. `millions` (of rows
 * joined) sets how long it runs; no table is read.
 */
export function loadQuery(millions: number): string {
  if (!Number.isInteger(millions) || millions < 1 || millions > 10_000)
    throw new Error(`loadQuery: ${millions} is not a whole number of millions in 1..10000`);
  return (
    'SELECT k, count(*) AS n FROM (' +
    'SELECT (x * 31 + y * 7 + z) % 101 AS k ' +
    'FROM UNNEST(sequence(1, 1000)) a(x) CROSS JOIN UNNEST(sequence(1, 1000)) b(y) ' +
    `CROSS JOIN UNNEST(sequence(1, ${millions})) c(z)` +
    ') GROUP BY k'
  );
}

export interface LoadResult {
  succeeded: number;
  failed: { sql: string; error: string }[];
}

/**
 * Clients that each run `sql` in a loop; their number can change while the load runs (a client asked to
 * leave finishes its query first). Bounded: no more than `maxQueries` start, none after `deadline`.
 */
export class QueryLoad {
  /** The running client loops by index; a loop whose index reaches `wanted` leaves after its query. */
  private readonly loops = new Map<number, Promise<void>>();
  private wanted = 0;
  private started = 0;
  private inFlight = 0;
  readonly result: LoadResult = { succeeded: 0, failed: [] };

  constructor(
    private readonly trino: TrinoClient,
    private readonly sql: string,
    private readonly maxQueries: number,
    private readonly deadline: number,
  ) {}

  /** Queries running now (started by this load, not yet answered). */
  get running(): number {
    return this.inFlight;
  }

  get queriesStarted(): number {
    return this.started;
  }

  /** Runs `n` clients from now on. */
  setClients(n: number): void {
    this.wanted = n;
    for (let i = 0; i < n; i++) {
      if (!this.loops.has(i))
        this.loops.set(
          i,
          this.loop(i).finally(() => this.loops.delete(i)),
        );
    }
  }

  private async loop(index: number): Promise<void> {
    while (index < this.wanted && this.started < this.maxQueries && Date.now() < this.deadline) {
      this.started += 1;
      this.inFlight += 1;
      try {
        await this.trino.query(this.sql);
        this.result.succeeded += 1;
      } catch (err) {
        this.result.failed.push({ sql: this.sql, error: (err as Error).message });
      } finally {
        this.inFlight -= 1;
      }
    }
  }

  /** Stops starting queries and waits for the running ones. */
  async stop(): Promise<LoadResult> {
    this.wanted = 0;
    await Promise.all([...this.loops.values()]);
    return this.result;
  }
}

/** The ids of the queries Trino's coordinator holds that are not done (queued, planning, running, ...). */
export async function activeQueryIds(trinoUrl: string): Promise<string[]> {
  const response = await fetch(`${trinoUrl}/v1/query`, {
    headers: { 'X-Trino-User': 'platform.cluster.test' },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`Trino /v1/query: HTTP ${response.status}`);
  const queries = (await response.json()) as { queryId: string; state: string }[];
  return queries
    .filter((q) => !['FINISHED', 'FAILED'].includes(q.state))
    .map((q) => q.queryId)
    .sort();
}
