// Shared by the Kubernetes tests: the base and every overlay, rendered, and a validator over the schemas.
import * as path from 'node:path';
import { OVERLAYS } from '../../../infra/k8s/cluster';
import { renderKustomization, type KubeObject, type Rendered } from '../../../infra/k8s/kustomize';
export { validateObject } from './validators';

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

export function byKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}
