// The platform driver for the embedded default: components are processes on this machine.
import { ensureS3Credentials } from './credentials';
import { probeLocal } from './health';
import { componentPorts } from './services';
import { ensureLocalComponent, ensureStreamJob, withComponentStartLock } from './supervisor';
import { readWantedStream, STREAM_COMPONENT } from './flink';
import { endpoints, paths, type PlatformConfig } from '../../lib/config';
import { connectOutcome, readPid, runningPid } from '../../lib/process';
import type { EnsureResult, ManagedComponent } from '../../domain/platform';
import type { ComponentHealth, PlatformDriver, PlatformEndpoints, StreamJobState } from '../driver';

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
    const outcome = await withComponentStartLock(
      this.config,
      component,
      { doing: `starting ${component}`, holder: `start of ${component} by dp`, graceMs: 60_000 },
      progress,
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
    // Only a refusal says nothing listens: no answer, or another error, means something holds the port.
    return main !== undefined && (await connectOutcome(main[1], this.config.host)) === 'refused';
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
