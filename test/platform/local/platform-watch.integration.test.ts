// The platform watch on the real test platform: a Trino killed with SIGKILL while a month transforms comes back
// without a user command, `dp status` lists the restart, and the month publishes the reference figures.
import * as fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { TrinoClient } from '../../../clients/trino';
import { prepareMirror } from '../../../cli/elt';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../../lib/config';
import { readPid } from '../../../lib/process';
import { pollUntil, sleep } from '../../../lib/time';
import { tlcMirrorDir } from '../../../platform/local/services';
import { connectClient } from '../../../worker/connection';
import type { WatchRestart } from '../../../domain/platform-watch';
import { workflowIdForMonth } from '../../../domain/names';
import { eltProgressQuery } from '../../../domain/queries';
import { monthlyYellowTrips } from '../../../workflows';
import { lakehouseTables } from '../../support/lakehouse-check';
import { expectMonthMatchesReference } from '../../support/expect-reference';
import { computeReference } from '../../support/reference-elt';
import { dp } from '../../support/platform/dp';

const config = loadConfig();
const tables = lakehouseTables(config.catalog);
/** Trino's start on a loaded 2-core machine, plus a probe round or two. */
const RESTART_WITHIN_MS = 6 * 60 * 1000;

interface StatusJson {
  healthy: boolean;
  components: { component: string; healthy: boolean; pid?: number; detail: string }[];
  watch?: { running: boolean; detail: string; restarts: WatchRestart[] };
}

function status(): StatusJson {
  const result = dp(['status', '--json']);
  return JSON.parse(result.stdout) as StatusJson;
}

/** The watch line of `dp status` when Temporal did not answer within its deadline (a loaded machine). */
const UNANSWERED = /Temporal not reachable|cannot ask Temporal|not answering/;

/** `dp status` (with `args`) once its watch part is an answer, not a missed deadline; fails after 3 min. */
async function answeredStatus(args: string[], watchDetail: (stdout: string) => string): Promise<string> {
  const stdout = await pollUntil(
    () => {
      const out = dp(['status', ...args]).stdout;
      return UNANSWERED.test(watchDetail(out)) ? undefined : out;
    },
    { timeoutMs: 3 * 60 * 1000, intervalMs: 5000 },
  );
  if (stdout === undefined) throw new Error('dp status did not reach Temporal within 3 min');
  return stdout;
}

/** SIGKILL to this test platform's Trino, after checking the pid is the one this platform's home started. */
function killTrino(): number {
  const pidFile = paths(config).pid('trino');
  const record = readPid(pidFile);
  if (!record) throw new Error(`no Trino pid in ${pidFile}`);
  const cmdline = fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
  // The marker names this home's data folder: never signal another platform's Trino.
  expect(cmdline).toContain(record.marker);
  expect(record.marker).toContain(config.home);
  process.kill(record.pid, 'SIGKILL');
  return record.pid;
}

/** Waits until `dp status --json` shows Trino healthy under a new pid, and a watch restart of it since `since`. */
async function expectTrinoRestarted(killedPid: number, since: number): Promise<WatchRestart> {
  const seen = await pollUntil(
    () => {
      const s = status();
      const trino = s.components.find((c) => c.component === 'trino');
      const restart = s.watch?.restarts.find(
        (r) => r.component === 'trino' && Date.parse(r.at) >= since - 1000,
      );
      return trino?.healthy && trino.pid !== killedPid && restart ? { s, restart } : undefined;
    },
    { timeoutMs: RESTART_WITHIN_MS, intervalMs: 5000 },
  );
  if (!seen) {
    const now = JSON.stringify(status());
    throw new Error(`Trino was not restarted by the watch within ${RESTART_WITHIN_MS / 1000} s: ${now}`);
  }
  expect(seen.s.watch?.running).toBe(true);
  expect(seen.restart).toMatchObject({ component: 'trino', reason: 'down', outcome: 'started' });
  expect(seen.restart.secondsToHealthy).toBeGreaterThan(0);
  return seen.restart;
}

let client: Client;

beforeAll(async () => {
  client = await connectClient(config);
});

afterAll(async () => {
  await client?.connection.close();
});

describe('the platform watch', () => {
  test(
    'dp up started it: dp status --json shows it running',
    async () => {
      const json = await answeredStatus(
        ['--json'],
        (out) => (JSON.parse(out) as StatusJson).watch?.detail ?? '',
      );
      const s = JSON.parse(json) as StatusJson;
      expect(s.watch?.running).toBe(true);
      expect(s.watch?.detail).toMatch(/watching since/);
    },
    10 * 60 * 1000,
  );

  test(
    'acceptance: a Trino killed with SIGKILL while transforming is restarted without a user command, dp status lists the restart, and the month publishes the reference figures',
    async () => {
      const month = '2025-05';
      const rows = 20_000;
      const mirrorUrl = await prepareMirror(config, [month], rows, 202505);
      const file = tripDataFile(tlcMirrorDir(config), month);
      const reference = await computeReference(file, month, ZONE_LOOKUP_SEED);
      const handle = await client.workflow.start(monthlyYellowTrips, {
        workflowId: workflowIdForMonth(month),
        taskQueue: config.taskQueue,
        args: [{ month, sourceBaseUrl: mirrorUrl }],
      });
      const transforming = await pollUntil(
        async () => {
          const progress = await handle.query(eltProgressQuery).catch(() => undefined);
          return progress?.stage === 'transforming';
        },
        { timeoutMs: 10 * 60 * 1000, intervalMs: 200 },
      );
      expect(transforming).toBe(true);
      const killedAt = Date.now();
      const killed = killTrino();
      await sleep(500);
      expect(status().components.find((c) => c.component === 'trino')?.healthy).toBe(false);

      // No user command from here: the watch restarts Trino and the ELT's retries carry the month through.
      const result = await handle.result();
      expect(result.audit.passed).toBe(true);
      const restart = await expectTrinoRestarted(killed, killedAt);
      expect(restart.result).toMatch(/coordinator ready/);
      // dp status lists the restart in its human form too.
      const text = await answeredStatus([], (out) => /^watch: .*$/m.exec(out)?.[0] ?? '');
      expect(text).toMatch(/^watch: running/m);
      expect(text).toMatch(/recent restarts[\s\S]*trino {2}down/);

      // Trino answers queries again (the catalog the bring-up created survived), with the reference figures.
      const trino = new TrinoClient(endpoints(config).trino, { source: 'watch.test' });
      expect(await trino.catalogs()).toContain(config.catalog);
      await expectMonthMatchesReference(trino, tables, month, reference);
    },
    30 * 60 * 1000,
  );

  test(
    'dp down stops the watch before the components, so nothing is restarted behind it',
    async () => {
      const down = dp(['down']);
      expect(down.code).toBe(0);
      expect(down.stderr).toMatch(/\[watch\] stopped/);
      expect(down.stderr.indexOf('[watch]')).toBeLessThan(down.stderr.indexOf('[trino]'));
      const s = status();
      expect(s.watch?.running).toBe(false);
      expect(s.components.every((c) => !c.healthy)).toBe(true);
      // Bring it back for whatever runs after this file.
      const up = dp(['up']);
      expect(up.code).toBe(0);
      expect(status().watch?.running).toBe(true);
    },
    20 * 60 * 1000,
  );
});
