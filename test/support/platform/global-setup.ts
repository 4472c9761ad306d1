// Starts the real local platform once for the whole integration run, through `dp up`.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../lib/config';
import { createTestHome, TEST_PORTS, TEST_SOURCE_PORT } from './test-platform';

export default async function globalSetup(): Promise<void> {
  // DP_TEST_HOME: run against a platform home kept from an earlier run (for working on one test at a time).
  const reused = process.env.DP_TEST_HOME;
  const home = reused ?? createTestHome('dp-it-', TEST_PORTS);
  process.env.DP_HOME = home;
  // The worker (started by `dp up` below, with this environment) may fetch URL sources from the tests' own
  // server on loopback; every other host stays subject to the source allow-list.
  const allowed = process.env.DP_SOURCE_ALLOWED_HOSTS;
  process.env.DP_SOURCE_ALLOWED_HOSTS = [allowed, `127.0.0.1:${TEST_SOURCE_PORT}`].filter(Boolean).join(',');
  process.stderr.write(`\n[integration] starting the test platform in ${home}\n`);
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), 'up'], {
    env: process.env,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`dp up failed for the test platform (exit ${result.status})`);
}
