// infra/manifests/operators-local: Prometheus and KEDA as the local cluster runs them, checked against the
// schemas and against what the local overlay's ScaledObject expects of them.
import * as path from 'node:path';
import { OPERATORS_KUSTOMIZATION } from '../../../infra/k8s/cluster';
import type { KubeObject } from '../../../infra/k8s/kustomize';
import { parseYaml } from '../../../infra/k8s/yaml';
import { byKind, MANIFESTS, rendered, validateObject } from './helpers';

const OPERATORS = path.join(MANIFESTS, OPERATORS_KUSTOMIZATION.local!);
const LOCAL = path.join(MANIFESTS, 'overlays', 'local');
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'APIService'];

const find = (objects: KubeObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} is not rendered`);
  return o;
};

interface ScrapeConfig {
  job_name: string;
  kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[];
  relabel_configs?: { source_labels?: string[]; target_label?: string; action?: string; regex?: string }[];
}

describe('infra/manifests/operators-local', () => {
  const { objects } = rendered(OPERATORS);

  it('renders, and every object validates against its schema', () => {
    expect(objects.length).toBeGreaterThan(15);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('puts Prometheus in monitoring and KEDA in keda, as install-operators.sh does; cluster-scoped kinds have no namespace', () => {
    for (const o of objects) {
      const expected = CLUSTER_SCOPED.includes(o.kind)
        ? undefined
        : o.metadata.name === 'keda-auth-reader'
          ? 'kube-system'
          : o.metadata.labels?.['app.kubernetes.io/name'] === 'prometheus'
            ? 'monitoring'
            : 'keda';
      expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, expected]);
    }
  });

  it("the local ScaledObject asks this Prometheus, whose trino job gives the labels the ScaledObject's query selects on", () => {
    const [scaled] = byKind(rendered(LOCAL).objects, 'ScaledObject');
    const trigger = (scaled.spec as { triggers: { metadata: { serverAddress: string; query: string } }[] })
      .triggers[0].metadata;
    const service = find(objects, 'Service', 'prometheus');
    const port = (service.spec as { ports: { port: number }[] }).ports[0].port;
    expect(trigger.serverAddress).toBe(
      `http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port}`,
    );
    const config = parseYaml(
      (find(objects, 'ConfigMap', 'prometheus-config').data as Record<string, string>)['prometheus.yml'],
    ) as { scrape_configs: ScrapeConfig[] };
    const trino = config.scrape_configs.find((j) => j.job_name === 'trino')!;
    const targetLabels = new Map(
      (trino.relabel_configs ?? [])
        .filter((r) => r.target_label)
        .map((r) => [r.target_label!, r.source_labels ?? []]),
    );
    // Every label the query matches on is one the job sets, from the pod's namespace or its trino.io/role.
    const selected = [...trigger.query.matchAll(/([a-z_]+)="[^"]*"/g)].map((m) => m[1]);
    expect(new Set(selected)).toEqual(new Set(['namespace', 'trino_io_role']));
    expect(targetLabels.get('namespace')).toEqual(['__meta_kubernetes_namespace']);
    expect(targetLabels.get('trino_io_role')).toEqual(['__meta_kubernetes_pod_label_trino_io_role']);
    // It discovers the pods of the platform's namespace, and keeps Trino's pods by the port the base names.
    expect(trino.kubernetes_sd_configs?.[0].namespaces?.names).toEqual(['data-platform']);
    const keep = trino.relabel_configs?.find((r) => r.action === 'keep');
    expect(keep?.regex).toBe('trino;http');
    const coordinator = find(rendered(LOCAL).objects, 'Deployment', 'trino-coordinator');
    const ports = (
      coordinator.spec as { template: { spec: { containers: { ports: { name: string }[] }[] } } }
    ).template.spec.containers[0].ports.map((p) => p.name);
    expect(ports).toContain('http');
  });

  it("KEDA's APIService names its metrics API server's Service, and every Service selects a Deployment's pods", () => {
    const api = find(objects, 'APIService', 'v1beta1.external.metrics.k8s.io');
    const ref = (api.spec as { service: { name: string; namespace: string } }).service;
    expect(find(objects, 'Service', ref.name).metadata.namespace).toBe(ref.namespace);
    for (const svc of byKind(objects, 'Service')) {
      const selector = (svc.spec as { selector: Record<string, string> }).selector;
      const hits = byKind(objects, 'Deployment').filter((d) => {
        const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
          .metadata.labels;
        return Object.entries(selector).every(([k, v]) => labels[k] === v);
      });
      expect([svc.metadata.name, hits.length]).toEqual([svc.metadata.name, 1]);
    }
  });

  it('every port Prometheus scrapes is open to the monitoring namespace under the NetworkPolicies', () => {
    type Pod = {
      metadata?: { labels?: Record<string, string> };
      spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
    };
    type Policy = {
      podSelector: { matchLabels?: Record<string, string> };
      ingress?: {
        from?: { namespaceSelector?: { matchLabels?: Record<string, string> } }[];
        ports?: { port: number }[];
      }[];
    };
    const all = [...rendered(LOCAL).objects, ...objects];
    const policies = byKind(all, 'NetworkPolicy');
    const scraped: { pod: string; namespace: string; labels: Record<string, string>; port: number }[] = [];
    for (const o of all) {
      const template = (o.spec as { template?: Pod } | undefined)?.template;
      if (!template) continue;
      const labels = template.metadata?.labels ?? {};
      for (const port of template.spec.containers.flatMap((c) => c.ports ?? [])) {
        const app = labels['app.kubernetes.io/name'];
        const byJob =
          (app === 'trino' && port.name === 'http') || (app === 'nessie' && port.name === 'management');
        if (port.name === 'metrics' || byJob)
          scraped.push({
            pod: o.metadata.name,
            namespace: o.metadata.namespace!,
            labels,
            port: port.containerPort,
          });
      }
    }
    expect(scraped.map((s) => s.pod)).toEqual(
      expect.arrayContaining([
        'trino-worker',
        'nessie',
        'temporal',
        'temporal-worker',
        'flink-taskmanager',
        'keda-operator',
      ]),
    );
    for (const s of scraped) {
      const open = policies.some((p) => {
        const spec = p.spec as Policy;
        if (p.metadata.namespace !== s.namespace) return false;
        if (!Object.entries(spec.podSelector.matchLabels ?? {}).every(([k, v]) => s.labels[k] === v))
          return false;
        return (spec.ingress ?? []).some(
          (rule) =>
            (rule.from ?? []).some(
              (f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring',
            ) && (rule.ports ?? []).some((p) => p.port === s.port),
        );
      });
      expect([s.pod, s.port, open]).toEqual([s.pod, s.port, true]);
    }
  });
});
