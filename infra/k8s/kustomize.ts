// Renders this project's kustomizations with the real kustomize (`kustomize build`, the release that
// `dp install --kubernetes` builds, see infra/local/install-kube.ts), so the driver and the tests see exactly
// the objects `kubectl apply -k` / `kustomize build` give, strategic-merge rules included.
//
// One deviation, on purpose: the secretGenerator's env files hold credentials and are git-ignored (written by
// infra/k8s/generate-secrets.sh). kustomize needs them to exist, so the build runs on a temporary copy of the
// manifests where each env file holds its keys (from <file>.example) with empty values; the generated
// Secrets are then taken out of the objects and returned as declarations, which the driver fills with random
// values when they are missing (never overwriting one). No secret value is ever read here.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config';
import { NeedsOperatorError } from '../../lib/errors';
import { kubeToolPaths, KUSTOMIZE } from '../local/install-kube';
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

function isObject(value: unknown): value is Record<string, unknown> {
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

function parseObjects(text: string, source: string): KubeObject[] {
  return parseYamlDocuments(text).map((doc, i) => {
    if (!isKubeObject(doc)) throw new Error(`${source}: document ${i + 1} is not a Kubernetes object`);
    return doc;
  });
}

/** Reads every Kubernetes object of a YAML file; fails on anything that is not one. */
export function readManifestFile(file: string): KubeObject[] {
  return parseObjects(fs.readFileSync(file, 'utf8'), file);
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

/** The pinned kustomize binary; an operator error naming the install command when it is missing. */
export function kustomizeBinary(cacheDir: string = loadConfig().cacheDir): string {
  const bin = kubeToolPaths(cacheDir).kustomize;
  if (!fs.existsSync(bin)) {
    throw new NeedsOperatorError(
      `kustomize ${KUSTOMIZE.version} is not installed (${bin} missing): run \`node bin/dp.js install --kubernetes\`.`,
    );
  }
  return bin;
}

interface KustomizationFile {
  resources?: unknown;
  secretGenerator?: unknown;
}

interface Generated {
  name: string;
  /** The env files, absolute. */
  envs: string[];
}

/** Every kustomization folder `dir` builds on (itself first, then its folder resources, recursively). */
function kustomizationTree(
  dir: string,
  seen = new Set<string>(),
): { dirs: string[]; generated: Generated[] } {
  const file = path.join(dir, 'kustomization.yaml');
  if (!fs.existsSync(file)) throw new Error(`${dir} has no kustomization.yaml`);
  if (seen.has(dir)) return { dirs: [], generated: [] };
  seen.add(dir);
  const k = parseYaml(fs.readFileSync(file, 'utf8'));
  if (!isObject(k)) throw new Error(`${file} is not a mapping`);
  const { resources = [], secretGenerator = [] } = k as KustomizationFile;
  if (!Array.isArray(resources) || !Array.isArray(secretGenerator)) {
    throw new Error(`${file}: resources and secretGenerator must be lists`);
  }
  const dirs = [dir];
  const generated: Generated[] = [];
  for (const gen of secretGenerator as unknown[]) {
    const g = gen as { name?: unknown; envs?: unknown; literals?: unknown; files?: unknown };
    // Only env files can be replaced by their examples; literals or files would put values in the repo.
    if (typeof g.name !== 'string' || !Array.isArray(g.envs) || g.literals || g.files) {
      throw new Error(`${file}: each secretGenerator entry needs a name and envs files only`);
    }
    generated.push({ name: g.name, envs: (g.envs as string[]).map((e) => path.resolve(dir, e)) });
  }
  for (const entry of resources as unknown[]) {
    if (typeof entry !== 'string')
      throw new Error(`${file}: resource ${JSON.stringify(entry)} is not a path`);
    const full = path.resolve(dir, entry);
    if (fs.existsSync(full) && fs.statSync(full).isDirectory()) {
      const sub = kustomizationTree(full, seen);
      dirs.push(...sub.dirs);
      generated.push(...sub.generated);
    }
  }
  return { dirs, generated };
}

function commonAncestor(dirs: string[]): string {
  let root = dirs[0];
  while (!dirs.every((d) => d === root || d.startsWith(root + path.sep))) root = path.dirname(root);
  return root;
}

/**
 * Renders the kustomization in `dir` (the base, an overlay of any name, or any folder holding a
 * kustomization.yaml) with `kustomize build`.
 */
export function renderKustomization(dir: string, kustomize: string = kustomizeBinary()): Rendered {
  const target = path.resolve(dir);
  const { dirs, generated } = kustomizationTree(target);
  const root = commonAncestor(dirs);
  const envFiles = new Set(generated.flatMap((g) => g.envs));
  for (const env of envFiles) {
    if (!env.startsWith(root + path.sep))
      throw new Error(`${env}: a secretGenerator env file outside ${root}`);
    if (!fs.existsSync(env + '.example')) throw new Error(`${env}.example is missing: it lists the keys`);
  }
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-kustomize-'));
  try {
    // The real env files (if generate-secrets.sh wrote them) stay behind: only their keys are needed.
    fs.cpSync(root, copy, { recursive: true, filter: (src) => !envFiles.has(src) });
    for (const env of envFiles) {
      const keys = envKeys(env + '.example');
      fs.writeFileSync(path.join(copy, path.relative(root, env)), keys.map((k) => `${k}=\n`).join(''));
    }
    let out: string;
    try {
      out = execFileSync(kustomize, ['build', path.join(copy, path.relative(root, target))], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim();
      throw new Error(`kustomize build ${target} failed: ${stderr.split(copy).join(root)}`, {
        cause: err,
      });
    }
    const all = parseObjects(out, `kustomize build ${target}`);
    const names = new Set(generated.map((g) => g.name));
    const secrets: SecretDeclaration[] = [];
    const objects = all.filter((o) => {
      if (o.kind !== 'Secret' || !names.has(o.metadata.name)) return true;
      const g = generated.find((x) => x.name === o.metadata.name)!;
      secrets.push({
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        keys: g.envs.flatMap((e) => envKeys(e + '.example')),
        envFile: g.envs[0],
      });
      return false;
    });
    return { objects, secrets };
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}
