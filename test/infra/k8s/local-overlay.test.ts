// The local cluster's overlay: its Temporal server knows the platform's search attributes, and no object
// needs an operator the local cluster does not run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { devServerSearchAttributeFlags } from '../../../domain/search-attributes';
import { IMAGES, LOCAL_OVERLAY_IMAGES, localImageOverrides } from '../../../infra/images/plan';
import { MANIFESTS, rendered } from './helpers';
import type { KubeObject } from '../../../infra/k8s/kustomize';
import { DEFAULT_PORTS } from '../../../lib/config';
import { OPERATORS_KUSTOMIZATION } from '../../../infra/k8s/cluster';
import { KAFKA_EXTERNAL_ADDRESS_ENV, withKafkaExternalAddress } from '../../../platform/k8s/driver';

const LOCAL = path.join(MANIFESTS, 'overlays', 'local');
const OPERATORS = path.join(MANIFESTS, OPERATORS_KUSTOMIZATION.local!);

function documents(file: string): Record<string, unknown>[] {
  return parseAllDocuments(fs.readFileSync(path.join(LOCAL, file), 'utf8')).map(
    (d) => d.toJS() as Record<string, unknown>,
  );
}

describe('overlays/local', () => {
  it("starts the cluster's Temporal dev server with the platform's search attributes", () => {
    const deployment = documents('temporal.yaml').find((d) => d.kind === 'Deployment') as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = deployment.spec.template.spec.containers[0].args;
    const inManifest = args.filter((a) => a.startsWith('--search-attribute='));
    const flags = devServerSearchAttributeFlags();
    const expected: string[] = [];
    for (let i = 0; i < flags.length; i += 2) expected.push(`${flags[i]}=${flags[i + 1]}`);
    expect(inManifest.sort()).toEqual(expected.sort());
  });

  it('leaves out the components whose operators the local cluster lacks', () => {
    const kustomization = documents('kustomization.yaml')[0] as { components?: string[] };
    expect(kustomization.components).toEqual([
      '../../components/kafka-local',
      '../../components/sensor-producer',
      '../../components/flink-standalone',
      '../../components/autoscaling',
    ]);
    // No object of an operator's kind: test/infra/k8s/cross-references.test.ts checks every overlay for that.
  });

  it("runs Kafka under Strimzi's bootstrap Service name, which the sensor producer and the worker use", () => {
    const objects = rendered(LOCAL).objects;
    const find = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name) as KubeObject;
    const env = (o: KubeObject, name: string) =>
      (
        o.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }
      ).template.spec.containers[0].env?.find((e) => e.name === name)?.value;
    const service = find('Service', 'lakehouse-kafka-bootstrap');
    expect(service).toBeDefined();
    expect(env(find('Deployment', 'sensor-producer'), 'DP_HOST')?.split('.')[0]).toBe(
      'lakehouse-kafka-bootstrap',
    );
    // The broker's EXTERNAL listener advertises the host port of dp's forwarder (DEFAULT_PORTS.clusterKafka);
    // the driver moves it to the port the target's forwarder really has.
    const kafka = find('StatefulSet', 'kafka');
    expect(env(kafka, KAFKA_EXTERNAL_ADDRESS_ENV)).toBe(`127.0.0.1:${DEFAULT_PORTS.clusterKafka}`);
    expect(env(withKafkaExternalAddress(kafka, '127.0.0.1:26392'), KAFKA_EXTERNAL_ADDRESS_ENV)).toBe(
      '127.0.0.1:26392',
    );
    expect(env(kafka, KAFKA_EXTERNAL_ADDRESS_ENV)).toBe(`127.0.0.1:${DEFAULT_PORTS.clusterKafka}`);
    expect(withKafkaExternalAddress(service, '127.0.0.1:1')).toBe(service);
  });
});

describe('overlays/local images', () => {
  it('renames each upstream image to the local equivalent dp images build makes', () => {
    const kustomization = parseAllDocuments(
      fs.readFileSync(path.join(LOCAL, 'kustomization.yaml'), 'utf8'),
    )[0].toJS() as { images: { name: string; newName: string; newTag: string }[] };
    expect([...kustomization.images].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      localImageOverrides().sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('runs only images that dp images build makes (no registry is reachable)', () => {
    const built = new Set(IMAGES.map((i) => i.ref));
    // The overlay and the operators the driver applies beside it (Prometheus, KEDA).
    const objects = [...rendered(LOCAL).objects, ...rendered(OPERATORS).objects];
    const images = objects.flatMap((o) => {
      const pod = (
        o.spec as
          | { template?: { spec: { containers: { image: string }[]; initContainers?: { image: string }[] } } }
          | undefined
      )?.template?.spec;
      return pod ? [...pod.containers, ...(pod.initContainers ?? [])].map((c) => c.image) : [];
    });
    expect(images.length).toBeGreaterThan(5);
    const distinct = [...new Set(images)];
    expect(distinct.filter((i) => !built.has(i))).toEqual([]);
    // LOCAL_OVERLAY_IMAGES (what CI and the cluster tests build and import) is exactly this set.
    const byRef = new Map(IMAGES.map((i) => [i.ref, i.name]));
    expect(distinct.map((i) => byRef.get(i)).sort()).toEqual([...LOCAL_OVERLAY_IMAGES].sort());
  });
});
