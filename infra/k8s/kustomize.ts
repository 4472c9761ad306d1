// A small renderer for this project's kustomizations, so the driver and the tests need no kustomize binary.
// It supports exactly what infra/manifests uses and rejects anything else:
//   resources (files, or folders holding a kustomization.yaml), namespace, images (newName/newTag),
//   patches (`- path: file.yaml`: strategic-merge patches, see mergePatch), secretGenerator (envs files,
//   with generatorOptions.disableNameSuffixHash: true).
// `kubectl kustomize infra/manifests/overlays/<name>` renders the same objects (plus the generated Secrets).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYaml, parseYamlDocuments } from './yaml';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A Secret the manifests expect, generated from an env file (keys listed in <file>.example). */
export interface SecretDeclaration {
  name: string;
  namespace?: string;
  keys: string[];
  envFile: string;
}

export interface Rendered {
  objects: KubeObject[];
  secrets: SecretDeclaration[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'patches',
  'images',
  'secretGenerator',
  'generatorOptions',
]);

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; envs: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isKubeObject(value: unknown): value is KubeObject {
  return (
    isObject(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    isObject(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

export function objectKey(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Reads every Kubernetes object of a YAML file; fails on anything that is not one. */
export function readManifestFile(file: string): KubeObject[] {
  return parseYamlDocuments(fs.readFileSync(file, 'utf8')).map((doc, i) => {
    if (!isKubeObject(doc)) throw new Error(`${file}: document ${i + 1} is not a Kubernetes object`);
    return doc;
  });
}

function readKustomization(dir: string): Kustomization {
  const file = path.join(dir, 'kustomization.yaml');
  const raw = parseYaml(fs.readFileSync(file, 'utf8'));
  if (!isObject(raw)) throw new Error(`${file} is not a mapping`);
  for (const key of Object.keys(raw)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${file}: field '${key}' is not supported by infra/k8s/kustomize.ts`);
  }
  return raw as unknown as Kustomization;
}

/** Keys named in an env file's example (KEY= lines), in order. */
export function envKeys(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('=')[0].trim());
}

/**
 * Strategic-merge, as far as these manifests need it: mappings merge key by key (null deletes a key);
 * lists of mappings that all carry `name` merge item by item on `name` (containers, env, ports, volumes),
 * an item `{ name, $patch: delete }` removing its match; any other list is replaced.
 */
export function mergePatch(base: Json, patch: Json): Json {
  if (isObject(base) && isObject(patch)) {
    const out: JsonObject = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch') continue;
      if (value === null) delete out[key];
      else out[key] = key in base ? mergePatch(base[key], value) : stripDirectives(value);
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && isNamedList(base) && isNamedList(patch)) {
    const out: JsonObject[] = base.map((item) => ({ ...(item as JsonObject) }));
    for (const item of patch as JsonObject[]) {
      const at = out.findIndex((existing) => existing.name === item.name);
      if (item.$patch === 'delete') {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) out[at] = mergePatch(out[at], item) as JsonObject;
      else out.push(stripDirectives(item) as JsonObject);
    }
    return out;
  }
  return stripDirectives(patch);
}

function isNamedList(list: Json[]): boolean {
  return list.every((item) => isObject(item) && typeof item.name === 'string');
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== '$patch')
      .map(([k, v]) => [k, stripDirectives(v)]),
  );
}

function setImages(value: Json, images: NonNullable<Kustomization['images']>): Json {
  if (Array.isArray(value)) return value.map((v) => setImages(v, images));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'image' && typeof v === 'string') {
      const [name, tag] = splitImage(v);
      const rule = images.find((i) => i.name === name);
      out[key] = rule ? `${rule.newName ?? name}:${rule.newTag ?? tag}` : v;
    } else out[key] = setImages(v, images);
  }
  return out;
}

function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
}

/** Renders the kustomization in `dir` (a base or an overlay). */
export function renderKustomization(dir: string): Rendered {
  const k = readKustomization(dir);
  let objects: KubeObject[] = [];
  const secrets: SecretDeclaration[] = [];
  for (const entry of k.resources ?? []) {
    const full = path.resolve(dir, entry);
    if (fs.statSync(full).isDirectory()) {
      const sub = renderKustomization(full);
      objects.push(...sub.objects);
      secrets.push(...sub.secrets);
    } else objects.push(...readManifestFile(full));
  }
  if (k.secretGenerator?.length && !k.generatorOptions?.disableNameSuffixHash) {
    throw new Error(`${dir}: secretGenerator needs generatorOptions.disableNameSuffixHash: true`);
  }
  for (const gen of k.secretGenerator ?? []) {
    const keys = gen.envs.flatMap((env) => envKeys(path.resolve(dir, env + '.example')));
    secrets.push({ name: gen.name, keys, envFile: path.resolve(dir, gen.envs[0]) });
  }
  for (const patch of k.patches ?? []) {
    for (const p of readManifestFile(path.resolve(dir, patch.path))) {
      const at = objects.findIndex((o) => o.kind === p.kind && o.metadata.name === p.metadata.name);
      if (at < 0)
        throw new Error(`${dir}: patch ${patch.path} targets ${p.kind}/${p.metadata.name}, not found`);
      if ((p as unknown as JsonObject).$patch === 'delete') objects.splice(at, 1);
      else
        objects[at] = mergePatch(
          objects[at] as unknown as Json,
          p as unknown as Json,
        ) as unknown as KubeObject;
    }
  }
  if (k.images?.length)
    objects = objects.map((o) => setImages(o as unknown as Json, k.images!) as unknown as KubeObject);
  if (k.namespace) {
    const ns = k.namespace;
    objects = objects.map((o) =>
      o.kind === 'Namespace' ? o : { ...o, metadata: { ...o.metadata, namespace: ns } },
    );
    for (const s of secrets) s.namespace = ns;
  }
  return { objects, secrets };
}
