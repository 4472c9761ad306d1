// Sampling processes through /proc: CPU seconds, the worker's resident memory, a quiet machine.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { paths, type PlatformConfig } from '../../lib/config';
import { runningPid } from '../../lib/process';
import { residentMiB } from '../../platform/local/health';
import { LOCAL_COMPONENTS } from '../../platform/local/services';
import { log, round, sleep } from './common';

const RSS_INTERVAL_MS = 250;

export interface ProcStat {
  /** CPU seconds of the process itself plus its waited-for children (dbt for the worker). */
  cpuSeconds: number;
}

let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(out.stdout?.trim()) || 100;
  }
  return clockTicks;
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is [0]; utime, stime, cutime, cstime are [11..14].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { cpuSeconds: ticks / ticksPerSecond() };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

export function statusMib(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every descendant of `pid` (dbt and its Python, esbuild, ...), from /proc/<pid>/task/<tid>/children,
 * leaving out `exclude` and their own descendants (platform components the worker started detached).
 */
export function descendants(pid: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${parent}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children: string;
      try {
        children = fs.readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child) && !exclude.has(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

/**
 * Samples the worker's VmRSS (and that of the worker with its child processes) on a timer. The pid is
 * looked up at every sample, so a worker replaced mid-run (another `dp up`) is followed, and noted.
 */
export class RssSampler {
  peakMib = 0;
  peakTreeMib = 0;
  samples = 0;
  readonly pids = new Set<number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly currentPid: () => number | undefined,
    /** Processes that are not the worker's even when it is their parent (components it started). */
    private readonly notTheWorkers: () => ReadonlySet<number>,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const pid = this.currentPid();
    if (pid === undefined) return;
    const rss = statusMib(pid, 'VmRSS') ?? residentMiB(pid);
    if (rss === undefined) return;
    const children = descendants(pid, this.notTheWorkers()).reduce(
      (sum, child) => sum + (statusMib(child, 'VmRSS') ?? 0),
      0,
    );
    this.pids.add(pid);
    this.samples += 1;
    this.peakMib = Math.max(this.peakMib, rss);
    this.peakTreeMib = Math.max(this.peakTreeMib, rss + children);
  }
}

/**
 * Waits (up to 5 minutes) until processes outside the platform use under 0.3 cores for two 5-second
 * windows in a row: other work on the 2 cores (tests, builds) would slow every figure. Returns the wait.
 */
export async function waitForQuietMachine(
  config: PlatformConfig,
): Promise<{ waitedS: number; otherCores: number }> {
  const platformCpu = () =>
    LOCAL_COMPONENTS.map((c) => runningPid(paths(config).pid(c)))
      .filter((pid): pid is number => pid !== undefined)
      .reduce((sum, pid) => sum + (procStat(pid)?.cpuSeconds ?? 0), 0);
  const started = performance.now();
  let otherCores = 0;
  for (let quiet = 0; quiet < 2;) {
    const [machine0, platform0, self0] = [machineBusySeconds(), platformCpu(), process.cpuUsage()];
    await sleep(5000);
    const self = process.cpuUsage(self0);
    const other =
      machineBusySeconds() - machine0 - (platformCpu() - platform0) - (self.user + self.system) / 1e6;
    otherCores = Math.max(0, other / 5);
    quiet = otherCores < 0.3 ? quiet + 1 : 0;
    if (quiet === 0) log(`other processes use ${otherCores.toFixed(1)} cores; waiting for a quiet machine`);
    if (performance.now() - started > 300_000) {
      log('the machine stayed busy for 5 minutes; measuring anyway');
      break;
    }
  }
  return { waitedS: round((performance.now() - started) / 1000, 0), otherCores: round(otherCores, 2) };
}
