// dp airflow and dp notebook without services: the environment handed to Airflow and Jupyter (endpoints from
// the config, keys only as variables), the run-state parsing of `airflow dags test`, and the pinned venvs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { airflowEnv, finalRunState } from '../../platform/local/airflow';
import { notebookEnv } from '../../cli/notebook';
import { PYTHON_TOOLS, pythonToolVenv } from '../../infra/local/install-python-tools';
import { loadConfig, REPO_ROOT } from '../../lib/config';

let home: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-airflow-unit-'));
  fs.writeFileSync(
    path.join(home, 'config.json'),
    JSON.stringify({ ports: { airflow: 18280, trino: 18080 } }),
  );
});

afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('airflowEnv', () => {
  test('points Airflow at the configured port and the DAG at the platform, keys by variable only', () => {
    const config = loadConfig({ DP_HOME: home });
    const env = airflowEnv(config, { tlcBaseUrl: 'http://127.0.0.1:18190' });
    expect(env.AIRFLOW_HOME).toBe(path.join(home, 'airflow'));
    expect(env.AIRFLOW__API__PORT).toBe('18280');
    expect(env.AIRFLOW__CORE__EXECUTION_API_SERVER_URL).toBe('http://127.0.0.1:18280/execution/');
    expect(env.AIRFLOW__CORE__DAGS_FOLDER).toBe(path.join(REPO_ROOT, 'airflow', 'dags'));
    expect(env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toBe(
      `sqlite:///${path.join(home, 'airflow', 'airflow.db')}`,
    );
    expect(env.DP_TRINO_PORT).toBe('18080');
    expect(env.DP_TLC_BASE_URL).toBe('http://127.0.0.1:18190');
    expect(JSON.parse(env.AIRFLOW_CONN_DP_TRINO as string)).toMatchObject({
      conn_type: 'trino',
      port: 18080,
    });

    const keys = JSON.parse(fs.readFileSync(path.join(home, 'secrets', 's3.json'), 'utf8')) as {
      accessKey: string;
      secretKey: string;
    };
    expect(env.DP_S3_SECRET_KEY).toBe(keys.secretKey);
    const catalog = JSON.parse(env.DP_BRANCH_CATALOG_PROPERTIES as string) as Record<string, string>;
    expect(catalog['s3.aws-secret-key']).toBe('${ENV:DP_S3_SECRET_KEY}');
    expect(catalog['iceberg.nessie-catalog.ref']).toBeUndefined(); // the DAG sets its branch
    expect(env.DP_BRANCH_CATALOG_PROPERTIES).not.toContain(keys.secretKey);
  });

  test("Airflow's signing keys are generated once, private, and kept", () => {
    const config = loadConfig({ DP_HOME: home });
    const first = airflowEnv(config);
    const second = airflowEnv(config);
    const file = path.join(home, 'secrets', 'airflow.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.AIRFLOW__API_AUTH__JWT_SECRET).toBe(second.AIRFLOW__API_AUTH__JWT_SECRET);
    expect((first.AIRFLOW__API_AUTH__JWT_SECRET as string).length).toBeGreaterThanOrEqual(40);
    // A Fernet key: 32 bytes in URL-safe base64 with padding.
    expect(first.AIRFLOW__CORE__FERNET_KEY).toMatch(/^[A-Za-z0-9_-]{43}=$/);
  });
});

describe('finalRunState', () => {
  const line = (state: string) =>
    `2026-11-25T21:53:02Z [info] DagRun Finished: dag_id=nyc_yellow_trips, logical_date=2026-11-25 21:52:13+00:00, ` +
    `run_id=manual__2026-11-25T21:52:16.142016+00:00, run_start_date=2026-11-25 21:52:13+00:00, run_duration=49.0, state=${state}, run_type=manual`;

  test('reads the state and run id of the finished run', () => {
    expect(finalRunState(['noise', line('success'), 'more noise'])).toEqual({
      state: 'success',
      runId: 'manual__2026-11-25T21:52:16.142016+00:00',
    });
    expect(finalRunState([line('failed')]).state).toBe('failed');
  });

  test('a run that never finished is unknown, not a success', () => {
    expect(finalRunState(['Traceback (most recent call last):', 'KeyError: x'])).toEqual({
      state: 'unknown',
      runId: '',
    });
  });
});

describe('notebookEnv', () => {
  test('hands the notebook the configured Trino and Nessie, and keeps Jupyter state under DP_HOME', () => {
    const config = loadConfig({ DP_HOME: home });
    const env = notebookEnv(config, '/tmp/out');
    expect(env.DP_TRINO_PORT).toBe('18080');
    expect(env.DP_NESSIE_API).toBe(`http://127.0.0.1:${config.ports.nessie}/api/v2`);
    expect(env.DP_NOTEBOOK_OUTPUT).toBe('/tmp/out');
    expect(env.JUPYTER_RUNTIME_DIR).toBe(path.join(home, 'jupyter', 'runtime'));
  });
});

describe('the Python tool venvs', () => {
  test.each(Object.entries(PYTHON_TOOLS))('%s: every requirement is pinned to one version', (tool, spec) => {
    const lines = fs
      .readFileSync(path.join(REPO_ROOT, spec.requirementsFile), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    // A full freeze, dependencies included (the linters pull in far fewer than Airflow or Jupyter).
    expect(lines.length).toBeGreaterThan(tool === 'lint' ? 10 : 50);
    for (const requirement of lines) expect(requirement).toMatch(/^[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+$/);
  });

  test('the pins include what the DAG and the notebook import, and the linters', () => {
    const pins = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    expect(pins(PYTHON_TOOLS.airflow.requirementsFile)).toMatch(/^apache-airflow==3\.3\.\d+$/m);
    for (const name of ['apache-airflow-providers-trino', 'pyiceberg', 'pyarrow', 'trino']) {
      expect(pins(PYTHON_TOOLS.airflow.requirementsFile)).toMatch(new RegExp(`^${name}==`, 'm'));
    }
    for (const name of [
      'jupyterlab',
      'papermill',
      'nbconvert',
      'ipykernel',
      'pandas',
      'matplotlib',
      'trino',
    ]) {
      expect(pins(PYTHON_TOOLS.jupyter.requirementsFile)).toMatch(new RegExp(`^${name}==`, 'm'));
    }
    for (const name of ['sqlfluff', 'ruff']) {
      expect(pins(PYTHON_TOOLS.lint.requirementsFile)).toMatch(new RegExp(`^${name}==`, 'm'));
    }
  });

  test('a venv is named after its requirements: a changed pin installs beside the old one', () => {
    expect(path.basename(pythonToolVenv('/cache', 'airflow'))).toMatch(/^airflow-[0-9a-f]{12}$/);
    expect(pythonToolVenv('/cache', 'jupyter')).not.toBe(pythonToolVenv('/cache', 'airflow'));
  });
});
