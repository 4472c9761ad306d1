// The local cluster for real: `dp cluster up` in a temporary DP_HOME, a pod from an image made here (a
// static C program packed with umoci, imported with ctr) behind a Service reached through the loopback
// forwarder, kubectl exec/logs through the forwarded API server, a hostPath volume that outlives its pod,
// a down that leaves nothing behind, and an up that finds the data again.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { clusterFiles, ctrImportArgs } from '../../infra/cluster/config';
import { clusterToolPaths, packStaticImage } from '../../infra/cluster/install';
import { loadConfig, REPO_ROOT, type PlatformConfig } from '../../lib/config';
import { run, runLines } from '../../lib/exec';
import { consoleReporter } from '../../lib/progress';
import { pollUntil } from '../../lib/time';
import {
  addClusterForward,
  clusterCgroups,
  clusterDown,
  clusterStatus,
  clusterUp,
} from '../../platform/cluster/supervisor';
import { freePort } from '../support/free-port';
import { createTestHome, TEST_PORTS } from '../support/platform/test-platform';

const IMAGE = 'dp.local/cluster-test-app:1';
const MINUTE = 60_000;

let config: PlatformConfig;
let home: string;
const netnsBefore = new Set(fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []);

function kubectl(...args: string[]): Promise<string> {
  // The cluster's own kubectl (dp cluster builds it), not whichever the machine may have.
  return run(clusterToolPaths(config.cacheDir).kubectl, args, {
    component: 'kubectl',
    report: consoleReporter,
    env: { ...process.env, KUBECONFIG: clusterFiles(home).kubeconfig },
  });
}

function podManifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: cluster-test } }
spec:
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: Never
      command: [/app, serve, '8080']
      ports: [{ containerPort: 8080 }]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: cluster-test-data }
`;
}

const SHARED = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: cluster-test-data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Service
metadata: { name: cluster-test }
spec:
  selector: { app: cluster-test }
  ports: [{ port: 80, targetPort: 8080 }]
`;

async function apply(name: string, yaml: string) {
  const file = path.join(home, `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  await kubectl('apply', '-f', file);
}

function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** Processes whose command line names the cluster folder (every supervised process does). */
function clusterProcesses(root: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(root);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  home = createTestHome('dp-cluster-', TEST_PORTS);
  process.env.DP_HOME = home;
  config = loadConfig();
  await clusterUp(config, consoleReporter);
}, 40 * MINUTE);

afterAll(async () => {
  if (!config) return;
  await clusterDown(config, consoleReporter);
  fs.rmSync(home, { recursive: true, force: true });
}, 5 * MINUTE);

describe('dp cluster', () => {
  test(
    'up: the node is Ready through the kubeconfig; a second up says it is already up',
    async () => {
      expect(await kubectl('get', 'nodes', '--no-headers')).toMatch(/^dp-node\s+Ready\s/m);
      expect((await clusterUp(config, consoleReporter)).alreadyUp).toBe(true);
      const status = await clusterStatus(config);
      expect(status.up).toBe(true);
      expect(status.processes.every((p) => p.alive)).toBe(true);
    },
    5 * MINUTE,
  );

  test(
    'a pod of a locally made image serves through a Service; exec, logs and a volume work',
    async () => {
      const work = fs.mkdtempSync(path.join(home, 'image-'));
      const binary = path.join(work, 'app');
      await run(
        'gcc',
        ['-static', '-Os', '-o', binary, path.join(REPO_ROOT, 'test/fixtures/cluster/app.c')],
        {
          component: 'test',
          report: consoleReporter,
        },
      );
      const archive = path.join(work, 'app.oci.tar');
      await packStaticImage(binary, '/app', IMAGE, archive, consoleReporter);
      const f = clusterFiles(home);
      await run(clusterToolPaths(config.cacheDir).ctr, ctrImportArgs(f.containerdSocket, archive), {
        component: 'test',
        report: consoleReporter,
      });

      await apply('shared', SHARED);
      await apply('app-1', podManifest('app-1'));
      await kubectl('wait', '--for=condition=Ready', 'pod/app-1', '--timeout=180s');

      // The Service by its DNS name (CoreDNS) and ClusterIP (kube-proxy), through a forward added while up.
      const port = await freePort();
      addClusterForward(config, {
        name: 'test-app',
        hostPort: port,
        target: 'cluster-test.default.svc.cluster.local:80',
      });
      const body = await pollUntil(() => get(port), { timeoutMs: 60_000, intervalMs: 500 });
      expect(body).toBe('app-1');

      expect(await kubectl('logs', 'app-1')).toContain('serving on 8080 as app-1');
      const marker = `kept-${Date.now()}`;
      await kubectl('exec', 'app-1', '--', '/app', 'write', '/data/marker', marker);
      await kubectl('delete', 'pod', 'app-1', '--wait=true');
      await apply('app-2', podManifest('app-2'));
      await kubectl('wait', '--for=condition=Ready', 'pod/app-2', '--timeout=180s');
      expect(await kubectl('exec', 'app-2', '--', '/app', 'cat', '/data/marker')).toBe(marker);
    },
    10 * MINUTE,
  );

  test(
    'down leaves no mounts, network namespaces, cgroups or processes; up again finds the data',
    async () => {
      const f = clusterFiles(home);
      await clusterDown(config, consoleReporter);
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(f.root);
      const netnsAfter = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : [];
      expect(netnsAfter.filter((n) => !netnsBefore.has(n))).toEqual([]);
      expect(clusterCgroups()).toEqual([]);
      expect(clusterProcesses(f.root)).toEqual([]);
      expect((await clusterStatus(config)).processes.some((p) => p.alive)).toBe(false);

      await clusterUp(config, consoleReporter);
      // etcd still says Ready from before the down until the kubelet has run the pod again: retry exec.
      const marker = await pollUntil(
        () => kubectl('exec', 'app-2', '--', '/app', 'cat', '/data/marker').catch(() => undefined),
        { timeoutMs: 180_000, intervalMs: 2000 },
      );
      expect(marker).toMatch(/^kept-\d+$/);
      const { output } = await runLines(
        clusterToolPaths(config.cacheDir).kubectl,
        ['get', 'pv', '--no-headers'],
        {
          env: { ...process.env, KUBECONFIG: f.kubeconfig },
        },
      );
      expect(output).toMatch(/Bound/);
    },
    15 * MINUTE,
  );
});
