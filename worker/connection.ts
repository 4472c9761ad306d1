// Connecting to the platform's Temporal server, from the CLI, the worker and tests.
import { Client, Connection } from '@temporalio/client';
import { endpoints, type PlatformConfig } from '../lib/config';

export async function connectClient(config: PlatformConfig): Promise<Client> {
  const connection = await Connection.connect({ address: endpoints(config).temporal });
  return new Client({ connection, namespace: config.temporalNamespace });
}
