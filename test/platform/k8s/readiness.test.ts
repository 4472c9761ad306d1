// The readiness rule of each kind the Kubernetes driver waits for: ready, not ready, and a spec change the
// controller has not rolled out yet (observedGeneration behind generation).
import { readiness, stuckPodsOfEarlierRevision, type LiveObject } from '../../../platform/k8s/readiness';

/** A live object at `generation`, its status as observed at `observed` (default: the same generation). */
function live(status: LiveObject['status'], generation = 2, observed = generation, replicas = 2): LiveObject {
  return {
    metadata: { generation },
    spec: { replicas },
    status: { observedGeneration: observed, ...status },
  };
}

describe('Deployment', () => {
  const rolledOut = { replicas: 2, availableReplicas: 2, updatedReplicas: 2 };

  it('is ready when every wanted replica is updated and available', () => {
    expect(readiness('Deployment', live(rolledOut))).toEqual({
      ready: true,
      detail: '2/2 available, 2 updated',
    });
  });

  it('is not ready while replicas are unavailable, not updated, or old ones still run', () => {
    expect(readiness('Deployment', live({ ...rolledOut, availableReplicas: 1 })).ready).toBe(false);
    expect(readiness('Deployment', live({ ...rolledOut, updatedReplicas: 1 })).ready).toBe(false);
    expect(readiness('Deployment', live({ ...rolledOut, replicas: 3 })).ready).toBe(false);
    expect(readiness('Deployment', { metadata: { generation: 1 } })).toEqual({
      ready: false,
      detail: '0/1 available, 0 updated',
    });
  });

  it('is not ready until the controller has observed the latest generation', () => {
    expect(readiness('Deployment', live(rolledOut, 3, 2)).ready).toBe(false);
  });
});

describe('StatefulSet', () => {
  const rolledOut = { readyReplicas: 2, currentRevision: 'web-1', updateRevision: 'web-1' };

  it('is ready when every wanted replica is ready on the update revision', () => {
    expect(readiness('StatefulSet', live(rolledOut))).toEqual({ ready: true, detail: '2/2 ready' });
    // No update revision reported (yet): the replicas alone decide.
    expect(readiness('StatefulSet', live({ readyReplicas: 2 })).ready).toBe(true);
  });

  it('is not ready with too few ready replicas or pods left on the previous revision', () => {
    expect(readiness('StatefulSet', live({ ...rolledOut, readyReplicas: 1 }))).toEqual({
      ready: false,
      detail: '1/2 ready',
    });
    expect(readiness('StatefulSet', live({ ...rolledOut, updateRevision: 'web-2' })).ready).toBe(false);
  });

  it('is not ready until the controller has observed the latest generation', () => {
    expect(readiness('StatefulSet', live(rolledOut, 5, 4)).ready).toBe(false);
  });
});

describe('FlinkDeployment', () => {
  it('is ready when the deployment is STABLE and its job RUNNING', () => {
    expect(
      readiness('FlinkDeployment', live({ lifecycleState: 'STABLE', jobStatus: { state: 'RUNNING' } })),
    ).toEqual({ ready: true, detail: 'lifecycle STABLE, job RUNNING' });
  });

  it('is not ready while deploying, or when the job is not running, and says why', () => {
    expect(
      readiness('FlinkDeployment', live({ lifecycleState: 'DEPLOYED', jobStatus: { state: 'RUNNING' } }))
        .ready,
    ).toBe(false);
    expect(
      readiness(
        'FlinkDeployment',
        live({ lifecycleState: 'STABLE', jobStatus: { state: 'FAILED' }, error: 'no jar' }),
      ),
    ).toEqual({ ready: false, detail: 'lifecycle STABLE, job FAILED: no jar' });
    expect(readiness('FlinkDeployment', {})).toEqual({
      ready: false,
      detail: 'lifecycle unknown, job unknown',
    });
  });

  it('is not ready while a changed spec is rolled out (the operator leaves STABLE until it is)', () => {
    expect(
      readiness('FlinkDeployment', {
        metadata: { generation: 4 },
        status: { lifecycleState: 'UPGRADING', jobStatus: { state: 'RUNNING' } },
      }).ready,
    ).toBe(false);
  });
});

describe.each(['Kafka', 'KafkaTopic'])('%s (a Ready condition)', (kind) => {
  const condition = (status: string, message?: string) => ({
    conditions: [{ type: 'Ready', status, message }],
  });

  it('is ready when its Ready condition is True', () => {
    expect(readiness(kind, live(condition('True')))).toEqual({ ready: true, detail: 'Ready=True' });
  });

  it('is not ready with Ready False or no status yet, and says why', () => {
    expect(readiness(kind, live(condition('False', 'waiting for brokers')))).toEqual({
      ready: false,
      detail: 'Ready=False: waiting for brokers',
    });
    expect(readiness(kind, { metadata: { generation: 1 } })).toEqual({
      ready: false,
      detail: 'no status yet',
    });
  });

  it('is not ready until the operator has observed the latest generation', () => {
    expect(readiness(kind, live(condition('True'), 3, 2)).ready).toBe(false);
  });
});

describe('stuckPodsOfEarlierRevision', () => {
  const selector = { 'app.kubernetes.io/name': 'kafka' };
  const pod = (name: string, hash: string, reason?: string, init = false) => {
    const statuses = [{ state: reason ? { waiting: { reason } } : { running: {} } }];
    return {
      metadata: { name, labels: { ...selector, 'controller-revision-hash': hash } },
      status: init ? { initContainerStatuses: statuses } : { containerStatuses: statuses },
    };
  };

  test('an earlier revision that cannot start, in a container or an init container', () => {
    expect(
      stuckPodsOfEarlierRevision(selector, 'kafka-new', [
        pod('kafka-0', 'kafka-old', 'CrashLoopBackOff'),
        pod('kafka-1', 'kafka-old', 'ErrImagePull', true),
      ]),
    ).toEqual([
      { name: 'kafka-0', reason: 'CrashLoopBackOff' },
      { name: 'kafka-1', reason: 'ErrImagePull' },
    ]);
  });

  test('not the current revision, not a pod that is starting or running, not another workload', () => {
    expect(
      stuckPodsOfEarlierRevision(selector, 'kafka-new', [
        pod('kafka-0', 'kafka-new', 'ImagePullBackOff'),
        pod('kafka-1', 'kafka-old', 'ContainerCreating'),
        pod('kafka-2', 'kafka-old'),
        { ...pod('other-0', 'kafka-old', 'ImagePullBackOff'), metadata: { name: 'other-0', labels: {} } },
      ]),
    ).toEqual([]);
  });
});
