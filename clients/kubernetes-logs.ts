// Pod logs through @kubernetes/client-node: the pods that match a label selector in a namespace, the last
// lines of each container, and optionally new lines as they come (`dp logs <component>` on Kubernetes).
import { PassThrough, type Writable } from 'node:stream';
import { NeedsOperatorError } from '../lib/errors';
import { kubeconfigSource } from './kubernetes';

type ClientNode = typeof import('@kubernetes/client-node');

export interface PodLogsOptions {
  /** kubeconfig context; undefined: the current one. */
  context?: string;
  namespace: string;
  labelSelector: string;
  tailLines: number;
  follow: boolean;
  out: Writable;
}

async function kubeConfig(context: string | undefined) {
  // Loaded at run time: the package is ESM-only (as in clients/kubernetes.ts).
  const moduleName = '@kubernetes/client-node';
  const k8s = (await import(moduleName)) as ClientNode;
  const source = kubeconfigSource();
  if (!source) {
    throw new NeedsOperatorError(
      'No kubeconfig found (KUBECONFIG unset, no ~/.kube/config): point KUBECONFIG at the cluster of the target.',
    );
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  if (context) {
    const contexts = kc.getContexts().map((c) => c.name);
    if (!contexts.includes(context)) {
      throw new NeedsOperatorError(
        `No context '${context}' in the kubeconfig ${source} (contexts: ${contexts.join(', ') || 'none'}).`,
      );
    }
    kc.setCurrentContext(context);
  }
  return { k8s, kc };
}

/** Prefixes every complete line with `prefix` (several pods' lines interleave when following). */
function linePrefixer(prefix: string, out: Writable): Writable {
  const stream = new PassThrough();
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (pending) out.write(`${prefix}${pending}\n`);
  });
  return stream;
}

/**
 * Writes the last `tailLines` lines of every container of the matching pods (prefixed with pod/container
 * when there are several); with `follow`, keeps writing until the process is stopped. Returns the pods.
 */
export async function writePodLogs(options: PodLogsOptions): Promise<string[]> {
  const { k8s, kc } = await kubeConfig(options.context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedPod({
    namespace: options.namespace,
    labelSelector: options.labelSelector,
  });
  const pods = list.items.filter((p) => p.metadata?.name);
  const streams = pods.flatMap((pod) =>
    (pod.spec?.containers ?? []).map((c) => ({ pod: pod.metadata?.name as string, container: c.name })),
  );
  const log = new k8s.Log(kc);
  const several = streams.length > 1;
  await Promise.all(
    streams.map(
      ({ pod, container }) =>
        new Promise<void>((resolve, reject) => {
          const target = several ? linePrefixer(`[${pod}/${container}] `, options.out) : new PassThrough();
          if (!several) target.on('data', (chunk: Buffer) => options.out.write(chunk));
          log
            .log(
              options.namespace,
              pod,
              container,
              target,
              (err: unknown) => {
                target.end();
                if (err) reject(err instanceof Error ? err : new Error(String(err)));
                else resolve();
              },
              { follow: options.follow, tailLines: options.tailLines },
            )
            .catch(reject);
        }),
    ),
  );
  return pods.map((p) => p.metadata?.name as string);
}
