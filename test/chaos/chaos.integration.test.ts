// `npm run chaos` on the test platform: a small fixed-seed run whose kills main can recover from today
// (the worker and the Temporal server, brought back by `dp up`; seed 8 plans the worker at transforming and
// at auditing, then Temporal at loading bronze). No round may end dirty, double a row or
// leave a branch behind, and the platform is left healthy for the suites after this one.
import { TrinoClient } from '../../clients/trino';
import { tripDataFile, ZONE_LOOKUP_SEED } from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig } from '../../lib/config';
import { pollUntil } from '../../lib/time';
import { tlcMirrorDir } from '../../platform/local/services';
import { countRows, lakehouseTables } from '../support/lakehouse-check';
import { computeReference } from '../support/reference-elt';
import { dp, runChaos, type DpResult } from '../support/platform/dp';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'chaos.test' });
const tables = lakehouseTables(config.catalog);
// Months no other suite loads, so their Bronze counts before this run are zero.
const MONTHS = ['2024-01', '2024-02', '2024-03'];

describe('npm run chaos (3 kills of the worker and the Temporal server, seed 8)', () => {
  let run: DpResult;
  let summary: Record<string, number | null>;

  beforeAll(async () => {
    run = await runChaos([
      '--injections',
      '3',
      '--seed',
      '8',
      '--rows',
      '5000',
      '--components',
      'worker,temporal',
      '--first-month',
      MONTHS[0],
      '--round-timeout',
      '600',
    ]);
    const lines = run.stdout.trim().split('\n');
    summary = JSON.parse(lines[lines.length - 1]) as Record<string, number | null>;
  }, 45 * 60_000);

  it('ran 3 rounds, none dirty, with no duplicate and no leaked branch', () => {
    expect({ code: run.code, summary }).toMatchObject({
      code: 0,
      summary: { injections: 3, dirty: 0, duplicates: 0, leaked_branches: 0 },
    });
    expect((summary.published ?? 0) + (summary.clean_failures ?? 0)).toBe(3);
  });

  it('printed the component x stage table before the JSON line', () => {
    expect(run.stdout).toMatch(/^component +\|/m);
  });

  it('left each month on main either absent or with exactly its file’s rows in Bronze', async () => {
    for (const month of MONTHS) {
      const reference = await computeReference(
        tripDataFile(tlcMirrorDir(config), month),
        month,
        ZONE_LOOKUP_SEED,
      );
      const bronze = await countRows(trino, tables.bronze, month);
      expect({ month, ok: bronze === 0 || bronze === reference.bronzeRows }).toEqual({ month, ok: true });
    }
  });

  // The last kill's component may still be coming back (the watch restarts it; on a loaded machine that takes
  // a while), so healthy within a bounded wait; a failure names the components that never recovered.
  it('left the platform healthy', async () => {
    let unhealthy: string[] = [];
    const healthy = await pollUntil(
      () => {
        const status = dp(['status', '--json']);
        const parsed = JSON.parse(status.stdout) as {
          healthy: boolean;
          components: { component: string; healthy: boolean; detail: string }[];
        };
        unhealthy = parsed.components.filter((c) => !c.healthy).map((c) => `${c.component}: ${c.detail}`);
        return parsed.healthy;
      },
      { timeoutMs: 180_000, intervalMs: 5_000 },
    );
    expect({ healthy: healthy === true, unhealthy }).toEqual({ healthy: true, unhealthy: [] });
  }, 240_000);
});
