// Kubernetes does not restart pods when a ConfigMap they mount or read changes, so a workload's pod template
// carries a hash of those ConfigMaps as an annotation: a changed ConfigMap changes the template, and its
// controller rolls the pods (the way Helm charts use a checksum annotation).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../infra/k8s/kustomize';

export const CONFIG_HASH_ANNOTATION = 'lakehouse.dp/config-hash';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

interface PodSpecRefs {
  volumes?: {
    configMap?: { name?: string };
    projected?: { sources?: { configMap?: { name?: string } }[] };
  }[];
  containers?: ContainerRefs[];
  initContainers?: ContainerRefs[];
}

interface ContainerRefs {
  envFrom?: { configMapRef?: { name?: string } }[];
  env?: { valueFrom?: { configMapKeyRef?: { name?: string } } }[];
}

/** The names of the ConfigMaps a pod spec mounts or reads its environment from. */
export function configMapsOf(spec: PodSpecRefs): string[] {
  const names = new Set<string>();
  const add = (name: string | undefined) => name && names.add(name);
  for (const v of spec.volumes ?? []) {
    add(v.configMap?.name);
    for (const s of v.projected?.sources ?? []) add(s.configMap?.name);
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  return [...names].sort();
}

/**
 * The workload with its pod template annotated with a hash of the ConfigMaps it uses (found among
 * `objects`, in its namespace); other objects, and workloads that use none of them, come back as they are.
 */
export function withConfigHash(o: KubeObject, objects: KubeObject[]): KubeObject {
  if (!WORKLOAD_KINDS.has(o.kind)) return o;
  const template = (
    o.spec as { template?: { metadata?: { annotations?: Record<string, string> }; spec?: PodSpecRefs } }
  )?.template;
  if (!template?.spec) return o;
  const used = configMapsOf(template.spec)
    .map((name) =>
      objects.find(
        (c) =>
          c.kind === 'ConfigMap' && c.metadata.name === name && c.metadata.namespace === o.metadata.namespace,
      ),
    )
    .filter((c): c is KubeObject => c !== undefined);
  if (used.length === 0) return o;
  const hash = createHash('sha256');
  for (const c of used) hash.update(JSON.stringify([c.metadata.name, c.data ?? {}, c.binaryData ?? {}]));
  return {
    ...o,
    spec: {
      ...(o.spec as object),
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          annotations: {
            ...template.metadata?.annotations,
            [CONFIG_HASH_ANNOTATION]: hash.digest('hex').slice(0, 16),
          },
        },
      },
    },
  };
}
