import * as path from 'node:path';
import { renderKustomization, type KubeObject } from '../../../infra/k8s/kustomize';
import { CONFIG_HASH_ANNOTATION, configMapsOf, withConfigHash } from '../../../platform/k8s/config-hash';
import { REPO } from '../../infra/k8s/helpers';

const annotation = (o: KubeObject) =>
  (o.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata
    ?.annotations?.[CONFIG_HASH_ANNOTATION];

describe('config hash of a workload', () => {
  const { objects } = renderKustomization(path.join(REPO, 'infra', 'manifests', 'overlays', 'local'));
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  const workload = (name: string) =>
    objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;

  test('names the ConfigMaps a pod spec mounts or reads, from volumes, projections and the environment', () => {
    expect(
      configMapsOf({
        volumes: [{ configMap: { name: 'b' } }, { projected: { sources: [{ configMap: { name: 'a' } }] } }],
        containers: [{ envFrom: [{ configMapRef: { name: 'c' } }] }],
        initContainers: [{ env: [{ valueFrom: { configMapKeyRef: { name: 'b' } } }] }],
      }),
    ).toEqual(['a', 'b', 'c']);
  });

  test('changes when a ConfigMap the workload mounts changes, and only then', () => {
    const worker = workload('trino-worker');
    const before = annotation(withConfigHash(worker, configMaps));
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    const changed = configMaps.map((c) =>
      c.metadata.name === 'trino-config'
        ? { ...c, data: { ...(c.data as Record<string, string>), 'jvm.config': '-Xmx1g' } }
        : c,
    );
    expect(annotation(withConfigHash(worker, changed))).not.toBe(before);
    const unrelated = configMaps.map((c) =>
      c.metadata.name === 'flink-config' ? { ...c, data: { 'config.yaml': 'x' } } : c,
    );
    expect(annotation(withConfigHash(worker, unrelated))).toBe(before);
  });

  test('leaves other kinds, and workloads that use no ConfigMap, as they are', () => {
    const service = objects.find((o) => o.kind === 'Service')!;
    expect(withConfigHash(service, configMaps)).toBe(service);
    const bare: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', namespace: 'data-platform' },
      spec: { template: { spec: { containers: [{ name: 'x' }] } } },
    };
    expect(withConfigHash(bare, configMaps)).toBe(bare);
  });
});
