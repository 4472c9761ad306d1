// A Temporal dev server for workflow tests: the project's own binary (no download), with the search
// attributes the ELT workflows set.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
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
