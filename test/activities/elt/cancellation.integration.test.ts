// Cancellation reaches what an activity started: an aborted Trino statement is cancelled in Trino (not only
// abandoned by the client), the statements left on a run's catalog are killed, and a stopped program leaves
// no process of its group behind.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { TrinoClient, TrinoQueryError } from '../../../clients/trino';
import { killQueriesOn } from '../../../clients/trino-kill';
import { runLines } from '../../../lib/exec';
import { pollUntil } from '../../../lib/time';
import { endpoints, loadConfig } from '../../../lib/config';

const config = loadConfig();
const trinoUrl = endpoints(config).trino;
const observer = new TrinoClient(trinoUrl, { source: 'cancellation.test' });

/** A statement that runs for hours: 10^12 rows from three cross-joined sequences. */
function endlessSql(tag: string): string {
  return (
    `SELECT count(*), '${tag}' FROM UNNEST(sequence(1, 10000)) a(x) ` +
    'CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 10000)) c(z) WHERE x + y + z < 0'
  );
}

interface QueryRow {
  state: string;
  error_code: string | null;
}

async function queryState(queryId: string): Promise<QueryRow | undefined> {
  const rows = await observer.queryObjects<QueryRow>(
    `SELECT state, error_code FROM system.runtime.queries WHERE query_id = '${queryId}'`,
  );
  return rows[0];
}

/** Starts the statement and resolves with its query id once Trino runs it; `done` settles with the query. */
async function startEndless(client: TrinoClient, sql: string, signal?: AbortSignal) {
  let queryId: string | undefined;
  const done = client.query(sql, { signal, onProgress: (p) => (queryId ??= p.queryId) }).then(
    () => ({ error: undefined as unknown }),
    (error: unknown) => ({ error }),
  );
  const running = await pollUntil(
    async () => queryId !== undefined && (await queryState(queryId))?.state === 'RUNNING',
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  if (!running) throw new Error(`the statement did not start running within 60 s (query ${queryId})`);
  return { queryId: queryId as string, done };
}

describe('Trino statements', () => {
  test('an aborted statement is cancelled in Trino within a few seconds', async () => {
    const controller = new AbortController();
    const client = new TrinoClient(trinoUrl, { source: 'cancellation.test' });
    const { queryId, done } = await startEndless(client, endlessSql('abort'), controller.signal);
    const reason = new Error('test cancels it');
    const abortedAt = Date.now();
    controller.abort(reason);
    expect((await done).error).toBe(reason);
    const ended = await pollUntil(async () => (await queryState(queryId))?.state === 'FAILED', {
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    expect(ended).toBe(true);
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    expect((await queryState(queryId))?.error_code).toBe('USER_CANCELED');
  });

  test('a signal aborted before the statement starts sends nothing', async () => {
    const client = new TrinoClient(trinoUrl, { source: 'cancellation.test' });
    const reason = new Error('already cancelled');
    await expect(client.query('SELECT 1', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  test("a run catalog's leftover statements are killed, and only those", async () => {
    const catalog = `etl_2031_01_${randomBytes(5).toString('hex')}_1`;
    const other = `etl_2031_01_${randomBytes(5).toString('hex')}_1`;
    const left = await startEndless(new TrinoClient(trinoUrl, { source: 'attempt-1' }), endlessSql(catalog));
    const controller = new AbortController();
    const bystander = await startEndless(
      new TrinoClient(trinoUrl, { source: 'other-run' }),
      endlessSql(other),
      controller.signal,
    );
    try {
      const killed = await killQueriesOn(observer, catalog, { message: 'attempt 2 starts' });
      expect(killed).toEqual([left.queryId]);
      const { error } = await left.done;
      expect(error).toBeInstanceOf(TrinoQueryError);
      expect((error as Error).message).toMatch(/attempt 2 starts/);
      expect((await queryState(left.queryId))?.state).toBe('FAILED');
      expect((await queryState(bystander.queryId))?.state).toBe('RUNNING');
    } finally {
      controller.abort();
      await bystander.done;
    }
  });
});

describe('runLines stopped', () => {
  test('no process of the group remains, a background one that ignores SIGINT included', async () => {
    const controller = new AbortController();
    let groupId: number | undefined;
    const reason = new Error('stop it');
    // `$$` is the shell: the group's leader. A background job of a non-interactive shell ignores SIGINT.
    const exited = runLines('sh', ['-c', 'echo $$; sleep 300 & sleep 300'], {
      signal: controller.signal,
      stopGraceMs: 1000,
      onLine: (line) => {
        groupId ??= Number(line);
        // Both sleeps have started by then.
        setTimeout(() => controller.abort(reason), 500);
      },
    });
    await expect(exited).rejects.toBe(reason);
    expect(groupId).toBeGreaterThan(1);
    const group = groupId as number;
    expect(await pollUntil(() => liveMembers(group) === 0, { timeoutMs: 3000, intervalMs: 100 })).toBe(true);
  });
});

/** Processes of the group that are alive (a zombie waiting for its parent to reap it is not). */
function liveMembers(groupId: number): number {
  let live = 0;
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its closing parenthesis.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === groupId && state !== 'Z') live++;
  }
  return live;
}
