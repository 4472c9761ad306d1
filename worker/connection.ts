// Connecting to the platform's Temporal server, from the CLI, the worker and tests.
import { Client, Connection } from '@temporalio/client';
import { endpoints, type PlatformConfig } from '../lib/config';
import { sleep } from '../lib/time';

/**
 * The Temporal frontend: the local dev server, or DP_TEMPORAL_ADDRESS (host:port), e.g. a cluster's Temporal
 * (the worker Deployment in infra/manifests sets it; `kubectl port-forward` makes one reachable from here).
 */
export function temporalAddress(config: PlatformConfig, env: NodeJS.ProcessEnv = process.env): string {
  return env.DP_TEMPORAL_ADDRESS || endpoints(config).temporal;
}

/**
 * A client of the platform's Temporal; `address` (host:port) for another frontend than temporalAddress's,
 * `connectTimeoutMs` to give up on a server that does not answer sooner than the SDK's default.
 */
export async function connectClient(
  config: PlatformConfig,
  address?: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    address: address ?? temporalAddress(config),
    connectTimeout: options.connectTimeoutMs,
  });
  return new Client({ connection, namespace: config.temporalNamespace });
}

/**
 * The workflow's result; until it comes, `poll` runs every `intervalMs` to show progress. Progress is best
 * effort: a failed poll (the workflow not started yet, or just finished) is skipped.
 */
export async function resultWhilePolling<R>(
  handle: { result(): Promise<R> },
  intervalMs: number,
  poll: () => Promise<void>,
): Promise<R> {
  let done = false;
  const watcher = (async () => {
    while (!done) {
      await poll().catch(() => undefined);
      await sleep(intervalMs);
    }
  })();
  try {
    return await handle.result();
  } finally {
    done = true;
    await watcher;
  }
}
