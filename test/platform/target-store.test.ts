// The remembered target (platform/target-store.ts) and which target and addresses a command uses
// (platform/target.ts: resolveTarget, temporalAddressFor, serviceEndpointFor).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  parseSavedTarget,
  readSavedTarget,
  savedTargetOf,
  targetFile,
  updateSavedEndpoints,
  writeSavedTarget,
  type SavedTarget,
} from '../../platform/target-store';
import {
  KIND_HOST_ENDPOINTS,
  resolveTarget,
  serviceEndpointFor,
  temporalAddressFor,
} from '../../platform/target';

const NOW = new Date('2026-12-02T10:00:00Z');
const LOCAL = {
  temporal: '127.0.0.1:7233',
  trino: 'http://127.0.0.1:8080',
  s3: 'http://127.0.0.1:8333',
  nessieApi: 'http://127.0.0.1:19120/api/v2',
};
const K8S: SavedTarget = {
  kind: 'kubernetes',
  context: 'kind-lakehouse',
  overlay: 'dev',
  namespace: 'data-platform',
  endpoints: { temporal: '127.0.0.1:17233', trino: 'http://127.0.0.1:18080', s3: 'http://127.0.0.1:18333' },
  savedAt: NOW.toISOString(),
};

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-target-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('the saved target', () => {
  it('is absent until saved, and reads back what was written', () => {
    expect(readSavedTarget(home)).toBeUndefined();
    writeSavedTarget(home, K8S);
    expect(readSavedTarget(home)).toEqual(K8S);
    writeSavedTarget(home, { kind: 'local', savedAt: NOW.toISOString() });
    expect(readSavedTarget(home)).toEqual({ kind: 'local', savedAt: NOW.toISOString() });
    expect(fs.readdirSync(home)).toEqual(['target.json']);
  });

  it('is saved from a target with its endpoints and the Temporal address', () => {
    const saved = savedTargetOf(
      { kind: 'kubernetes', overlay: 'dev', namespace: 'data-platform', endpoints: KIND_HOST_ENDPOINTS },
      { temporal: '127.0.0.1:17233' },
      NOW,
    );
    expect(saved).toEqual({
      kind: 'kubernetes',
      overlay: 'dev',
      namespace: 'data-platform',
      endpoints: { ...KIND_HOST_ENDPOINTS, temporal: '127.0.0.1:17233' },
      savedAt: NOW.toISOString(),
    });
  });

  it('refuses damaged or hostile content, naming the file and the fix', () => {
    const bad = (data: unknown) => () => parseSavedTarget(data, 'target.json');
    expect(bad({ kind: 'cloud' })).toThrow(/unknown kind "cloud"/);
    expect(bad({ ...K8S, namespace: '../etc' })).toThrow(/invalid namespace/);
    expect(bad({ ...K8S, overlay: 'prod' })).toThrow(/Unknown overlay 'prod'/);
    expect(bad({ ...K8S, context: 'a b' })).toThrow(/invalid context/);
    expect(bad({ ...K8S, endpoints: { trino: 'file:///x' } })).toThrow(/trino must be an http\(s\) URL/);
    expect(bad({ ...K8S, endpoints: { temporal: 'http://127.0.0.1:7233' } })).toThrow(/host:port/);
    expect(bad({ ...K8S, endpoints: { temporal: '127.0.0.1:99999' } })).toThrow(/port out of range/);
    expect(bad({ ...K8S, endpoints: { grafana: 'http://x:3000' } })).toThrow(/unknown endpoint 'grafana'/);
    fs.writeFileSync(targetFile(home), '{ not json');
    expect(() => readSavedTarget(home)).toThrow(/target\.json.*dp target local \| dp target k8s/s);
  });

  it("takes the forwarders' addresses into a saved Kubernetes target", () => {
    expect(() => updateSavedEndpoints(home, { trino: 'http://127.0.0.1:1' })).toThrow(/not Kubernetes/);
    writeSavedTarget(home, K8S);
    const updated = updateSavedEndpoints(home, { nessieApi: 'http://127.0.0.1:19121/api/v2' }, NOW);
    expect(updated.kind === 'kubernetes' && updated.endpoints).toEqual({
      ...(K8S.kind === 'kubernetes' ? K8S.endpoints : {}),
      nessieApi: 'http://127.0.0.1:19121/api/v2',
    });
  });
});

describe('the target a command acts on', () => {
  it('is local by default, the saved one otherwise, and --target or DP_TARGET override it', () => {
    expect(resolveTarget({}, undefined, {})).toEqual({ target: { kind: 'local' }, from: 'default' });
    const saved = resolveTarget({}, K8S, {});
    expect(saved.from).toBe('saved');
    expect(saved.temporal).toBe('127.0.0.1:17233');
    expect(saved.target).toEqual({
      kind: 'kubernetes',
      context: 'kind-lakehouse',
      overlay: 'dev',
      namespace: 'data-platform',
      endpoints: { trino: 'http://127.0.0.1:18080', s3: 'http://127.0.0.1:18333' },
    });
    expect(resolveTarget({ target: 'local' }, K8S, {})).toEqual({
      target: { kind: 'local' },
      from: 'option',
    });
    expect(resolveTarget({}, K8S, { DP_TARGET: 'local' }).target).toEqual({ kind: 'local' });
    expect(resolveTarget({}, { kind: 'local' }, { DP_TARGET: 'k8s' }).target.kind).toBe('kubernetes');
  });

  it("lends a saved Kubernetes target's addresses to --target k8s of the same context only", () => {
    const same = resolveTarget({ target: 'k8s' }, K8S, {});
    expect(same.temporal).toBe('127.0.0.1:17233');
    expect(same.target.kind === 'kubernetes' && same.target.endpoints.trino).toBe('http://127.0.0.1:18080');
    const other = resolveTarget({ target: 'k8s', context: 'prod' }, K8S, {});
    expect(other.temporal).toBeUndefined();
    expect(other.target.kind === 'kubernetes' && other.target.context).toBe('prod');
    expect(other.target.kind === 'kubernetes' && other.target.endpoints.trino).toBe(
      KIND_HOST_ENDPOINTS.trino,
    );
  });

  it("takes the saved target's context and overlay for --target k8s without --context", () => {
    const local = { ...K8S, context: 'dp-local', overlay: 'local' as const };
    expect(resolveTarget({ target: 'k8s' }, local, {}).target).toEqual(
      expect.objectContaining({ context: 'dp-local', overlay: 'local' }),
    );
    // A context named on the command line is another cluster: nothing of the saved one carries over.
    expect(resolveTarget({ target: 'k8s', context: 'kind-lakehouse' }, local, {}).target).toEqual(
      expect.objectContaining({ context: 'kind-lakehouse', overlay: 'dev' }),
    );
  });

  it('refuses --context for a local target', () => {
    expect(() => resolveTarget({ context: 'x' }, undefined, {})).toThrow(/add --target k8s/);
    expect(() => resolveTarget({ target: 'local', context: 'x' }, K8S, {})).toThrow(/--target k8s only/);
    expect(resolveTarget({ context: 'other' }, K8S, {}).target).toMatchObject({ context: 'other' });
  });

  it("reaches Temporal and Trino at the saved target's addresses, or the local ones", () => {
    const k8s = resolveTarget({}, K8S, {});
    expect(temporalAddressFor(k8s, LOCAL, {})).toBe('127.0.0.1:17233');
    expect(serviceEndpointFor(k8s, LOCAL, 'trino')).toBe('http://127.0.0.1:18080');
    expect(() => serviceEndpointFor(k8s, LOCAL, 'nessieApi')).toThrow(
      /No nessieApi address .*DP_K8S_NESSIE_API/,
    );
    const local = resolveTarget({}, undefined, {});
    expect(temporalAddressFor(local, LOCAL, {})).toBe('127.0.0.1:7233');
    expect(temporalAddressFor(local, LOCAL, { DP_TEMPORAL_ADDRESS: '127.0.0.1:1' })).toBe('127.0.0.1:1');
    expect(serviceEndpointFor(local, LOCAL, 'trino')).toBe(LOCAL.trino);
    // A Kubernetes target without a saved Temporal: the one dp up --target k8s runs here.
    const noTemporal = resolveTarget({}, { ...K8S, endpoints: {} } as SavedTarget, {});
    expect(temporalAddressFor(noTemporal, LOCAL, {})).toBe(LOCAL.temporal);
  });
});
