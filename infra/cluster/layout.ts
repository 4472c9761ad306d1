// Where the local development cluster (`dp cluster`) keeps its state and tools: one table shared by the
// cluster's supervisor, `dp images build --import` and the Kubernetes target, so none of them guesses another's
// paths.
import * as path from 'node:path';

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
