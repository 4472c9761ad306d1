// `dp stream start|stop|status`: the Flink sensor job (flink/, one shaded jar) in a local MiniCluster, run
// detached like the platform's other components (platform/local/flink.ts, platform/local/supervisor.ts):
// pid file DP_HOME/run/flink.pid, log DP_HOME/logs/flink.log, checkpoints under
// DP_HOME/data/flink/checkpoints (a restart restores from the latest one). Between start and stop the job is
// wanted (DP_HOME/run/flink.wanted.json): the platform watch restarts it when it dies.
// On a Kubernetes target whose overlay runs Flink standalone (the local cluster), start/stop/status act on
// its JobManager and TaskManager Deployments instead (platform/k8s/stream.ts).
import type { Command } from 'commander';
import { localClusterEndpoints } from '../infra/cluster/layout';
import { loadConfig, type PlatformConfig } from '../lib/config';
import { consoleReporter } from '../lib/progress';
import { kubernetesDriverFor } from '../platform/k8s/driver';
import { scaleStream, standaloneFlinkDeployments, standaloneJobStatus } from '../platform/k8s/stream';
import { buildStreamJar, streamStatus, type StreamStartOptions } from '../platform/local/flink';
import { startStreamJob, stopStreamJob } from '../platform/local/supervisor';
import { TargetError, type KubernetesTarget, type TargetChoice } from '../platform/target';
import { addTargetChoice, currentTarget } from './target';

/** The Kubernetes target a stream command acts on, or undefined for the local platform. */
function kubernetesTarget(config: PlatformConfig, choice: TargetChoice): KubernetesTarget | undefined {
  const { target } = currentTarget(config, choice);
  return target.kind === 'kubernetes' ? target : undefined;
}

async function kubernetesStreamStatus(config: PlatformConfig, target: KubernetesTarget, json: boolean) {
  const driver = await kubernetesDriverFor(target);
  standaloneFlinkDeployments(driver, target.overlay);
  const pods = await driver.probeWorkload('flink-sensor-job');
  const job = await standaloneJobStatus(localClusterEndpoints(config.ports).flink);
  const status = { target: 'k8s', context: target.context, workloads: pods.detail, ...job };
  if (json) console.log(JSON.stringify(status, null, 2));
  else {
    console.log(`workloads: ${pods.detail}`);
    console.log(`job: ${job.state ?? 'no JobManager answers'}${job.jobId ? ` (${job.jobId})` : ''}`);
    const c = job.latestCheckpoint;
    console.log(c ? `latest checkpoint: ${c.id} at ${c.at} ${c.path ?? ''}` : 'latest checkpoint: none yet');
    if (job.restoredFrom) console.log(`restored from: ${job.restoredFrom}`);
  }
  if (job.state !== 'RUNNING') process.exitCode = 3;
}

export function registerStreamCommands(program: Command) {
  const stream = program
    .command('stream')
    .description('the Flink sensor job: Kafka sensor-topic -> 1-minute windows -> iot.sensor_temperature_1m');
  addTargetChoice(stream.command('start'))
    .description(
      'build the jar if needed and start the job detached (restores from the latest checkpoint); ' +
        'until stop, the platform watch restarts it with the same settings when it dies',
    )
    .option('--no-build', 'never build the jar (fail when it is missing)')
    .option('--fresh', 'ignore existing checkpoints (offsets then come from the consumer group)')
    .option('--checkpoint-interval <ms>', 'checkpoint (= Iceberg commit) interval in milliseconds', '10000')
    .option('--heap <size>', 'JVM heap of the job', '1g')
    .action(async (options: StreamStartOptions & TargetChoice) => {
      const config = loadConfig();
      const target = kubernetesTarget(config, options);
      if (!target) {
        await startStreamJob(config, consoleReporter, options);
        return;
      }
      if (options.fresh)
        throw new TargetError(
          'On Kubernetes the JobManager always restores from the newest checkpoint; to start fresh, delete ' +
            's3://warehouse/flink/checkpoints first.',
        );
      const driver = await kubernetesDriverFor(target);
      for (const d of await scaleStream(driver, target.overlay, 1, (m) => consoleReporter('stream', m)))
        consoleReporter('stream', d);
      console.log('stream job started in the cluster (it restores from its newest checkpoint)');
    });
  addTargetChoice(stream.command('stop'))
    .description(
      'stop the job, and the watch restarting it (its checkpoints stay; the next start restores from the latest)',
    )
    .action(async (options: TargetChoice) => {
      const config = loadConfig();
      const target = kubernetesTarget(config, options);
      if (target) {
        const driver = await kubernetesDriverFor(target);
        await scaleStream(driver, target.overlay, 0, (m) => consoleReporter('stream', m));
        console.log('stream job stopped in the cluster (its checkpoints stay on the object store)');
        return;
      }
      const stopped = await stopStreamJob(config);
      console.log(stopped ? 'stream job stopped' : 'stream job was not running');
    });
  stream
    .command('build')
    .description('build flink/target/sensor-job.jar (with its tests)')
    .action(async () => {
      await buildStreamJar(consoleReporter, { tests: true });
    });
  addTargetChoice(stream.command('status'))
    .description('whether the job runs, its pid and its latest checkpoint')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean } & TargetChoice) => {
      const config = loadConfig();
      const target = kubernetesTarget(config, options);
      if (target) return kubernetesStreamStatus(config, target, Boolean(options.json));
      const status = streamStatus(config);
      if (options.json) {
        console.log(JSON.stringify(status, null, 2));
      } else {
        console.log(
          status.running ? `running (pid ${status.pid}, since ${status.startedAt})` : 'not running',
        );
        console.log(
          status.wanted
            ? 'wanted: yes (started, not stopped): the platform watch restarts it when it dies'
            : "wanted: no ('dp stream start' to run it)",
        );
        const c = status.latestCheckpoint;
        console.log(
          c
            ? `latest checkpoint: ${c.id} at ${c.at} (${c.ageSeconds} s ago) ${c.path}`
            : `latest checkpoint: none under ${status.checkpointDir}`,
        );
        if (status.counters) console.log(`last reported: ${status.counters}`);
        console.log(`jar: ${status.jar} (${status.jarState})`);
        console.log(`log: ${status.log}`);
      }
      if (!status.running) process.exitCode = 3;
    });
}
