// What the Temporal worker may do in the cluster, and who may reach Temporal: the worker has no API token and
// no RoleBinding in any rendering; Temporal's frontend admits only the worker (Helm chart namespace, and the
// local overlay's dev server in data-platform).
import * as path from 'node:path';
import type { KubeObject } from '../../../infra/k8s/kustomize';
import { byKind, MANIFESTS, rendered, TARGETS, validateObject } from './helpers';

const WORKER_SA = 'temporal-worker';
/** How the Temporal Helm chart labels its frontend pods (the chart's resourceLabels: name, component). */
const CHART_FRONTEND_POD_LABELS = {
  'app.kubernetes.io/name': 'temporal',
  'app.kubernetes.io/instance': 'temporal',
  'app.kubernetes.io/component': 'frontend',
};
const CHART_HISTORY_POD_LABELS = { ...CHART_FRONTEND_POD_LABELS, 'app.kubernetes.io/component': 'history' };

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: { from?: PolicyPeer[]; ports?: { port: number | string; protocol?: string }[] }[];
}
interface PodTemplateOwner {
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: { serviceAccountName?: string; automountServiceAccountToken?: boolean };
    };
  };
}

/** Whether a label selector selects an object with these labels (matchLabels and In/NotIn/Exists). */
function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    if (e.operator === 'In' && !(value !== undefined && (e.values ?? []).includes(value))) return false;
    if (e.operator === 'NotIn' && value !== undefined && (e.values ?? []).includes(value)) return false;
    if (e.operator === 'Exists' && value === undefined) return false;
    if (e.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

/** Whether any policy admits a pod (labels, namespace) to `port` of a pod with `target` labels. */
function admitted(
  policies: KubeObject[],
  policyNamespace: string,
  target: Record<string, string>,
  from: { labels: Record<string, string>; namespace: string },
  port: number,
): boolean {
  const namespaceLabels = { 'kubernetes.io/metadata.name': from.namespace };
  return policies.some((p) => {
    const spec = p.spec as PolicySpec;
    if (!selects(spec.podSelector, target)) return false;
    return (spec.ingress ?? []).some((rule) => {
      const portOk = !rule.ports || rule.ports.some((x) => Number(x.port) === port);
      const peerOk = (rule.from ?? []).some((peer) => {
        const nsOk = peer.namespaceSelector
          ? selects(peer.namespaceSelector, namespaceLabels)
          : from.namespace === policyNamespace;
        const podOk = peer.podSelector ? selects(peer.podSelector, from.labels) : true;
        return nsOk && podOk;
      });
      return portOk && peerOk;
    });
  });
}

describe('the Temporal worker has no access to the Kubernetes API', () => {
  for (const target of TARGETS) {
    it(`${target.name}: no RoleBinding or ClusterRoleBinding names its ServiceAccount, and it mounts no token`, () => {
      const objects = rendered(target.dir).objects;
      const bindings = [...byKind(objects, 'RoleBinding'), ...byKind(objects, 'ClusterRoleBinding')];
      const toWorker = bindings.filter((b) =>
        ((b.subjects as { kind: string; name: string }[] | undefined) ?? []).some(
          (s) => s.kind === 'ServiceAccount' && s.name === WORKER_SA,
        ),
      );
      expect(toWorker.map((b) => b.metadata.name)).toEqual([]);
      expect(byKind(objects, 'Role').map((r) => r.metadata.name)).not.toContain(WORKER_SA);

      const [account] = byKind(objects, 'ServiceAccount').filter((s) => s.metadata.name === WORKER_SA);
      expect(account).toBeDefined();
      expect(account.automountServiceAccountToken).toBe(false);
      const [worker] = byKind(objects, 'Deployment').filter((d) => d.metadata.name === 'temporal-worker');
      const pod = (worker as unknown as PodTemplateOwner).spec.template.spec;
      expect(pod.serviceAccountName).toBe(WORKER_SA);
      expect(pod.automountServiceAccountToken).toBe(false);
    });
  }
});

describe("NetworkPolicies of the Helm chart's namespace temporal", () => {
  const dir = path.join(MANIFESTS, 'temporal-namespace');
  const objects = () => rendered(dir).objects;
  const policies = () => byKind(objects(), 'NetworkPolicy');
  const worker = { labels: workerPodLabels(), namespace: 'data-platform' };

  it('are valid NetworkPolicies in the namespace temporal', () => {
    expect(policies().length).toBeGreaterThanOrEqual(2);
    for (const o of objects()) {
      expect(o.kind).toBe('NetworkPolicy');
      expect(o.metadata.namespace).toBe('temporal');
      expect(validateObject(o)).toEqual([]);
    }
  });

  it("deny ingress to every pod of the namespace by default and select the chart's frontend pods", () => {
    const denyAll = policies().filter((p) => {
      const spec = p.spec as PolicySpec;
      return Object.keys(spec.podSelector).length === 0 && (spec.policyTypes ?? []).includes('Ingress');
    });
    expect(denyAll.length).toBeGreaterThan(0);
    const forFrontend = policies().filter((p) =>
      selects((p.spec as PolicySpec).podSelector, CHART_FRONTEND_POD_LABELS),
    );
    expect(forFrontend.some((p) => (p.spec as PolicySpec).podSelector.matchLabels)).toBe(true);
  });

  it("admit the platform's worker to the frontend's gRPC port, and no other pod of data-platform", () => {
    expect(admitted(policies(), 'temporal', CHART_FRONTEND_POD_LABELS, worker, 7233)).toBe(true);
    const trino = { labels: { 'app.kubernetes.io/name': 'trino' }, namespace: 'data-platform' };
    expect(admitted(policies(), 'temporal', CHART_FRONTEND_POD_LABELS, trino, 7233)).toBe(false);
    const elsewhere = { labels: worker.labels, namespace: 'default' };
    expect(admitted(policies(), 'temporal', CHART_FRONTEND_POD_LABELS, elsewhere, 7233)).toBe(false);
    // The worker reaches the frontend only, not Temporal's history service.
    expect(admitted(policies(), 'temporal', CHART_HISTORY_POD_LABELS, worker, 7234)).toBe(false);
  });

  it("let Temporal's own pods (history, web UI) reach the frontend", () => {
    const web = {
      labels: { ...CHART_FRONTEND_POD_LABELS, 'app.kubernetes.io/component': 'web' },
      namespace: 'temporal',
    };
    expect(admitted(policies(), 'temporal', CHART_FRONTEND_POD_LABELS, web, 7233)).toBe(true);
    const history = { labels: CHART_HISTORY_POD_LABELS, namespace: 'temporal' };
    expect(admitted(policies(), 'temporal', CHART_FRONTEND_POD_LABELS, history, 7233)).toBe(true);
  });
});

describe("the local overlay's Temporal dev server", () => {
  it('admits the worker to its gRPC port and nothing else in the namespace', () => {
    const objects = rendered(path.join(MANIFESTS, 'overlays', 'local')).objects;
    const [temporal] = byKind(objects, 'Deployment').filter((d) => d.metadata.name === 'temporal');
    const temporalLabels = (temporal as unknown as PodTemplateOwner).spec.template.metadata.labels;
    const policies = byKind(objects, 'NetworkPolicy');
    const selecting = policies.filter((p) => selects((p.spec as PolicySpec).podSelector, temporalLabels));
    // The namespace's default deny and the Temporal policy.
    expect(selecting.length).toBeGreaterThanOrEqual(2);
    const worker = { labels: workerPodLabels(), namespace: 'data-platform' };
    expect(admitted(policies, 'data-platform', temporalLabels, worker, 7233)).toBe(true);
    for (const other of ['trino', 'nessie', 'jupyter', 'seaweedfs']) {
      const pod = { labels: { 'app.kubernetes.io/name': other }, namespace: 'data-platform' };
      expect(admitted(policies, 'data-platform', temporalLabels, pod, 7233)).toBe(false);
      expect(admitted(policies, 'data-platform', temporalLabels, pod, 8233)).toBe(false);
    }
  });
});

/** The labels of the worker's pods, as the base renders its Deployment. */
function workerPodLabels(): Record<string, string> {
  const base = TARGETS.find((t) => t.name === 'base') as { dir: string };
  const [worker] = byKind(rendered(base.dir).objects, 'Deployment').filter(
    (d) => d.metadata.name === 'temporal-worker',
  );
  return (worker as unknown as PodTemplateOwner).spec.template.metadata.labels;
}
