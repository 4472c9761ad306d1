// Lints the project's SQL and Python with the pinned linters of the 'lint' venv (installed by `dp install`,
// or here on first use): sqlfluff over dbt/ (config dbt/.sqlfluff) and ruff over the Python files (ruff.toml).
//   npx tsx infra/local/lint-python.ts          check; exit 1 on any finding
//   npx tsx infra/local/lint-python.ts --fix    let both linters fix what they can, then check
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../lib/config';
import { consoleReporter } from '../../lib/progress';
import { ensurePythonTool, pythonToolBin } from './install-python-tools';

/** The Python files ruff checks (ruff finds the .py files under a folder). */
export const PYTHON_LINT_PATHS = ['airflow', 'bench', 'test/support'];

function lint(program: string, args: string[]): boolean {
  process.stdout.write(`$ ${path.basename(program)} ${args.join(' ')}\n`);
  const result = spawnSync(program, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
}

async function main(): Promise<number> {
  const fix = process.argv.includes('--fix');
  const { cacheDir } = loadConfig();
  await ensurePythonTool(cacheDir, 'lint', consoleReporter);
  const sqlfluff = pythonToolBin(cacheDir, 'lint', 'sqlfluff');
  const ruff = pythonToolBin(cacheDir, 'lint', 'ruff');
  if (fix) {
    lint(sqlfluff, ['fix', '--quiet', 'dbt']);
    lint(ruff, ['check', '--fix', ...PYTHON_LINT_PATHS]);
  }
  // Both run, so one report shows every finding.
  const sql = lint(sqlfluff, ['lint', 'dbt']);
  const python = lint(ruff, ['check', ...PYTHON_LINT_PATHS]);
  return sql && python ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
