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
  /**
   * Stops the program when aborted: SIGINT to its process group (dbt cancels its queries on it), then
   * SIGKILL to the group after `stopGraceMs`; runLines then rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Time between SIGINT and SIGKILL when `signal` aborts; default 10 s. */
  stopGraceMs?: number;
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
  options: { cwd?: string; env?: NodeJS.ProcessEnv; ownGroup?: boolean },
  stdio: StdioOptions,
  reject: (err: Error) => void,
): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio,
    // Its own process group, so a stop reaches the programs it starts too.
    detached: options.ownGroup ?? false,
  });
  child.on('error', (err) => reject(new Error(`Cannot run ${command}: ${err.message}`)));
  return child;
}

/** Runs a program to its end; rejects only when it cannot start (the caller judges the exit code). */
export function runLines(command: string, args: string[], options: RunLinesOptions = {}): Promise<Exited> {
  const keepLines = options.keepLines ?? 2000;
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
    const child = start(command, args, { ...options, ownGroup: signal !== undefined }, stdio, reject);
    if (signal) ownGroups.add(child);
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      signalGroup(child, 'SIGINT');
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), options.stopGraceMs ?? 10_000);
    };
    signal?.addEventListener('abort', stop, { once: true });
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
    // 'close' comes when every process holding its stdout/stderr is gone, not only the first one.
    child.on('close', (code) => {
      ownGroups.delete(child);
      signal?.removeEventListener('abort', stop);
      if (partial.stdout) take(partial.stdout);
      if (partial.stderr) take(partial.stderr);
      if (signal?.aborted) {
        // The leader may be gone while programs it started still run: the group gets its SIGKILL now.
        if (killTimer) clearTimeout(killTimer);
        signalGroup(child, 'SIGKILL');
        reject(abortReason(signal));
        return;
      }
      resolve({ code, output: lines.join('\n') });
    });
  });
}

/**
 * Programs started in their own group do not get the terminal's Ctrl-C with us, nor die with us: when this
 * process exits, their groups are killed (a SIGKILL of this process still leaves them to the caller's retry).
 */
const ownGroups = new Set<ChildProcess>();
process.on('exit', () => ownGroups.forEach((child) => signalGroup(child, 'SIGKILL')));

/** Sends `sig` to the child's process group; a group that is gone already is fine. */
function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`stopped: ${String(signal.reason)}`);
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
