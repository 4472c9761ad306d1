// Starting, adopting and stopping the local components. Start-or-adopt for the platform's components: a
// healthy component is left alone; a dead or wedged one is (re)started and waited for until its health probe
// passes. Airflow (`dp airflow up`) and the Flink job (`dp stream start`) are started by their own commands;
// `dp down` stops every component from the one list of services.ts.
import * as fs from 'node:fs';
import { NeedsOperatorError, type ComponentHealth } from '../driver';
import { configuredPortName, paths, portEnvVar, type PlatformConfig } from '../../lib/config';
import { formatSeconds, type Reporter } from '../../lib/progress';
import {
  AIRFLOW_PROCESSES,
  airflowComponent,
  airflowEnv,
  prepareAirflow,
  type AirflowProcess,
} from './airflow';
import { prepareStreamJob, readFrom, STREAM_COMPONENT, type StreamStartOptions } from './flink';
import { probeLocal } from './health';
import {
  isAlive,
  isPortFree,
  readPid,
  runningPid,
  startDetached,
  stopProcess,
  tailFile,
} from '../../lib/process';
import {
  ADDON_COMPONENTS,
  COMPONENT_LABELS,
  componentPorts,
  componentFingerprint,
  LOCAL_COMPONENTS,
  PLATFORM_COMPONENTS,
  processSpec,
  STARTUP_TIMEOUT_MS,
  stopGraceMs,
  type LocalComponent,
} from './services';
import { pollUntil } from '../../lib/time';

export class PortInUseError extends NeedsOperatorError {
  constructor(readonly conflicts: PortConflict[]) {
    const lines = conflicts.map(
      (c) => `Port ${c.port} (${c.portName}), needed by ${c.label}, is already in use by another program.`,
    );
    // Every taken port gets its setting named (derived ports such as SeaweedFS's gRPC = port + 10000 name
    // the configured port they follow).
    const settings = [...new Map(conflicts.map((c) => [c.envVar, c])).values()];
    const plural = settings.length > 1;
    lines.push(
      `Stop ${plural ? 'those programs' : 'that program'}, or give the ${plural ? 'components' : 'component'} ` +
        `other ports: set "ports": {${settings.map((c) => `"${configuredPortName(c.portName)}": <free port>`).join(', ')}} ` +
        `in ${settings[0].configFile}, or the environment ${plural ? 'variables' : 'variable'} ` +
        `${settings.map((c) => c.envVar).join(', ')}.`,
    );
    super(lines.join('\n'));
    this.name = 'PortInUseError';
  }
}

export interface PortConflict {
  component: LocalComponent;
  label: string;
  portName: string;
  port: number;
  configFile: string;
  envVar: string;
}

/** Ports of the given components that something other than our own running process holds. */
export async function findPortConflicts(
  config: PlatformConfig,
  components: readonly LocalComponent[],
): Promise<PortConflict[]> {
  const conflicts: PortConflict[] = [];
  const all = componentPorts(config);
  for (const component of components) {
    if (runningPid(paths(config).pid(component)) !== undefined) continue;
    for (const [portName, port] of all[component]) {
      if (!(await isPortFree(port, config.host))) {
        conflicts.push({
          component,
          label: COMPONENT_LABELS[component],
          portName,
          port,
          configFile: `${config.home}/config.json`,
          envVar: portEnvVar(configuredPortName(portName)),
        });
      }
    }
  }
  return conflicts;
}

/** Throws PortInUseError naming every port of the components that another program holds. */
export async function assertPortsFree(
  config: PlatformConfig,
  components: readonly LocalComponent[],
): Promise<void> {
  const conflicts = await findPortConflicts(config, components);
  if (conflicts.length > 0) throw new PortInUseError(conflicts);
}

export interface EnsureOutcome {
  action: 'adopted' | 'started';
  health: ComponentHealth;
  pid?: number;
}

export async function ensureLocalComponent(
  config: PlatformConfig,
  component: LocalComponent,
  progress: (message: string) => void,
): Promise<EnsureOutcome> {
  const pidFile = paths(config).pid(component);
  const timeoutMs = STARTUP_TIMEOUT_MS[component];
  let health = await probeLocal(config, component);
  const running = readPid(pidFile);
  const fingerprint = componentFingerprint(component, config);
  if (
    health.healthy &&
    runningPid(pidFile) !== undefined &&
    (running?.fingerprint ?? '') !== (fingerprint ?? '')
  ) {
    // Our process runs older code than this checkout's (a deploy): replace it. Workflows survive this.
    progress(`${component}: the running process (pid ${running?.pid}) runs other code; restarting it`);
    await stopProcess(pidFile);
    health = await probeLocal(config, component);
  }
  if (health.healthy) return { action: 'adopted', health, pid: health.pid };

  // A process of ours that is still within its start-up time gets to finish starting.
  const existing = runningPid(pidFile);
  if (existing !== undefined) {
    const startedAt = Date.parse(readPid(pidFile)?.startedAt ?? '') || 0;
    const adopted = await pollUntil(
      async () => {
        if (!isAlive(existing)) return 'exited';
        health = await probeLocal(config, component);
        return health.healthy && 'healthy';
      },
      {
        timeoutMs: startedAt + timeoutMs - Date.now(),
        intervalMs: 1000,
        onWait: () =>
          progress(`${component}: waiting for the running process (pid ${existing}) to become healthy`),
      },
    );
    if (adopted === 'healthy') return { action: 'adopted', health, pid: existing };
    progress(`${component}: process ${existing} is not healthy (${health.detail}); restarting it`);
    await stopProcess(pidFile);
  }

  const conflicts = await findPortConflicts(config, [component]);
  if (conflicts.length > 0) throw new PortInUseError(conflicts);

  const spec = processSpec(config, component);
  const pid = startDetached(spec);
  const started = Date.now();
  progress(`${component}: started pid ${pid}, waiting for it to become healthy`);
  let lastReport = 0;
  const healthy = await pollUntil(
    async () => {
      // The pid we started, not the pid file's marker check: a launcher that execs (Trino's bash script,
      // then its Go launcher, then java) briefly shows an empty command line while it does.
      if (!isAlive(pid)) {
        throw new Error(
          `${COMPONENT_LABELS[component]} exited during start-up. Last lines of ${spec.logFile}:\n` +
            tailFile(spec.logFile, 30),
        );
      }
      health = await probeLocal(config, component);
      return health.healthy;
    },
    {
      timeoutMs,
      intervalMs: 1000,
      onWait: () => {
        if (Date.now() - lastReport < 5000) return;
        lastReport = Date.now();
        progress(`${component}: starting (${formatSeconds(Date.now() - started)}): ${health.detail}`);
      },
    },
  );
  if (healthy) return { action: 'started', health, pid };
  await stopProcess(pidFile);
  throw new Error(
    `${COMPONENT_LABELS[component]} did not become healthy within ${formatSeconds(timeoutMs)} ` +
      `(${health.detail}). See ${spec.logFile}:\n${tailFile(spec.logFile, 30)}`,
  );
}

/** Ensures each component in turn, reporting whether it was started or adopted and what its probe said. */
export async function ensureLocalComponents(
  config: PlatformConfig,
  components: readonly LocalComponent[],
  report: Reporter,
): Promise<void> {
  for (const component of components) {
    const outcome = await ensureLocalComponent(config, component, (m) => report(component, m));
    report(component, `${outcome.action}: ${outcome.health.detail}`);
  }
}

/** SIGTERM, then SIGKILL after the component's grace time. Returns whether it was running. */
export function stopLocalComponent(config: PlatformConfig, component: LocalComponent): Promise<boolean> {
  return stopProcess(paths(config).pid(component), stopGraceMs(component));
}

/** `dp down`: every local component, dependants first (the Flink job, Airflow, the worker), Temporal last. */
export async function stopLocalPlatform(config: PlatformConfig, report: Reporter): Promise<void> {
  for (const component of [...LOCAL_COMPONENTS].reverse()) {
    const started = Date.now();
    const stopped = await stopLocalComponent(config, component);
    if (ADDON_COMPONENTS.includes(component) && !stopped) continue;
    report(component, stopped ? `stopped (${formatSeconds(Date.now() - started)})` : 'was not running');
  }
}

/** `dp status` on the local target: the platform's components, each asked by its own probe. */
export function localPlatformStatus(config: PlatformConfig): Promise<ComponentHealth[]> {
  return Promise.all(PLATFORM_COMPONENTS.map((component) => probeLocal(config, component)));
}

/**
 * `dp airflow up`: the metadata database migrated, then the API server, scheduler and DAG processor started
 * (running ones kept); waits until the API server is healthy, failing early when a process exits.
 */
export async function startAirflow(
  config: PlatformConfig,
  report: Reporter,
  options: { tlcBaseUrl?: string } = {},
): Promise<void> {
  await prepareAirflow(config, report, airflowEnv(config, options));
  const p = paths(config);
  for (const proc of AIRFLOW_PROCESSES) {
    const component = airflowComponent(proc);
    const running = runningPid(p.pid(component));
    if (running !== undefined) {
      report('airflow', `${proc}: already running (pid ${running})`);
      continue;
    }
    const pid = startDetached(processSpec(config, component, options));
    report('airflow', `${proc}: started (pid ${pid}); log ${p.log(component)}`);
  }
  const api = airflowComponent('api-server');
  const timeoutMs = STARTUP_TIMEOUT_MS[api];
  const healthy = await pollUntil(
    async () => {
      if ((await probeLocal(config, api)).healthy) return true;
      for (const proc of AIRFLOW_PROCESSES) {
        if (runningPid(p.pid(airflowComponent(proc))) === undefined) {
          throw new Error(
            `airflow ${proc} exited during start-up; last log lines:\n${tailFile(p.log(airflowComponent(proc)), 30)}`,
          );
        }
      }
      return false;
    },
    { timeoutMs, intervalMs: 2000 },
  );
  if (!healthy) {
    throw new Error(`the Airflow API server did not answer within ${timeoutMs / 1000} s; see ${p.log(api)}`);
  }
}

/** `dp airflow down`: Airflow's processes in `dp down`'s order (the scheduler first, so no task starts). */
export async function stopAirflow(config: PlatformConfig, report: Reporter): Promise<void> {
  const airflowComponents = AIRFLOW_PROCESSES.map(airflowComponent) as LocalComponent[];
  for (const component of [...LOCAL_COMPONENTS].reverse()) {
    if (!airflowComponents.includes(component)) continue;
    const stopped = await stopLocalComponent(config, component);
    report('airflow', `${component.replace(/^airflow-/, '')}: ${stopped ? 'stopped' : 'was not running'}`);
  }
}

export function airflowStatus(config: PlatformConfig): { process: AirflowProcess; pid?: number }[] {
  const p = paths(config);
  return AIRFLOW_PROCESSES.map((proc) => ({ process: proc, pid: runningPid(p.pid(airflowComponent(proc))) }));
}

/**
 * `dp stream start`: the job prepared (jar, configuration, checkpoint to restore) and started detached;
 * waits up to a minute for it to switch to RUNNING, failing when it exits or throws during start-up.
 */
export async function startStreamJob(
  config: PlatformConfig,
  report: Reporter,
  options: StreamStartOptions = {},
): Promise<number> {
  const component = STREAM_COMPONENT;
  const pidFile = paths(config).pid(component);
  const running = runningPid(pidFile);
  if (running !== undefined) {
    report(component, `already running (pid ${running}); 'dp stream stop' first to restart it`);
    return running;
  }
  await prepareStreamJob(config, report, options);
  const spec = processSpec(config, component, { heap: options.heap });
  const pid = startDetached(spec);
  report(component, `started (pid ${pid}); log ${spec.logFile}`);
  const logStart = fs.existsSync(spec.logFile) ? fs.statSync(spec.logFile).size : 0;
  const timeoutMs = STARTUP_TIMEOUT_MS[component];
  const started = await pollUntil(
    async () => {
      if (runningPid(pidFile) === undefined) {
        throw new Error(`the job exited during start-up; last log lines:\n${tailFile(spec.logFile, 30)}`);
      }
      const text = readFrom(spec.logFile, logStart);
      if (/Exception in thread "main"/.test(text)) {
        await stopProcess(pidFile, 5000);
        throw new Error(`the job failed during start-up; last log lines:\n${tailFile(spec.logFile, 30)}`);
      }
      return /switched from state CREATED to RUNNING/.test(text);
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (started) report(component, 'job RUNNING; rows reach the table on each completed checkpoint');
  else report(component, `still starting after ${timeoutMs / 1000} s; see ${spec.logFile}`);
  return pid;
}

/** `dp stream stop`: the job's checkpoints stay, the next start restores from the latest. */
export function stopStreamJob(config: PlatformConfig): Promise<boolean> {
  return stopLocalComponent(config, STREAM_COMPONENT);
}
