// References between the rendered objects: selectors, ConfigMaps, Secrets, ServiceAccounts, the autoscaler's
// target, the Flink jar in its image, the catalog's environment and the Kafka topics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV } from '../../../lib/catalog';
import type { KubeObject } from '../../../infra/k8s/kustomize';
import { byKind, REPO, rendered, TARGETS } from './helpers';

jest.mock('../../../clients/kafka/client', () => ({}));
import { PLATFORM_TOPICS } from '../../../clients/kafka/topics';

interface Container {
  name: string;
  image?: string;
  env?: {
    name: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string } };
  }[];
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    configMap?: { name: string };
    secret?: { secretName: string };
    persistentVolumeClaim?: { claimName: string };
  }[];
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

function podTemplates(objects: KubeObject[]): { owner: KubeObject; template: PodTemplate }[] {
  const out: { owner: KubeObject; template: PodTemplate }[] = [];
  for (const o of objects) {
    const spec = o.spec as { template?: PodTemplate; podTemplate?: PodTemplate } | undefined;
    if ((o.kind === 'Deployment' || o.kind === 'StatefulSet') && spec?.template)
      out.push({ owner: o, template: spec.template });
    if (o.kind === 'FlinkDeployment' && spec?.podTemplate) out.push({ owner: o, template: spec.podTemplate });
  }
  return out;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Secrets the platform expects users to create themselves in an overlay (documented in its kustomization). */
const EXTERNAL_SECRETS: Record<string, string[]> = {};

describe.each(TARGETS.map((t) => [t.name, t.dir]))('cross-references in %s', (_name, dir) => {
  const { objects, secrets } = rendered(dir);
  const names = (kind: string) => new Set(byKind(objects, kind).map((o) => o.metadata.name));
  const secretKeys = new Map(secrets.map((s) => [s.name, s.keys]));
  for (const [name, keys] of Object.entries(EXTERNAL_SECRETS)) secretKeys.set(name, keys);
  const templates = podTemplates(objects);

  it('every Service selects the pods of some workload', () => {
    for (const svc of byKind(objects, 'Service')) {
      const selector = (svc.spec as { selector?: Record<string, string> }).selector;
      expect([svc.metadata.name, selector]).toEqual([svc.metadata.name, expect.any(Object)]);
      const hits = templates.filter((t) => matches(selector!, t.template.metadata?.labels));
      expect([svc.metadata.name, hits.length]).toEqual([svc.metadata.name, expect.any(Number)]);
      expect(hits.length).toBeGreaterThan(0);
    }
  });

  it("every workload's selector matches its own pod template", () => {
    for (const { owner, template } of templates) {
      if (owner.kind === 'FlinkDeployment') continue;
      const selector = (owner.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels;
      expect([owner.metadata.name, matches(selector, template.metadata?.labels)]).toEqual([
        owner.metadata.name,
        true,
      ]);
    }
  });

  it('every ConfigMap, Secret (with its key), ServiceAccount and PVC a pod refers to exists', () => {
    const configMaps = names('ConfigMap');
    const serviceAccounts = names('ServiceAccount');
    const claims = names('PersistentVolumeClaim');
    const problems: string[] = [];
    for (const { owner, template } of templates) {
      const where = `${owner.kind}/${owner.metadata.name}`;
      const sa =
        template.spec.serviceAccountName ?? (owner.spec as { serviceAccount?: string }).serviceAccount;
      if (sa && !serviceAccounts.has(sa)) problems.push(`${where}: ServiceAccount ${sa}`);
      if (owner.kind !== 'FlinkDeployment' && !sa) problems.push(`${where}: no ServiceAccount`);
      for (const v of template.spec.volumes ?? []) {
        if (v.configMap && !configMaps.has(v.configMap.name))
          problems.push(`${where}: ConfigMap ${v.configMap.name}`);
        if (v.secret && !secretKeys.has(v.secret.secretName))
          problems.push(`${where}: Secret ${v.secret.secretName}`);
        if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName))
          problems.push(`${where}: PVC ${v.persistentVolumeClaim.claimName}`);
      }
      for (const c of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref && !(secretKeys.get(ref.name) ?? []).includes(ref.key))
            problems.push(`${where}: Secret ${ref.name} key ${ref.key}`);
          const cm = e.valueFrom?.configMapKeyRef;
          if (cm && !configMaps.has(cm.name)) problems.push(`${where}: ConfigMap ${cm.name}`);
        }
      }
    }
    for (const pm of byKind(objects, 'PodMonitor')) {
      for (const ep of (
        pm.spec as { podMetricsEndpoints: { basicAuth?: Record<string, { name: string; key: string }> }[] }
      ).podMetricsEndpoints) {
        for (const ref of Object.values(ep.basicAuth ?? {}))
          if (!(secretKeys.get(ref.name) ?? []).includes(ref.key))
            problems.push(`PodMonitor: Secret ${ref.name} key ${ref.key}`);
      }
    }
    for (const rb of byKind(objects, 'RoleBinding')) {
      const role = (rb as unknown as { roleRef: { name: string } }).roleRef.name;
      if (!names('Role').has(role)) problems.push(`RoleBinding ${rb.metadata.name}: Role ${role}`);
      for (const s of (rb as unknown as { subjects: { name: string }[] }).subjects)
        if (!serviceAccounts.has(s.name))
          problems.push(`RoleBinding ${rb.metadata.name}: ServiceAccount ${s.name}`);
    }
    expect(problems).toEqual([]);
  });

  it('every Trino container gets the S3 keys the generated catalog reads from its environment', () => {
    for (const { owner, template } of templates.filter(
      (t) => t.template.metadata?.labels?.['app.kubernetes.io/name'] === 'trino',
    )) {
      const env = template.spec.containers[0].env?.map((e) => e.name) ?? [];
      expect([owner.metadata.name, env]).toEqual([
        owner.metadata.name,
        expect.arrayContaining([S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV]),
      ]);
    }
  });
});

/** The renders that include the stream and autoscaling components (infra/manifests/components). */
const WITH_OPERATORS = ['overlays/dev', 'overlays/production', 'overlays/minio'];
const OPERATOR_KINDS = [
  'Kafka',
  'KafkaNodePool',
  'KafkaTopic',
  'FlinkDeployment',
  'ScaledObject',
  'PodMonitor',
];

/** The local cluster runs KEDA (infra/manifests/operators-local), none of the other operators. */
const LOCAL_OPERATOR_KINDS = ['ScaledObject'];

it('only the overlays with the operator components carry objects for operators', () => {
  for (const { name, dir } of TARGETS) {
    const kinds = new Set(rendered(dir).objects.map((o) => o.kind));
    const present = OPERATOR_KINDS.filter((k) => kinds.has(k));
    const expected = WITH_OPERATORS.includes(name)
      ? OPERATOR_KINDS
      : name === 'overlays/local'
        ? LOCAL_OPERATOR_KINDS
        : [];
    expect([name, present]).toEqual([name, expected]);
  }
});

describe.each(TARGETS.filter((t) => WITH_OPERATORS.includes(t.name)).map((t) => [t.name, t.dir]))(
  'operator objects in %s',
  (_name, dir) => {
    const { objects } = rendered(dir);

    it('the ScaledObject scales the Trino worker Deployment, never to zero, and the PodMonitor scrapes it', () => {
      const [so] = byKind(objects, 'ScaledObject');
      const spec = so.spec as {
        scaleTargetRef: { kind: string; name: string; apiVersion: string };
        minReplicaCount: number;
      };
      expect(spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'trino-worker',
      });
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const worker = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'trino-worker')!;
      expect((worker.spec as { replicas?: number }).replicas).toBeUndefined();
      const [pm] = byKind(objects, 'PodMonitor');
      const selector = (pm.spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels;
      const workerLabels = (worker.spec as { template: PodTemplate }).template.metadata?.labels;
      expect(matches(selector, workerLabels)).toBe(true);
    });

    it("the FlinkDeployment's jar is the one the Flink image builds from flink/, and its image is the flink-job image", () => {
      const [flink] = byKind(objects, 'FlinkDeployment');
      const spec = flink.spec as { image: string; job: { jarURI: string; entryClass: string } };
      const dockerfile = fs.readFileSync(path.join(REPO, 'images', 'flink-job', 'Dockerfile'), 'utf8');
      const jarPath = spec.job.jarURI.replace(/^local:\/\//, '');
      // The runtime stage copies the build stage's jar to the jarURI's path.
      const copies = [...dockerfile.matchAll(/^COPY\s+--from=build\s+(?:--\S+\s+)*(\S+)\s+(\S+)\s*$/gm)];
      const copy = copies.find((m) => m[2] === jarPath);
      expect(copy?.[2]).toBe(jarPath);
      // ... and that jar is the one flink/pom.xml's `cluster` profile names, built with that profile.
      const pom = fs.readFileSync(path.join(REPO, 'flink', 'pom.xml'), 'utf8');
      const profile = /<profile>\s*<id>cluster<\/id>[\s\S]*?<\/profile>/.exec(pom)?.[0] ?? '';
      const shadedName = /<shaded\.name>([^<]+)<\/shaded\.name>/.exec(profile)?.[1];
      expect(shadedName).toBeDefined();
      expect(copy?.[1]).toBe(`/src/target/${shadedName}.jar`);
      expect(dockerfile).toMatch(/^RUN mvn .*-Pcluster .*package/m);
      expect(dockerfile).toMatch(/^COPY flink\/pom\.xml /m);
      expect(dockerfile).toMatch(/^COPY flink\/src /m);
      // The entry class is the job's main class.
      const source =
        path.join(REPO, 'flink', 'src', 'main', 'java', ...spec.job.entryClass.split('.')) + '.java';
      expect([spec.job.entryClass, fs.existsSync(source)]).toEqual([spec.job.entryClass, true]);
      expect(fs.readFileSync(source, 'utf8')).toContain('public static void main(String[] args)');
      expect(spec.image).toMatch(/(^|\/)lakehouse\/flink-job:/);
    });

    it("the Flink job's DP_STREAM_* variables name settings the job has (flink JobConfig)", () => {
      const jobConfig = fs.readFileSync(
        path.join(REPO, 'flink', 'src', 'main', 'java', 'dev', 'dp', 'flink', 'JobConfig.java'),
        'utf8',
      );
      const keys = [...jobConfig.matchAll(/DEFAULTS\.put\("([^"]+)"/g)].map((m) => m[1]);
      expect(keys).toContain('kafka.bootstrap');
      const known = new Set(keys.map((k) => 'DP_STREAM_' + k.toUpperCase().replace(/[.-]/g, '_')));
      const [flink] = byKind(objects, 'FlinkDeployment');
      const env = (flink.spec as { podTemplate: PodTemplate }).podTemplate.spec.containers.flatMap(
        (c) => c.env ?? [],
      );
      const streamVars = env.map((e) => e.name).filter((n) => n.startsWith('DP_STREAM_'));
      expect(streamVars.length).toBeGreaterThanOrEqual(4);
      expect(streamVars.filter((n) => !known.has(n))).toEqual([]);
      // The keys reach the job by environment only, as JobConfig requires of secrets.
      expect(env.map((e) => e.name)).toEqual(
        expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']),
      );
    });

    it('a KafkaTopic exists for each platform topic (clients/kafka/topics.ts), with its partitions and retention', () => {
      const topics = byKind(objects, 'KafkaTopic');
      for (const t of PLATFORM_TOPICS) {
        const topic = topics.find(
          (o) => ((o.spec as { topicName?: string }).topicName ?? o.metadata.name) === t.name,
        );
        expect([t.name, topic ? 'declared' : 'missing']).toEqual([t.name, 'declared']);
        const spec = topic!.spec as { partitions: number; config: Record<string, unknown> };
        expect([t.name, spec.partitions, String(spec.config['retention.ms'])]).toEqual([
          t.name,
          t.partitions,
          String(t.retentionMs),
        ]);
        expect(topic!.metadata.labels?.['strimzi.io/cluster']).toBe(
          byKind(objects, 'Kafka')[0].metadata.name,
        );
      }
    });
  },
);
