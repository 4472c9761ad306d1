// The benchmarks' way to run the `dp` command of this checkout. stdout is the command's (returned);
// its stderr goes to ours, because the benchmarks keep their stdout for the figures and the JSON line.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/config';

const DP = path.join(REPO_ROOT, 'bin', 'dp.js');

/** `dp args` with `env` added; its stdout, or an error naming the command when it fails. */
export function dpSync(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(process.execPath, [DP, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`dp ${args.join(' ')} failed (exit ${result.status})`);
  return result.stdout;
}

/** `dpSync`, asynchronously: for a benchmark that keeps polling while the command runs. */
export function dpAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DP, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`dp ${args.join(' ')} failed (exit ${code}):\n${out}`)),
    );
  });
}

/** `dp stream stop` on the way out of a benchmark: best effort, its output dropped. */
export function stopStreamQuietly(): void {
  spawnSync(process.execPath, [DP, 'stream', 'stop'], { stdio: 'ignore' });
}
