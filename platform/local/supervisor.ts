// Start-or-adopt for one local component: a healthy component is left alone; a dead or wedged one is
// (re)started and waited for until its health probe passes.
import { NeedsOperatorError, type ComponentHealth } from '../driver';
import { configuredPortName, paths, portEnvVar, type PlatformConfig } from '../../lib/config';
import { formatSeconds } from '../../lib/progress';
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
  COMPONENT_LABELS,
  componentPorts,
  componentFingerprint,
  processSpec,
  STARTUP_TIMEOUT_MS,
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
  const fingerprint = componentFingerprint(component);
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
