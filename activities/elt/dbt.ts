// The transform stage: `dbt build` of the project for one month on a run's Trino catalog, and what its
// run_results.json says (models and tests passed, tests failed for the audit, errors that fail the stage).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DbtOutcome, DbtTestFailure } from '../../domain/elt';
import { runLines } from '../../lib/exec';

export interface DbtBuildOptions {
  dbtExecutable: string;
  projectDir: string;
  trinoUrl: string;
  /** The Trino catalog bound to the run's Nessie branch. */
  catalog: string;
  month: string;
  onProgress: (message: string) => void;
  /** Stops dbt when aborted (SIGINT, on which dbt-trino cancels its queries; SIGKILL after a grace). */
  signal?: AbortSignal;
}

/** One node's entry in dbt's run_results.json (the fields read here). */
export interface DbtNodeResult {
  unique_id: string;
  status: string;
  failures: number | null;
  message: string | null;
}

export interface DbtResultSummary {
  /** Models, seeds and tests that passed. */
  passed: number;
  /** Data tests that found rows (findings for the audit, not failures of the run). */
  failedTests: DbtTestFailure[];
  /** Nodes that could not run at all (SQL errors, a lost connection): the stage fails. */
  errors: string[];
}

/** Sorts dbt's node results into what passed, data-test findings and errors. */
export function summariseDbtResults(results: DbtNodeResult[]): DbtResultSummary {
  return {
    passed: results.filter((r) => r.status === 'success' || r.status === 'pass').length,
    failedTests: results
      .filter((r) => r.status === 'fail')
      .map((r) => ({ name: r.unique_id, failures: r.failures ?? 0, message: r.message ?? '' })),
    errors: results
      .filter((r) => r.status === 'error')
      .map((r) => `${r.unique_id}: ${r.message ?? ''}`.slice(0, 500)),
  };
}

/** A dbt log line worth a heartbeat: a node starting or finishing. */
export function isDbtProgressLine(line: string): boolean {
  return / (OK|PASS|FAIL|ERROR|WARN) /.test(line) || /START/.test(line);
}

export async function runDbtBuild(options: DbtBuildOptions): Promise<DbtOutcome> {
  const started = Date.now();
  const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-dbt-'));
  const trinoUrl = new URL(options.trinoUrl);
  const args = [
    'build',
    '--project-dir',
    options.projectDir,
    '--profiles-dir',
    options.projectDir,
    '--target-path',
    targetDir,
    '--vars',
    JSON.stringify({ month: options.month }),
  ];
  const env = {
    ...process.env,
    DP_DBT_CATALOG: options.catalog,
    DP_TRINO_HOST: trinoUrl.hostname,
    DP_TRINO_PORT: trinoUrl.port || '80',
    DBT_LOG_PATH: path.join(targetDir, 'logs'),
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_EXCLUDE_RESOURCE_TYPES: 'unit_test', // they test the SQL, not the month: test/dbt runs them
  };
  try {
    // dbt exits non-zero when a test fails: run_results.json, not the exit code, says what happened.
    const { code, output } = await runLines(options.dbtExecutable, args, {
      env,
      keepLines: 60,
      signal: options.signal,
      onLine: (line) => {
        if (isDbtProgressLine(line)) options.onProgress(`dbt: ${line.trim()}`);
      },
    });
    const resultsFile = path.join(targetDir, 'run_results.json');
    if (!fs.existsSync(resultsFile)) {
      throw new Error(`dbt build failed before running anything (exit ${code}):\n${output}`);
    }
    const { results } = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { results: DbtNodeResult[] };
    const summary = summariseDbtResults(results);
    if (summary.errors.length > 0) {
      throw new Error(`dbt build had ${summary.errors.length} error(s): ${summary.errors.join('; ')}`);
    }
    return {
      seconds: (Date.now() - started) / 1000,
      passed: summary.passed,
      failedTests: summary.failedTests,
    };
  } finally {
    fs.rmSync(targetDir, { recursive: true, force: true });
  }
}
