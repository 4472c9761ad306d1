// The Flink job on a Kubernetes target whose overlay runs it in Flink's standalone mode (the local cluster:
// components/flink-standalone). `dp stream stop` scales its JobManager and TaskManager Deployments to zero
// (the job's checkpoints stay on the object store); `dp stream start` scales them back to one and waits for
// both, and the JobManager restores the job from the newest checkpoint; `dp stream status` reads the job's
// state and latest checkpoint from the JobManager's REST API. Clusters with the Flink operator run the
// FlinkDeployment instead, which its operator controls.
import { FlinkRestClient, type FlinkJobSummary } from '../../clients/flink';
import type { KubeObject } from '../../infra/k8s/kustomize';
import type { KubernetesDriver } from './driver';

/** The standalone Deployments, JobManager first (it runs the job; TaskManagers only offer it slots). */
export const STANDALONE_FLINK_DEPLOYMENTS = ['flink-jobmanager', 'flink-taskmanager'] as const;

export class StreamNotStandaloneError extends Error {}

/** The overlay's standalone Flink Deployments; fails, naming what to do, when the overlay has none. */
export function standaloneFlinkDeployments(driver: KubernetesDriver, overlay: string): KubeObject[] {
  const objects = STANDALONE_FLINK_DEPLOYMENTS.map((name) =>
    driver.manifests().objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name),
  );
  if (objects.some((o) => o === undefined)) {
    throw new StreamNotStandaloneError(
      `Overlay ${overlay} runs the Flink job as a FlinkDeployment, which the Flink operator starts and stops: ` +
        'use `kubectl -n <namespace> patch flinkdeployment flink-sensor-job` (spec.job.state) instead.',
    );
  }
  return objects as KubeObject[];
}

/** Scales the JobManager and TaskManager to `replicas` (1: waits until both are ready). */
export async function scaleStream(
  driver: KubernetesDriver,
  overlay: string,
  replicas: 0 | 1,
  progress: (message: string) => void,
): Promise<string[]> {
  const deployments = standaloneFlinkDeployments(driver, overlay);
  // Stop the TaskManagers after the JobManager (no failover to run meanwhile); start in the other order.
  const ordered = replicas === 0 ? deployments : [...deployments].reverse();
  const details: string[] = [];
  for (const d of ordered) {
    await driver.scale(d, replicas, progress);
    details.push(`Deployment ${d.metadata.name}: ${replicas} replica${replicas === 1 ? '' : 's'}`);
  }
  if (replicas === 1) for (const d of deployments) details.push(await driver.waitReady(d, progress));
  return details;
}

export interface StandaloneJobStatus {
  /** The job's state per Flink (RUNNING, RESTARTING, ...), or undefined when no JobManager answers. */
  state?: string;
  jobId?: string;
  /** `ackedAt`: when the checkpoint's last acknowledgement came (ms since the epoch); `at`: the same, ISO. */
  latestCheckpoint?: { id: number; at: string; ackedAt: number; path?: string };
  /** Whether the job was restored from a checkpoint when it started, and which. */
  restoredFrom?: string;
}

/** The job as its JobManager reports it at `restUrl` (http://host:port); state undefined when unreachable. */
export async function standaloneJobStatus(
  restUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<StandaloneJobStatus> {
  const flink = new FlinkRestClient(restUrl, fetchImpl);
  let jobs: FlinkJobSummary[];
  try {
    jobs = await flink.jobs();
  } catch {
    return {};
  }
  const job = jobs.find((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state)) ?? jobs[0];
  if (!job) return { state: 'NO JOB' };
  const checkpoints = await flink.checkpoints(job.jid).catch(() => undefined);
  const completed = checkpoints?.latest?.completed;
  return {
    state: job.state,
    jobId: job.jid,
    latestCheckpoint: completed
      ? {
          id: completed.id,
          at: new Date(completed.latest_ack_timestamp).toISOString(),
          ackedAt: completed.latest_ack_timestamp,
          path: completed.external_path,
        }
      : undefined,
    restoredFrom: checkpoints?.latest?.restored?.external_path ?? undefined,
  };
}
