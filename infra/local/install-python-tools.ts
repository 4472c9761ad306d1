// The Python tools beside the platform: Airflow 3 (the DAG in airflow/dags), JupyterLab (notebooks/) and the
// linters of the project's SQL and Python (sqlfluff and ruff, run by infra/local/lint-python.ts).
//
// Each lives in its own virtualenv under <cacheDir>/venvs, named after a hash of its fully pinned
// requirements file (infra/local/python/*-requirements.txt), so changing a pin installs a new venv beside
// the old one. A venv hard-codes its own path, so it is built in place; the stamp, written last, marks it
// whole, and an interrupted install starts that venv again. dbt keeps its own venv (install.ts): the DAG
// runs the very dbt the Temporal workflow runs.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/config';
import { run } from '../../lib/exec';
import { formatSeconds, type Reporter } from '../../lib/progress';
import { findPython } from './prereqs';
import { withLockFile } from './install-lock';

export type PythonTool = 'airflow' | 'jupyter' | 'lint';

export const PYTHON_TOOLS: Record<PythonTool, { requirementsFile: string; what: string }> = {
  airflow: {
    requirementsFile: 'infra/local/python/airflow-requirements.txt',
    what: 'Apache Airflow 3 with the Trino provider and PyIceberg',
  },
  jupyter: {
    requirementsFile: 'infra/local/python/jupyter-requirements.txt',
    what: 'JupyterLab, papermill, pandas, matplotlib and the Trino client',
  },
  lint: {
    requirementsFile: 'infra/local/python/lint-requirements.txt',
    what: 'sqlfluff and ruff',
  },
};

const STAMP = '.dp-installed.json';

/** The venv of a tool: <cacheDir>/venvs/<tool>-<first 12 hex of the requirements file's sha256>. */
export function pythonToolVenv(cacheDir: string, tool: PythonTool): string {
  const hash = createHash('sha256')
    .update(fs.readFileSync(path.join(REPO_ROOT, PYTHON_TOOLS[tool].requirementsFile)))
    .digest('hex')
    .slice(0, 12);
  return path.join(cacheDir, 'venvs', `${tool}-${hash}`);
}

export function pythonToolBin(cacheDir: string, tool: PythonTool, program: string): string {
  return path.join(pythonToolVenv(cacheDir, tool), 'bin', program);
}

export function isPythonToolInstalled(cacheDir: string, tool: PythonTool): boolean {
  const venv = pythonToolVenv(cacheDir, tool);
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(venv, STAMP), 'utf8')) as { version?: string };
    return stamp.version === path.basename(venv);
  } catch {
    return false;
  }
}

/** pip prints a line per package it collects: show every 10th, prefixed with the tool, so a cold install visibly advances. */
function pipProgress(tool: PythonTool, report: Reporter): (line: string) => boolean {
  let collected = 0;
  return (line) => {
    if (/^Collecting /.test(line)) {
      collected += 1;
      if (collected % 10 === 1)
        report('install', `${tool} venv: ${collected} packages collected (${line.slice(11)})`);
      return false;
    }
    return /^(Successfully installed|ERROR)/.test(line);
  };
}

export async function installPythonTool(
  cacheDir: string,
  python: string,
  tool: PythonTool,
  report: Reporter,
): Promise<string> {
  const venv = pythonToolVenv(cacheDir, tool);
  const label = `${tool} venv`;
  if (isPythonToolInstalled(cacheDir, tool)) {
    report('install', `${label}: cached ${venv}`);
    return venv;
  }
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  // Two `dp install`s at once (two checkouts sharing the cache) must not build the same venv together.
  const lock = { doing: `installing the ${label}`, report, timeoutMs: 30 * 60_000, retryMs: 2000 };
  await withLockFile(`${venv}.lock`, lock, async () => {
    if (isPythonToolInstalled(cacheDir, tool)) {
      report('install', `${label}: installed meanwhile by another dp: ${venv}`);
      return;
    }
    await buildVenv(venv, python, tool, report);
  });
  return venv;
}

async function buildVenv(venv: string, python: string, tool: PythonTool, report: Reporter) {
  const label = `${tool} venv`;
  const started = Date.now();
  fs.rmSync(venv, { recursive: true, force: true });
  report('install', `${label}: creating ${venv} and installing ${PYTHON_TOOLS[tool].what} (pinned)`);
  await run(python, ['-m', 'venv', venv], { component: 'install', report });
  const pip = path.join(venv, 'bin', 'pip');
  // Every package is pinned (a full freeze), so --no-deps installs exactly the list; `pip check` then
  // proves the list is complete and consistent.
  await run(
    pip,
    [
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      '--no-deps',
      '-r',
      path.join(REPO_ROOT, PYTHON_TOOLS[tool].requirementsFile),
    ],
    { component: 'install', report, showLine: pipProgress(tool, report) },
  );
  await run(pip, ['check', '--disable-pip-version-check'], { component: 'install', report });
  fs.writeFileSync(path.join(venv, STAMP), JSON.stringify({ version: path.basename(venv) }));
  report('install', `${label}: installed ${venv} (${formatSeconds(Date.now() - started)})`);
}

/** Installs the tool's venv when missing (for `dp airflow`, `dp notebook` and the linters on a machine without `dp install`). */
export async function ensurePythonTool(
  cacheDir: string,
  tool: PythonTool,
  report: Reporter,
): Promise<string> {
  if (isPythonToolInstalled(cacheDir, tool)) return pythonToolVenv(cacheDir, tool);
  return installPythonTool(cacheDir, findPython(), tool, report);
}

/** Every tool's venv, at once: the downloads overlap, the installs share nothing. */
export async function installPythonTools(cacheDir: string, python: string, report: Reporter): Promise<void> {
  await Promise.all(
    (Object.keys(PYTHON_TOOLS) as PythonTool[]).map((tool) =>
      installPythonTool(cacheDir, python, tool, report),
    ),
  );
}
