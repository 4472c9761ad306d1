// When a Kubernetes object counts as ready, per kind: pure functions of the live object the API server
// returns (the rules `kubectl rollout status` uses for workloads, the Ready condition for the operators'
// resources). The driver polls with them; they do no I/O.
export interface Readiness {
  ready: boolean;
  detail: string;
}

export interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  lifecycleState?: string;
  jobStatus?: { state?: string };
  error?: string;
}

export interface LiveObject {
  metadata?: { generation?: number; resourceVersion?: string };
  spec?: { replicas?: number };
  status?: WorkloadStatus;
}

/** Whether a live object is ready, in the terms `kubectl rollout status` uses. */
export function readiness(kind: string, live: LiveObject): Readiness {
  const s = live.status ?? {};
  const generation = live.metadata?.generation ?? 0;
  const current = (s.observedGeneration ?? 0) >= generation;
  const want = live.spec?.replicas ?? 1;
  switch (kind) {
    case 'Deployment': {
      const available = s.availableReplicas ?? 0;
      const updated = s.updatedReplicas ?? 0;
      const ready = current && updated >= want && available >= want && (s.replicas ?? 0) <= want;
      return { ready, detail: `${available}/${want} available, ${updated} updated` };
    }
    case 'StatefulSet': {
      const readyReplicas = s.readyReplicas ?? 0;
      const rolled = !s.updateRevision || s.currentRevision === s.updateRevision;
      return { ready: current && readyReplicas >= want && rolled, detail: `${readyReplicas}/${want} ready` };
    }
    case 'FlinkDeployment': {
      const job = s.jobStatus?.state ?? 'unknown';
      const ready = s.lifecycleState === 'STABLE' && job === 'RUNNING';
      return {
        ready,
        detail: `lifecycle ${s.lifecycleState ?? 'unknown'}, job ${job}${s.error ? ': ' + s.error : ''}`,
      };
    }
    default: {
      // Strimzi's Kafka and KafkaTopic: a Ready condition.
      const cond = (s.conditions ?? []).find((c) => c.type === 'Ready');
      const ready = current && cond?.status === 'True';
      return {
        ready,
        detail: cond ? `Ready=${cond.status}${cond.message ? ': ' + cond.message : ''}` : 'no status yet',
      };
    }
  }
}

/** Why a container cannot start on its own: waiting reasons the kubelet only retries, never resolves. */
const STUCK_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
]);

interface ContainerState {
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
}

/** The parts of a live Pod the driver reads. */
export interface PodState {
  metadata: { name: string; uid?: string; labels?: Record<string, string> };
  status?: { containerStatuses?: ContainerState[]; initContainerStatuses?: ContainerState[] };
}

/** Whether a pod's labels carry every label of a workload's matchLabels selector. */
export function matchesSelector(pod: PodState, selector: Record<string, string>): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * The pods of a StatefulSet that belong to an earlier revision and cannot start (an image that cannot be
 * pulled, a crash loop). The StatefulSet controller waits for such a pod to become Ready before it rolls it
 * to the current revision, so it never does: Kubernetes' documented way out is to delete the pod.
 */
export function stuckPodsOfEarlierRevision(
  selector: Record<string, string>,
  updateRevision: string,
  pods: PodState[],
): { name: string; reason: string }[] {
  const stuck: { name: string; reason: string }[] = [];
  for (const pod of pods) {
    if (!matchesSelector(pod, selector)) continue;
    if (pod.metadata.labels?.['controller-revision-hash'] === updateRevision) continue;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const reason = statuses.map((s) => s.state?.waiting?.reason).find((r) => r && STUCK_REASONS.has(r));
    if (reason) stuck.push({ name: pod.metadata.name, reason });
  }
  return stuck;
}
