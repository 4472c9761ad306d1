import * as fs from 'node:fs';
import * as path from 'node:path';
import { readManifestFile, type KubeObject } from '../../../infra/k8s/kustomize';
import { parseYaml } from '../../../infra/k8s/yaml';
import { MANIFESTS, REPO, rendered, TARGETS, validateObject } from './helpers';

const BROKEN = path.join(REPO, 'test', 'fixtures', 'k8s', 'broken');

describe("manifests validate against the Kubernetes OpenAPI, kubernetes-models and the operators' CRD schemas", () => {
  it.each(TARGETS.map((t) => [t.name, t.dir]))('%s renders and every object validates', (_name, dir) => {
    const { objects } = rendered(dir);
    expect(objects.length).toBeGreaterThan(20);
    const problems = objects.flatMap(validateObject);
    expect(problems).toEqual([]);
  });

  it('no two objects of a rendering share kind and name', () => {
    for (const t of TARGETS) {
      const keys = rendered(t.dir).objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    }
  });

  it('every object of the rendered overlays is in namespace data-platform (but the Namespace)', () => {
    for (const t of TARGETS) {
      for (const o of rendered(t.dir).objects) {
        if (o.kind !== 'Namespace') expect([o.kind, o.metadata.namespace]).toEqual([o.kind, 'data-platform']);
      }
    }
  });

  it('each deliberately broken manifest fails validation with a message naming the field', () => {
    const files = fs.readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const objects: KubeObject[] = readManifestFile(path.join(BROKEN, file));
      const problems = objects.flatMap(validateObject);
      const expected = (
        parseYaml(fs.readFileSync(path.join(BROKEN, file), 'utf8')) as {
          metadata: { annotations: Record<string, string> };
        }
      ).metadata.annotations['test.dp/expect-error'];
      expect({ file, problems: problems.join('\n') }).toEqual({
        file,
        problems: expect.stringContaining(expected),
      });
    }
  });

  it('the kind cluster config parses and maps the NodePorts the dev overlay uses', () => {
    const kind = parseYaml(fs.readFileSync(path.join(REPO, 'infra', 'kind-config.yaml'), 'utf8')) as {
      nodes: { role: string; extraPortMappings?: { containerPort: number }[] }[];
    };
    const mapped = kind.nodes.flatMap((n) => n.extraPortMappings ?? []).map((m) => m.containerPort);
    const nodePorts = rendered(path.join(MANIFESTS, 'overlays', 'dev'))
      .objects.filter((o) => o.kind === 'Service')
      .flatMap((o) => ((o.spec as { ports: { nodePort?: number }[] }).ports ?? []).map((p) => p.nodePort))
      .filter((p): p is number => p !== undefined);
    expect(nodePorts.sort()).toEqual(mapped.sort());
  });
});
