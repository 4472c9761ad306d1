// Stops the test platform and removes its home (set DP_KEEP_TEST_HOME=1 to keep it for a post-mortem; a home
// given in DP_TEST_HOME is left running).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../lib/config';

export default async function globalTeardown(): Promise<void> {
  const home = process.env.DP_HOME;
  if (!home || process.env.DP_TEST_HOME) return; // a reused home stays up
  spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), 'down'], {
    env: process.env,
    stdio: 'inherit',
  });
  if (process.env.DP_KEEP_TEST_HOME) process.stderr.write(`[integration] kept ${home}\n`);
  else fs.rmSync(home, { recursive: true, force: true });
}
