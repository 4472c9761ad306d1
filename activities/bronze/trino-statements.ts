// Runs Trino statements with per-statement session properties and progress callbacks, which the shared
// TrinoClient does not offer (its headers and polling loop are private). Same protocol: POST the SQL,
// follow nextUri until done; a failed query throws TrinoQueryError with Trino's own message.
import { TrinoQueryError, type TrinoColumn, type TrinoResult } from '../trino/client';

export interface QueryProgress {
  queryId: string;
  state: string;
  processedRows: number;
  elapsedMs: number;
}

export interface StatementOptions {
  /** Session properties for this statement only, e.g. { scale_writers: 'false' }. */
  session?: Record<string, string>;
  onProgress?: (progress: QueryProgress) => void;
}

interface StatementResponse {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  updateCount?: number;
  stats?: { state?: string; processedRows?: number; elapsedTimeMillis?: number };
  error?: { message: string; errorName: string; errorType: string };
}

const SESSION_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const SESSION_VALUE = /^[A-Za-z0-9_.-]+$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TrinoStatements {
  constructor(
    readonly baseUrl: string,
    private readonly user = 'dp',
    private readonly source = 'dp-bronze',
    private readonly requestTimeoutMs = 120_000,
  ) {}

  private headers(session: Record<string, string> | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'X-Trino-User': this.user, 'X-Trino-Source': this.source };
    const entries = Object.entries(session ?? {});
    for (const [name, value] of entries) {
      if (!SESSION_NAME.test(name) || !SESSION_VALUE.test(value)) {
        throw new Error(`invalid Trino session property ${name}=${value}`);
      }
    }
    if (entries.length > 0) headers['X-Trino-Session'] = entries.map(([n, v]) => `${n}=${v}`).join(',');
    return headers;
  }

  private async request(url: string, init: RequestInit, headers: Record<string, string>) {
    // Trino answers 502/503/504 while starting or overloaded: the protocol says retry.
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url, {
        ...init,
        headers,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      if ([502, 503, 504].includes(response.status) && attempt < 20) {
        await sleep(Math.min(100 * 2 ** attempt, 2000));
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        throw new TrinoQueryError(
          `Trino HTTP ${response.status}: ${text.slice(0, 500)}`,
          'HTTP_ERROR',
          'EXTERNAL',
        );
      }
      return JSON.parse(text) as StatementResponse;
    }
  }

  async query(sql: string, options: StatementOptions = {}): Promise<TrinoResult> {
    const headers = this.headers(options.session);
    let page = await this.request(`${this.baseUrl}/v1/statement`, { method: 'POST', body: sql }, headers);
    const rows: unknown[][] = [];
    let columns: TrinoColumn[] = [];
    let updateCount: number | undefined;
    for (;;) {
      if (page.error) {
        throw new TrinoQueryError(page.error.message, page.error.errorName, page.error.errorType, page.id);
      }
      if (page.columns) columns = page.columns;
      if (page.data) rows.push(...page.data);
      if (page.updateCount !== undefined) updateCount = page.updateCount;
      options.onProgress?.({
        queryId: page.id,
        state: page.stats?.state ?? 'UNKNOWN',
        processedRows: page.stats?.processedRows ?? 0,
        elapsedMs: page.stats?.elapsedTimeMillis ?? 0,
      });
      if (!page.nextUri) break;
      page = await this.request(page.nextUri, { method: 'GET' }, headers);
    }
    return { columns, rows, updateCount, queryId: page.id };
  }

  /** Rows as objects keyed by column name. */
  async queryObjects<T = Record<string, unknown>>(sql: string, options?: StatementOptions): Promise<T[]> {
    const result = await this.query(sql, options);
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])) as T);
  }
}
