// Running external programs (go, mvn, pip, tar, dbt) with arguments as arrays, never through a shell,
// streaming their output line by line so long runs show progress.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Reporter } from './progress';

export interface RunLinesOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line of stdout and stderr, as it comes. */
  onLine?: (line: string) => void;
  /** How many of the last lines `output` keeps. */
  keepLines?: number;
}

export interface Exited {
  /** The exit code; null when a signal ended the program. */
  code: number | null;
  /** The last `keepLines` lines of stdout and stderr together. */
  output: string;
}

/** Starts a program (no shell) in `cwd` with `env` (ours by default); a failure to start goes to `reject`. */
function start(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
  stdio: StdioOptions,
  reject: (err: Error) => void,
): ChildProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio });
  child.on('error', (err) => reject(new Error(`Cannot run ${command}: ${err.message}`)));
  return child;
}

/** Runs a program to its end; rejects only when it cannot start (the caller judges the exit code). */
export function runLines(command: string, args: string[], options: RunLinesOptions = {}): Promise<Exited> {
  const keepLines = options.keepLines ?? 2000;
  return new Promise((resolve, reject) => {
    const child = start(command, args, options, ['ignore', 'pipe', 'pipe'], reject);
    const lines: string[] = [];
    const take = (line: string) => {
      lines.push(line);
      if (lines.length > keepLines) lines.shift();
      options.onLine?.(line);
    };
    // One unfinished line per stream, so a line cut between two chunks of stdout is not joined to stderr.
    const partial = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.on('data', (chunk: Buffer) => {
        const parts = (partial[stream] + chunk.toString('utf8')).split(/\r?\n/);
        partial[stream] = parts.pop() ?? '';
        parts.forEach(take);
      });
    }
    child.on('close', (code) => {
      if (partial.stdout) take(partial.stdout);
      if (partial.stderr) take(partial.stderr);
      resolve({ code, output: lines.join('\n') });
    });
  });
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Component name used to prefix output lines. */
  component: string;
  report: Reporter;
  /** Forward only lines matching this (e.g. download lines of Maven); all lines are kept for errors. */
  showLine?: (line: string) => boolean;
}

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`${command} failed (exit ${exitCode}).\n${output.split('\n').slice(-25).join('\n')}`);
  }
}

/** Runs a program, reporting its (non-empty, shown) lines; resolves with its output, throws CommandFailed. */
export async function run(command: string, args: string[], options: RunOptions): Promise<string> {
  const { code, output } = await runLines(command, args, {
    cwd: options.cwd,
    env: options.env,
    onLine: (line) => {
      if (line.trim() && (options.showLine ? options.showLine(line) : true)) {
        options.report(options.component, line);
      }
    },
  });
  if (code === 0) return output;
  throw new CommandFailed([command, ...args].join(' '), code, output);
}

/** Runs a program on this terminal (its output straight to ours); resolves with its exit code. */
export function runAttached(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = start(command, args, options, 'inherit', reject);
    // Killed by a signal: no code; report a failure like a shell would.
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
