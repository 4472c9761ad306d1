// A small client for Trino's HTTP statement protocol: POST the SQL, then follow nextUri until the query is
// finished, collecting columns and rows. A failed query always throws, with Trino's own message.
import { sleep } from '../lib/time';

export interface TrinoColumn {
  name: string;
  type: string;
}

export interface TrinoResult {
  columns: TrinoColumn[];
  rows: unknown[][];
  /** Rows changed by INSERT/UPDATE/DELETE/MERGE, when Trino reports it. */
  updateCount?: number;
  queryId: string;
}

interface StatementResponse {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  updateCount?: number;
  stats?: { state?: string; processedRows?: number; elapsedTimeMillis?: number };
  error?: { message: string; errorName: string; errorType: string; errorCode: number };
}

export class TrinoQueryError extends Error {
  constructor(
    message: string,
    readonly errorName: string,
    readonly errorType: string,
    readonly queryId?: string,
  ) {
    super(message);
    this.name = 'TrinoQueryError';
  }
}

export interface TrinoClientOptions {
  user?: string;
  catalog?: string;
  schema?: string;
  source?: string;
  /** Per HTTP request; a long query is many requests. */
  requestTimeoutMs?: number;
  /** Cancels every statement of this client when aborted (see StatementOptions.signal). */
  signal?: AbortSignal;
}

export interface QueryProgress {
  queryId: string;
  state: string;
  processedRows: number;
  elapsedMs: number;
}

export interface StatementOptions {
  /** Session properties for this statement only, e.g. { scale_writers: 'false' }. */
  session?: Record<string, string>;
  /** Called on every page Trino returns, with its progress. */
  onProgress?: (progress: QueryProgress) => void;
  /**
   * Cancels the statement when aborted: polling stops, Trino is told to cancel it (DELETE of its nextUri)
   * and query() rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

/** How long the DELETE that cancels an aborted statement may take; the statement is abandoned after it. */
const CANCEL_TIMEOUT_MS = 5000;

const SESSION_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const SESSION_VALUE = /^[A-Za-z0-9_.-]+$/;

export class TrinoClient {
  constructor(
    readonly baseUrl: string,
    private readonly options: TrinoClientOptions = {},
  ) {}

  /** True once the client's own signal aborted: every statement now fails at once. */
  get cancelled(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  private headers(session: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = {
      'X-Trino-User': this.options.user ?? 'dp',
      'X-Trino-Source': this.options.source ?? 'dp',
    };
    if (this.options.catalog) h['X-Trino-Catalog'] = this.options.catalog;
    if (this.options.schema) h['X-Trino-Schema'] = this.options.schema;
    const entries = Object.entries(session);
    for (const [name, value] of entries) {
      if (!SESSION_NAME.test(name) || !SESSION_VALUE.test(value)) {
        throw new Error(`Invalid Trino session property ${name}=${value}`);
      }
    }
    if (entries.length > 0) h['X-Trino-Session'] = entries.map(([n, v]) => `${n}=${v}`).join(',');
    return h;
  }

  private async request(
    url: string,
    init: RequestInit,
    headers: Record<string, string>,
    cancel?: AbortSignal,
  ): Promise<StatementResponse> {
    // Trino answers 502/503/504 while starting or overloaded: the protocol says retry.
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 120_000);
      const response = await fetch(url, {
        ...init,
        headers,
        signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout,
      });
      if ([502, 503, 504].includes(response.status) && attempt < 20) {
        await sleep(Math.min(100 * 2 ** attempt, 2000), cancel);
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
    const signals = [this.options.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancel = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (cancel?.aborted) throw abortReason(cancel);
    // Trino only runs a statement once its first nextUri is followed, so an abort of the POST leaves nothing.
    const first = await this.request(
      `${this.baseUrl}/v1/statement`,
      { method: 'POST', body: sql },
      headers,
      cancel,
    ).catch((err: unknown) => {
      throw cancel?.aborted ? abortReason(cancel) : err;
    });
    let nextUri = first.nextUri;
    try {
      return await this.follow(first, headers, options, cancel, (uri) => (nextUri = uri));
    } catch (err) {
      if (!cancel?.aborted) throw err;
      if (nextUri) await this.cancelStatement(nextUri, headers);
      throw abortReason(cancel);
    }
  }

  /** Tells Trino to cancel the statement whose next page is `nextUri` (on failure, Trino's timeouts do). */
  private async cancelStatement(nextUri: string, headers: Record<string, string>): Promise<void> {
    try {
      await fetch(nextUri, { method: 'DELETE', headers, signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
    } catch {
      // Trino unreachable: the statement ends when Trino notices its client is gone.
    }
  }

  private async follow(
    first: StatementResponse,
    headers: Record<string, string>,
    options: StatementOptions,
    cancel: AbortSignal | undefined,
    onNextUri: (uri: string | undefined) => void,
  ): Promise<TrinoResult> {
    let page = first;
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
      if (cancel?.aborted) throw abortReason(cancel);
      page = await this.request(page.nextUri, { method: 'GET' }, headers, cancel);
      onNextUri(page.nextUri);
    }
    return { columns, rows, updateCount, queryId: page.id };
  }

  /** Rows as objects keyed by column name. */
  async queryObjects<T = Record<string, unknown>>(sql: string, options?: StatementOptions): Promise<T[]> {
    const result = await this.query(sql, options);
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])) as T);
  }

  async catalogs(): Promise<string[]> {
    return (await this.query('SHOW CATALOGS')).rows.map((r) => String(r[0]));
  }

  /** Creates the catalog unless it exists (by name: its properties are not compared). True when created. */
  async ensureCatalog(name: string, properties: Record<string, string>): Promise<boolean> {
    if ((await this.catalogs()).includes(name)) return false;
    await this.query(createCatalogSql(name, properties));
    return true;
  }

  async isReady(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/v1/info`, { signal: AbortSignal.timeout(3000) });
      if (!response.ok) return false;
      const info = (await response.json()) as { starting?: boolean };
      return info.starting === false;
    } catch {
      return false;
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`cancelled: ${String(signal.reason)}`);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Validates a catalog/schema/table name before it is placed in SQL (they cannot be bound as parameters). */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`Invalid SQL identifier '${name}': use lower-case letters, digits and underscores.`);
  }
  return name;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** CREATE CATALOG from the properties of a catalog file (connector.name picks the connector, the rest go to WITH). */
export function createCatalogSql(name: string, properties: Record<string, string>): string {
  const { ['connector.name']: connector, ...rest } = properties;
  if (!connector) throw new Error(`Catalog ${name} has no connector.name.`);
  const withClause = Object.entries(rest)
    .map(([key, value]) => `"${key}" = ${sqlString(value)}`)
    .join(', ');
  return `CREATE CATALOG ${sqlIdentifier(name)} USING ${sqlIdentifier(connector)} WITH (${withClause})`;
}
