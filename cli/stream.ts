// `dp stream start|stop|status`: the Flink sensor job (flink/, one shaded jar) in a local MiniCluster, run
// detached like the platform's other components (platform/local/flink.ts, platform/local/supervisor.ts):
// pid file DP_HOME/run/flink.pid, log DP_HOME/logs/flink.log, checkpoints under
// DP_HOME/data/flink/checkpoints (a restart restores from the latest one). Between start and stop the job is
// wanted (DP_HOME/run/flink.wanted.json): the platform watch restarts it when it dies.
import type { Command } from 'commander';
import { loadConfig } from '../lib/config';
import { consoleReporter } from '../lib/progress';
import { buildStreamJar, streamStatus, type StreamStartOptions } from '../platform/local/flink';
import { startStreamJob, stopStreamJob } from '../platform/local/supervisor';

export function registerStreamCommands(program: Command) {
  const stream = program
    .command('stream')
    .description('the Flink sensor job: Kafka sensor-topic -> 1-minute windows -> iot.sensor_temperature_1m');
  stream
    .command('start')
    .description(
      'build the jar if needed and start the job detached (restores from the latest checkpoint); ' +
        'until stop, the platform watch restarts it with the same settings when it dies',
    )
    .option('--no-build', 'never build the jar (fail when it is missing)')
    .option('--fresh', 'ignore existing checkpoints (offsets then come from the consumer group)')
    .option('--checkpoint-interval <ms>', 'checkpoint (= Iceberg commit) interval in milliseconds', '10000')
    .option('--heap <size>', 'JVM heap of the job', '1g')
    .action(async (options: StreamStartOptions) => {
      await startStreamJob(loadConfig(), consoleReporter, options);
    });
  stream
    .command('stop')
    .description(
      'stop the job, and the watch restarting it (its checkpoints stay; the next start restores from the latest)',
    )
    .action(async () => {
      const stopped = await stopStreamJob(loadConfig());
      console.log(stopped ? 'stream job stopped' : 'stream job was not running');
    });
  stream
    .command('build')
    .description('build flink/target/sensor-job.jar (with its tests)')
    .action(async () => {
      await buildStreamJar(consoleReporter, { tests: true });
    });
  stream
    .command('status')
    .description('whether the job runs, its pid and its latest checkpoint')
    .option('--json', 'as JSON')
    .action((options: { json?: boolean }) => {
      const status = streamStatus(loadConfig());
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
