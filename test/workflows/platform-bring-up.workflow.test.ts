// Sequencing of the bring-up workflow on a real Temporal dev server (the project's own binary), with
// activities replaced by recorders.
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { PlatformActivities } from '../../activities/platform-bring-up';
import type { ManagedComponent } from '../../domain/platform';
import { platformBringUp } from '../../workflows';
import { runWithWorker, useTestEnvironment } from './env';

const env = useTestEnvironment();

function recordingActivities(
  calls: string[],
  overrides: Partial<PlatformActivities> = {},
): PlatformActivities {
  return {
    async ensureComponent(component: ManagedComponent) {
      calls.push(`ensure:${component}`);
      return { component, action: 'adopted', detail: 'healthy' };
    },
    async initObjectStore() {
      calls.push('init:objectstore');
      return { bucket: 'warehouse', created: false };
    },
    async initNessie() {
      calls.push('init:nessie');
      return { branch: 'main', hash: 'abc', created: false };
    },
    async initTrino() {
      calls.push('init:trino');
      return { catalog: 'lakehouse', catalogCreated: false, schemasCreated: [], schemasExisting: ['bronze'] };
    },
    async initKafka() {
      calls.push('init:kafka');
      return {
        topics: [
          { name: 'sensor-topic', created: true, partitions: 6, retentionMs: 604800000 },
          { name: 'sensor-topic-dlq', created: false, partitions: 1, retentionMs: 1209600000 },
        ],
      };
    },
    ...overrides,
  };
}

function runBringUp(activities: PlatformActivities, taskQueue: string) {
  return runWithWorker(env(), activities, taskQueue, () =>
    env().client.workflow.execute(platformBringUp, { taskQueue, workflowId: `bring-up-${taskQueue}` }),
  );
}

describe('platformBringUp', () => {
  test('starts every component, then initialises store, catalog, query engine and Kafka in order', async () => {
    const calls: string[] = [];
    const report = await runBringUp(recordingActivities(calls), 'order');
    const ensures = calls.slice(0, 4).sort();
    expect(ensures).toEqual(['ensure:kafka', 'ensure:nessie', 'ensure:objectstore', 'ensure:trino']);
    expect(calls.slice(4)).toEqual(['init:objectstore', 'init:nessie', 'init:trino', 'init:kafka']);
    expect(report.components.map((c) => c.component)).toEqual(['objectstore', 'nessie', 'trino', 'kafka']);
    expect(report.trino.schemasExisting).toEqual(['bronze']);
    expect(report.kafka?.topics.map((t) => [t.name, t.created])).toEqual([
      ['sensor-topic', true],
      ['sensor-topic-dlq', false],
    ]);
  });

  test('Kafka failing to start is retried like the others; its topics are created after it is up', async () => {
    const calls: string[] = [];
    let kafkaAttempts = 0;
    const activities = recordingActivities(calls, {
      async ensureComponent(component: ManagedComponent) {
        calls.push(`ensure:${component}`);
        if (component === 'kafka' && ++kafkaAttempts < 2) throw new Error('kafka exited during start-up');
        return { component, action: 'started', detail: 'healthy' };
      },
    });
    const report = await runBringUp(activities, 'kafka-retry');
    expect(kafkaAttempts).toBe(2);
    expect(report.components.find((c) => c.component === 'kafka')?.action).toBe('started');
    expect(calls.indexOf('init:kafka')).toBeGreaterThan(calls.lastIndexOf('ensure:kafka'));
  });

  test('a component that fails to start is retried, then the bring-up goes on', async () => {
    const calls: string[] = [];
    let trinoAttempts = 0;
    const activities = recordingActivities(calls, {
      async ensureComponent(component: ManagedComponent) {
        calls.push(`ensure:${component}`);
        if (component === 'trino' && ++trinoAttempts < 3) throw new Error('trino exited during start-up');
        return { component, action: 'started', detail: 'healthy' };
      },
    });
    const report = await runBringUp(activities, 'retry');
    expect(trinoAttempts).toBe(3);
    expect(report.components.find((c) => c.component === 'trino')?.action).toBe('started');
    expect(calls.filter((c) => c.startsWith('init:'))).toEqual([
      'init:objectstore',
      'init:nessie',
      'init:trino',
      'init:kafka',
    ]);
  });

  test('a non-retryable failure (a taken port) fails the bring-up at once and skips initialisation', async () => {
    const calls: string[] = [];
    let nessieAttempts = 0;
    const activities = recordingActivities(calls, {
      async ensureComponent(component: ManagedComponent) {
        calls.push(`ensure:${component}`);
        if (component === 'nessie') {
          nessieAttempts++;
          throw ApplicationFailure.nonRetryable('Port 19120 (nessie) is already in use', 'PortInUseError');
        }
        return { component, action: 'adopted', detail: 'healthy' };
      },
    });
    const failure = await runBringUp(activities, 'port').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause as ApplicationFailure;
    expect(cause.message).toMatch(/Port 19120 \(nessie\)/);
    expect(nessieAttempts).toBe(1);
    expect(calls.some((c) => c.startsWith('init:'))).toBe(false);
  });
});
