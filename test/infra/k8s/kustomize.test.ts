// renderKustomization runs the real kustomize (built by `dp install --kubernetes`): each overlay's objects
// carry what its patches in infra/manifests/overlays say (the facts below are read off those YAML files),
// generated Secrets come back as declarations without values, and an overlay of any name renders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderKustomization, type KubeObject } from '../../../infra/k8s/kustomize';
import { MANIFESTS, rendered } from './helpers';

interface Port {
  name: string;
  port: number;
  nodePort?: number;
}
interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
  resources?: { requests?: Record<string, string> };
}

const overlay = (name: string) => rendered(path.join(MANIFESTS, 'overlays', name)).objects;

/** The fields of the specs these tests read. */
interface Spec {
  type?: string;
  ports?: Port[];
  replicas?: number;
  image?: string;
  template?: { spec: { containers: Container[] } };
  podTemplate?: { spec: { containers: Container[] } };
  job?: { parallelism: number };
  flinkConfiguration?: Record<string, string>;
  volumeClaimTemplates?: { spec: { resources: { requests: { storage: string } } } }[];
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject & { spec: Spec } {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o as KubeObject & { spec: Spec };
}

function images(objects: KubeObject[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'image' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(objects);
  return out;
}

describe('renderKustomization (kustomize build)', () => {
  it('base: every namespaced object in data-platform, the generated Secrets only as declarations', () => {
    const { objects, secrets } = rendered(path.join(MANIFESTS, 'base'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(find(objects, 'Namespace', 'data-platform')).toBeDefined();
    for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
      expect(`${o.kind}/${o.metadata.name} ${o.metadata.namespace}`).toMatch(/ data-platform$/);
    }
    expect(secrets.map((s) => [s.name, s.namespace, s.keys]).sort()).toEqual([
      ['jupyter-token', 'data-platform', ['token']],
      ['nessie-postgres', 'data-platform', ['username', 'password']],
      ['s3-credentials', 'data-platform', ['accessKey', 'secretKey']],
      ['trino-metrics-scrape', 'data-platform', ['username', 'password']],
    ]);
  });

  it('dev: NodePorts from node-ports.yaml, smaller requests merged into the existing containers', () => {
    const objects = overlay('dev');
    const ports = (svc: string) =>
      find(objects, 'Service', svc).spec.ports!.map((p) => [p.name, p.port, p.nodePort]);
    expect(find(objects, 'Service', 'trino').spec.type).toBe('NodePort');
    expect(ports('trino')).toEqual([['http', 8080, 30080]]);
    expect(ports('nessie')).toEqual([
      ['http', 19120, 30120],
      ['management', 19121, undefined],
    ]);
    expect(ports('objectstore')).toEqual([['s3', 8333, 30333]]);
    const worker = find(objects, 'Deployment', 'trino-worker').spec.template!.spec.containers;
    expect(worker).toHaveLength(1);
    expect(worker[0].resources?.requests).toEqual({ cpu: '500m', memory: '2Gi' });
    expect(worker[0].image).toMatch(/^lakehouse\/trino:/); // kept from the base: merged, not replaced
    expect(find(objects, 'Deployment', 'temporal-worker').spec.replicas).toBe(1);
    expect(find(objects, 'KafkaNodePool', 'dual-role').spec.replicas).toBe(1);
    expect(find(objects, 'FlinkDeployment', 'flink-sensor-job').spec.job!.parallelism).toBe(1);
  });

  it('production: two Nessie replicas, 500Gi for the object store, every image from the registry', () => {
    const objects = overlay('production');
    expect(find(objects, 'Deployment', 'nessie').spec.replicas).toBe(2);
    const claims = find(objects, 'StatefulSet', 'seaweedfs').spec.volumeClaimTemplates!;
    expect(claims[0].spec.resources.requests.storage).toBe('500Gi');
    const ours = images(objects).filter((i) => i.includes('lakehouse/'));
    expect(ours.length).toBeGreaterThanOrEqual(5);
    for (const image of ours) expect(image).toMatch(/^registry\.example\.com\/lakehouse\//);
    // The FlinkDeployment's spec.image too (image-fields.yaml teaches kustomize where it is).
    expect(find(objects, 'FlinkDeployment', 'flink-sensor-job').spec.image).toBe(
      'registry.example.com/lakehouse/flink-job:0.1.0',
    );
  });

  it('minio: no SeaweedFS, the Flink job pointed at MinIO with the rest of its env kept', () => {
    const objects = overlay('minio');
    for (const [kind, name] of [
      ['StatefulSet', 'seaweedfs'],
      ['Service', 'objectstore'],
      ['ServiceAccount', 'objectstore'],
    ]) {
      expect(objects.some((o) => o.kind === kind && o.metadata.name === name)).toBe(false);
    }
    const flink = find(objects, 'FlinkDeployment', 'flink-sensor-job');
    expect(flink.spec.flinkConfiguration!['s3.endpoint']).toBe('http://minio.minio.svc.cluster.local:9000');
    const env = flink.spec.podTemplate!.spec.containers[0].env!;
    expect(env.find((e) => e.name === 'DP_STREAM_S3_ENDPOINT')?.value).toBe(
      'http://minio.minio.svc.cluster.local:9000',
    );
    expect(env.map((e) => e.name)).toEqual(
      expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'DP_STREAM_KAFKA_TOPIC']),
    );
    expect(env).toHaveLength(9);
  });

  describe('in a copy of the manifests', () => {
    let copy: string;
    beforeAll(() => {
      copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-kustomize-test-'));
      fs.cpSync(MANIFESTS, copy, { recursive: true });
    });
    afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

    it('renders an overlay of any name, and never reads the values of real env files', () => {
      fs.writeFileSync(
        path.join(copy, 'base', 'secrets', 's3-credentials.env'),
        'accessKey=sentinel-access\nsecretKey=sentinel-secret\n',
      );
      const local = path.join(copy, 'overlays', 'scratch');
      fs.mkdirSync(local);
      fs.writeFileSync(
        path.join(local, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources: [../dev]',
          'patches:',
          '  - patch: |-',
          '      apiVersion: apps/v1',
          '      kind: Deployment',
          '      metadata: { name: nessie }',
          '      spec: { replicas: 3 }',
          '',
        ].join('\n'),
      );
      const r = renderKustomization(local);
      expect(find(r.objects, 'Deployment', 'nessie').spec.replicas).toBe(3);
      expect(find(r.objects, 'Service', 'trino').spec.type).toBe('NodePort');
      expect(JSON.stringify(r)).not.toMatch(/sentinel/);
      expect(r.secrets.find((s) => s.name === 's3-credentials')?.keys).toEqual(['accessKey', 'secretKey']);
    });

    it("reports kustomize's own error, naming the overlay", () => {
      const bad = path.join(copy, 'overlays', 'bad');
      fs.mkdirSync(bad);
      fs.writeFileSync(
        path.join(bad, 'kustomization.yaml'),
        'resources: [../../base]\npatches:\n  - path: missing.yaml\n',
      );
      expect(() => renderKustomization(bad)).toThrow(
        new RegExp(`kustomize build ${bad} failed: .*${bad}/missing\\.yaml: no such file`, 's'),
      );
    });
  });
});
