// The Airflow benchmark's Gold comparison: equal only when every row and column is identical.
import { compareGold, GOLD_TABLES, type GoldRows } from '../../bench/airflow/gold';

function gold(avgDistance = 2.5): GoldRows {
  const rows: GoldRows = Object.fromEntries(
    Object.keys(GOLD_TABLES).map((t) => [t, [{ source_month: '2025-03', trips: 7 }]]),
  );
  rows.daily_zone_metrics = [
    { pickup_date: '2025-03-01', pickup_zone: 'A', trips: 3, total_amount: '12.30', avg_distance: 2.5 },
    {
      pickup_date: '2025-03-01',
      pickup_zone: 'B',
      trips: 4,
      total_amount: '9.10',
      avg_distance: avgDistance,
    },
  ];
  return rows;
}

describe('compareGold', () => {
  test('identical rows are equal', () => {
    const result = compareGold(gold(), gold());
    expect(result.equal).toBe(true);
    expect(result.max_relative_difference).toBe(0);
    expect(result.first_difference).toBeNull();
  });

  test('a double one ulp apart is a difference, with its relative size', () => {
    const result = compareGold(gold(), gold(2.5000000000000004));
    expect(result.equal).toBe(false);
    expect(result.tables.daily_zone_metrics.differing_rows).toBe(1);
    expect(result.max_relative_difference).toBeGreaterThan(0);
    expect(result.max_relative_difference).toBeLessThan(1e-15);
    expect(result.first_difference).toMatch(/^daily_zone_metrics row 1/);
  });

  test('a missing row or an empty table is not equal', () => {
    const fewer = gold();
    fewer.daily_zone_metrics = fewer.daily_zone_metrics.slice(0, 1);
    expect(compareGold(gold(), fewer).equal).toBe(false);
    expect(compareGold(gold(), fewer).max_relative_difference).toBe(Infinity);
    const empty = gold();
    empty.payment_mix = [];
    expect(compareGold(empty, empty).equal).toBe(false);
  });
});
