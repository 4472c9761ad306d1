// `dp logs <component>` on Kubernetes: every component's selector names pods the manifests really label so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { componentPods, KUBERNETES_LOG_COMPONENTS } from '../../../platform/k8s/pod-logs';
import { REPO_ROOT } from '../../../lib/config';

describe('pods of a component', () => {
  it('are found by labels the base manifests put on pod templates', () => {
    // The base and the components the overlays add.
    const manifests = [
      'base',
      ...fs.readdirSync(path.join(REPO_ROOT, 'infra/manifests/components')).map((c) => `components/${c}`),
    ]
      .map((d) => path.join(REPO_ROOT, 'infra/manifests', d))
      .flatMap((dir) =>
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')),
      )
      .join('\n');
    for (const [component, pods] of Object.entries(KUBERNETES_LOG_COMPONENTS)) {
      if (pods.namespace) continue; // installed by a Helm chart, not by these manifests
      for (const label of pods.labelSelector.split(',')) {
        const [key, value] = label.split('=');
        if (key === 'strimzi.io/kind') continue; // set by the Strimzi operator on the pods it makes
        expect({ component, found: manifests.includes(`${key}: ${value}`) }).toEqual({
          component,
          found: true,
        });
      }
    }
  });

  it('live in the target namespace unless the component has its own', () => {
    expect(componentPods('trino', 'lake')).toEqual({
      namespace: 'lake',
      labelSelector: 'app.kubernetes.io/name=trino',
    });
    expect(componentPods('temporal', 'lake').namespace).toBe('temporal');
    // The local cluster runs its Temporal in the platform's namespace (overlays/local/temporal.yaml).
    expect(componentPods('temporal', 'lake', 'local')).toEqual({
      namespace: 'lake',
      labelSelector: 'app.kubernetes.io/name=temporal',
    });
    // ... and its Kafka as a StatefulSet of components/kafka-local, whose pods carry that name.
    expect(componentPods('kafka', 'lake', 'local')).toEqual({
      namespace: 'lake',
      labelSelector: 'app.kubernetes.io/name=kafka',
    });
    expect(
      fs.readFileSync(path.join(REPO_ROOT, 'infra/manifests/components/kafka-local/kafka.yaml'), 'utf8'),
    ).toContain('app.kubernetes.io/name: kafka,');
    expect(() => componentPods('toString', 'lake')).toThrow(/Unknown component 'toString'.*objectstore/);
  });
});
