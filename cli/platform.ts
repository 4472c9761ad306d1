// `dp up` for the embedded platform (`dp down` and `dp status` call platform/local/supervisor.ts).
import * as fs from 'node:fs';
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { Client } from '@temporalio/client';
import { PLATFORM_TOPICS } from '../clients/kafka/topics';
import { ensureS3Credentials } from '../platform/local/credentials';
import { installAll } from '../infra/local/install';
import { PLATFORM_COMPONENTS } from '../platform/local/services';
import { assertPortsFree, ensureLocalComponents } from '../platform/local/supervisor';
import { endpoints, paths, type PlatformConfig } from '../lib/config';
import type { Reporter } from '../lib/progress';
import { connectClient, resultWhilePolling } from '../worker/connection';
import { targetEnv, type PlatformTarget } from '../platform/target';
import type { BringUpReport } from '../domain/platform';
import { BRING_UP_WORKFLOW_ID } from '../domain/names';
import { platformBringUp } from '../workflows';
import { checkCluster } from './kubernetes';
import { LOCAL_CLUSTER_CONTEXT, localClusterServiceForwards } from '../infra/cluster/layout';
import { addClusterForward, clusterStatus } from '../platform/cluster/supervisor';
import { NeedsOperatorError } from '../platform/driver';
import { rememberTarget } from './target';
import { startPlatformWatch } from './platform-watch';

/** Closed runs stay visible in the Temporal UI this long (the dev server's default is one day). */
const HISTORY_RETENTION_SECONDS = 30 * 24 * 3600;

export function prepareHome(config: PlatformConfig) {
  const p = paths(config);
  for (const dir of [p.home, p.logs]) fs.mkdirSync(dir, { recursive: true });
  ensureS3Credentials(p.secrets);
}

async function ensureRetention(client: Client, config: PlatformConfig) {
  const service = client.workflowService;
  const described = await service.describeNamespace({ namespace: config.temporalNamespace });
  const current = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  if (current >= HISTORY_RETENTION_SECONDS) return;
  await service.updateNamespace({
    namespace: config.temporalNamespace,
    config: { workflowExecutionRetentionTtl: msToTs(HISTORY_RETENTION_SECONDS * 1000) },
  });
}

/** Runs the bring-up workflow and prints the heartbeats of its activities while it waits. */
export async function runBringUp(
  client: Client,
  config: PlatformConfig,
  report: Reporter,
): Promise<BringUpReport> {
  const handle = await client.workflow.start(platformBringUp, {
    workflowId: BRING_UP_WORKFLOW_ID,
    taskQueue: config.taskQueue,
    // A second `dp up` while one runs attaches to it instead of racing it.
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [],
  });
  report('bring-up', `workflow ${BRING_UP_WORKFLOW_ID} run ${handle.firstExecutionRunId}`);
  const seen = new Set<string>();
  return resultWhilePolling(handle, 1500, async () => {
    const description = await handle.describe();
    for (const activity of description.raw.pendingActivities ?? []) {
      const payload = activity.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const message = String(defaultPayloadConverter.fromPayload(payload));
      if (!seen.has(message)) {
        seen.add(message);
        report('bring-up', message);
      }
    }
  });
}

export async function platformUp(
  config: PlatformConfig,
  report: Reporter,
  target: PlatformTarget = { kind: 'local' },
): Promise<BringUpReport> {
  prepareHome(config);
  // On Kubernetes, reach the cluster first: a missing kubeconfig or context is named before anything starts.
  if (target.kind === 'kubernetes' && target.context === LOCAL_CLUSTER_CONTEXT) {
    const cluster = await clusterStatus(config);
    if (!cluster.up)
      throw new NeedsOperatorError(
        'The local cluster (context dp-local) is not running: start it with `dp cluster up` ' +
          '(and `dp images build --import` for its images), then run this again.',
      );
  }
  if (target.kind === 'kubernetes') report('kubernetes', await checkCluster(target));
  // The local cluster's services on this machine's loopback, for the bring-up run here and for the user.
  if (target.kind === 'kubernetes' && target.overlay === 'local') {
    for (const forward of localClusterServiceForwards(config.ports, target.namespace)) {
      addClusterForward(config, forward);
      report('forward', `127.0.0.1:${forward.hostPort} -> ${forward.target}`);
    }
  }
  // From here on the commands act on this target (until the next dp up or dp target), also when the
  // bring-up fails: dp status and dp logs then look where the user meant to go.
  report(
    'target',
    `${target.kind === 'kubernetes' ? 'k8s' : 'local'}, saved in ${rememberTarget(config, target)}`,
  );
  // The worker started below inherits the target, and runs the bring-up with the matching driver.
  Object.assign(process.env, targetEnv(target));
  // Report every taken port by name before anything is installed or started. On Kubernetes only Temporal
  // (and the worker) run here.
  await assertPortsFree(
    config,
    target.kind === 'local' ? PLATFORM_COMPONENTS.filter((c) => c !== 'worker') : ['temporal'],
  );
  await installAll(config, report);

  // The worker polls Temporal's task queue: Temporal first. Both run here whatever the target.
  await ensureLocalComponents(config, ['temporal', 'worker'], report);
  const client = await connectClient(config);
  try {
    await ensureRetention(client, config);
    const result = await runBringUp(client, config, report);
    for (const c of result.components) report(c.component, `${c.action}: ${c.detail}`);
    for (const t of result.kafka?.topics ?? []) {
      const retention = t.retentionMs === undefined ? 'default retention' : `retention ${t.retentionMs} ms`;
      report(
        'kafka',
        `topic ${t.name}: ${t.created ? 'created' : 'exists'} (${t.partitions} partitions, ${retention})`,
      );
    }
    // On this machine nothing else restarts a component that dies; on Kubernetes its controllers do.
    if (target.kind === 'local') await startPlatformWatch(client, config, report);
    return result;
  } finally {
    await client.connection.close();
  }
}

export function endpointSummary(config: PlatformConfig): string {
  const e = endpoints(config);
  const p = paths(config);
  return [
    `  Temporal UI      ${e.temporalUi}   (workflow histories, e.g. ${BRING_UP_WORKFLOW_ID})`,
    `  Temporal gRPC    ${e.temporal}`,
    `  Trino            ${e.trino}   (web UI at ${e.trino}/ui/, catalog '${config.catalog}')`,
    `  Nessie           ${e.nessieUi}   (API ${e.nessieApi}, Iceberg REST ${e.nessieIcebergRest})`,
    `  Kafka            ${e.kafka}   (topics ${PLATFORM_TOPICS.map((t) => `'${t.name}'`).join(', ')})`,
    `  Object store S3  ${e.s3}   (bucket '${config.warehouseBucket}', keys in ${p.secrets}/s3.json)`,
    `  Data             ${p.home}/data`,
    `  Logs             ${p.logs}   (dp logs <component>)`,
  ].join('\n');
}
