// The month's Gold rows as Trino returns them, and their exact comparison (the Airflow benchmark's gold_equal).
import type { TrinoClient } from '../../clients/trino';

/** The Gold tables and the columns that order their rows (one row per key). */
export const GOLD_TABLES: Record<string, string[]> = {
  monthly_summary: ['source_month'],
  daily_zone_metrics: ['pickup_date', 'pickup_borough', 'pickup_zone'],
  hourly_demand: ['pickup_weekday', 'pickup_hour'],
  payment_mix: ['payment_type'],
};

export type GoldRows = Record<string, Record<string, unknown>[]>;

export async function readGoldRows(trino: TrinoClient, catalog: string, month: string): Promise<GoldRows> {
  const gold: GoldRows = {};
  for (const [table, key] of Object.entries(GOLD_TABLES)) {
    gold[table] = await trino.queryObjects(
      `SELECT * FROM ${catalog}.gold.${table} WHERE source_month = '${month}' ORDER BY ${key.join(', ')}`,
    );
  }
  return gold;
}

interface GoldComparison {
  equal: boolean;
  tables: Record<string, { rows_temporal: number; rows_airflow: number; differing_rows: number }>;
  /** The largest relative difference between two numbers in the same place (0 when all are identical). */
  max_relative_difference: number;
  first_difference: string | null;
}

/** Every row and column of the Temporal run's Gold against the Airflow run's, exactly. */
export function compareGold(temporal: GoldRows, airflow: GoldRows): GoldComparison {
  const tables: GoldComparison['tables'] = {};
  let maxRelative = 0;
  let firstDifference: string | null = null;
  for (const table of Object.keys(GOLD_TABLES)) {
    const [a, b] = [temporal[table] ?? [], airflow[table] ?? []];
    let differing = Math.abs(a.length - b.length);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (JSON.stringify(a[i]) === JSON.stringify(b[i])) continue;
      differing += 1;
      firstDifference ??= `${table} row ${i}: temporal ${JSON.stringify(a[i])} airflow ${JSON.stringify(b[i])}`;
      for (const column of Object.keys(a[i])) {
        const [x, y] = [a[i][column], b[i][column]];
        if (typeof x === 'number' && typeof y === 'number' && x !== y) {
          maxRelative = Math.max(maxRelative, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
        } else if (JSON.stringify(x) !== JSON.stringify(y)) maxRelative = Infinity;
      }
    }
    if (a.length !== b.length) maxRelative = Infinity;
    tables[table] = { rows_temporal: a.length, rows_airflow: b.length, differing_rows: differing };
  }
  const equal = Object.values(tables).every((t) => t.differing_rows === 0 && t.rows_temporal > 0);
  return { equal, tables, max_relative_difference: maxRelative, first_difference: firstDifference };
}
