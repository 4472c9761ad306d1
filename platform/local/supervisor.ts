// Starting, adopting and stopping the local components. Start-or-adopt for the platform's components: a
// healthy component is left alone; a dead or wedged one is (re)started and waited for until its health probe
// passes. Airflow (`dp airflow up`) and the Flink job (`dp stream start`) are started by their own commands;
// `dp down` stops every component from the one list of services.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeedsOperatorError, type ComponentHealth } from '../driver';
import { configuredPortName, endpoints, paths, portEnvVar, type PlatformConfig } from '../../lib/config';
import { gatherFigures, kafkaFigures, temporalFigures, trinoFigures, withFigures } from '../figures';
import { formatSeconds, type Reporter } from '../../lib/progress';
import {
  AIRFLOW_PROCESSES,
  airflowComponent,
  airflowEnv,
  prepareAirflow,
  type AirflowProcess,
} from './airflow';
import {
  clearWantedStream,
  prepareStreamJob,
  readFrom,
  readWantedStream,
  sameStreamSettings,
  STREAM_COMPONENT,
  streamEnvOverrides,
  writeWantedStream,
  type StreamJobSettings,
  type StreamStartOptions,
} from './flink';
import { withLockFile } from '../../infra/local/install-lock';
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

/**
 * `dp status` on the local target: the platform's components, each asked by its own probe, with the key
 * figures of those that expose them (platform/figures.ts).
 */
export async function localPlatformStatus(config: PlatformConfig): Promise<ComponentHealth[]> {
  const e = endpoints(config);
  const [health, figures] = await Promise.all([
    Promise.all(PLATFORM_COMPONENTS.map((component) => probeLocal(config, component))),
    gatherFigures({
      trino: () => trinoFigures(e.trino),
      kafka: () => kafkaFigures({ bootstrap: e.kafka, clientId: 'dp-status' }),
      temporal: () => temporalFigures(e.temporal, config.temporalNamespace),
    }),
  ]);
  return withFigures(health, figures);
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
 * Runs `fn` holding the component's start lock (`<run>/<c>.start.lock`): one start (or stop) of a component
 * at a time, across processes. A second starter waits up to the component's start-up time plus `graceMs`.
 */
export function withComponentStartLock<T>(
  config: PlatformConfig,
  component: LocalComponent,
  what: { doing: string; holder: string; graceMs: number },
  report: (message: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  return withLockFile(
    path.join(path.dirname(paths(config).pid(component)), `${component}.start.lock`),
    {
      doing: what.doing,
      holder: what.holder,
      report: (_, message) => report(message),
      timeoutMs: STARTUP_TIMEOUT_MS[component] + what.graceMs,
      retryMs: 500,
    },
    fn,
  );
}

/** Runs `fn` holding the stream job's start lock (the watch's restart and the user's start or stop). */
function withStreamLock<T>(config: PlatformConfig, report: Reporter, fn: () => Promise<T>): Promise<T> {
  return withComponentStartLock(
    config,
    STREAM_COMPONENT,
    {
      doing: 'starting or stopping the stream job',
      holder: 'start or stop of the stream job by dp',
      graceMs: 120_000,
    },
    (message) => report(STREAM_COMPONENT, message),
    fn,
  );
}

/**
 * Waits up to the start-up timeout for the job's process `pid` to log RUNNING after `logStart`; fails when
 * it exits or throws during start-up. Returns whether it got there.
 */
async function waitForStreamRunning(
  config: PlatformConfig,
  pid: number,
  logStart: number,
  report: Reporter,
): Promise<boolean> {
  const component = STREAM_COMPONENT;
  const pidFile = paths(config).pid(component);
  const logFile = paths(config).log(component);
  const timeoutMs = STARTUP_TIMEOUT_MS[component];
  const started = await pollUntil(
    async () => {
      if (!isAlive(pid)) {
        throw new Error(`the job exited during start-up; last log lines:\n${tailFile(logFile, 30)}`);
      }
      const text = readFrom(logFile, logStart);
      if (/Exception in thread "main"/.test(text)) {
        await stopProcess(pidFile, 5000);
        throw new Error(`the job failed during start-up; last log lines:\n${tailFile(logFile, 30)}`);
      }
      return /switched from state CREATED to RUNNING/.test(text);
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (started) report(component, 'job RUNNING; rows reach the table on each completed checkpoint');
  else report(component, `still starting after ${timeoutMs / 1000} s; see ${logFile}`);
  return started === true;
}

/** Prepares and launches the job with `settings` (holding the start lock), recording where its log starts. */
async function launchStreamJob(
  config: PlatformConfig,
  report: Reporter,
  settings: StreamJobSettings,
  options: { build?: boolean; fresh?: boolean },
): Promise<{ pid: number; running: boolean }> {
  const component = STREAM_COMPONENT;
  await prepareStreamJob(config, report, {
    build: options.build,
    fresh: options.fresh,
    checkpointInterval: settings.checkpointInterval,
    streamEnv: settings.env,
  });
  const spec = processSpec(config, component, { heap: settings.heap, streamEnv: settings.env });
  const logStart = fs.existsSync(spec.logFile) ? fs.statSync(spec.logFile).size : 0;
  const pid = startDetached(spec);
  writeWantedStream(config, { ...settings, launchedAtLogOffset: logStart });
  report(component, `started (pid ${pid}); log ${spec.logFile}`);
  return { pid, running: await waitForStreamRunning(config, pid, logStart, report) };
}

/**
 * `dp stream start`: the job prepared (jar, configuration, checkpoint to restore) and started detached;
 * waits up to a minute for it to switch to RUNNING, failing when it exits or throws during start-up. From
 * here until `dp stream stop` the job is wanted: the platform watch restarts it with these settings when it
 * dies. A job already running with the same settings (one the watch restarted) is adopted; one running with
 * other settings is an error.
 */
export async function startStreamJob(
  config: PlatformConfig,
  report: Reporter,
  options: StreamStartOptions = {},
): Promise<number> {
  const component = STREAM_COMPONENT;
  const pidFile = paths(config).pid(component);
  const wanted: StreamJobSettings = {
    checkpointInterval: options.checkpointInterval,
    heap: options.heap,
    env: options.streamEnv ?? streamEnvOverrides(),
  };
  return withStreamLock(config, report, async () => {
    const running = runningPid(pidFile);
    if (running !== undefined) {
      const current = readWantedStream(config);
      if (current && sameStreamSettings(current, wanted)) {
        report(
          component,
          `already running with these settings (pid ${running}, started ${readPid(pidFile)?.startedAt})`,
        );
        await waitForStreamRunning(config, running, current.launchedAtLogOffset ?? 0, report);
        return running;
      }
      throw new Error(
        `The stream job already runs (pid ${running}) with other settings` +
          (current ? ` (${describeStreamSettings(current)})` : '') +
          `. Stop it with 'dp stream stop', then start it again with the new ones.`,
      );
    }
    writeWantedStream(config, wanted);
    try {
      return (await launchStreamJob(config, report, wanted, options)).pid;
    } catch (err) {
      // The user sees this start fail: nothing for the watch to bring back.
      clearWantedStream(config);
      throw err;
    }
  });
}

function describeStreamSettings(settings: StreamJobSettings): string {
  const parts = [
    ...(settings.checkpointInterval ? [`checkpoint interval ${settings.checkpointInterval} ms`] : []),
    ...(settings.heap ? [`heap ${settings.heap}`] : []),
    ...Object.entries(settings.env).map(([k, v]) => `${k}=${v}`),
  ];
  return parts.join(', ') || 'the defaults';
}

/**
 * The platform watch's restart of the stream job: only when it is wanted and not running, with the settings
 * of the user's last start (never a build, never fresh: it restores its latest checkpoint).
 */
export async function ensureStreamJob(
  config: PlatformConfig,
  progress: (message: string) => void,
): Promise<{ action: 'adopted' | 'started'; detail: string }> {
  const report: Reporter = (_, message) => progress(message);
  return withStreamLock(config, report, async () => {
    const wanted = readWantedStream(config);
    if (!wanted) return { action: 'adopted', detail: "not wanted ('dp stream stop' ran): left stopped" };
    const running = runningPid(paths(config).pid(STREAM_COMPONENT));
    if (running !== undefined) return { action: 'adopted', detail: `running (pid ${running})` };
    const launched = await launchStreamJob(config, report, wanted, { build: false });
    return {
      action: 'started',
      detail: `${launched.running ? 'job RUNNING' : 'still starting'} (pid ${launched.pid}) with the settings of its last start`,
    };
  });
}

/** `dp stream stop`: no longer wanted (the watch leaves it), then stopped; its checkpoints stay. */
export function stopStreamJob(config: PlatformConfig): Promise<boolean> {
  return withStreamLock(
    config,
    () => undefined,
    async () => {
      clearWantedStream(config);
      return stopLocalComponent(config, STREAM_COMPONENT);
    },
  );
}
