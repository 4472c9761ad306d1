// Where the platform runs: the local processes (default) or a Kubernetes cluster. `dp up --target k8s` puts
// the choice into the environment (DP_TARGET, DP_K8S_*), which the worker it starts inherits, so the
// bring-up workflow's activities run with the matching platform driver.
import { LOCAL_CLUSTER_CONTEXT, localClusterEndpoints } from '../infra/cluster/layout';
import { NAMESPACE, OVERLAYS, type Overlay } from '../infra/k8s/cluster';
import { loadConfig } from '../lib/config';

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
  const context = env.DP_K8S_CONTEXT || undefined;
  // The local cluster (`dp cluster up`) runs its own overlay unless told otherwise.
  const overlay = parseOverlay(
    env.DP_K8S_OVERLAY || (context === LOCAL_CLUSTER_CONTEXT ? 'local' : undefined),
  );
  if (context === LOCAL_CLUSTER_CONTEXT && overlay !== 'local')
    throw new TargetError(
      `The local cluster (context ${LOCAL_CLUSTER_CONTEXT}) runs the local overlay, not ${overlay}: its images ` +
        'are built on this machine, and the other overlays pull theirs from registries. Leave out --overlay.',
    );
  const endpoints: KubernetesEndpointOverrides = {};
  // Outside a cluster, the dev overlay is reached through kind's host ports and the local overlay through
  // dp cluster's loopback forwarders; inside, through DNS names.
  if (overlay === 'dev' && !env.KUBERNETES_SERVICE_HOST) Object.assign(endpoints, KIND_HOST_ENDPOINTS);
  if (overlay === 'local' && !env.KUBERNETES_SERVICE_HOST) {
    const { trino, s3, nessieApi, kafka } = localClusterEndpoints(loadConfig(env).ports);
    Object.assign(endpoints, { trino, s3, nessieApi, kafka });
  }
  for (const [key, name] of Object.entries(ENDPOINT_ENV) as [keyof KubernetesEndpointOverrides, string][]) {
    if (env[name]) endpoints[key] = env[name];
  }
  return {
    kind: 'kubernetes',
    context,
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

/** The `--target`, `--context` and `--overlay` options of a command (all optional: the saved target fills in). */
export interface TargetChoice {
  target?: string;
  context?: string;
  overlay?: string;
}

/** The target a command acts on, where the choice came from, and the Temporal address saved with it. */
export interface ResolvedTarget {
  target: PlatformTarget;
  from: 'option' | 'environment' | 'saved' | 'default';
  /** The Kubernetes target's Temporal frontend (host:port) as saved, when known. */
  temporal?: string;
}

/** A saved target as the shape the resolution needs (kept structural: platform/target-store.ts has the rest). */
export type StoredTarget =
  { kind: 'local' } | (KubernetesTarget & { endpoints: KubernetesEndpointOverrides & { temporal?: string } });

function withoutTemporal(endpoints: KubernetesEndpointOverrides & { temporal?: string }) {
  const { temporal, ...rest } = endpoints;
  return { temporal, rest };
}

/**
 * Which target a command acts on: `--target` when given (a saved Kubernetes target of the same context
 * lends its endpoints), else DP_TARGET, else the saved target, else local. `--context`/`--overlay` without
 * `--target` adjust a saved Kubernetes target.
 */
export function resolveTarget(
  choice: TargetChoice,
  saved: StoredTarget | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTarget {
  const k8sEnv = (context: string | undefined, overlay: string | undefined) => ({
    ...env,
    DP_TARGET: 'k8s',
    DP_K8S_CONTEXT: context ?? env.DP_K8S_CONTEXT,
    DP_K8S_OVERLAY: overlay ?? env.DP_K8S_OVERLAY,
  });
  if (choice.target !== undefined) {
    if (parseTargetName(choice.target) === 'local') {
      if (choice.context) throw new TargetError('--context applies to --target k8s only.');
      return { target: { kind: 'local' }, from: 'option' };
    }
    // The cluster dp up saved, unless another context is named: its context and overlay fill in.
    const same =
      saved?.kind === 'kubernetes' && (choice.context === undefined || choice.context === saved.context)
        ? saved
        : undefined;
    const target = targetFromEnv(
      k8sEnv(choice.context ?? same?.context, choice.overlay ?? same?.overlay),
    ) as KubernetesTarget;
    if (same?.kind === 'kubernetes') {
      const { temporal, rest } = withoutTemporal(same.endpoints);
      return {
        target: { ...target, context: same.context, endpoints: { ...target.endpoints, ...rest } },
        from: 'option',
        temporal,
      };
    }
    return { target, from: 'option' };
  }
  if (env.DP_TARGET) {
    const target = targetFromEnv(
      parseTargetName(env.DP_TARGET) === 'kubernetes' ? k8sEnv(choice.context, choice.overlay) : env,
    );
    if (target.kind === 'local' && choice.context) {
      throw new TargetError('--context applies to a Kubernetes target only (DP_TARGET is local).');
    }
    return { target, from: 'environment' };
  }
  if (saved?.kind === 'kubernetes') {
    const { temporal, rest } = withoutTemporal(saved.endpoints);
    return {
      target: {
        kind: 'kubernetes',
        context: choice.context ?? saved.context,
        overlay: choice.overlay ? parseOverlay(choice.overlay) : saved.overlay,
        namespace: saved.namespace,
        endpoints: rest,
      },
      from: 'saved',
      temporal,
    };
  }
  if (choice.context) {
    throw new TargetError(
      '--context applies to a Kubernetes target: add --target k8s (or run dp target k8s).',
    );
  }
  return { target: { kind: 'local' }, from: saved ? 'saved' : 'default' };
}

/** The addresses of the local platform a command falls back to (lib/config's endpoints()). */
export interface LocalAddresses {
  temporal: string;
  trino: string;
  s3: string;
  nessieApi: string;
}

/**
 * Where a command reaches Temporal: the saved address of a Kubernetes target (its 127.0.0.1 forwarder),
 * else DP_TEMPORAL_ADDRESS, else the local server (`dp up --target k8s` runs Temporal on this machine).
 */
export function temporalAddressFor(
  resolved: ResolvedTarget,
  local: LocalAddresses,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (resolved.target.kind === 'kubernetes' && resolved.temporal) return resolved.temporal;
  return env.DP_TEMPORAL_ADDRESS || local.temporal;
}

/** Where a command reaches one of the platform's HTTP services; a Kubernetes target must know it. */
export function serviceEndpointFor(
  resolved: ResolvedTarget,
  local: LocalAddresses,
  service: 'trino' | 's3' | 'nessieApi',
): string {
  const target = resolved.target;
  if (target.kind === 'local') return local[service];
  const address = target.endpoints[service];
  if (!address) {
    throw new TargetError(
      `No ${service} address is known for the Kubernetes target (namespace ${target.namespace}` +
        `${target.context ? `, context ${target.context}` : ''}): start its 127.0.0.1 forwarders and run ` +
        `dp up --target k8s again, or set ${ENDPOINT_ENV[service]}.`,
    );
  }
  return address;
}

/** One line that names the target, for people and for `dp status --json`. */
export function describeTarget(target: PlatformTarget): {
  kind: PlatformTarget['kind'];
  context?: string;
  namespace?: string;
  overlay?: string;
} {
  return target.kind === 'local'
    ? { kind: 'local' }
    : { kind: 'kubernetes', context: target.context, namespace: target.namespace, overlay: target.overlay };
}
