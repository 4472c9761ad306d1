// Where things are inside the cluster: one table shared by the catalog generator, the driver and the tests.
import { DEFAULT_PORTS, type ServiceEndpoints } from '../../lib/config';

export const NAMESPACE = 'data-platform';
export const WAREHOUSE_BUCKET = 'warehouse';
export const CATALOG_NAME = 'lakehouse';

/** The overlays under infra/manifests/overlays; `base` is the base itself. */
export const OVERLAYS = ['dev', 'production', 'minio', 'local'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/**
 * The kustomization (under infra/manifests) of what an overlay's cluster needs installed besides the platform
 * and that the driver applies itself: on the local cluster, Prometheus and KEDA, which production installs
 * with infra/k8s/install-operators.sh. Its objects keep their own namespaces (monitoring, keda).
 */
export const OPERATORS_KUSTOMIZATION: Partial<Record<Overlay, string>> = { local: 'operators-local' };

const svc = (name: string, port: number, namespace = NAMESPACE) =>
  `http://${name}.${namespace}.svc.cluster.local:${port}`;

export type ClusterEndpoints = ServiceEndpoints;

/**
 * In-cluster endpoints. The minio overlay uses the user's MinIO (namespace minio, port 9000); Kafka's is the
 * bootstrap Service Strimzi creates for the Kafka cluster `lakehouse`.
 */
export function clusterEndpoints(overlay: Overlay | 'base'): ClusterEndpoints {
  return {
    s3: overlay === 'minio' ? svc('minio', 9000, 'minio') : svc('objectstore', DEFAULT_PORTS.s3),
    nessieApi: `${svc('nessie', DEFAULT_PORTS.nessie)}/api/v2`,
    trino: svc('trino', DEFAULT_PORTS.trino),
    kafka: `lakehouse-kafka-bootstrap.${NAMESPACE}.svc.cluster.local:9092`,
  };
}
