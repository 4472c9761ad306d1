// Where the local development cluster (`dp cluster`) keeps its state and tools: one table shared by the
// cluster's supervisor, `dp images build --import` and the Kubernetes target, so none of them guesses another's
// paths.
import * as path from 'node:path';
import type { Ports } from '../../lib/config';

/** The kubeconfig context `dp cluster up` writes, and the one `dp up --target k8s` uses by default. */
export const LOCAL_CLUSTER_CONTEXT = 'dp-local';

/** containerd's namespace for the images the kubelet runs. */
export const CONTAINERD_K8S_NAMESPACE = 'k8s.io';

/** State of the local cluster under DP_HOME (git-ignored, kept across `dp cluster down`/`up`). */
export function localClusterPaths(home: string) {
  const root = path.join(home, 'cluster');
  return {
    root,
    /** The kubeconfig with the dp-local context; `KUBECONFIG=<this> kubectl ...` works. */
    kubeconfig: path.join(home, 'kubeconfig'),
    /** containerd's socket, reachable from the host's mount namespace too. */
    containerdSocket: path.join(root, 'run', 'containerd', 'containerd.sock'),
    /** hostPath directories behind the cluster's PersistentVolumes. */
    volumes: path.join(root, 'volumes'),
    logs: path.join(root, 'logs'),
  };
}

/**
 * KUBECONFIG with the local cluster's kubeconfig added after the user's own (KUBECONFIG, else ~/.kube/config
 * when it exists), so `--context dp-local` resolves without touching the user's file. Undefined when there is
 * no local cluster kubeconfig.
 */
export function kubeconfigSearchPath(
  env: NodeJS.ProcessEnv,
  home: string,
  exists: (file: string) => boolean,
): string | undefined {
  const local = localClusterPaths(home).kubeconfig;
  if (!exists(local)) return undefined;
  const userHome = env.HOME;
  const own = env.KUBECONFIG
    ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
    : userHome && exists(path.join(userHome, '.kube', 'config'))
      ? [path.join(userHome, '.kube', 'config')]
      : [];
  return [...own.filter((f) => f !== local), local].join(path.delimiter);
}

/** The local cluster's services on this machine's 127.0.0.1, by the ports of the platform's config. */
export type LocalClusterPorts = Pick<
  Ports,
  | 'clusterTrino'
  | 'clusterS3'
  | 'clusterNessie'
  | 'clusterTemporal'
  | 'clusterTemporalUi'
  | 'clusterJupyter'
  | 'clusterKafka'
  | 'clusterFlink'
  | 'clusterPrometheus'
>;

/**
 * The loopback forwards `dp up --target k8s` adds for the local cluster: each Service of the platform's
 * namespace, and Prometheus in its own, resolved by the cluster's DNS inside the node.
 */
export function localClusterServiceForwards(ports: LocalClusterPorts, namespace: string) {
  const svc = (name: string, port: number) => `${name}.${namespace}.svc.cluster.local:${port}`;
  return [
    { name: 'trino', hostPort: ports.clusterTrino, target: svc('trino', 8080) },
    { name: 'objectstore', hostPort: ports.clusterS3, target: svc('objectstore', 8333) },
    { name: 'nessie', hostPort: ports.clusterNessie, target: svc('nessie', 19120) },
    { name: 'temporal', hostPort: ports.clusterTemporal, target: svc('temporal-frontend', 7233) },
    { name: 'temporal-ui', hostPort: ports.clusterTemporalUi, target: svc('temporal-frontend', 8233) },
    { name: 'jupyter', hostPort: ports.clusterJupyter, target: svc('jupyter', 8888) },
    // Kafka's EXTERNAL listener, which advertises this same host port (components/kafka-local).
    { name: 'kafka', hostPort: ports.clusterKafka, target: svc('lakehouse-kafka-bootstrap', 9094) },
    { name: 'flink', hostPort: ports.clusterFlink, target: svc('flink-jobmanager', 8081) },
    {
      name: 'prometheus',
      hostPort: ports.clusterPrometheus,
      target: 'prometheus.monitoring.svc.cluster.local:9090',
    },
  ];
}

/** Where this machine reaches the local cluster's services (through the forwards above). */
export function localClusterEndpoints(ports: LocalClusterPorts) {
  return {
    trino: `http://127.0.0.1:${ports.clusterTrino}`,
    s3: `http://127.0.0.1:${ports.clusterS3}`,
    nessieApi: `http://127.0.0.1:${ports.clusterNessie}/api/v2`,
    temporal: `127.0.0.1:${ports.clusterTemporal}`,
    temporalUi: `http://127.0.0.1:${ports.clusterTemporalUi}`,
    jupyter: `http://127.0.0.1:${ports.clusterJupyter}`,
    kafka: `127.0.0.1:${ports.clusterKafka}`,
    flink: `http://127.0.0.1:${ports.clusterFlink}`,
    prometheus: `http://127.0.0.1:${ports.clusterPrometheus}`,
  };
}
