// dbt's unit tests (the `unit_tests:` beside the models: the validation rules and Silver's deduplication) on
// the test platform's Trino. The monthly ELT's `dbt build` leaves them out, so this is where they run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { DBT_PROJECT, runDbt } from '../support/dbt';

/** The names of the unit tests declared in the project's YAML files. */
function declaredUnitTests(): string[] {
  const files = fs
    .readdirSync(path.join(DBT_PROJECT, 'models'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yml'));
  return files.flatMap((file) => {
    const doc = parse(fs.readFileSync(path.join(DBT_PROJECT, 'models', file), 'utf8')) as {
      unit_tests?: { name: string }[];
    };
    return (doc.unit_tests ?? []).map((t) => t.name);
  });
}

describe('the dbt unit tests', () => {
  test('every unit test passes against Trino', () => {
    const declared = declaredUnitTests();
    expect(declared).toEqual(
      expect.arrayContaining([
        'classified_rows_get_their_first_failed_rule',
        'yellow_trips_collapses_exact_duplicates',
      ]),
    );
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-dbt-unit-'));
    try {
      // Each unit test sets its own month.
      const result = runDbt('test', ['--select', 'test_type:unit'], target);
      const resultsFile = path.join(target, 'run_results.json');
      if (!fs.existsSync(resultsFile)) {
        throw new Error(`dbt test ran nothing (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
      }
      const { results } = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
        results: { unique_id: string; status: string; message: string | null }[];
      };
      const outcomes = Object.fromEntries(
        results
          .filter((r) => r.unique_id.startsWith('unit_test.')) // not the on-run-start hook
          .map((r) => [r.unique_id.split('.').pop() as string, r.status]),
      );
      const expected = Object.fromEntries(declared.map((name) => [name, 'pass']));
      // On a failure dbt prints the differing rows: show them with the outcome.
      expect({ outcomes, output: result.status === 0 ? '' : result.stdout.slice(-6000) }).toEqual({
        outcomes: expected,
        output: '',
      });
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  }, 600_000);
});
