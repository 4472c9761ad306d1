// Apache Airflow 3 on the local platform, running the documented DAG of the monthly ELT
// (airflow/dags/nyc_yellow_trips_dag.py): its configuration and the commands run in the foreground.
//
// Airflow lives in its own virtualenv (infra/local/install-python-tools.ts); AIRFLOW_HOME is
// DP_HOME/airflow with a SQLite metadata database. Its processes (api-server on the `airflow` port,
// scheduler, dag-processor) are local components like the platform's others (services.ts, supervisor.ts).
// Everything the DAG needs reaches it through the environment: the platform's endpoints from lib/config.ts
// and the object-store keys from DP_HOME/secrets (never a file in the repo); Airflow's own signing keys are
// generated into DP_HOME/secrets/airflow.json on first use.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { supportedMonth, validMonth } from '../../domain/months';
import { lakehouseCatalogAt } from '../../lib/catalog';
import { endpoints, paths, REPO_ROOT, type PlatformConfig } from '../../lib/config';
import { formatSeconds, type Reporter } from '../../lib/progress';
import { CommandFailed, run, runAttached } from '../../lib/exec';
import { s3CredentialsEnv, writePrivateFile } from './credentials';
import { toolPaths } from '../../infra/local/install';
import { ensurePythonTool, pythonToolBin } from '../../infra/local/install-python-tools';

export const AIRFLOW_DAG_ID = 'nyc_yellow_trips';
export const AIRFLOW_DAGS_DIR = path.join(REPO_ROOT, 'airflow', 'dags');
/** Airflow's processes, each a detached component of its own. */
export const AIRFLOW_PROCESSES = ['api-server', 'scheduler', 'dag-processor'] as const;
export type AirflowProcess = (typeof AIRFLOW_PROCESSES)[number];
/** The local component (pid file, log) of each Airflow process. */
export type AirflowComponent = `airflow-${AirflowProcess}`;

export function airflowComponent(proc: AirflowProcess): AirflowComponent {
  return `airflow-${proc}`;
}

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
  const trino = new URL(e.trino);
  const apiUrl = `http://${config.host}:${config.ports.airflow}`;
  // The branch catalogs the DAG creates: the platform's one definition, keys read by Trino from its own env.
  const { ['iceberg.nessie-catalog.ref']: _ref, ...catalogProperties } = lakehouseCatalogAt(
    { ...e, warehouseBucket: config.warehouseBucket },
    'main',
  );
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
    ...s3CredentialsEnv(paths(config).secrets),
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

export function airflowBin(config: PlatformConfig): string {
  return pythonToolBin(config.cacheDir, 'airflow', 'airflow');
}

/** Installs the venv if missing and brings the metadata database to the installed version. */
export async function prepareAirflow(config: PlatformConfig, report: Reporter, env: NodeJS.ProcessEnv) {
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

/** How one Airflow process is started: `airflow <process>` with the platform environment. */
export function airflowProcessCommand(
  config: PlatformConfig,
  proc: AirflowProcess,
  options: { tlcBaseUrl?: string } = {},
) {
  return {
    command: airflowBin(config),
    // The scheduler would serve task logs on every interface (port 8793); the API server reads them from disk.
    args: proc === 'scheduler' ? [proc, '--skip-serve-logs'] : [proc],
    cwd: airflowHome(config),
    env: airflowEnv(config, options),
    // Airflow's command lines do not name DP_HOME; its executable's name marks them.
    marker: 'airflow',
  };
}

/** Whether the API server answers its health endpoint. */
export async function airflowApiHealthy(config: PlatformConfig): Promise<boolean> {
  try {
    const response = await fetch(`http://${config.host}:${config.ports.airflow}/api/v2/monitor/health`, {
      signal: AbortSignal.timeout(3000),
    });
    return response.ok;
  } catch {
    return false;
  }
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

/** `airflow <args>` in the foreground with the platform environment, its output on this terminal; its exit code. */
export async function runAirflowCommand(
  config: PlatformConfig,
  args: string[],
  report: Reporter,
): Promise<number> {
  await ensurePythonTool(config.cacheDir, 'airflow', report);
  return runAttached(airflowBin(config), args, { env: airflowEnv(config) });
}
