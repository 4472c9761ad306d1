// Running external programs (go, mvn, pip, tar) with arguments as arrays, never through a shell,
// streaming their output to a reporter so long installs show progress.
import { spawn } from 'node:child_process';
import type { Reporter } from './progress';

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

export function run(command: string, args: string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 2000) lines.shift();
        if (line.trim() && (options.showLine ? options.showLine(line) : true)) {
          options.report(options.component, line);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new Error(`Cannot run ${command}: ${err.message}`)));
    child.on('close', (code) => {
      if (partial) lines.push(partial);
      const output = lines.join('\n');
      if (code === 0) resolve(output);
      else reject(new CommandFailed([command, ...args].join(' '), code, output));
    });
  });
}
