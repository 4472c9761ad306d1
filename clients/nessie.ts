// Nessie's REST API v2: references (branches and tags), their contents, and merges.

export interface NessieReference {
  type: 'BRANCH' | 'TAG';
  name: string;
  hash: string;
}

export interface NessieEntry {
  name: { elements: string[] };
  type: string;
}

export interface MergeResult {
  wasApplied: boolean;
  wasSuccessful: boolean;
  resultantTargetHash: string;
  commonAncestor?: string;
}

/** One commit of a reference's log, newest first. */
export interface NessieCommit {
  hash: string;
  message: string;
  /** ISO time Nessie recorded the commit at. */
  commitTime?: string;
  parentCommitHashes?: string[];
}

export interface HistoryOptions {
  /** Stop before this commit (it and what came before are not returned). */
  untilHash?: string;
  /** At most this many commits; default 1000. */
  limit?: number;
}

export class NessieError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'NessieError';
  }
}

const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validRefName(name: string): string {
  if (!REF_NAME.test(name) || name.includes('..')) {
    throw new Error(`Invalid Nessie reference name '${name}': use letters, digits, '.', '_' and '-'.`);
  }
  return name;
}

const HASH = /^[0-9a-f]{8,64}$/;

export function validHash(hash: string): string {
  if (!HASH.test(hash)) throw new Error(`Invalid Nessie commit hash '${hash}'.`);
  return hash;
}

/** A merge refused because both sides changed the same tables. */
export function isMergeConflict(err: unknown): boolean {
  return err instanceof NessieError && err.status === 409;
}

export class NessieClient {
  /** @param apiUri e.g. http://127.0.0.1:19120/api/v2 */
  constructor(readonly apiUri: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.apiUri}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      let code: string | undefined;
      try {
        const parsed = JSON.parse(text) as { message?: string; errorCode?: string };
        message = parsed.message ?? text;
        code = parsed.errorCode;
      } catch {
        // plain text error
      }
      throw new NessieError(
        `Nessie ${method} ${path}: HTTP ${response.status}: ${message}`,
        response.status,
        code,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async config(): Promise<{ defaultBranch: string; specVersion?: string }> {
    return this.call('GET', '/config');
  }

  /** The reference, or undefined when it does not exist. */
  async getReference(name: string): Promise<NessieReference | undefined> {
    try {
      const result = await this.call<{ reference: NessieReference }>('GET', `/trees/${validRefName(name)}`);
      return result.reference;
    } catch (err) {
      if (err instanceof NessieError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Every branch and tag. */
  async references(): Promise<NessieReference[]> {
    const refs: NessieReference[] = [];
    let token: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ 'max-records': '500' });
      if (token) query.set('page-token', token);
      const page = await this.call<{ references: NessieReference[]; hasMore?: boolean; token?: string }>(
        'GET',
        `/trees?${query.toString()}`,
      );
      refs.push(...page.references.map(({ type, name, hash }) => ({ type, name, hash })));
      if (!page.hasMore || !page.token) return refs;
      token = page.token;
    }
  }

  async createReference(
    name: string,
    type: 'BRANCH' | 'TAG',
    from: { name: string; hash: string },
  ): Promise<NessieReference> {
    const query = `?name=${encodeURIComponent(validRefName(name))}&type=${type}`;
    const result = await this.call<{ reference: NessieReference }>('POST', `/trees${query}`, {
      type: 'BRANCH',
      name: validRefName(from.name),
      hash: from.hash,
    });
    return result.reference;
  }

  /** Points `name` (a branch or tag, currently at `expectedHash`) at `to`. */
  async assignReference(
    name: string,
    type: 'BRANCH' | 'TAG',
    expectedHash: string,
    to: { name: string; hash: string },
  ): Promise<void> {
    await this.call('PUT', `/trees/${validRefName(name)}@${validHash(expectedHash)}?type=${type}`, {
      type: 'BRANCH',
      name: validRefName(to.name),
      hash: validHash(to.hash),
    });
  }

  async deleteReference(name: string, type: 'BRANCH' | 'TAG', hash: string): Promise<void> {
    await this.call('DELETE', `/trees/${validRefName(name)}@${validHash(hash)}?type=${type}`);
  }

  /**
   * Merges `from` into `into` in one atomic commit. Nessie refuses (HTTP 409) when both sides changed the
   * same content key since their common ancestor: the caller must redo its work on a fresh branch.
   */
  async merge(
    into: { name: string; hash: string },
    from: { name: string; hash: string },
    message: string,
  ): Promise<MergeResult> {
    // Nessie merges onto the target's current head; `into.hash` is the head this caller last saw.
    return this.call<MergeResult>(
      'POST',
      `/trees/${validRefName(into.name)}@${validHash(into.hash)}/history/merge`,
      {
        fromRefName: validRefName(from.name),
        fromHash: validHash(from.hash),
        message,
      },
    );
  }

  /**
   * The reference's commits, newest first, back to (not including) `untilHash` when given, at most `limit`.
   * `untilHash` must be an ancestor of the reference's head, or the log is read back to `limit`.
   */
  async history(ref: string, options: HistoryOptions = {}): Promise<NessieCommit[]> {
    const limit = options.limit ?? 1000;
    const until = options.untilHash === undefined ? undefined : validHash(options.untilHash);
    const commits: NessieCommit[] = [];
    let token: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ 'max-records': String(Math.min(100, limit - commits.length)) });
      if (token) query.set('page-token', token);
      const page = await this.call<{
        logEntries?: { commitMeta: NessieCommit }[];
        hasMore?: boolean;
        token?: string;
      }>('GET', `/trees/${validRefName(ref)}/history?${query.toString()}`);
      for (const entry of page.logEntries ?? []) {
        const meta = entry.commitMeta;
        if (until !== undefined && meta.hash === until) return commits;
        commits.push({
          hash: meta.hash,
          message: meta.message,
          commitTime: meta.commitTime,
          parentCommitHashes: meta.parentCommitHashes,
        });
        if (commits.length >= limit) return commits;
      }
      if (!page.hasMore || !page.token) return commits;
      token = page.token;
    }
  }

  /** Table and namespace keys on a reference, e.g. ['bronze', 'trips']. */
  async entries(ref: string): Promise<NessieEntry[]> {
    const result = await this.call<{ entries: NessieEntry[] }>('GET', `/trees/${validRefName(ref)}/entries`);
    return result.entries;
  }
}
