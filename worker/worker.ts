// The Temporal worker of the platform: hosts every workflow and the activities that do the side effects.
import { NativeConnection, Worker } from '@temporalio/worker';
import * as path from 'node:path';
import { createEltActivities } from '../activities/monthly-yellow-trips';
import { createPlatformActivities } from '../activities/platform-bring-up';
import { toolPaths } from '../infra/local/install';
import type { PlatformDriver } from '../platform/driver';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { LocalDriver } from '../platform/local/driver';
import { REPO_ROOT, type PlatformConfig } from '../lib/config';
import { targetFromEnv } from '../platform/target';
import { temporalAddress } from './connection';

/** The dbt the ELT runs: DP_DBT_VENV's when set (the worker image's virtualenv), else the one `dp install` built. */
export function dbtExecutable(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DP_DBT_VENV || toolPaths(cacheDir).dbtVenv, 'bin', 'dbt');
}

export async function runWorker(config: PlatformConfig): Promise<void> {
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const target = targetFromEnv();
  const driver: PlatformDriver =
    target.kind === 'kubernetes' ? await kubernetesDriverFor(target) : new LocalDriver(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: {
      ...createPlatformActivities(driver),
      ...createEltActivities({
        endpoints: () => driver.endpoints(),
        tlcBaseUrl: config.tlcBaseUrl,
        dbtExecutable: dbtExecutable(config.cacheDir),
        dbtProjectDir: path.join(REPO_ROOT, 'dbt'),
      }),
    },
    // Two cores: a few activities at a time keep the JVM services responsive.
    maxConcurrentActivityTaskExecutions: 8,
  });
  // SIGTERM/SIGINT make the worker finish in-flight tasks and exit (Temporal's default shutdown signals).
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
