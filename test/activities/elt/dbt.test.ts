// How the transform stage reads dbt's run results: passes, data-test findings for the audit, errors.
import { isDbtProgressLine, summariseDbtResults, type DbtNodeResult } from '../../../activities/elt/dbt';

const node = (unique_id: string, status: string, extra: Partial<DbtNodeResult> = {}): DbtNodeResult => ({
  unique_id,
  status,
  failures: null,
  message: null,
  ...extra,
});

describe('summariseDbtResults', () => {
  test('counts successful models and passing tests, and nothing else, as passed', () => {
    const summary = summariseDbtResults([
      node('model.lakehouse.yellow_trips', 'success'),
      node('seed.lakehouse.taxi_zone_lookup', 'success'),
      node('test.lakehouse.not_null_x', 'pass'),
      node('test.lakehouse.accepted_range_y', 'warn'),
      node('model.lakehouse.skipped', 'skipped'),
    ]);
    expect(summary).toEqual({ passed: 3, failedTests: [], errors: [] });
  });

  test('a failed data test is a finding with its row count and message, not an error', () => {
    const summary = summariseDbtResults([
      node('test.lakehouse.assert_silver_rows_pass_every_rule', 'fail', {
        failures: 12,
        message: 'Got 12 results',
      }),
      node('test.lakehouse.unique_trip', 'fail'),
    ]);
    expect(summary.failedTests).toEqual([
      { name: 'test.lakehouse.assert_silver_rows_pass_every_rule', failures: 12, message: 'Got 12 results' },
      { name: 'test.lakehouse.unique_trip', failures: 0, message: '' },
    ]);
    expect(summary.errors).toEqual([]);
    expect(summary.passed).toBe(0);
  });

  test('an error names the node and is cut to 500 characters', () => {
    const long = 'x'.repeat(600);
    const summary = summariseDbtResults([node('model.lakehouse.gold', 'error', { message: long })]);
    expect(summary.errors).toHaveLength(1);
    expect(summary.errors[0].startsWith('model.lakehouse.gold: xxx')).toBe(true);
    expect(summary.errors[0]).toHaveLength(500);
  });
});

describe('isDbtProgressLine', () => {
  test('picks node starts and outcomes out of dbt output', () => {
    expect(isDbtProgressLine('12:00:01  1 of 10 START sql incremental model silver.yellow_trips ...')).toBe(
      true,
    );
    expect(isDbtProgressLine('12:00:09  1 of 10 OK created sql incremental model silver.yellow_trips')).toBe(
      true,
    );
    expect(isDbtProgressLine('12:00:10  2 of 10 FAIL 3 assert_rows ..... [FAIL 3 in 0.4s]')).toBe(true);
    expect(isDbtProgressLine('12:00:00  Running with dbt=1.11.0')).toBe(false);
    expect(isDbtProgressLine('')).toBe(false);
  });
});
