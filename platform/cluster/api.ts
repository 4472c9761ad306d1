// The few API calls `dp cluster` makes itself (readiness, node status, creating its own objects), over the
// loopback forwarder with the admin client certificate. Everything else uses the kubeconfig.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';

export interface AdminApi {
  get(urlPath: string): Promise<{ status: number; body: string }>;
  post(urlPath: string, body: unknown): Promise<{ status: number; body: string }>;
}

export function adminApi(port: number, pki: string): AdminApi {
  const ca = fs.readFileSync(path.join(pki, 'ca.crt'));
  const cert = fs.readFileSync(path.join(pki, 'admin.crt'));
  const key = fs.readFileSync(path.join(pki, 'admin.key'));
  const request = (method: string, urlPath: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: urlPath,
          method,
          ca,
          cert,
          key,
          timeout: 5000,
          headers: payload ? { 'Content-Type': 'application/json' } : {},
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`timeout on ${method} ${urlPath}`)));
      req.end(payload);
    });
  return { get: (p) => request('GET', p), post: (p, b) => request('POST', p, b) };
}

/** The collection a cluster-scoped object of `dp cluster`'s own kinds is created in. */
export function collectionPath(object: { apiVersion?: unknown; kind?: unknown }): string {
  const plural: Record<string, string> = {
    PersistentVolume: 'persistentvolumes',
    StorageClass: 'storageclasses',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    Namespace: 'namespaces',
    CustomResourceDefinition: 'customresourcedefinitions',
  };
  const kind = String(object.kind);
  const apiVersion = String(object.apiVersion);
  if (!plural[kind]) throw new Error(`cluster: no collection known for kind ${kind}`);
  return `${apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`}/${plural[kind]}`;
}

/** Creates each object unless it exists (an up after a down finds them in etcd). */
export async function createMissing(api: AdminApi, objects: Record<string, unknown>[]): Promise<number> {
  let created = 0;
  for (const object of objects) {
    const res = await api.post(collectionPath(object), object);
    if (res.status === 201) created += 1;
    else if (res.status !== 409) {
      const name = (object.metadata as { name?: string } | undefined)?.name;
      throw new Error(`cluster: creating ${String(object.kind)} ${name}: HTTP ${res.status} ${res.body}`);
    }
  }
  return created;
}

/**
 * Whether the node reports Ready; with `sinceMs`, only a Ready the kubelet confirmed after that moment counts
 * (after a down and up, etcd still holds the last run's Ready until the controller notices it is stale).
 */
export async function nodeReady(api: AdminApi, node: string, sinceMs?: number): Promise<boolean> {
  try {
    const res = await api.get(`/api/v1/nodes/${node}`);
    if (res.status !== 200) return false;
    type Condition = { type: string; status: string; lastHeartbeatTime?: string };
    const conditions = (JSON.parse(res.body) as { status?: { conditions?: Condition[] } }).status?.conditions;
    const ready = conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') return false;
    // Heartbeat times have whole seconds.
    return sinceMs === undefined || Date.parse(ready.lastHeartbeatTime ?? '') >= sinceMs - 1000;
  } catch {
    return false;
  }
}

export async function apiReady(api: AdminApi): Promise<boolean> {
  try {
    const res = await api.get('/readyz');
    return res.status === 200 && res.body.trim() === 'ok';
  } catch {
    return false;
  }
}
