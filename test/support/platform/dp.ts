// Runs the real `dp` command against the test platform (DP_HOME set by the global setup).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../lib/config';

export interface DpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function dp(args: string[], env: NodeJS.ProcessEnv = {}): DpResult {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'dp.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `dp query --json`, parsed; fails the test with Trino's message when the query fails. */
export function dpQuery<T = Record<string, unknown>>(sql: string): T[] {
  const result = dp(['query', '--json', sql]);
  if (result.code !== 0) throw new Error(`dp query failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T[];
}
