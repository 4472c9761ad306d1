// The platform driver for the embedded default: components are processes on this machine.
import * as net from 'node:net';
import { ensureS3Credentials } from './credentials';
import { probeLocal } from './health';
import { componentPorts, STARTUP_TIMEOUT_MS } from './services';
import { componentStartLock, ensureLocalComponent, ensureStreamJob } from './supervisor';
import { readWantedStream, STREAM_COMPONENT } from './flink';
import { withLockFile } from '../../infra/local/install-lock';
import { endpoints, paths, type PlatformConfig } from '../../lib/config';
import { readPid, runningPid } from '../../lib/process';
import type { EnsureResult, ManagedComponent } from '../../domain/platform';
import type { ComponentHealth, PlatformDriver, PlatformEndpoints, StreamJobState } from '../driver';

/** True when something accepts connections on host:port (a connect, not a bind: a starting process may bind it). */
function isListening(port: number, host: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // no answer is not a refusal: something holds the port
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED'));
  });
}

export class LocalDriver implements PlatformDriver {
  readonly target = 'local' as const;

  constructor(private readonly config: PlatformConfig) {}

  probe(component: ManagedComponent): Promise<ComponentHealth> {
    return probeLocal(this.config, component);
  }

  /**
   * One start of a component at a time, across processes (the watch's restart, a bring-up of another `dp up`):
   * the second one waits, then finds the component healthy and adopts it.
   */
  async ensureRunning(
    component: ManagedComponent,
    progress: (message: string) => void,
  ): Promise<EnsureResult> {
    const outcome = await withLockFile(
      componentStartLock(this.config, component),
      {
        doing: `starting ${component}`,
        holder: `start of ${component} by dp`,
        report: (_, message) => progress(message),
        timeoutMs: STARTUP_TIMEOUT_MS[component] + 60_000,
        retryMs: 500,
      },
      () => ensureLocalComponent(this.config, component, progress),
    );
    const where = outcome.pid ? `pid ${outcome.pid}` : 'not started by dp';
    return { component, action: outcome.action, detail: `${outcome.health.detail} (${where})` };
  }

  /**
   * Down: the process we started is gone, or nothing listens on its main port. (One not started by dp that
   * still holds its port counts as failing: restarting it would only find the port taken.)
   */
  async isDown(component: ManagedComponent): Promise<boolean> {
    const pidFile = paths(this.config).pid(component);
    if (readPid(pidFile) !== undefined && runningPid(pidFile) === undefined) return true;
    const [main] = componentPorts(this.config)[component];
    return main !== undefined && !(await isListening(main[1], this.config.host));
  }

  streamJobState(): Promise<StreamJobState> {
    const wanted = readWantedStream(this.config) !== undefined;
    const pid = runningPid(paths(this.config).pid(STREAM_COMPONENT));
    const running = pid !== undefined;
    const detail = running
      ? `running (pid ${pid})${wanted ? '' : ', not started by dp stream start'}`
      : wanted
        ? "not running, though started with 'dp stream start' and not stopped"
        : "not started ('dp stream start')";
    return Promise.resolve({ wanted, running, detail });
  }

  ensureStreamJob(progress: (message: string) => void) {
    return ensureStreamJob(this.config, progress);
  }

  endpoints(): PlatformEndpoints {
    const e = endpoints(this.config);
    return {
      s3: e.s3,
      nessieApi: e.nessieApi,
      trino: e.trino,
      kafka: e.kafka,
      credentials: ensureS3Credentials(paths(this.config).secrets),
      warehouseBucket: this.config.warehouseBucket,
      catalog: this.config.catalog,
      schemas: this.config.schemas,
    };
  }
}
