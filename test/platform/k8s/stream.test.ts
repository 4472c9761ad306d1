// `dp stream` on a Kubernetes target: which overlays run the job standalone, the order of a stop and a start
// (scales recorded by a fake API client), and the job's state as the JobManager's REST API reports it.
import type { KubeClient, KubeJson, KubeRef } from '../../../clients/kubernetes';
import { KubernetesDriver } from '../../../platform/k8s/driver';
import {
  scaleStream,
  standaloneFlinkDeployments,
  standaloneJobStatus,
  StreamNotStandaloneError,
} from '../../../platform/k8s/stream';

/** Records applies; every Deployment reads back as ready with what was last applied. */
function fakeClient() {
  const applied: { name: string; replicas: number; manager: string }[] = [];
  const client = {
    apply: async (o: KubeJson, options: { fieldManager: string }) => {
      const replicas = (o as unknown as { spec: { replicas: number } }).spec.replicas;
      applied.push({ name: o.metadata.name, replicas, manager: options.fieldManager });
      return o;
    },
    read: async (ref: KubeRef) => {
      const last = [...applied].reverse().find((a) => a.name === ref.metadata.name);
      const replicas = last?.replicas ?? 1;
      return {
        ...ref,
        metadata: { ...ref.metadata, generation: 1 },
        spec: { replicas },
        status: {
          observedGeneration: 1,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
        },
      } as KubeJson;
    },
    waitForChange: async () => undefined,
  } as unknown as KubeClient;
  return { client, applied };
}

describe('dp stream on Kubernetes', () => {
  it('finds the standalone JobManager and TaskManager in the local overlay, and names the operator elsewhere', () => {
    const { client } = fakeClient();
    const local = new KubernetesDriver(client, { overlay: 'local', env: {} });
    expect(standaloneFlinkDeployments(local, 'local').map((d) => d.metadata.name)).toEqual([
      'flink-jobmanager',
      'flink-taskmanager',
    ]);
    const dev = new KubernetesDriver(client, { overlay: 'dev', env: {} });
    expect(() => standaloneFlinkDeployments(dev, 'dev')).toThrow(StreamNotStandaloneError);
    expect(() => standaloneFlinkDeployments(dev, 'dev')).toThrow(/FlinkDeployment/);
  });

  it('stops the JobManager before its TaskManager and starts them the other way round, under its own field manager', async () => {
    const { client, applied } = fakeClient();
    const driver = new KubernetesDriver(client, { overlay: 'local', env: {}, pollIntervalMs: 1 });
    await scaleStream(driver, 'local', 0, () => undefined);
    await scaleStream(driver, 'local', 1, () => undefined);
    expect(applied).toEqual([
      { name: 'flink-jobmanager', replicas: 0, manager: 'dp-scale' },
      { name: 'flink-taskmanager', replicas: 0, manager: 'dp-scale' },
      { name: 'flink-taskmanager', replicas: 1, manager: 'dp-scale' },
      { name: 'flink-jobmanager', replicas: 1, manager: 'dp-scale' },
    ]);
  });

  it("reads the running job, its latest checkpoint and what it restored from, from the JobManager's REST API", async () => {
    const answers: Record<string, unknown> = {
      '/jobs/overview': {
        jobs: [
          { jid: 'old', state: 'CANCELED' },
          { jid: 'abc', state: 'RUNNING' },
        ],
      },
      '/jobs/abc/checkpoints': {
        latest: {
          completed: { id: 7, latest_ack_timestamp: Date.UTC(2026, 11, 4), external_path: 's3://w/chk-7' },
          restored: { external_path: 's3://w/chk-3' },
        },
      },
    };
    const fetchStub = (async (url: string) => {
      const body = answers[new URL(url).pathname];
      return new Response(JSON.stringify(body ?? {}), { status: body ? 200 : 404 });
    }) as unknown as typeof fetch;
    expect(await standaloneJobStatus('http://127.0.0.1:1', fetchStub)).toEqual({
      state: 'RUNNING',
      jobId: 'abc',
      latestCheckpoint: {
        id: 7,
        at: '2026-12-04T00:00:00.000Z',
        ackedAt: Date.UTC(2026, 11, 4),
        path: 's3://w/chk-7',
      },
      restoredFrom: 's3://w/chk-3',
    });
    const unreachable = (async () => {
      throw new Error('ECONNREFUSED');
    }) as unknown as typeof fetch;
    expect(await standaloneJobStatus('http://127.0.0.1:1', unreachable)).toEqual({});
  });
});
