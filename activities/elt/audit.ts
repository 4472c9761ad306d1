// The audit of a month on its run branch, before anything is published: dbt's tests plus reconciliations
// computed here, independently of the dbt models (Bronze against the source footer, Bronze against
// Silver + rejected + duplicates, Gold against Silver).
import type { AuditCheck, AuditReport, LandedFile } from '../../domain/elt';
import { sqlIdentifier, sqlString, type TrinoClient } from '../../clients/trino';
import { BRONZE_SOURCE_COLUMNS } from '../../domain/bronze-schema';

/** The Silver rules, restated for the audit; a NULL in a checked column fails the rule. */
function passesRulesSql(month: string): string {
  const start = `TIMESTAMP ${sqlString(`${month}-01 00:00:00`)}`;
  return [
    `tpep_pickup_datetime >= ${start}`,
    `tpep_pickup_datetime < ${start} + INTERVAL '1' MONTH`,
    'tpep_dropoff_datetime > tpep_pickup_datetime',
    "tpep_dropoff_datetime - tpep_pickup_datetime <= INTERVAL '1' DAY",
    'trip_distance >= 0 AND trip_distance < 500',
    'fare_amount >= 0 AND total_amount >= 0',
    'pu_location_id BETWEEN 1 AND 265 AND do_location_id BETWEEN 1 AND 265',
  ]
    .map((rule) => `COALESCE(${rule}, false)`)
    .join(' AND ');
}

function cents(value: unknown): string {
  return value === null || value === undefined ? 'null' : Number(value).toFixed(2);
}

export async function auditMonth(
  trino: TrinoClient,
  catalog: string,
  landed: LandedFile,
  failedDbtTests: AuditReport['failedDbtTests'],
  runId: string,
): Promise<Omit<AuditReport, 'auditedHash'>> {
  const c = sqlIdentifier(catalog);
  const month = sqlString(landed.month);
  const sourceColumns = BRONZE_SOURCE_COLUMNS.map((col) => col.name).join(', ');
  const one = async (sql: string) => (await trino.queryObjects(sql))[0] ?? {};

  // The checks' queries are independent reads of one branch: run together, their planning and metadata
  // round trips overlap instead of adding up.
  const [bronze, distinctPassing, silver, rejected, gold, goldTrips] = await Promise.all([
    one(`
    SELECT count(*) AS rows,
           count_if(${passesRulesSql(landed.month)}) AS passing
    FROM ${c}.bronze.yellow_trips WHERE source_month = ${month}`),
    one(`
    SELECT count(*) AS rows FROM (
      SELECT DISTINCT ${sourceColumns} FROM ${c}.bronze.yellow_trips
      WHERE source_month = ${month} AND ${passesRulesSql(landed.month)})`),
    one(`
    SELECT count(*) AS rows, sum(total_amount) AS total_amount, sum(fare_amount) AS fare_amount,
           sum(tip_amount) AS tip_amount, sum(coalesce(passenger_count, 0)) AS passengers
    FROM ${c}.silver.yellow_trips WHERE source_month = ${month}`),
    one(`SELECT count(*) AS rows FROM ${c}.silver.yellow_trips_rejected WHERE source_month = ${month}`),
    one(`
    SELECT trips, total_amount, fare_amount, tip_amount, passengers
    FROM ${c}.gold.monthly_summary WHERE source_month = ${month}`),
    one(`
    SELECT (SELECT sum(trips) FROM ${c}.gold.daily_zone_metrics WHERE source_month = ${month}) AS daily_zone,
           (SELECT sum(trips) FROM ${c}.gold.hourly_demand WHERE source_month = ${month}) AS hourly,
           (SELECT sum(trips) FROM ${c}.gold.payment_mix WHERE source_month = ${month}) AS payment`),
  ]);

  const B = Number(bronze.rows);
  const P = Number(bronze.passing);
  const S = Number(silver.rows);
  const R = Number(rejected.rows);
  const D = P - Number(distinctPassing.rows);
  const checks: AuditCheck[] = [];
  const check = (name: string, expected: unknown, actual: unknown) =>
    checks.push({
      name,
      passed: String(expected) === String(actual),
      expected: String(expected),
      actual: String(actual),
    });

  check('bronze rows = source footer rows', landed.rows, B);
  check('rejected rows = bronze rows failing a rule', B - P, R);
  check('silver rows = passing bronze rows - duplicates removed', P - D, S);
  check('bronze rows = silver + rejected + duplicates removed', B, S + R + D);
  check('gold monthly trips = silver rows', S, gold.trips ?? 'missing');
  check(
    'gold monthly total_amount = silver total_amount',
    cents(silver.total_amount),
    cents(gold.total_amount),
  );
  check('gold monthly fare_amount = silver fare_amount', cents(silver.fare_amount), cents(gold.fare_amount));
  check('gold monthly tip_amount = silver tip_amount', cents(silver.tip_amount), cents(gold.tip_amount));
  check('gold monthly passengers = silver passengers', Number(silver.passengers), Number(gold.passengers));
  check('gold daily_zone_metrics trips = silver rows', S, goldTrips.daily_zone ?? 0);
  check('gold hourly_demand trips = silver rows', S, goldTrips.hourly ?? 0);
  check('gold payment_mix trips = silver rows', S, goldTrips.payment ?? 0);
  checks.push({
    name: 'dbt tests pass',
    passed: failedDbtTests.length === 0,
    expected: '0 failing tests',
    actual: failedDbtTests.length === 0 ? '0 failing tests' : failedDbtTests.map((t) => t.name).join(', '),
  });

  return {
    month: landed.month,
    runId,
    catalog,
    passed: checks.every((x) => x.passed),
    checks,
    counts: { bronze: B, silver: S, rejected: R, duplicatesRemoved: D, sourceFooterRows: landed.rows },
    failedDbtTests,
    auditedAt: new Date().toISOString(),
  };
}
