// `dp logs <component>` on Kubernetes: which pods make up each component's workload (by the labels the
// manifests in infra/manifests/base and the operators give them), and where they run.

export interface ComponentPods {
  /** The namespace, when not the target's own (Temporal's chart installs into `temporal`). */
  namespace?: string;
  labelSelector: string;
}

const byName = (name: string): ComponentPods => ({ labelSelector: `app.kubernetes.io/name=${name}` });

export const KUBERNETES_LOG_COMPONENTS: Record<string, ComponentPods> = {
  objectstore: byName('seaweedfs'),
  nessie: byName('nessie'),
  'nessie-postgres': byName('nessie-postgres'),
  trino: byName('trino'),
  // The brokers and controllers of the Strimzi Kafka cluster `lakehouse` (not its operators' pods).
  kafka: { labelSelector: 'strimzi.io/cluster=lakehouse,strimzi.io/kind=Kafka' },
  worker: byName('temporal-worker'),
  flink: byName('flink-sensor-job'),
  'sensor-producer': byName('sensor-producer'),
  jupyter: byName('jupyter'),
  // infra/k8s/install-operators.sh installs Temporal's Helm chart into the namespace `temporal`.
  temporal: { namespace: 'temporal', labelSelector: 'app.kubernetes.io/name=temporal' },
};

export class UnknownLogComponent extends Error {}

/**
 * Where the local cluster's overlay differs: Temporal is a Deployment of the platform's own namespace, not the
 * Helm chart's, and Kafka its own StatefulSet (components/kafka-local), not Strimzi's.
 */
const LOCAL_OVERLAY_LOG_COMPONENTS: Record<string, ComponentPods> = {
  temporal: byName('temporal'),
  kafka: byName('kafka'),
};

/** The pods of a component in the target's namespace; throws UnknownLogComponent naming the choices. */
export function componentPods(
  component: string,
  targetNamespace: string,
  overlay?: string,
): Required<ComponentPods> {
  const table =
    overlay === 'local' && Object.hasOwn(LOCAL_OVERLAY_LOG_COMPONENTS, component)
      ? LOCAL_OVERLAY_LOG_COMPONENTS
      : KUBERNETES_LOG_COMPONENTS;
  const pods = Object.hasOwn(table, component) ? table[component] : undefined;
  if (!pods) {
    throw new UnknownLogComponent(
      `Unknown component '${component}' on Kubernetes. Use one of: ${Object.keys(KUBERNETES_LOG_COMPONENTS).join(', ')}.`,
    );
  }
  return { namespace: pods.namespace ?? targetNamespace, labelSelector: pods.labelSelector };
}
