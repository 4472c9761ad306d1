// The remembered target: `dp up [--target k8s]` and `dp target ...` write <DP_HOME>/target.json, and the
// commands that act on the platform (status, query, elt, schedule, logs) read it, so `--target` need not be
// repeated. The file holds no secrets (the S3 keys stay in the cluster's Secret or DP_HOME/secrets).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseOverlay,
  TargetError,
  type KubernetesEndpointOverrides,
  type KubernetesTarget,
  type PlatformTarget,
} from './target';

export const TARGET_FILE = 'target.json';

/** Where the CLI reaches a Kubernetes target's services from this machine (127.0.0.1 forwarders). */
export interface TargetEndpoints extends KubernetesEndpointOverrides {
  /** The Temporal frontend, host:port (no scheme). */
  temporal?: string;
}

export type SavedTarget =
  | { kind: 'local'; savedAt: string }
  | (Omit<KubernetesTarget, 'endpoints'> & { endpoints: TargetEndpoints; savedAt: string });

// A DNS-1123 label (Kubernetes namespace names).
const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// kubeconfig context names are free-form; keep them printable and short (they are shown and passed on).
const CONTEXT = /^[\x21-\x7e]{1,253}$/;
const HTTP_ENDPOINT = /^https?:\/\/[A-Za-z0-9._-]+(:\d{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;
const HOST_PORT = /^[A-Za-z0-9._-]+:\d{1,5}$/;

export function targetFile(home: string): string {
  return path.join(home, TARGET_FILE);
}

function checkPort(value: string, what: string) {
  const port = Number(/:(\d+)(?:\/|$)/.exec(value.replace(/^https?:\/\//, ''))?.[1]);
  if (!(port >= 1 && port <= 65535)) throw new TargetError(`${what}: port out of range in '${value}'.`);
}

/** Checks the endpoints' shapes: http(s) URLs for the HTTP services, host:port for Temporal and Kafka. */
export function validEndpoints(value: unknown, source: string): TargetEndpoints {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TargetError(`${source}: endpoints must be an object.`);
  }
  const result: TargetEndpoints = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (raw === undefined) continue;
    const what = `${source}: endpoint ${key}`;
    if (typeof raw !== 'string') throw new TargetError(`${what} must be a string.`);
    if (key === 'temporal' || key === 'kafka') {
      if (!HOST_PORT.test(raw)) throw new TargetError(`${what} must be host:port, got '${raw}'.`);
    } else if (key === 's3' || key === 'trino' || key === 'nessieApi') {
      if (!HTTP_ENDPOINT.test(raw)) throw new TargetError(`${what} must be an http(s) URL, got '${raw}'.`);
    } else {
      throw new TargetError(
        `${source}: unknown endpoint '${key}' (use temporal, trino, s3, nessieApi, kafka).`,
      );
    }
    checkPort(raw, what);
    result[key as keyof TargetEndpoints] = raw;
  }
  return result;
}

/** The saved target in `data` (parsed JSON), every field checked; `source` names it in errors. */
export function parseSavedTarget(data: unknown, source: string): SavedTarget {
  if (typeof data !== 'object' || data === null) throw new TargetError(`${source}: not a JSON object.`);
  const o = data as Record<string, unknown>;
  const savedAt = typeof o.savedAt === 'string' ? o.savedAt : '';
  if (o.kind === 'local') return { kind: 'local', savedAt };
  if (o.kind !== 'kubernetes') {
    throw new TargetError(`${source}: unknown kind ${JSON.stringify(o.kind)} (local or kubernetes).`);
  }
  if (o.context !== undefined && (typeof o.context !== 'string' || !CONTEXT.test(o.context))) {
    throw new TargetError(`${source}: invalid context ${JSON.stringify(o.context)}.`);
  }
  if (typeof o.namespace !== 'string' || !NAMESPACE.test(o.namespace)) {
    throw new TargetError(`${source}: invalid namespace ${JSON.stringify(o.namespace)}.`);
  }
  let overlay;
  try {
    overlay = parseOverlay(typeof o.overlay === 'string' ? o.overlay : String(o.overlay));
  } catch (err) {
    throw new TargetError(`${source}: ${(err as Error).message}`);
  }
  return {
    kind: 'kubernetes',
    context: o.context,
    overlay,
    namespace: o.namespace,
    endpoints: validEndpoints(o.endpoints, source),
    savedAt,
  };
}

/** The saved target, or undefined when none was saved. A damaged file is an error that says how to fix it. */
export function readSavedTarget(home: string): SavedTarget | undefined {
  const file = targetFile(home);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parseSavedTarget(JSON.parse(text), file);
  } catch (err) {
    throw new TargetError(
      `${err instanceof TargetError ? err.message : `${file}: ${(err as Error).message}`} ` +
        'Set the target again with dp target local | dp target k8s [--context C], or delete the file.',
    );
  }
}

/** What a target is saved as: the target, and for Kubernetes the endpoints the CLI reaches it at. */
export function savedTargetOf(
  target: PlatformTarget,
  extra: { temporal?: string } = {},
  now: Date = new Date(),
): SavedTarget {
  const savedAt = now.toISOString();
  if (target.kind === 'local') return { kind: 'local', savedAt };
  const endpoints = validEndpoints({ ...target.endpoints, ...extra }, 'the target');
  return { ...target, endpoints, savedAt };
}

/** Writes the target atomically (a reader never sees half a file). */
export function writeSavedTarget(home: string, saved: SavedTarget): void {
  const checked = parseSavedTarget(JSON.parse(JSON.stringify(saved)), 'the target to save');
  fs.mkdirSync(home, { recursive: true });
  const file = targetFile(home);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ ...checked, savedAt: saved.savedAt }, null, 2) + '\n');
  fs.renameSync(temporary, file);
}

/**
 * Records where a saved Kubernetes target's services are reached (e.g. once the 127.0.0.1 forwarders run);
 * the other endpoints stay. Throws when the saved target is not Kubernetes.
 */
export function updateSavedEndpoints(
  home: string,
  endpoints: TargetEndpoints,
  now: Date = new Date(),
): SavedTarget {
  const saved = readSavedTarget(home);
  if (saved?.kind !== 'kubernetes') {
    throw new TargetError(
      'The saved target is not Kubernetes: run dp up --target k8s or dp target k8s first.',
    );
  }
  const updated: SavedTarget = {
    ...saved,
    endpoints: { ...saved.endpoints, ...validEndpoints(endpoints, 'the new endpoints') },
    savedAt: now.toISOString(),
  };
  writeSavedTarget(home, updated);
  return updated;
}
