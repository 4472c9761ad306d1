// The Helm values agree with the manifests they serve: namespaces watched, labels selected, names used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYaml } from '../../../infra/k8s/yaml';
import { byKind, MANIFESTS, REPO, rendered } from './helpers';

const VALUES = path.join(REPO, 'infra', 'helm-values');
type Values = Record<string, unknown>;
const values = (name: string) =>
  parseYaml(fs.readFileSync(path.join(VALUES, `${name}.yaml`), 'utf8')) as Values;
const get = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);

describe('helm values', () => {
  const { objects } = rendered(path.join(MANIFESTS, 'overlays', 'dev'));

  it('every values file parses and is installed by install-operators.sh', () => {
    const script = fs.readFileSync(path.join(REPO, 'infra', 'k8s', 'install-operators.sh'), 'utf8');
    for (const file of fs.readdirSync(VALUES)) {
      expect(typeof parseYaml(fs.readFileSync(path.join(VALUES, file), 'utf8'))).toBe('object');
      expect([file, script.includes(`$V/${file}`)]).toEqual([file, true]);
    }
  });

  it('Prometheus selects the Trino PodMonitor, and KEDA queries that Prometheus', () => {
    const selector = get(
      values('kube-prometheus-stack'),
      'prometheus',
      'prometheusSpec',
      'podMonitorSelector',
      'matchLabels',
    ) as Record<string, string>;
    const [pm] = byKind(objects, 'PodMonitor');
    for (const [k, v] of Object.entries(selector)) expect(pm.metadata.labels?.[k]).toBe(v);
    const [so] = byKind(objects, 'ScaledObject');
    const address = (get(so, 'spec', 'triggers') as { metadata: { serverAddress: string } }[])[0].metadata
      .serverAddress;
    // Release kube-prometheus-stack in namespace monitoring (install-operators.sh).
    expect(address).toMatch(/^http:\/\/kube-prometheus-stack-prometheus\.monitoring\.svc/);
  });

  it('the Strimzi and Flink operators watch data-platform; Flink uses the manifests ServiceAccount', () => {
    expect(get(values('strimzi'), 'watchNamespaces')).toContain('data-platform');
    expect(get(values('flink-operator'), 'watchNamespaces')).toContain('data-platform');
    const [flink] = byKind(objects, 'FlinkDeployment');
    expect(get(values('flink-operator'), 'jobServiceAccount', 'name')).toBe(
      get(flink, 'spec', 'serviceAccount'),
    );
    expect(get(values('flink-operator'), 'jobServiceAccount', 'create')).toBe(false);
  });

  it('Airflow runs the image build-images.sh builds', () => {
    const image = get(values('airflow'), 'images', 'airflow') as { repository: string; tag: string };
    expect(`${image.repository}:${image.tag}`).toBe('lakehouse/airflow:0.1.0');
  });

  it('the worker reaches the Temporal frontend the chart creates', () => {
    const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'temporal-worker');
    expect(JSON.stringify(worker)).toContain('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(get(values('temporal'), 'web', 'enabled')).toBe(true);
    expect(get(values('temporal'), 'server', 'config', 'persistence', 'default', 'sql', 'driver')).toBe(
      'postgres12',
    );
  });
});
