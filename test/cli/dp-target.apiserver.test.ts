// The remembered target through the real `dp` command and a real kube-apiserver: `dp target k8s --context C`
// saves the choice in DP_HOME, `dp status --json` and `dp logs` then act on that cluster without --target
// (status names the target; logs lists the component's pods through the API), `--target` still overrides,
// and `dp target local` switches back.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { CONTEXT, startApiServer, type ApiServer } from '../support/kubernetes/apiserver';
import { freePort } from '../support/free-port';

const NAMESPACE = 'dp-target';

let server: ApiServer;
let home: string;
let env: NodeJS.ProcessEnv;

function dp(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/dp.js', ...args], { cwd: REPO_ROOT, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

beforeAll(async () => {
  server = await startApiServer();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-target-'));
  env = {
    ...process.env,
    KUBECONFIG: server.kubeconfig,
    DP_HOME: home,
    DP_TARGET: '',
    DP_K8S_NAMESPACE: NAMESPACE,
    // Nothing runs here: the local probes answer at once.
    DP_PORT_TEMPORAL: String(await freePort()),
    DP_PORT_TRINO: String(await freePort()),
  };
}, 180_000);

afterAll(async () => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
  await server?.stop();
}, 60_000);

it('dp target k8s --context is remembered by status and logs until dp target local', async () => {
  const initial = await dp(['target', '--json']);
  expect(initial.code).toBe(0);
  expect(JSON.parse(initial.out)).toMatchObject({ kind: 'local', from: 'default' });

  const set = await dp(['target', 'k8s', '--context', CONTEXT]);
  expect(set.err).toBe('');
  expect(set.out).toMatch(new RegExp(`k8s \\(saved in .*target\\.json\\)\\n  Context    ${CONTEXT}`));
  const saved = JSON.parse(fs.readFileSync(path.join(home, 'target.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(saved).toMatchObject({ kind: 'kubernetes', context: CONTEXT, namespace: NAMESPACE, overlay: 'dev' });

  // No --target: the saved cluster. Its components are not deployed, so status is unhealthy (exit 1).
  const status = await dp(['status', '--json']);
  const report = JSON.parse(status.out) as {
    target: Record<string, unknown>;
    components: { component: string }[];
  };
  expect(report.target).toEqual({
    kind: 'kubernetes',
    context: CONTEXT,
    namespace: NAMESPACE,
    overlay: 'dev',
  });
  expect(report.components.map((c) => c.component)).toEqual(
    expect.arrayContaining(['objectstore', 'nessie', 'trino', 'kafka']),
  );
  expect(status.code).toBe(1);

  // dp logs asks the API server for the component's pods (there are none in this cluster).
  const logs = await dp(['logs', 'trino', '-n', '5']);
  expect(logs.code).toBe(1);
  expect(logs.err).toMatch(
    new RegExp(`No pods of trino in namespace ${NAMESPACE} \\(selector app\\.kubernetes\\.io/name=trino\\)`),
  );
  const unknown = await dp(['logs', 'grafana']);
  expect(unknown.err).toMatch(/Unknown component 'grafana' on Kubernetes/);

  // --target still overrides the saved choice for one command.
  const local = await dp(['status', '--json', '--target', 'local']);
  expect((JSON.parse(local.out) as { target: unknown }).target).toEqual({ kind: 'local' });

  const back = await dp(['target', 'local']);
  expect(back.out).toMatch(/^local \(saved in /);
  const after = await dp(['status', '--json']);
  expect((JSON.parse(after.out) as { target: unknown }).target).toEqual({ kind: 'local' });
}, 600_000);
