// A Temporal dev server for workflow tests: the project's own binary (no download), with the search
// attributes the ELT workflows set.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { toolPaths } from '../../infra/local/install';
import { loadConfig } from '../../lib/config';

// Expected failures are asserted by the tests; the SDK's own log of them is noise here.
Runtime.install({ logger: new DefaultLogger('ERROR') });

export function createTestEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPaths(loadConfig().cacheDir).temporal },
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
    },
  });
}

/** One test server for the file's tests: started before them, torn down after; read it inside tests. */
export function useTestEnvironment(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return () => {
    if (!env) throw new Error('the test workflow environment is not started (use it inside a test)');
    return env;
  };
}

/** Runs `fn` while a worker of the project's workflows, with these (recorded) activities, polls `taskQueue`. */
export async function runWithWorker<T>(
  env: TestWorkflowEnvironment,
  activities: object,
  taskQueue: string,
  fn: () => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities,
  });
  return worker.runUntil(fn());
}
