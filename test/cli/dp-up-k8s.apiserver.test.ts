// `dp up --target k8s` end to end against a real kube-apiserver: the CLI starts its own Temporal dev server
// and worker (in a temporary DP_HOME, on free ports), the worker runs the platformBringUp workflow with the
// Kubernetes driver, and the objects land in the cluster applied by it (field manager `dp`). No S3, Nessie
// or Trino server runs behind the Services here, so the workflow's initialisation fails after its retries:
// the test checks that it got that far and that the failure names the unreachable object store.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeClient } from '../../clients/kubernetes';
import { REPO_ROOT } from '../../lib/config';
import { CONTEXT, startApiServerWithCrds, type ApiServer } from '../support/kubernetes/apiserver';
import { TestController } from '../support/kubernetes/controller';
import { freePort } from '../support/free-port';

const NAMESPACE = 'dp-e2e';

let server: ApiServer;
let client: KubeClient;
let home: string;
let env: NodeJS.ProcessEnv;

function dp(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/dp.js', ...args], { cwd: REPO_ROOT, env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

beforeAll(async () => {
  ({ server, client } = await startApiServerWithCrds());
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-up-k8s-'));
  env = {
    ...process.env,
    KUBECONFIG: server.kubeconfig,
    DP_HOME: home,
    DP_PORT_TEMPORAL: String(await freePort()),
    DP_PORT_TEMPORAL_UI: String(await freePort()),
    DP_K8S_NAMESPACE: NAMESPACE,
    // A closed port: the object store's initialisation fails fast instead of waiting on DNS.
    DP_K8S_S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
  };
}, 180_000);

afterAll(async () => {
  if (home) {
    await dp(['down'], 120_000);
    fs.rmSync(home, { recursive: true, force: true });
  }
  await server?.stop();
}, 180_000);

it('dp up --target k8s runs the bring-up workflow with the Kubernetes driver in its worker', async () => {
  const controller = new TestController(client, server.kubeconfig, NAMESPACE, { delayMs: 500 });
  controller.start();
  let result: { code: number | null; out: string };
  try {
    result = await dp(['up', '--target', 'k8s', '--context', CONTEXT, '--overlay', 'production'], 600_000);
  } finally {
    await controller.stop();
  }
  const { code, out } = result;
  // The cluster was checked first, then the four components were applied and became ready...
  expect(out).toMatch(
    /\[kubernetes\] context 'dp-test': Kubernetes v1\.37\.2, namespace dp-e2e, overlay production/,
  );
  for (const kind of [
    'StatefulSet/seaweedfs',
    'Deployment/nessie',
    'Deployment/trino-worker',
    'Kafka/lakehouse',
  ]) {
    expect(controller.readied.map((e) => `${e.kind}/${e.name}`)).toContain(kind);
  }
  const trino = (await client.read({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'trino-worker', namespace: NAMESPACE },
  })) as unknown as { metadata: { managedFields: { manager: string; operation: string }[] } };
  expect(trino.metadata.managedFields.map((f) => `${f.manager}:${f.operation}`)).toContain('dp:Apply');
  // ... and the workflow went on to initialise the object store, which is not reachable here.
  expect(code).toBe(1);
  expect(out).toMatch(/platform-bring-up/);
  expect(out).toMatch(/ECONNREFUSED|connect|initObjectStore/i);
}, 900_000);
