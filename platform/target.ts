// Where the platform runs: the local processes (default) or a Kubernetes cluster. `dp up --target k8s` puts
// the choice into the environment (DP_TARGET, DP_K8S_*), which the worker it starts inherits, so the
// bring-up workflow's activities run with the matching platform driver.
import { NAMESPACE, OVERLAYS, type Overlay } from '../infra/k8s/cluster';

export interface KubernetesEndpointOverrides {
  s3?: string;
  nessieApi?: string;
  trino?: string;
  kafka?: string;
}

export type PlatformTarget =
  | { kind: 'local' }
  | {
      kind: 'kubernetes';
      /** kubeconfig context; undefined: the kubeconfig's current one. */
      context?: string;
      overlay: Overlay;
      namespace: string;
      /** Addresses the bring-up uses instead of the in-cluster DNS names (port-forwards, NodePorts). */
      endpoints: KubernetesEndpointOverrides;
    };

export type KubernetesTarget = Extract<PlatformTarget, { kind: 'kubernetes' }>;

export class TargetError extends Error {}

const ENDPOINT_ENV: Record<keyof KubernetesEndpointOverrides, string> = {
  s3: 'DP_K8S_S3_ENDPOINT',
  nessieApi: 'DP_K8S_NESSIE_API',
  trino: 'DP_K8S_TRINO',
  kafka: 'DP_K8S_KAFKA',
};

/**
 * Where a bring-up outside the cluster reaches the services of the dev overlay on kind: the NodePorts that
 * infra/kind-config.yaml maps to the host (a unit test keeps the three in step).
 */
export const KIND_HOST_ENDPOINTS: KubernetesEndpointOverrides = {
  s3: 'http://127.0.0.1:8333',
  nessieApi: 'http://127.0.0.1:19120/api/v2',
  trino: 'http://127.0.0.1:8080',
};

export function parseTargetName(value: string | undefined): 'local' | 'kubernetes' {
  if (value === undefined || value === '' || value === 'local') return 'local';
  if (value === 'k8s' || value === 'kubernetes') return 'kubernetes';
  throw new TargetError(`Unknown target '${value}': use local or k8s.`);
}

export function parseOverlay(value: string | undefined): Overlay {
  const overlay = value || 'dev';
  if (!(OVERLAYS as readonly string[]).includes(overlay)) {
    throw new TargetError(
      `Unknown overlay '${overlay}': use one of ${OVERLAYS.join(', ')} (infra/manifests/overlays).`,
    );
  }
  return overlay as Overlay;
}

/** The target the environment names (DP_TARGET=k8s, DP_K8S_CONTEXT, DP_K8S_OVERLAY, DP_K8S_NAMESPACE, ...). */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformTarget {
  if (parseTargetName(env.DP_TARGET) === 'local') return { kind: 'local' };
  const overlay = parseOverlay(env.DP_K8S_OVERLAY);
  const endpoints: KubernetesEndpointOverrides = {};
  // Outside a cluster, the dev overlay is reached through kind's host ports; inside, through DNS names.
  if (overlay === 'dev' && !env.KUBERNETES_SERVICE_HOST) Object.assign(endpoints, KIND_HOST_ENDPOINTS);
  for (const [key, name] of Object.entries(ENDPOINT_ENV) as [keyof KubernetesEndpointOverrides, string][]) {
    if (env[name]) endpoints[key] = env[name];
  }
  return {
    kind: 'kubernetes',
    context: env.DP_K8S_CONTEXT || undefined,
    overlay,
    namespace: env.DP_K8S_NAMESPACE || NAMESPACE,
    endpoints,
  };
}

/** The environment that makes targetFromEnv return this target (for the worker `dp up` starts). */
export function targetEnv(target: PlatformTarget): Record<string, string> {
  if (target.kind === 'local') return { DP_TARGET: 'local' };
  const env: Record<string, string> = {
    DP_TARGET: 'k8s',
    DP_K8S_OVERLAY: target.overlay,
    DP_K8S_NAMESPACE: target.namespace,
  };
  if (target.context) env.DP_K8S_CONTEXT = target.context;
  for (const [key, name] of Object.entries(ENDPOINT_ENV) as [keyof KubernetesEndpointOverrides, string][]) {
    const value = target.endpoints[key];
    if (value) env[name] = value;
  }
  return env;
}

/** Part of the worker's fingerprint: a worker started for another target is replaced, not adopted. */
export function targetFingerprint(env: NodeJS.ProcessEnv = process.env): string {
  const target = targetFromEnv(env);
  return target.kind === 'local' ? '' : '+k8s:' + JSON.stringify(target);
}
