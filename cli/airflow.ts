// `dp airflow up|down|status|run|cli`: Apache Airflow 3 running the documented DAG of the monthly ELT
// (airflow/dags/nyc_yellow_trips_dag.py) against the local platform. Its configuration is in
// platform/local/airflow.ts; its processes are local components (platform/local/supervisor.ts).
import type { Command } from 'commander';
import { supportedMonth, validMonth } from '../domain/months';
import { loadConfig, type PlatformConfig } from '../lib/config';
import { consoleReporter, formatSeconds } from '../lib/progress';
import { AIRFLOW_DAG_ID, airflowRunMonth, runAirflowCommand } from '../platform/local/airflow';
import { probeLocal } from '../platform/local/health';
import { airflowStatus, startAirflow, stopAirflow } from '../platform/local/supervisor';
import { mirrorSource, prepareMirror, withMirrorOptions, type MirrorOptions } from './elt';

/** The mirror month defaults of `dp elt run --mirror`: the same month file for both orchestrators. */

function uiHelp(config: PlatformConfig): string {
  const ui = `http://${config.host}:${config.ports.airflow}`;
  return [
    `Airflow UI: ${ui}/dags/${AIRFLOW_DAG_ID} (local, loopback only: no login)`,
    `Trigger a month: in the UI press "Trigger", set month to e.g. 2025-03 (unpause the DAG to let it run), or`,
    `  npx dp airflow cli dags unpause ${AIRFLOW_DAG_ID}`,
    `  npx dp airflow cli dags trigger ${AIRFLOW_DAG_ID} --conf '{"month": "2025-03"}'`,
    `One run in the foreground, without the scheduler: npx dp airflow run --month 2025-03 [--mirror]`,
    `Stop: npx dp airflow down`,
  ].join('\n');
}

export function registerAirflowCommands(program: Command) {
  const airflow = program
    .command('airflow')
    .description(
      `Apache Airflow 3 with the DAG ${AIRFLOW_DAG_ID} (the monthly ELT, orchestrated by Airflow)`,
    );
  airflow
    .command('up')
    .description('start the Airflow API server (UI), scheduler and DAG processor in the background')
    .option('--mirror', 'fetch months from the offline TLC mirror (started if needed)')
    .action(async (options: { mirror?: boolean }) => {
      const config = loadConfig();
      const started = Date.now();
      const tlcBaseUrl = options.mirror ? await prepareMirror(config, [], 0, 0) : undefined;
      await startAirflow(config, consoleReporter, { tlcBaseUrl });
      console.log(`\nAirflow is up (${formatSeconds(Date.now() - started)}).`);
      console.log(uiHelp(config));
    });
  airflow
    .command('down')
    .description('stop the Airflow processes (the metadata database stays in DP_HOME/airflow)')
    .action(async () => {
      await stopAirflow(loadConfig(), consoleReporter);
    });
  airflow
    .command('status')
    .description('whether the Airflow processes run')
    .action(async () => {
      const config = loadConfig();
      for (const s of airflowStatus(config))
        console.log(`${s.process}: ${s.pid ? `running (pid ${s.pid})` : 'stopped'}`);
      const api = await probeLocal(config, 'airflow-api-server');
      console.log(`API server healthy: ${api.healthy ? 'yes' : 'no'}`);
      console.log(uiHelp(config));
    });
  withMirrorOptions(
    airflow
      .command('run')
      .description(
        `run ${AIRFLOW_DAG_ID} once for a month in the foreground (airflow dags test); exit code = outcome`,
      )
      .requiredOption('--month <YYYY-MM>', 'the month to load'),
  ).action(async (options: { month: string } & MirrorOptions) => {
    const config = loadConfig();
    const month = supportedMonth(validMonth(options.month));
    const tlcBaseUrl = await mirrorSource(config, [month], options);
    const result = await airflowRunMonth(config, month, consoleReporter, { tlcBaseUrl });
    if (result.state === 'success') {
      console.log(
        `\n${AIRFLOW_DAG_ID} ${month}: success in ${formatSeconds(result.seconds * 1000)} (run ${result.runId}); ` +
          `published to main, tag yellow-trips-${month}.`,
      );
    } else {
      process.stderr.write(
        `${result.tail}\n\ndp: ${AIRFLOW_DAG_ID} for ${month} ended ${result.state}; main is unchanged.\n`,
      );
      process.exitCode = 1;
    }
  });
  airflow
    .command('cli')
    .description('run the airflow command with the platform environment, e.g. dp airflow cli dags list')
    .argument('[args...]', 'arguments of the airflow command')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      process.exitCode = await runAirflowCommand(loadConfig(), args, consoleReporter);
    });
}
