// Runs the real `dp` command against the test platform (DP_HOME set by the global setup).
import { spawn, spawnSync } from 'node:child_process';
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

/**
 * A Node program of the project (`node <argv>` from the checkout) without blocking this process, its output
 * collected; `echoStderr` also passes its stderr on as it comes (progress of long runs).
 */
export function runNodeAsync(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; echoStderr?: boolean; timeoutMs?: number } = {},
): Promise<DpResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.echoStderr) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `dp` without blocking this process: for tests whose own servers must keep answering while it runs. */
export function dpAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DpResult> {
  return runNodeAsync([path.join(REPO_ROOT, 'bin', 'dp.js'), ...args], { env, timeoutMs: 15 * 60 * 1000 });
}

/** `npm run chaos -- <args>` on the test platform, its progress echoed. */
export function runChaos(args: string[]): Promise<DpResult> {
  return runNodeAsync(['--require', 'tsx/cjs', path.join(REPO_ROOT, 'chaos', 'run.ts'), ...args], {
    echoStderr: true,
  });
}

/** `dp query --json`, parsed; fails the test with Trino's message when the query fails. */
export function dpQuery<T = Record<string, unknown>>(sql: string): T[] {
  const result = dp(['query', '--json', sql]);
  if (result.code !== 0) throw new Error(`dp query failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T[];
}
