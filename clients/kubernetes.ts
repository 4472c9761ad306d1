// The Kubernetes API, as the platform's Kubernetes driver (platform/k8s/driver.ts) uses it: a KubeClient.
// In production the one built here on @kubernetes/client-node (kubeconfig, context, in-cluster
// ServiceAccount, exec/OIDC auth; its KubernetesObjectApi finds each kind's resource through discovery, its
// Watch waits for changes); the driver's unit tests give it an in-memory one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ClientNode from '@kubernetes/client-node';
import { NeedsOperatorError } from '../lib/errors';

/** What names an object: its kind and name (namespace for namespaced kinds). */
export interface KubeRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** An object as sent to or answered by the API server (plain JSON). */
export type KubeJson = KubeRef & {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
};

export interface ApplyOptions {
  fieldManager: string;
  /** Validate and default on the server without persisting (dryRun=All). */
  dryRun?: boolean;
}

export interface KubeClient {
  /**
   * Server-side apply of the object exactly as given (forced, strict field validation: an unknown or
   * duplicated field is refused, not dropped); the live object.
   */
  apply(o: KubeJson, options: ApplyOptions): Promise<KubeJson>;
  /** The live object, or undefined if it does not exist. */
  read(ref: KubeRef): Promise<KubeJson | undefined>;
  /** Creates the object; a KubeApiError with status 409 if it exists. */
  create(o: KubeJson, fieldManager: string): Promise<KubeJson>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeJson[]>;
  /** Deletes the object; false if it did not exist. */
  delete(ref: KubeRef): Promise<boolean>;
  /**
   * Resolves at the first change of the object after `resourceVersion` (or its creation), or after
   * `timeoutMs`, whichever comes first; never rejects (a failed watch waits out the time: a poll).
   */
  waitForChange(ref: KubeRef, resourceVersion: string | undefined, timeoutMs: number): Promise<void>;
  /** The server's /version. */
  version(): Promise<{ gitVersion?: string }>;
}

/** An answer of the API server other than success, with its Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** The Status message alone, as the API server gave it. */
    readonly detail: string = message,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** The API server does not serve this kind (its CRD is not installed). */
export class KindNotServedError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`the API server does not serve ${apiVersion} ${kind}`);
    this.name = 'KindNotServedError';
  }
}

/** Where @kubernetes/client-node's loadFromDefault() will read the kubeconfig from, or undefined if nowhere. */
export function kubeconfigSource(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KUBECONFIG) return env.KUBECONFIG;
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST) return "the pod's ServiceAccount (in-cluster)";
  return undefined;
}

function statusOf(body: unknown): { reason: string; message: string } {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return { reason: 'Unknown', message: body as string };
    }
  }
  if (typeof body === 'object' && body !== null) {
    const b = body as { reason?: unknown; message?: unknown };
    return { reason: String(b.reason ?? 'Unknown'), message: String(b.message ?? JSON.stringify(body)) };
  }
  return { reason: 'Unknown', message: String(body) };
}

/** The error for an API answer outside 2xx: its Status reason and message, prefixed with what was asked. */
export function kubeApiError(status: number, body: unknown, what: string): KubeApiError {
  const { reason, message } = statusOf(body);
  return new KubeApiError(status, reason, `${what}: HTTP ${status} ${reason}: ${message}`, message);
}

async function loadClientNode(): Promise<typeof ClientNode> {
  // Loaded at run time: the package is ESM-only and only this client needs it.
  const moduleName = '@kubernetes/client-node';
  try {
    return (await import(moduleName)) as typeof ClientNode;
  } catch (err) {
    throw new NeedsOperatorError(
      `The Kubernetes target needs the npm package ${moduleName} (${(err as Error).message}). Install it with npm.`,
    );
  }
}

/** The kubeconfig (KUBECONFIG, ~/.kube/config or in-cluster), switched to `context` if one is given. */
async function loadKubeConfig(k8s: typeof ClientNode, context?: string): Promise<ClientNode.KubeConfig> {
  const kc = new k8s.KubeConfig();
  const source = kubeconfigSource();
  if (!source) {
    throw new NeedsOperatorError(
      'No kubeconfig found: KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod in a ' +
        'cluster. Start a cluster (its kubeconfig is written when it is created) or point KUBECONFIG at ' +
        'the kubeconfig of yours.',
    );
  }
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new NeedsOperatorError(`Cannot read the kubeconfig ${source}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (context) {
    const contexts = kc.getContexts().map((c) => c.name);
    if (!contexts.includes(context)) {
      throw new NeedsOperatorError(
        `No context '${context}' in the kubeconfig ${source} (contexts: ${contexts.join(', ') || 'none'}). ` +
          'Pass one of them with --context, or see `kubectl config get-contexts`.',
      );
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new NeedsOperatorError(
      `The kubeconfig ${source} has no current context: pass --context, or run \`kubectl config use-context\`.`,
    );
  }
  return kc;
}

/** The kubeconfig's current context, or undefined when there is no kubeconfig or it names none. */
export async function currentKubeContext(): Promise<string | undefined> {
  try {
    return (await loadKubeConfig(await loadClientNode())).getCurrentContext() || undefined;
  } catch {
    // No kubeconfig, or one that names no context: the command that connects says so.
    return undefined;
  }
}

/**
 * The client-node KubeClient: the kubeconfig (KUBECONFIG, ~/.kube/config, or the in-cluster ServiceAccount)
 * decides the server, TLS and credentials; `context` picks a kubeconfig context.
 */
export async function clientNodeKubeClient(context?: string): Promise<KubeClient> {
  const k8s = await loadClientNode();
  const kc = await loadKubeConfig(k8s, context);

  // KubernetesObjectApi's own create/patch pass the body through client-node's typed models, which drop
  // every field they do not know (a typo such as `imagePullPolicie` would vanish instead of being refused by
  // strict field validation), and its patch cannot ask for fieldValidation. This subclass keeps its
  // discovery (kind -> resource path), authentication and error handling, and sends the JSON as given.
  class ObjectApi extends k8s.KubernetesObjectApi {
    async send(
      o: KubeRef,
      action: 'create' | 'patch' | 'read' | 'list' | 'delete',
      query: Record<string, string>,
      body?: { json: unknown; contentType: string },
    ): Promise<KubeJson> {
      const method = { create: 'POST', patch: 'PATCH', read: 'GET', list: 'GET', delete: 'DELETE' }[action];
      const uri = await this.uri(o, action);
      const ctx = this.configuration.baseServer.makeRequestContext(uri, method as ClientNode.HttpMethod);
      ctx.setHeaderParam('Accept', 'application/json');
      for (const [key, value] of Object.entries(query)) ctx.setQueryParam(key, value);
      if (body) {
        ctx.setHeaderParam('Content-Type', body.contentType);
        ctx.setBody(JSON.stringify(body.json));
      }
      // 'any': plain JSON back (only metadata goes through the ObjectMeta model).
      return (await this.requestPromise(ctx, 'any')) as unknown as KubeJson;
    }

    /** The resource path of an object (or of its kind's collection, for list), via discovery. */
    async uri(o: KubeRef, action: 'create' | 'patch' | 'read' | 'list' | 'delete'): Promise<string> {
      // specUriPath fills a missing namespace in: give it a copy.
      const spec = { apiVersion: o.apiVersion, kind: o.kind, metadata: { ...o.metadata } };
      try {
        return await this.specUriPath(spec, action);
      } catch (err) {
        const e = err as { code?: number; message?: string };
        if (e.code === 404 || /Unrecognized API version and kind/.test(e.message ?? '')) {
          throw new KindNotServedError(o.apiVersion, o.kind);
        }
        throw err;
      }
    }
  }

  const api = kc.makeApiClient(ObjectApi);
  const watcher = new k8s.Watch(kc);
  const what = (verb: string, o: KubeRef) =>
    `${verb} ${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

  /** Runs a request; API errors become KubeApiError, or undefined for a 404 when `missingOk`. */
  async function call<T>(label: string, run: () => Promise<T>, missingOk = false): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof k8s.ApiException) {
        if (missingOk && err.code === 404) return undefined;
        throw kubeApiError(err.code, err.body, label);
      }
      throw err;
    }
  }

  return {
    async apply(o, options) {
      const query: Record<string, string> = {
        fieldManager: options.fieldManager,
        force: 'true',
        fieldValidation: 'Strict',
      };
      if (options.dryRun) query.dryRun = 'All';
      const body = { json: o, contentType: k8s.PatchStrategy.ServerSideApply };
      return (await call(what('apply', o), () => api.send(o, 'patch', query, body)))!;
    },
    read: (ref) => call(what('read', ref), () => api.send(ref, 'read', {}), true),
    async create(o, fieldManager) {
      const body = { json: o, contentType: 'application/json' };
      return (await call(what('create', o), () => api.send(o, 'create', { fieldManager }, body)))!;
    },
    async list(apiVersion, kind, namespace) {
      const ref = { apiVersion, kind, metadata: { name: '', namespace } };
      const list = await call(`list ${kind}`, () => api.send(ref, 'list', {}));
      return ((list as unknown as { items?: KubeJson[] }).items ?? []).map((item) => ({
        ...item,
        apiVersion,
        kind,
      }));
    },
    async delete(ref) {
      return (await call(what('delete', ref), () => api.send(ref, 'delete', {}), true)) !== undefined;
    },
    async waitForChange(ref, resourceVersion, timeoutMs) {
      const collection = await api
        .uri({ ...ref, metadata: { ...ref.metadata, name: '' } }, 'list')
        .catch(() => undefined);
      await new Promise<void>((resolve) => {
        let abort: AbortController | undefined;
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          abort?.abort();
          resolve();
        };
        const timer = setTimeout(finish, timeoutMs);
        if (!collection) return; // a kind not served (yet): wait out the time
        watcher
          .watch(
            collection,
            {
              fieldSelector: `metadata.name=${ref.metadata.name}`,
              resourceVersion,
              allowWatchBookmarks: false,
              timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
            },
            // An ERROR event (e.g. 410 Gone) is no change: the timer decides, as a poll would.
            (phase) => {
              if (phase !== 'BOOKMARK' && phase !== 'ERROR') finish();
            },
            // The watch ended early (server closed it, an error, a resourceVersion too old): the timer
            // still resolves, so the caller polls on its interval as it would without a watch.
            () => undefined,
          )
          .then((controller) => {
            abort = controller;
            if (settled) controller.abort();
          })
          .catch(() => undefined);
      });
    },
    async version() {
      const api = kc.makeApiClient(k8s.VersionApi);
      return (await call('read /version', () => api.getCode())) as { gitVersion?: string };
    },
  };
}
