// An HTTP transport to a Kubernetes API server. The platform's Kubernetes driver (platform/k8s/driver.ts)
// talks to the API server only through a KubeTransport: in production the one built here on
// @kubernetes/client-node (kubeconfig, context, in-cluster ServiceAccount, exec/OIDC auth), in tests one
// replaying recorded responses.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { NeedsOperatorError } from '../lib/errors';

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path and query, e.g. /apis/apps/v1/namespaces/data-platform/deployments/trino-worker */
  path: string;
  body?: unknown;
  contentType?: string;
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface KubeTransport {
  request(req: KubeRequest): Promise<KubeResponse>;
}

/** An answer of the API server other than success, with its Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** The part of @kubernetes/client-node's KubeConfig this transport uses (1.x and 2.x). */
interface KubeConfigLike {
  loadFromDefault(): void;
  setCurrentContext(context: string): void;
  getContexts(): { name: string }[];
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions?: (options: https.RequestOptions) => Promise<void>;
  applytoHTTPSOptions?: (options: https.RequestOptions) => Promise<void>;
}

interface ClientNodeModule {
  KubeConfig: new () => KubeConfigLike;
}

/** Where @kubernetes/client-node's loadFromDefault() will read the kubeconfig from, or undefined if nowhere. */
export function kubeconfigSource(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KUBECONFIG) return env.KUBECONFIG;
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST) return "the pod's ServiceAccount (in-cluster)";
  return undefined;
}

/**
 * A transport on @kubernetes/client-node: the kubeconfig (KUBECONFIG, ~/.kube/config, or the in-cluster
 * ServiceAccount) decides the server, TLS and credentials; `context` picks a kubeconfig context.
 */
export async function clientNodeTransport(context?: string): Promise<KubeTransport> {
  // Loaded at run time: the package is ESM-only and only this transport needs it.
  const moduleName = '@kubernetes/client-node';
  let k8s: ClientNodeModule;
  try {
    k8s = (await import(moduleName)) as ClientNodeModule;
  } catch (err) {
    throw new NeedsOperatorError(
      `The Kubernetes target needs the npm package ${moduleName} (${(err as Error).message}). Install it with npm.`,
    );
  }
  const kc = new k8s.KubeConfig();
  const source = kubeconfigSource();
  if (!source) {
    throw new NeedsOperatorError(
      'No kubeconfig found: KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod in a ' +
        'cluster. Create a cluster (`kind create cluster --config infra/kind-config.yaml` writes the kubeconfig) ' +
        'or point KUBECONFIG at the kubeconfig of yours.',
    );
  }
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new NeedsOperatorError(`Cannot read the kubeconfig ${source}: ${(err as Error).message}`);
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
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new NeedsOperatorError(
      `The kubeconfig ${source} has no current context: pass --context, or run \`kubectl config use-context\`.`,
    );
  }
  const server = cluster.server.replace(/\/$/, '');
  const applyAuth = (kc.applyToHTTPSOptions ?? kc.applytoHTTPSOptions)?.bind(kc);
  return {
    async request(req) {
      const url = new URL(server + req.path);
      const options: https.RequestOptions = {
        method: req.method,
        headers: { Accept: 'application/json' },
      };
      if (applyAuth) await applyAuth(options);
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      if (payload !== undefined) {
        options.headers = {
          ...options.headers,
          'Content-Type': req.contentType ?? 'application/json',
          'Content-Length': Buffer.byteLength(payload),
        };
      }
      const send = url.protocol === 'http:' ? http.request : https.request;
      return new Promise<KubeResponse>((resolve, reject) => {
        const request = send(url, options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        request.on('error', reject);
        request.setTimeout(30_000, () => request.destroy(new Error(`Kubernetes API timeout: ${req.path}`)));
        if (payload !== undefined) request.write(payload);
        request.end();
      });
    },
  };
}

function statusOf(body: unknown): { reason: string; message: string } {
  if (typeof body === 'object' && body !== null) {
    const b = body as { reason?: unknown; message?: unknown };
    return { reason: String(b.reason ?? 'Unknown'), message: String(b.message ?? JSON.stringify(body)) };
  }
  return { reason: 'Unknown', message: String(body) };
}

/** The error for an API answer outside 2xx: its Status reason and message, prefixed with what was asked. */
export function kubeApiError(res: KubeResponse, what: string): KubeApiError {
  const { reason, message } = statusOf(res.body);
  return new KubeApiError(res.status, reason, `${what}: HTTP ${res.status} ${reason}: ${message}`);
}
