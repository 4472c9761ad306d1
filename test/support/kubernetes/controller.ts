// The test stands in for the controllers a cluster would run (kube-controller-manager, Strimzi): it polls
// the namespace's workloads and, a while after each appears, writes the status its controller would
// write once the pods are ready. Workloads named in `neverReady` are left alone.
import type { KubeTransport } from '../../../clients/kubernetes';
import { must } from './apiserver';
import { sleep } from '../../../lib/time';

interface Live {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number };
  status?: unknown;
}

const WORKLOADS: { kind: string; path: (ns: string) => string; status: (o: Live) => unknown }[] = [
  {
    kind: 'Deployment',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
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
  },
  {
    kind: 'StatefulSet',
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
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
  },
  ...['kafkas', 'kafkatopics'].map((plural) => ({
    kind: plural === 'kafkas' ? 'Kafka' : 'KafkaTopic',
    path: (ns: string) => `/apis/kafka.strimzi.io/v1beta2/namespaces/${ns}/${plural}`,
    status: (o: Live) => ({
      observedGeneration: o.metadata.generation,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
    }),
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

  constructor(
    private readonly transport: KubeTransport,
    private readonly namespace: string,
    private readonly options: { delayMs: number; neverReady?: Set<string> },
  ) {}

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
      const res = await this.transport.request({ method: 'GET', path: w.path(this.namespace) });
      if (res.status === 404) continue; // a CRD not installed
      const items = ((res.body as { items?: Live[] }).items ?? []) as Live[];
      for (const o of items) {
        const key = `${w.kind}/${o.metadata.name}`;
        if (this.options.neverReady?.has(key)) continue;
        const seen = this.firstSeen.get(key) ?? Date.now();
        this.firstSeen.set(key, seen);
        const status = o.status as { observedGeneration?: number } | undefined;
        if (status?.observedGeneration === o.metadata.generation) continue; // done for this generation
        if (Date.now() - seen < this.options.delayMs) continue;
        await must(
          this.transport,
          'PATCH',
          `${w.path(this.namespace)}/${o.metadata.name}/status`,
          { status: w.status(o) },
          'application/merge-patch+json',
        );
        this.readied.push({ kind: w.kind, name: o.metadata.name, at: Date.now() });
      }
    }
  }
}
