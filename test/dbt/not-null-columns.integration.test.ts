// The not_null_columns generic test (dbt/tests/generic): compiled by dbt for a Gold model, then run by Trino
// over rows with nulls in place of the model's table. It must name each listed column that has nulls in the
// run's month, with their count and the month's rows, and nothing else.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { TrinoClient } from '../../clients/trino';
import { endpoints, loadConfig } from '../../lib/config';
import { DBT_PROJECT, runDbt } from '../support/dbt';

const MONTH = '2025-04';
const MODEL = 'monthly_summary';
const TEST_NAME = `not_null_columns_${MODEL}`;

/** The columns the model's not_null_columns test lists in the Gold YAML. */
function listedColumns(): string[] {
  const doc = parse(
    fs.readFileSync(path.join(DBT_PROJECT, 'models', 'gold', '_gold__models.yml'), 'utf8'),
  ) as {
    models: {
      name: string;
      data_tests?: Record<string, { name: string; arguments: { columns: string[] } }>[];
    }[];
  };
  const model = doc.models.find((m) => m.name === MODEL);
  const test = (model?.data_tests ?? []).map((t) => t.not_null_columns).find((t) => t?.name === TEST_NAME);
  if (!test) throw new Error(`${TEST_NAME} is not declared on ${MODEL}`);
  return test.arguments.columns;
}

test('not_null_columns names each listed column with nulls in the month, and counts them', async () => {
  const columns = listedColumns();
  expect(columns.length).toBeGreaterThan(2);
  // Row i has a null in column i % n; the last row, of another month, has nulls everywhere.
  const rows: { month: string; values: (number | null)[] }[] = [
    ...[0, 1, 2, 3].map((i) => ({ month: MONTH, values: columns.map((_, c) => (c === i % 2 ? null : i)) })),
    { month: MONTH, values: columns.map(() => 7) },
    { month: '2025-05', values: columns.map(() => null) },
  ];
  const monthRows = rows.filter((r) => r.month === MONTH);
  const expected = columns
    .map((column, c) => ({
      column_name: column,
      null_rows: monthRows.filter((r) => r.values[c] === null).length,
      checked_rows: monthRows.length,
    }))
    .filter((r) => r.null_rows > 0);
  expect(expected.length).toBe(2);

  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-dbt-generic-'));
  try {
    const result = runDbt('compile', ['--select', TEST_NAME], target, MONTH);
    expect({ status: result.status, output: result.status === 0 ? '' : result.stdout.slice(-4000) }).toEqual({
      status: 0,
      output: '',
    });
    const compiledFile = fs
      .readdirSync(path.join(target, 'compiled'), { recursive: true, encoding: 'utf8' })
      .find((f) => path.basename(f) === `${TEST_NAME}.sql`);
    if (!compiledFile) throw new Error(`dbt compiled no ${TEST_NAME}.sql under ${target}`);
    const compiled = fs.readFileSync(path.join(target, 'compiled', compiledFile), 'utf8');
    const table = new RegExp(`"[^"]+"\\."gold"\\."${MODEL}"`);
    expect(compiled).toMatch(table);
    const values = rows
      .map(
        (r) => `(${[`'${r.month}'`, ...r.values.map((v) => (v === null ? 'null' : String(v)))].join(', ')})`,
      )
      .join(', ');
    const fixture = `(values ${values}) as fixture (source_month, ${columns.join(', ')})`;
    const trino = new TrinoClient(endpoints(loadConfig()).trino, { source: 'dbt-generic.test' });
    const found = await trino.queryObjects(compiled.replace(table, fixture));
    expect(found.sort((a, b) => String(a.column_name).localeCompare(String(b.column_name)))).toEqual(
      expected.sort((a, b) => a.column_name.localeCompare(b.column_name)),
    );
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}, 300_000);
