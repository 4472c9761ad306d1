// The Temporal worker of the platform: hosts every workflow and the activities that do the side effects.
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEltActivities } from '../activities/monthly-yellow-trips';
import { createPlatformActivities } from '../activities/platform-bring-up';
import { createPlatformWatchActivities } from '../activities/platform-watch';
import { toolPaths } from '../infra/local/install';
import type { PlatformDriver } from '../platform/driver';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { LocalDriver } from '../platform/local/driver';
import { endpoints, REPO_ROOT, TLC_PUBLIC_BASE_URL, type PlatformConfig } from '../lib/config';
import { targetFromEnv } from '../platform/target';
import { temporalAddress } from './connection';
import { auditBranchRetentionDays } from '../domain/run-branches';

/** The dbt the ELT runs: DP_DBT_VENV's when set (the worker image's virtualenv), else the one `dp install` built. */
export function dbtExecutable(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DP_DBT_VENV || toolPaths(cacheDir).dbtVenv, 'bin', 'dbt');
}

/**
 * Where this worker may fetch month files from: the TLC host, its configured base URL, its offline mirror and
 * the hosts its operator added (sourceAllowedHosts, DP_SOURCE_ALLOWED_HOSTS). Never what a client asks for.
 */
export function sourceAllowList(config: PlatformConfig): string[] {
  return [TLC_PUBLIC_BASE_URL, config.tlcBaseUrl, endpoints(config).tlcMirror, ...config.sourceAllowedHosts];
}

const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundles the workflow code once, as Temporal advises for production: the worker image does it at build time
 * (`dp worker --bundle-to`), so its pods need neither webpack nor a writable file system to start.
 */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  fs.writeFileSync(file, code);
}

/** DP_WORKFLOW_BUNDLE names a prebuilt bundle; without it the worker bundles the sources at start. */
function workflowSource(env: NodeJS.ProcessEnv = process.env) {
  return env.DP_WORKFLOW_BUNDLE
    ? { workflowBundle: { codePath: env.DP_WORKFLOW_BUNDLE } }
    : { workflowsPath: WORKFLOWS_PATH };
}

/**
 * DP_WORKER_METRICS_ADDRESS (host:port, the cluster's worker Deployment sets it): the SDK's metrics
 * (workflow and activity task latencies, failures, poll counts) served for Prometheus at /metrics there.
 * Installed before the first connection, which makes the SDK's runtime.
 */
export function installWorkerMetrics(env: NodeJS.ProcessEnv = process.env): void {
  const bindAddress = env.DP_WORKER_METRICS_ADDRESS;
  if (!bindAddress) return;
  if (!/^[0-9.]+:\d+$/.test(bindAddress))
    throw new Error(
      `DP_WORKER_METRICS_ADDRESS='${bindAddress}' is not an IPv4 address:port (e.g. 0.0.0.0:9464).`,
    );
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
}

export async function runWorker(config: PlatformConfig): Promise<void> {
  installWorkerMetrics();
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const target = targetFromEnv();
  const driver: PlatformDriver =
    target.kind === 'kubernetes' ? await kubernetesDriverFor(target) : new LocalDriver(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource(),
    activities: {
      ...createPlatformActivities(driver),
      ...createPlatformWatchActivities(driver),
      ...createEltActivities({
        endpoints: () => driver.endpoints(),
        tlcBaseUrl: config.tlcBaseUrl,
        allowedSources: sourceAllowList(config),
        dbtExecutable: dbtExecutable(config.cacheDir),
        dbtProjectDir: path.join(REPO_ROOT, 'dbt'),
        auditBranchRetentionDays: auditBranchRetentionDays(process.env.DP_AUDIT_BRANCH_RETENTION_DAYS),
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
