// The Temporal worker of the platform: hosts every workflow and the activities that do the side effects.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPlatformActivities } from '../activities/platform/activities';
import { LocalDriver } from '../activities/platform/local-driver';
import { endpoints, type PlatformConfig } from '../lib/config';

export async function runWorker(config: PlatformConfig): Promise<void> {
  const connection = await NativeConnection.connect({ address: endpoints(config).temporal });
  const driver = new LocalDriver(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: { ...createPlatformActivities(driver) },
    // Two cores: a few activities at a time keep the JVM services responsive.
    maxConcurrentActivityTaskExecutions: 8,
  });
  // SIGTERM/SIGINT make the worker finish in-flight tasks and exit (Temporal's default shutdown signals).
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}
