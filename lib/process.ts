// Background processes of the embedded platform: started detached (they outlive the `dp` command and the
// worker that started them), tracked by pid files, logs appended under $DP_HOME/logs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pollUntil } from './time';

export interface ProcessSpec {
  /** Component name, used for the pid and log file names. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
  /** Text that appears in the process's command line and identifies this instance (e.g. its data dir). */
  marker: string;
  /** Identifies the code or config the process runs; a running process with another one is restarted. */
  fingerprint?: string;
}

export interface PidRecord {
  pid: number;
  marker: string;
  fingerprint?: string;
  startedAt: string;
}

export function readPid(pidFile: string): PidRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) && record.pid > 0 ? record : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has exited but was not reaped yet; it counts as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true;
  }
}

/** The live process recorded in `pidFile`, if it is still the program that was started (pids get reused). */
export function runningPid(pidFile: string): number | undefined {
  const record = readPid(pidFile);
  if (!record || !isAlive(record.pid)) return undefined;
  try {
    // Launchers may exec another program (Trino's execs java), so match the marker, not the executable.
    const cmdline = fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (!cmdline.includes(record.marker)) return undefined;
  } catch {
    // No /proc (not Linux): trust the pid file.
  }
  return record.pid;
}

export function startDetached(spec: ProcessSpec): number {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  fs.mkdirSync(path.dirname(spec.pidFile), { recursive: true });
  fs.mkdirSync(spec.cwd, { recursive: true });
  const log = fs.openSync(spec.logFile, 'a');
  fs.writeSync(log, `\n==== ${new Date().toISOString()} starting ${spec.name}: ${spec.command}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
  const record: PidRecord = {
    pid: child.pid,
    marker: spec.marker,
    fingerprint: spec.fingerprint,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(spec.pidFile, JSON.stringify(record));
  child.unref();
  return child.pid;
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`. Returns whether something was running. */
export async function stopProcess(pidFile: string, graceMs = 20000): Promise<boolean> {
  const pid = runningPid(pidFile);
  if (pid === undefined) {
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const exited = () => !isAlive(pid);
  if (!(await pollUntil(exited, { timeoutMs: graceMs, intervalMs: 200 }))) {
    signal('SIGKILL');
    await pollUntil(exited, { timeoutMs: Infinity, intervalMs: 100 });
  }
  fs.rmSync(pidFile, { force: true });
  return true;
}

/** True when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * What a TCP connect to host:port meets: `connected`, `refused` (nothing listens), `timeout` (no answer in
 * `timeoutMs`) or `failed` (another error).
 */
export function connectOutcome(
  port: number,
  host: string,
  timeoutMs = 2000,
): Promise<'connected' | 'refused' | 'timeout' | 'failed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (outcome: 'connected' | 'refused' | 'timeout' | 'failed') => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? 'refused' : 'failed'),
    );
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function tailFile(file: string, lines = 20): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    fs.closeSync(fd);
    return buffer.toString('utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
