// Where the platform runs (platform/target.ts): the environment `dp up --target k8s` hands its worker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { targetFromOptions } from '../../cli/kubernetes';
import { parseYaml } from '../../infra/k8s/yaml';
import {
  KIND_HOST_ENDPOINTS,
  targetEnv,
  targetFingerprint,
  targetFromEnv,
  type PlatformTarget,
} from '../../platform/target';
import { loadConfig } from '../../lib/config';
import { temporalAddress } from '../../worker/connection';
import { byKind, MANIFESTS, REPO, rendered } from '../infra/k8s/helpers';

describe('platform target', () => {
  it('is local unless DP_TARGET names Kubernetes', () => {
    expect(targetFromEnv({})).toEqual({ kind: 'local' });
    expect(targetFromEnv({ DP_TARGET: 'local', DP_K8S_CONTEXT: 'x' })).toEqual({ kind: 'local' });
    expect(() => targetFromEnv({ DP_TARGET: 'cloud' })).toThrow(/Unknown target 'cloud': use local or k8s/);
  });

  it('round-trips through the environment the worker inherits', () => {
    const target: PlatformTarget = {
      kind: 'kubernetes',
      context: 'kind-lakehouse',
      overlay: 'production',
      namespace: 'lake',
      endpoints: { trino: 'http://127.0.0.1:18080' },
    };
    expect(targetFromEnv(targetEnv(target))).toEqual(target);
    expect(targetFromEnv(targetEnv({ kind: 'local' }))).toEqual({ kind: 'local' });
  });

  it('reaches the dev overlay through the kind host ports from outside a cluster, by DNS from inside', () => {
    const outside = targetFromEnv({ DP_TARGET: 'k8s' });
    expect(outside).toEqual(expect.objectContaining({ overlay: 'dev', namespace: 'data-platform' }));
    expect(outside.kind === 'kubernetes' && outside.endpoints).toEqual(KIND_HOST_ENDPOINTS);
    const inside = targetFromEnv({ DP_TARGET: 'k8s', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(inside.kind === 'kubernetes' && inside.endpoints).toEqual({});
    const production = targetFromEnv({ DP_TARGET: 'kubernetes', DP_K8S_OVERLAY: 'production' });
    expect(production.kind === 'kubernetes' && production.endpoints).toEqual({});
    expect(() => targetFromEnv({ DP_TARGET: 'k8s', DP_K8S_OVERLAY: 'staging' })).toThrow(
      /Unknown overlay 'staging': use one of dev, production, minio/,
    );
  });

  it("the kind host ports are the dev overlay's NodePorts as infra/kind-config.yaml maps them", () => {
    const kind = parseYaml(fs.readFileSync(path.join(REPO, 'infra', 'kind-config.yaml'), 'utf8')) as {
      nodes: { extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
    };
    const hostPort = new Map(
      kind.nodes.flatMap((n) => n.extraPortMappings ?? []).map((m) => [m.containerPort, m.hostPort]),
    );
    const services = byKind(rendered(path.join(MANIFESTS, 'overlays', 'dev')).objects, 'Service');
    const nodePortOf = (service: string) =>
      (
        services.find((s) => s.metadata.name === service)?.spec as { ports: { nodePort?: number }[] }
      ).ports.find((p) => p.nodePort)?.nodePort;
    const port = (url: string | undefined) => Number(new URL(url ?? '').port);
    expect(port(KIND_HOST_ENDPOINTS.s3)).toBe(hostPort.get(nodePortOf('objectstore')!));
    expect(port(KIND_HOST_ENDPOINTS.nessieApi)).toBe(hostPort.get(nodePortOf('nessie')!));
    expect(port(KIND_HOST_ENDPOINTS.trino)).toBe(hostPort.get(nodePortOf('trino')!));
  });

  it('makes a worker started for another target differ in its fingerprint', () => {
    expect(targetFingerprint({})).toBe('');
    expect(targetFingerprint({ DP_TARGET: 'k8s' })).not.toBe('');
    expect(targetFingerprint({ DP_TARGET: 'k8s', DP_K8S_CONTEXT: 'a' })).not.toBe(
      targetFingerprint({ DP_TARGET: 'k8s', DP_K8S_CONTEXT: 'b' }),
    );
  });

  it('takes --target/--context/--overlay from the command line', () => {
    expect(targetFromOptions({ target: 'local' }, {})).toEqual({ kind: 'local' });
    expect(() => targetFromOptions({ target: 'local', context: 'x' }, {})).toThrow(
      /--context applies to --target k8s/,
    );
    expect(targetFromOptions({ target: 'k8s', context: 'kind-lakehouse', overlay: 'minio' }, {})).toEqual(
      expect.objectContaining({ kind: 'kubernetes', context: 'kind-lakehouse', overlay: 'minio' }),
    );
  });

  it("takes the kubeconfig's current context when none is named, so the local cluster gets the local overlay", () => {
    expect(targetFromOptions({ target: 'k8s' }, {}, 'dp-local')).toEqual(
      expect.objectContaining({ context: 'dp-local', overlay: 'local' }),
    );
    expect(targetFromOptions({ target: 'k8s' }, {}, 'kind-lakehouse')).toEqual(
      expect.objectContaining({ context: 'kind-lakehouse', overlay: 'dev' }),
    );
    // A context named on the command line or in DP_K8S_CONTEXT wins over the current one.
    expect(targetFromOptions({ target: 'k8s', context: 'kind-lakehouse' }, {}, 'dp-local')).toEqual(
      expect.objectContaining({ context: 'kind-lakehouse', overlay: 'dev' }),
    );
    expect(targetFromOptions({ target: 'k8s' }, { DP_K8S_CONTEXT: 'kind-lakehouse' }, 'dp-local')).toEqual(
      expect.objectContaining({ context: 'kind-lakehouse' }),
    );
  });

  it('refuses another overlay on the local cluster, whose images are built here', () => {
    expect(() => targetFromOptions({ target: 'k8s', context: 'dp-local', overlay: 'dev' }, {})).toThrow(
      /The local cluster \(context dp-local\) runs the local overlay, not dev/,
    );
  });

  it("the worker Deployment in the cluster runs the Kubernetes target against the cluster's Temporal", () => {
    const [worker] = byKind(rendered(path.join(MANIFESTS, 'base')).objects, 'Deployment').filter(
      (d) => d.metadata.name === 'temporal-worker',
    );
    const container = (
      worker.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0];
    const env = Object.fromEntries(
      (container.env ?? []).filter((e) => e.value).map((e) => [e.name, e.value]),
    );
    // In a pod, KUBERNETES_SERVICE_HOST is set: the services are reached by their DNS names.
    const target = targetFromEnv({ ...env, KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(target).toEqual({
      kind: 'kubernetes',
      context: undefined,
      overlay: 'dev',
      namespace: 'data-platform',
      endpoints: {},
    });
    const config = loadConfig({ DP_HOME: '/tmp/dp-worker-test' });
    expect(temporalAddress(config, env)).toBe(env.DP_TEMPORAL_ADDRESS);
    expect(temporalAddress(config, {})).toBe(`127.0.0.1:${config.ports.temporal}`);
  });
});
