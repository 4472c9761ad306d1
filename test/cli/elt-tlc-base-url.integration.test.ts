// `DP_TLC_BASE_URL` given to `dp elt run` counts although the worker was started without it: the CLI passes
// it as the workflow's sourceBaseUrl. Here it names the platform's offline mirror (which the worker allows);
// the worker's own base URL is the public TLC host, which the month would otherwise be fetched from.
import * as fs from 'node:fs';
import { TrinoClient } from '../../clients/trino';
import {
  ensureMirrorMonth,
  ensureZoneLookup,
  tripDataFile,
  ZONE_LOOKUP_SEED,
} from '../../infra/local/tlc-mirror';
import { endpoints, loadConfig, paths } from '../../lib/config';
import { readPid } from '../../lib/process';
import { tlcMirrorDir } from '../../platform/local/services';
import { countRows, lakehouseTables } from '../support/lakehouse-check';
import { computeReference } from '../support/reference-elt';
import { dp } from '../support/platform/dp';

const config = loadConfig();
const trino = new TrinoClient(endpoints(config).trino, { source: 'elt-tlc-base-url.test' });
const tables = lakehouseTables(config.catalog);
const MONTH = '2024-07';
const ROWS = '20000';
const SEED = '7240';

/** The environment the running worker process was started with. */
function workerEnvironment(): Record<string, string> {
  const record = readPid(paths(config).pid('worker'));
  if (!record) throw new Error('the test platform has no worker pid file');
  const raw = fs.readFileSync(`/proc/${record.pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

describe('dp elt run with DP_TLC_BASE_URL set for that command only', () => {
  test('the month comes from that base URL and is published', async () => {
    const mirror = endpoints(config).tlcMirror;
    expect(workerEnvironment().DP_TLC_BASE_URL ?? '').toBe('');

    // The mirror serves the month (generated here), without the CLI's --mirror.
    const served = dp(['tlc', 'mirror', '--from', MONTH, '--rows', ROWS, '--seed', SEED]);
    expect(served.code).toBe(0);
    const dir = tlcMirrorDir(config);
    await ensureZoneLookup(dir);
    await ensureMirrorMonth(dir, MONTH, { rows: Number(ROWS), seed: Number(SEED) });
    const reference = await computeReference(tripDataFile(dir, MONTH), MONTH, ZONE_LOOKUP_SEED);

    const run = dp(['elt', 'run', '--month', MONTH], { DP_TLC_BASE_URL: mirror });
    expect(run.stderr).not.toMatch(/does not fetch from/);
    expect(run.code).toBe(0);
    expect(await countRows(trino, tables.bronze, MONTH)).toBe(reference.bronzeRows);
    const [lineage] = await trino.queryObjects(
      `SELECT DISTINCT source_file FROM ${tables.bronze} WHERE source_month = '${MONTH}'`,
    );
    expect(lineage.source_file).toBe(`yellow_tripdata_${MONTH}.parquet`);
  });
});
