// A real Kubernetes API server for the driver's tests: etcd and kube-apiserver (built by
// `dp install --kubernetes`, see infra/local/install-kube.ts) on free loopback ports, with a service-account
// key, a bearer token in the system:masters group and a kubeconfig in a temporary folder. No controllers
// run: a test that needs a workload to become ready patches its status itself (see TestController).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clientNodeKubeClient, type KubeClient, type KubeJson } from '../../../clients/kubernetes';
import { parseYaml } from '../../../infra/k8s/yaml';
import { kubeToolPaths, kubeToolsMissing } from '../../../infra/local/install-kube';
import { loadConfig } from '../../../lib/config';
import { pollUntil } from '../../../lib/time';
import { freePort } from '../free-port';

export const CONTEXT = 'dp-test';

export interface ApiServer {
  dir: string;
  url: string;
  kubeconfig: string;
  /** The last lines of both servers' logs, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers ok. */
export async function startApiServer(timeoutMs = 120_000): Promise<ApiServer> {
  const cacheDir = loadConfig().cacheDir;
  const missing = kubeToolsMissing(cacheDir);
  if (missing) throw new Error(`kube-apiserver and etcd are not installed: ${missing}`);
  const tools = kubeToolPaths(cacheDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-kube-'));
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];

  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  fs.writeFileSync(path.join(dir, 'sa.pub'), publicKey);
  fs.writeFileSync(path.join(dir, 'sa.key'), privateKey, { mode: 0o600 });
  const token = randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${token},dp-test,dp-test,"system:masters"\n`, {
    mode: 0o600,
  });

  const etcdLog = path.join(dir, 'etcd.log');
  const apiLog = path.join(dir, 'kube-apiserver.log');
  const etcd = spawn(
    tools.etcd,
    [
      '--name=default',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--listen-metrics-urls=',
    ],
    { stdio: ['ignore', fs.openSync(etcdLog, 'a'), fs.openSync(etcdLog, 'a')] },
  );
  const certDir = path.join(dir, 'certs');
  const apiserver = spawn(
    tools.apiserver,
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The endpoint reconciler refuses a loopback address; nothing here needs the `kubernetes` Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${securePort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
    ],
    { stdio: ['ignore', fs.openSync(apiLog, 'a'), fs.openSync(apiLog, 'a')] },
  );
  const url = `https://127.0.0.1:${securePort}`;
  const logs = () => `--- etcd\n${tail(etcdLog)}\n--- kube-apiserver\n${tail(apiLog)}`;
  const stop = async () => {
    await stopChild(apiserver);
    await stopChild(etcd);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  // The server writes its self-signed certificate (and the CA that signed it) into cert-dir on start.
  const cert = path.join(certDir, 'apiserver.crt');
  const ready = await pollUntil(
    async () => {
      if (apiserver.exitCode !== null || etcd.exitCode !== null) {
        const why = logs();
        await stop();
        throw new Error(`kube-apiserver or etcd exited while starting:\n${why}`);
      }
      return fs.existsSync(cert) && (await fetchReadyz(url, token, fs.readFileSync(cert)));
    },
    { timeoutMs, intervalMs: 500 },
  );
  if (!ready) {
    const why = logs();
    await stop();
    throw new Error(`kube-apiserver not ready after ${timeoutMs / 1000} s:\n${why}`);
  }

  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `  - name: ${CONTEXT}`,
      '    cluster:',
      `      server: ${url}`,
      `      certificate-authority: ${cert}`,
      'users:',
      `  - name: ${CONTEXT}`,
      '    user:',
      `      token: ${token}`,
      'contexts:',
      `  - name: ${CONTEXT}`,
      '    context:',
      `      cluster: ${CONTEXT}`,
      `      user: ${CONTEXT}`,
      `current-context: ${CONTEXT}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { dir, url, kubeconfig, logs, stop };
}

async function fetchReadyz(url: string, token: string, ca: Buffer): Promise<boolean> {
  const https = await import('node:https');
  return new Promise((resolve) => {
    const req = https.request(
      `${url}/readyz`,
      { headers: { Authorization: `Bearer ${token}` }, ca, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'ok'));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Creates a CustomResourceDefinition and waits until the server serves it (condition Established). */
export async function installCrd(client: KubeClient, crd: KubeJson) {
  await client.apply(crd, { fieldManager: 'dp-test' });
  const established = await pollUntil(
    async () => {
      const live = (await client.read(crd)) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  if (!established) throw new Error(`CRD ${crd.metadata.name} not established`);
}

/** The operators' CRDs the manifests need (Strimzi, Flink operator), from `dp install --kubernetes`. */
export const OPERATOR_CRD_KINDS = ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'FlinkDeployment'];

export async function installOperatorCrds(client: KubeClient): Promise<void> {
  const crds = kubeToolPaths(loadConfig().cacheDir).crds;
  for (const kind of OPERATOR_CRD_KINDS) {
    const crd = parseYaml(fs.readFileSync(path.join(crds, `${kind}.yaml`), 'utf8')) as KubeJson;
    await installCrd(client, crd);
  }
}

/**
 * The setup of a suite on the real API server: the server, KUBECONFIG pointing at it, a client through
 * its context and the operators' CRDs. A server whose setup fails is stopped before the error is thrown.
 */
export async function startApiServerWithCrds(): Promise<{ server: ApiServer; client: KubeClient }> {
  const server = await startApiServer();
  try {
    process.env.KUBECONFIG = server.kubeconfig;
    const client = await clientNodeKubeClient(CONTEXT);
    await installOperatorCrds(client);
    return { server, client };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
