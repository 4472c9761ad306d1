// The platform driver for the embedded default: components are processes on this machine.
import { ensureS3Credentials } from './credentials';
import { probeLocal } from './health';
import { ensureLocalComponent } from './supervisor';
import { endpoints, paths, type PlatformConfig } from '../../lib/config';
import type { EnsureResult, ManagedComponent } from '../../domain/platform';
import type { ComponentHealth, PlatformDriver, PlatformEndpoints } from '../driver';

export class LocalDriver implements PlatformDriver {
  readonly target = 'local' as const;

  constructor(private readonly config: PlatformConfig) {}

  probe(component: ManagedComponent): Promise<ComponentHealth> {
    return probeLocal(this.config, component);
  }

  async ensureRunning(
    component: ManagedComponent,
    progress: (message: string) => void,
  ): Promise<EnsureResult> {
    const outcome = await ensureLocalComponent(this.config, component, progress);
    const where = outcome.pid ? `pid ${outcome.pid}` : 'not started by dp';
    return { component, action: outcome.action, detail: `${outcome.health.detail} (${where})` };
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
