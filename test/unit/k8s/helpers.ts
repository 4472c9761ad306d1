// Shared by the Kubernetes tests: the base and every overlay, rendered, and a validator over the schemas.
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { OVERLAYS } from '../../../infra/k8s/cluster';
import { renderKustomization, type KubeObject, type Rendered } from '../../../infra/k8s/kustomize';
import { ALL_SCHEMAS } from './schemas';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const MANIFESTS = path.join(REPO, 'infra', 'manifests');

export const TARGETS: { name: string; dir: string }[] = [
  { name: 'base', dir: path.join(MANIFESTS, 'base') },
  ...OVERLAYS.map((o) => ({ name: `overlays/${o}`, dir: path.join(MANIFESTS, 'overlays', o) })),
];

const cache = new Map<string, Rendered>();
export function rendered(dir: string): Rendered {
  let r = cache.get(dir);
  if (!r) {
    r = renderKustomization(dir);
    cache.set(dir, r);
  }
  return r;
}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validators = new Map<string, ValidateFunction>();

/** Problems of one object against its kind's schema; an unknown kind is a problem too. */
export function validateObject(o: KubeObject): string[] {
  const schema = ALL_SCHEMAS[o.kind];
  if (!schema) return [`${o.kind}/${o.metadata.name}: no schema for kind ${o.kind}`];
  let validate = validators.get(o.kind);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(o.kind, validate);
  }
  if (validate(o as object)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${o.kind}/${o.metadata.name}${e.instancePath}: ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`,
  );
}

export function byKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}
