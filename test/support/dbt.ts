// dbt run by a test against the test platform's Trino, with the project's own profile.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';
import { toolPaths } from '../../infra/local/install';
import { endpoints, loadConfig, REPO_ROOT } from '../../lib/config';

export const DBT_PROJECT = path.join(REPO_ROOT, 'dbt');

/** `dbt <command> ...args` for `month`, writing its target (and logs) to `target`. */
export function runDbt(
  command: string,
  args: string[],
  target: string,
  month = '2025-03',
): SpawnSyncReturns<string> {
  const config = loadConfig();
  const trino = new URL(endpoints(config).trino);
  return spawnSync(
    path.join(toolPaths(config.cacheDir).dbtVenv, 'bin', 'dbt'),
    [
      command,
      ...args,
      '--project-dir',
      DBT_PROJECT,
      '--profiles-dir',
      DBT_PROJECT,
      '--target-path',
      target,
      // The on-run-start hook requires a month.
      '--vars',
      JSON.stringify({ month }),
    ],
    {
      env: {
        ...process.env,
        DP_DBT_CATALOG: config.catalog,
        DP_TRINO_HOST: trino.hostname,
        DP_TRINO_PORT: trino.port,
        DBT_LOG_PATH: path.join(target, 'logs'),
        DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      },
      encoding: 'utf8',
      timeout: 10 * 60_000,
    },
  );
}
