// `dp cluster up | down | status | forward`: the local single-node Kubernetes cluster (platform/cluster).
import type { Command } from 'commander';
import { clusterToolPaths } from '../infra/cluster/install';
import { loadConfig } from '../lib/config';
import { consoleReporter, formatSeconds } from '../lib/progress';
import { parseForwardSpec } from '../platform/cluster/forwards';
import { addClusterForward, clusterDown, clusterStatus, clusterUp } from '../platform/cluster/supervisor';
import { formatTable } from './format';

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description(
      'a local single-node Kubernetes cluster (context dp-local), run as processes of this machine',
    );

  cluster
    .command('up')
    .description('install what is missing and start the cluster; idempotent')
    .action(async () => {
      const config = loadConfig();
      const result = await clusterUp(config, consoleReporter);
      console.log(
        result.alreadyUp
          ? `The cluster was already up. KUBECONFIG=${result.kubeconfig}`
          : `The cluster is up (${formatSeconds(result.elapsedMs)}). Use it with:\n  export KUBECONFIG=${result.kubeconfig}\n  kubectl get nodes   (any kubectl; this cluster's own is ${clusterToolPaths(config.cacheDir).kubectl})`,
      );
    });

  cluster
    .command('down')
    .description("stop the cluster and its pods (etcd's data, volumes and certificates stay)")
    .action(async () => {
      await clusterDown(loadConfig(), consoleReporter);
    });

  cluster
    .command('status')
    .description('processes, API server and node of the cluster')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const status = await clusterStatus(loadConfig());
      if (options.json) {
        console.log(JSON.stringify(status, null, 2));
      } else {
        console.log(
          formatTable(
            ['process', 'alive', 'pid'],
            status.processes.map((p) => [p.name, p.alive ? 'yes' : 'NO', p.pid ? String(p.pid) : '-']),
          ),
        );
        console.log(
          `\nAPI server ${status.apiServer.url}: ${status.apiServer.reachable ? 'reachable' : 'NOT reachable'}`,
        );
        console.log(`node Ready: ${status.nodeReady ? 'yes' : 'NO'}`);
        console.log(
          `forwards: ${status.forwards.map((f) => `127.0.0.1:${f.hostPort} -> ${f.target} (${f.name})`).join(', ') || 'none'}`,
        );
        console.log(`KUBECONFIG=${status.kubeconfig}`);
      }
      if (!status.up) process.exitCode = 1;
    });

  cluster
    .command('forward')
    .description("expose an address inside the cluster's network on the host's 127.0.0.1")
    .argument('<spec>', 'name=hostPort:host:port, e.g. trino=18080:trino.dp.svc.cluster.local:8080')
    .action((spec: string) => {
      const forward = parseForwardSpec(spec);
      addClusterForward(loadConfig(), forward);
      console.log(`127.0.0.1:${forward.hostPort} -> ${forward.target} (${forward.name})`);
    });
}
