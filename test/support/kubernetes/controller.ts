// The test stands in for the controllers a cluster would run (kube-controller-manager, Strimzi): it polls
// the namespace's workloads and, a while after each appears, writes the status its controller would
// write once the pods are ready. Workloads named in `neverReady` are left alone.
//
// Listing goes through the driver's KubeClient; the status subresource is written with client-node's typed
// APIs (a JSON patch adding /status), as a controller would.
import * as k8s from '@kubernetes/client-node';
import type { KubeClient } from '../../../clients/kubernetes';
import { sleep } from '../../../lib/time';

interface Live {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number };
  status?: unknown;
}

type StatusWriter = (namespace: string, name: string, status: unknown) => Promise<unknown>;

interface Workload {
  apiVersion: string;
  kind: string;
  status: (o: Live) => unknown;
  write: (kc: k8s.KubeConfig) => StatusWriter;
}

const addStatus = (status: unknown) => [{ op: 'add', path: '/status', value: status }];

const strimzi = (plural: string) => (kc: k8s.KubeConfig) => {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  return (namespace: string, name: string, status: unknown) =>
    api.patchNamespacedCustomObjectStatus({
      group: 'kafka.strimzi.io',
      version: 'v1beta2',
      namespace,
      plural,
      name,
      body: addStatus(status),
    });
};

const WORKLOADS: Workload[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    status: (o) => {
      const n = o.spec?.replicas ?? 1;
      return {
        observedGeneration: o.metadata.generation,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
      };
    },
    write: (kc) => {
      const api = kc.makeApiClient(k8s.AppsV1Api);
      return (namespace, name, status) =>
        api.patchNamespacedDeploymentStatus({ namespace, name, body: addStatus(status) });
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    status: (o) => {
      const n = o.spec?.replicas ?? 1;
      return {
        observedGeneration: o.metadata.generation,
        replicas: n,
        readyReplicas: n,
        currentReplicas: n,
        updatedReplicas: n,
        availableReplicas: n,
        currentRevision: `${o.metadata.name}-1`,
        updateRevision: `${o.metadata.name}-1`,
      };
    },
    write: (kc) => {
      const api = kc.makeApiClient(k8s.AppsV1Api);
      return (namespace, name, status) =>
        api.patchNamespacedStatefulSetStatus({ namespace, name, body: addStatus(status) });
    },
  },
  ...(
    [
      ['Kafka', 'kafkas'],
      ['KafkaTopic', 'kafkatopics'],
    ] as const
  ).map(([kind, plural]) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind,
    status: (o: Live) => ({
      observedGeneration: o.metadata.generation,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
    }),
    write: strimzi(plural),
  })),
];

export interface ReadyEvent {
  kind: string;
  name: string;
  at: number;
}

export class TestController {
  readonly readied: ReadyEvent[] = [];
  /** When the controller first saw each workload (`Kind/name`). */
  readonly firstSeen = new Map<string, number>();
  private running = false;
  private loop?: Promise<void>;

  private readonly writers: Map<string, StatusWriter>;

  constructor(
    private readonly client: KubeClient,
    kubeconfig: string,
    private readonly namespace: string,
    private readonly options: { delayMs: number; neverReady?: Set<string> },
  ) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    this.writers = new Map(WORKLOADS.map((w) => [w.kind, w.write(kc)]));
  }

  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.tick();
        await sleep(200);
      }
    })();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }

  private async tick() {
    for (const w of WORKLOADS) {
      let items: Live[];
      try {
        items = (await this.client.list(w.apiVersion, w.kind, this.namespace)) as unknown as Live[];
      } catch {
        continue; // a CRD not installed
      }
      for (const o of items) {
        const key = `${w.kind}/${o.metadata.name}`;
        if (this.options.neverReady?.has(key)) continue;
        const seen = this.firstSeen.get(key) ?? Date.now();
        this.firstSeen.set(key, seen);
        const status = o.status as { observedGeneration?: number } | undefined;
        if (status?.observedGeneration === o.metadata.generation) continue; // done for this generation
        if (Date.now() - seen < this.options.delayMs) continue;
        await this.writers.get(w.kind)!(this.namespace, o.metadata.name, w.status(o));
        this.readied.push({ kind: w.kind, name: o.metadata.name, at: Date.now() });
      }
    }
  }
}
