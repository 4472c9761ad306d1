// `dp airflow up|down|status|run|cli`: Apache Airflow 3 running the documented DAG of the monthly ELT
// (airflow/dags/nyc_yellow_trips_dag.py) against the local platform.
//
// Airflow lives in its own virtualenv (infra/local/install-python-tools.ts); AIRFLOW_HOME is
// DP_HOME/airflow with a SQLite metadata database. Its processes (api-server on the `airflow` port,
// scheduler, dag-processor) run detached like the platform's components: pid files DP_HOME/run/airflow-*.pid,
// logs DP_HOME/logs/airflow-*.log. Everything the DAG needs reaches it through the environment: the
// platform's endpoints from lib/config.ts and the object-store keys from DP_HOME/secrets (never a file in
// the repo); Airflow's own signing keys are generated into DP_HOME/secrets/airflow.json on first use.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { supportedMonth, validMonth } from '../domain/months';
import { lakehouseCatalogProperties, S3_ACCESS_KEY_ENV, S3_SECRET_KEY_ENV } from '../lib/catalog';
import { endpoints, loadConfig, paths, REPO_ROOT, type PlatformConfig } from '../lib/config';
import { consoleReporter, formatSeconds, type Reporter } from '../lib/progress';
import { CommandFailed, run, runAttached } from '../lib/exec';
import { ensureS3Credentials, writePrivateFile } from '../platform/local/credentials';
import { toolPaths } from '../infra/local/install';
import { ensurePythonTool, pythonToolBin } from '../infra/local/install-python-tools';
import { runningPid, startDetached, stopProcess, tailFile } from '../lib/process';
import { prepareMirror } from './elt';
import { pollUntil } from '../lib/time';

export const AIRFLOW_DAG_ID = 'nyc_yellow_trips';
export const AIRFLOW_DAGS_DIR = path.join(REPO_ROOT, 'airflow', 'dags');
/** Airflow's processes, each a detached component of its own. */
export const AIRFLOW_PROCESSES = ['api-server', 'scheduler', 'dag-processor'] as const;
export type AirflowProcess = (typeof AIRFLOW_PROCESSES)[number];
/** The mirror month defaults of `dp elt run --mirror`: the same month file for both orchestrators. */
const DEFAULT_MIRROR_ROWS = '200000';
const DEFAULT_MIRROR_SEED = '20250301';

interface AirflowSecrets {
  jwtSecret: string;
  apiSecretKey: string;
  fernetKey: string;
}

export function airflowHome(config: PlatformConfig): string {
  return path.join(config.home, 'airflow');
}

/** Airflow's signing and encryption keys: generated on first use, mode 0600, kept across restarts. */
function ensureAirflowSecrets(config: PlatformConfig): AirflowSecrets {
  const file = path.join(paths(config).secrets, 'airflow.json');
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<AirflowSecrets>;
    if (stored.jwtSecret && stored.apiSecretKey && stored.fernetKey) return stored as AirflowSecrets;
  }
  const secrets: AirflowSecrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    apiSecretKey: randomBytes(32).toString('base64url'),
    // A Fernet key is 32 bytes in URL-safe base64 with padding.
    fernetKey: randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  };
  writePrivateFile(file, JSON.stringify(secrets, null, 2));
  return secrets;
}

/** The environment of every Airflow process: its configuration and the DAG's platform settings. */
export function airflowEnv(
  config: PlatformConfig,
  overrides: { tlcBaseUrl?: string } = {},
): NodeJS.ProcessEnv {
  const e = endpoints(config);
  const home = airflowHome(config);
  const secrets = ensureAirflowSecrets(config);
  const credentials = ensureS3Credentials(paths(config).secrets);
  const trino = new URL(e.trino);
  const apiUrl = `http://${config.host}:${config.ports.airflow}`;
  // The branch catalogs the DAG creates: the platform's one definition, keys read by Trino from its own env.
  const { ['iceberg.nessie-catalog.ref']: _ref, ...catalogProperties } = lakehouseCatalogProperties({
    nessieApiUri: e.nessieApi,
    s3Endpoint: e.s3,
    warehouseBucket: config.warehouseBucket,
    ref: 'main',
  });
  void _ref;
  return {
    ...process.env,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: AIRFLOW_DAGS_DIR,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
    AIRFLOW__CORE__PARALLELISM: '2',
    AIRFLOW__CORE__FERNET_KEY: secrets.fernetKey,
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${apiUrl}/execution/`,
    // Local, loopback-only UI: every visitor is admin (no password to hand out). Bind to another host
    // only behind an auth proxy.
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS: 'True',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`,
    AIRFLOW__API__HOST: config.host,
    AIRFLOW__API__PORT: String(config.ports.airflow),
    AIRFLOW__API__BASE_URL: apiUrl,
    AIRFLOW__API__SECRET_KEY: secrets.apiSecretKey,
    AIRFLOW__API_AUTH__JWT_SECRET: secrets.jwtSecret,
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: path.join(home, 'logs'),
    AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL: '30',
    AIRFLOW_CONN_DP_TRINO: JSON.stringify({
      conn_type: 'trino',
      host: trino.hostname,
      port: Number(trino.port || 80),
      login: 'airflow',
      extra: { catalog: config.catalog },
    }),
    // The DAG's settings (read by settings() in the DAG file).
    DP_TLC_BASE_URL: overrides.tlcBaseUrl ?? config.tlcBaseUrl,
    DP_TLC_LAG_MONTHS: String(config.tlcLagMonths),
    DP_S3_ENDPOINT: e.s3,
    [S3_ACCESS_KEY_ENV]: credentials.accessKey,
    [S3_SECRET_KEY_ENV]: credentials.secretKey,
    DP_WAREHOUSE_BUCKET: config.warehouseBucket,
    DP_NESSIE_API: e.nessieApi,
    DP_NESSIE_ICEBERG_REST: e.nessieIcebergRest,
    DP_TRINO_HOST: trino.hostname,
    DP_TRINO_PORT: trino.port || '80',
    DP_CATALOG: config.catalog,
    DP_BRANCH_CATALOG_PROPERTIES: JSON.stringify(catalogProperties),
    DP_DBT_EXECUTABLE: path.join(toolPaths(config.cacheDir).dbtVenv, 'bin', 'dbt'),
    DP_DBT_PROJECT_DIR: path.join(REPO_ROOT, 'dbt'),
    // Airflow's processes write no bytecode into the repo's DAG folder.
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

function airflowBin(config: PlatformConfig): string {
  return pythonToolBin(config.cacheDir, 'airflow', 'airflow');
}

/** Installs the venv if missing and brings the metadata database to the installed version. */
async function prepareAirflow(config: PlatformConfig, report: Reporter, env: NodeJS.ProcessEnv) {
  await ensurePythonTool(config.cacheDir, 'airflow', report);
  if (!fs.existsSync(toolPaths(config.cacheDir).dbtVenv)) {
    throw new Error('The dbt virtualenv is missing: run dp install first.');
  }
  fs.mkdirSync(airflowHome(config), { recursive: true });
  const started = Date.now();
  report('airflow', 'airflow db migrate (SQLite metadata database in DP_HOME/airflow)');
  await run(airflowBin(config), ['db', 'migrate'], {
    component: 'airflow',
    report,
    env,
    showLine: (l) => /ERROR|Error|Database migrating done/.test(l),
  });
  report('airflow', `metadata database ready (${formatSeconds(Date.now() - started)})`);
}

function processName(p: AirflowProcess): string {
  return `airflow-${p}`;
}

async function apiHealthy(config: PlatformConfig): Promise<boolean> {
  try {
    const response = await fetch(`http://${config.host}:${config.ports.airflow}/api/v2/monitor/health`, {
      signal: AbortSignal.timeout(3000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

export async function airflowUp(
  config: PlatformConfig,
  report: Reporter,
  options: { tlcBaseUrl?: string } = {},
): Promise<void> {
  const env = airflowEnv(config, options);
  await prepareAirflow(config, report, env);
  const p = paths(config);
  for (const proc of AIRFLOW_PROCESSES) {
    const name = processName(proc);
    const running = runningPid(p.pid(name));
    if (running !== undefined) {
      report('airflow', `${proc}: already running (pid ${running})`);
      continue;
    }
    const pid = startDetached({
      name,
      command: airflowBin(config),
      args: [proc],
      cwd: airflowHome(config),
      env,
      logFile: p.log(name),
      pidFile: p.pid(name),
      marker: 'airflow',
    });
    report('airflow', `${proc}: started (pid ${pid}); log ${p.log(name)}`);
  }
  const healthy = await pollUntil(
    async () => {
      if (await apiHealthy(config)) return true;
      for (const proc of AIRFLOW_PROCESSES) {
        if (runningPid(p.pid(processName(proc))) === undefined) {
          throw new Error(
            `airflow ${proc} exited during start-up; last log lines:\n${tailFile(p.log(processName(proc)), 30)}`,
          );
        }
      }
      return false;
    },
    { timeoutMs: 180_000, intervalMs: 2000 },
  );
  if (!healthy) {
    throw new Error(
      `the Airflow API server did not answer within 180 s; see ${p.log(processName('api-server'))}`,
    );
  }
}

export async function airflowDown(config: PlatformConfig, report: Reporter): Promise<void> {
  const p = paths(config);
  // Scheduler first, so no task starts while the API server it reports to goes away.
  for (const proc of ['scheduler', 'dag-processor', 'api-server'] as const) {
    const stopped = await stopProcess(p.pid(processName(proc)), 20_000);
    report('airflow', `${proc}: ${stopped ? 'stopped' : 'was not running'}`);
  }
}

export function airflowStatus(config: PlatformConfig): { process: AirflowProcess; pid?: number }[] {
  const p = paths(config);
  return AIRFLOW_PROCESSES.map((proc) => ({ process: proc, pid: runningPid(p.pid(processName(proc))) }));
}

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

/** Output lines of `airflow dags test` worth showing: task states and errors, not every log line. */
function dagTestLine(line: string): boolean {
  if (/next_dagrun|is deprecated|Task instance state updated/.test(line)) return false;
  return /Task instance|Marking task|state=(success|failed|up_for_retry)|\bERROR\b|Error:|DagRun Finished|Done\. PASS=|landed s3:|replaced by|published to main|check \d{4}-\d{2}:/.test(
    line,
  );
}

export interface AirflowRunResult {
  state: string;
  runId: string;
  seconds: number;
  /** The last lines of the run's output, for a failure message. */
  tail: string;
}

/** One DAG run for the month in this process, as `airflow dags test` does; resolves with its final state. */
export async function airflowRunMonth(
  config: PlatformConfig,
  month: string,
  report: Reporter,
  options: { tlcBaseUrl?: string } = {},
): Promise<AirflowRunResult> {
  supportedMonth(validMonth(month));
  const env = airflowEnv(config, options);
  await prepareAirflow(config, report, env);
  const logicalDate = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
  const started = Date.now();
  report('airflow', `airflow dags test ${AIRFLOW_DAG_ID} ${logicalDate} --conf {"month": "${month}"}`);
  // The whole output is kept (for the run's final state and a failure's tail); only the task lines are shown.
  let code: number | null = 0;
  let output: string;
  try {
    output = await run(
      airflowBin(config),
      ['dags', 'test', AIRFLOW_DAG_ID, logicalDate, '--conf', JSON.stringify({ month })],
      {
        cwd: airflowHome(config),
        env,
        component: 'airflow',
        report: (component, line) => report(component, line.slice(0, 400)),
        showLine: dagTestLine,
      },
    );
  } catch (err) {
    if (!(err instanceof CommandFailed)) throw err;
    code = err.exitCode;
    output = err.output;
  }
  const lines = output.split('\n');
  const state = finalRunState(lines);
  const seconds = (Date.now() - started) / 1000;
  const tail = lines.slice(-80).join('\n');
  // A run that printed success but whose process failed afterwards does not count as a success.
  if (code !== 0 && state.state === 'success') return { ...state, state: 'failed', seconds, tail };
  return { ...state, seconds, tail };
}

/** The run's final state from the line `airflow dags test` logs when the run ends ('unknown' without it). */
export function finalRunState(lines: string[]): { state: string; runId: string } {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = /DagRun Finished: .*?run_id=([^,\s]+),.*?\bstate=(\w+)/.exec(lines[i]);
    if (match) return { runId: match[1], state: match[2] };
  }
  return { state: 'unknown', runId: '' };
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
      await airflowUp(config, consoleReporter, { tlcBaseUrl });
      console.log(`\nAirflow is up (${formatSeconds(Date.now() - started)}).`);
      console.log(uiHelp(config));
    });
  airflow
    .command('down')
    .description('stop the Airflow processes (the metadata database stays in DP_HOME/airflow)')
    .action(async () => {
      await airflowDown(loadConfig(), consoleReporter);
    });
  airflow
    .command('status')
    .description('whether the Airflow processes run')
    .action(async () => {
      const config = loadConfig();
      for (const s of airflowStatus(config))
        console.log(`${s.process}: ${s.pid ? `running (pid ${s.pid})` : 'stopped'}`);
      console.log(`API server healthy: ${(await apiHealthy(config)) ? 'yes' : 'no'}`);
      console.log(uiHelp(config));
    });
  airflow
    .command('run')
    .description(
      `run ${AIRFLOW_DAG_ID} once for a month in the foreground (airflow dags test); exit code = outcome`,
    )
    .requiredOption('--month <YYYY-MM>', 'the month to load')
    .option('--mirror', 'read the month from the offline TLC mirror (generated on demand)')
    .option('--rows <n>', 'rows of a generated mirror month', DEFAULT_MIRROR_ROWS)
    .option('--seed <n>', 'seed of the generated mirror month', DEFAULT_MIRROR_SEED)
    .action(async (options: { month: string; mirror?: boolean; rows: string; seed: string }) => {
      const config = loadConfig();
      const month = supportedMonth(validMonth(options.month));
      const tlcBaseUrl = options.mirror
        ? await prepareMirror(config, [month], Number(options.rows), Number(options.seed))
        : undefined;
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
      const config = loadConfig();
      await ensurePythonTool(config.cacheDir, 'airflow', consoleReporter);
      process.exitCode = await runAttached(airflowBin(config), args, { env: airflowEnv(config) });
    });
}
