// `dp up --target k8s [--context C] [--overlay O]` and `dp status --target k8s`: the same bring-up workflow,
// run by the local Temporal server and worker, with the Kubernetes driver (platform/k8s/driver.ts)
// applying infra/manifests to the cluster of a kubeconfig context.
import { Option, type Command } from 'commander';
import { MANAGED_COMPONENTS } from '../domain/platform';
import { NeedsOperatorError, type ComponentHealth } from '../platform/driver';
import { clientNodeKubeClient, KubeApiError } from '../clients/kubernetes';
import { PLATFORM_TOPICS } from '../clients/kafka/topics';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { localClusterEndpoints, localClusterPaths } from '../infra/cluster/layout';
import { OVERLAYS } from '../infra/k8s/cluster';
import { probeLocal } from '../platform/local/health';
import {
  flinkJobFigures,
  gatherFigures,
  kafkaFigures,
  prometheusFigures,
  temporalFigures,
  withFigures,
} from '../platform/figures';
import type { PlatformConfig } from '../lib/config';
import type { Reporter } from '../lib/progress';
import {
  parseTargetName,
  TargetError,
  targetFromEnv,
  type KubernetesTarget,
  type PlatformTarget,
} from '../platform/target';

export interface TargetOptions {
  target?: string;
  context?: string;
  overlay?: string;
}

export function addTargetOptions(command: Command): Command {
  return command
    .addOption(new Option('--target <target>', 'where the platform runs: local or k8s'))
    .option('--context <name>', 'kubeconfig context, with --target k8s (default: the current context)')
    .addOption(
      new Option(
        '--overlay <name>',
        `manifests overlay, with --target k8s: ${OVERLAYS.join(', ')} (default: local for the context dp-local, else dev)`,
      ),
    );
}

/**
 * The target the options name; the environment's DP_K8S_* settings fill in what they leave out, and the
 * kubeconfig's current context (`currentContext`) the context, so the local cluster's gets its own overlay.
 */
export function targetFromOptions(
  options: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  currentContext?: string,
): PlatformTarget {
  if (parseTargetName(options.target) === 'local') {
    if (options.context) throw new TargetError('--context applies to --target k8s only.');
    return { kind: 'local' };
  }
  return targetFromEnv({
    ...env,
    DP_TARGET: 'k8s',
    DP_K8S_CONTEXT: options.context ?? (env.DP_K8S_CONTEXT || currentContext),
    DP_K8S_OVERLAY: options.overlay ?? env.DP_K8S_OVERLAY,
  });
}

/**
 * Reaches the cluster's API server before anything starts, so a missing kubeconfig, an unknown context or
 * a cluster that is down is reported as such (and not as a failed workflow minutes later).
 */
export async function checkCluster(target: KubernetesTarget): Promise<string> {
  const client = await clientNodeKubeClient(target.context);
  const which = target.context ? `context '${target.context}'` : 'the current kubeconfig context';
  let answer: { gitVersion?: string };
  try {
    answer = await client.version();
  } catch (err) {
    if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
      throw new NeedsOperatorError(
        `The Kubernetes API server of ${which} refused the kubeconfig's credentials (HTTP ${err.status}).`,
        { cause: err },
      );
    }
    if (err instanceof KubeApiError) {
      throw new NeedsOperatorError(`The Kubernetes API server of ${which}: ${err.message}`, { cause: err });
    }
    throw new NeedsOperatorError(
      `Cannot reach the Kubernetes API server of ${which}: ${(err as Error).message}. ` +
        'Is the cluster running (`kubectl cluster-info`)?',
      { cause: err },
    );
  }
  const version = answer.gitVersion ?? 'unknown version';
  return `${which}: Kubernetes ${version}, namespace ${target.namespace}, overlay ${target.overlay}`;
}

/**
 * The parts the bring-up workflow does not manage: the Flink job, the sensor producer, the Temporal worker
 * Deployment and Jupyter (their operators and the cluster's Temporal must be installed, see
 * infra/k8s/install-operators.sh). Applied in dependency order, waiting for each like the managed ones.
 */
export async function applyAddons(target: KubernetesTarget, report: Reporter): Promise<void> {
  const driver = await kubernetesDriverFor(target);
  const { details } = await driver.ensureAddons((m) => report('kubernetes', m));
  for (const d of details) report('kubernetes', d);
}

/** Temporal and the worker (local processes) and the managed components in the cluster. */
export async function kubernetesStatus(
  config: PlatformConfig,
  target: KubernetesTarget,
): Promise<ComponentHealth[]> {
  const driver = await kubernetesDriverFor(target);
  const cluster = await Promise.all(
    MANAGED_COMPONENTS.filter((c) => driver.deploys(c)).map((c) => driver.probe(c)),
  );
  if (target.overlay === 'local') {
    // The local cluster runs Temporal, the worker, Jupyter and the stream's producer and Flink job itself.
    const addons = await Promise.all(
      [
        'temporal',
        'temporal-worker',
        'jupyter',
        'sensor-producer',
        'flink-sensor-job',
        'prometheus',
        'keda',
      ].map((name) => driver.probeWorkload(name)),
    );
    const e = localClusterEndpoints(config.ports);
    const endpoint: Record<string, string> = {
      temporal: e.temporal,
      jupyter: e.jupyter,
      'flink-sensor-job': e.flink,
      prometheus: e.prometheus,
    };
    // The key figures, through the loopback forwarders `dp up` made.
    const figures = await gatherFigures({
      '*': () => prometheusFigures(e.prometheus, target.namespace),
      kafka: () => kafkaFigures({ bootstrap: e.kafka, clientId: 'dp-status' }),
      temporal: () => temporalFigures(e.temporal, config.temporalNamespace),
      'flink-sensor-job': () => flinkJobFigures(e.flink),
    });
    const health = [...cluster, ...addons.map((h) => ({ ...h, endpoint: endpoint[h.component] }))];
    return withFigures(health, figures);
  }
  const local = await Promise.all((['temporal', 'worker'] as const).map((c) => probeLocal(config, c)));
  return [...local, ...cluster];
}

/** What `dp up --target k8s` prints at the end: where the platform's services are reached from here. */
export async function kubernetesSummary(config: PlatformConfig, target: KubernetesTarget): Promise<string> {
  const driver = await kubernetesDriverFor(target);
  const e = driver.endpoints();
  if (target.overlay === 'local') {
    const l = localClusterEndpoints(config.ports);
    return [
      `  Namespace        ${target.namespace} (overlay local, context ${target.context ?? '-'}; kubectl: KUBECONFIG=${localClusterPaths(config.home).kubeconfig})`,
      `  Temporal UI      ${l.temporalUi}   (gRPC ${l.temporal})`,
      `  Trino            ${l.trino}   (catalog '${e.catalog}')`,
      `  Nessie API       ${l.nessieApi}`,
      `  Object store S3  ${l.s3}   (bucket '${e.warehouseBucket}', keys in the Secret s3-credentials)`,
      `  Jupyter          ${l.jupyter}   (token in the Secret jupyter-token)`,
      `  Kafka            ${l.kafka}   (topics ${PLATFORM_TOPICS.map((t) => `'${t.name}'`).join(', ')})`,
      `  Flink UI         ${l.flink}   (the sensor job)`,
      `  Prometheus       ${l.prometheus}   (query API; KEDA scales Trino's workers on what it scrapes)`,
    ].join('\n');
  }
  return [
    `  Namespace        ${target.namespace} (overlay ${target.overlay}${target.context ? `, context ${target.context}` : ''})`,
    `  Trino            ${e.trino}   (catalog '${e.catalog}')`,
    `  Nessie API       ${e.nessieApi}`,
    `  Object store S3  ${e.s3}   (bucket '${e.warehouseBucket}', keys in the Secret s3-credentials)`,
    `  Kafka            ${e.kafka}`,
  ].join('\n');
}
