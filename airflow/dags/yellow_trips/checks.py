"""Step check: reconciliations on the branch, computed independently of dbt; any failure keeps main untouched."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.bronze_schema import bronze_schema
from yellow_trips.months import sql_identifier, sql_string, validate_month
from yellow_trips.trino_queries import trino_one, trino_rows


def passes_rules_sql(month: str) -> str:
    """The Silver rules, restated; a NULL in a checked column fails the rule."""
    start = f"TIMESTAMP {sql_string(month + '-01 00:00:00')}"
    return " AND ".join(
        f"COALESCE({rule}, false)"
        for rule in [
            f"tpep_pickup_datetime >= {start}",
            f"tpep_pickup_datetime < {start} + INTERVAL '1' MONTH",
            "tpep_dropoff_datetime > tpep_pickup_datetime",
            "tpep_dropoff_datetime - tpep_pickup_datetime <= INTERVAL '1' DAY",
            "trip_distance >= 0 AND trip_distance < 500",
            "fare_amount >= 0 AND total_amount >= 0",
            "pu_location_id BETWEEN 1 AND 265 AND do_location_id BETWEEN 1 AND 265",
        ]
    )


def reconcile(landed: dict[str, Any], branch: str, catalog: str) -> dict[str, int]:
    """Bronze = source footer rows, Bronze = Silver + rejected + duplicates removed, Gold trips = Silver rows."""
    month = validate_month(landed["month"])
    c = sql_identifier(catalog)
    m = sql_string(month)
    rules = passes_rules_sql(month)
    source_columns = ", ".join(column.name for column in bronze_schema().source_columns)
    bronze, passing = trino_one(
        f"SELECT count(*), count_if({rules}) FROM {c}.bronze.yellow_trips WHERE source_month = {m}"
    )
    (distinct_passing,) = trino_one(
        f"SELECT count(*) FROM (SELECT DISTINCT {source_columns} FROM {c}.bronze.yellow_trips "
        f"WHERE source_month = {m} AND {rules})"
    )
    (silver,) = trino_one(f"SELECT count(*) FROM {c}.silver.yellow_trips WHERE source_month = {m}")
    (rejected,) = trino_one(f"SELECT count(*) FROM {c}.silver.yellow_trips_rejected WHERE source_month = {m}")
    gold = trino_rows(f"SELECT trips FROM {c}.gold.monthly_summary WHERE source_month = {m}")
    (daily,) = trino_one(f"SELECT coalesce(sum(trips), 0) FROM {c}.gold.daily_zone_metrics WHERE source_month = {m}")
    duplicates = passing - distinct_passing
    problems = []

    def expect(name: str, expected: object, actual: object) -> None:
        if expected != actual:
            problems.append(f"{name}: expected {expected}, got {actual}")

    expect("bronze rows = source footer rows", landed["rows"], bronze)
    expect("bronze rows = silver + rejected + duplicates removed", bronze, silver + rejected + duplicates)
    expect("rejected rows = bronze rows failing a rule", bronze - passing, rejected)
    expect("gold monthly_summary has one row for the month", 1, len(gold))
    expect("gold monthly trips = silver rows", silver, gold[0][0] if gold else None)
    expect("gold daily_zone_metrics trips = silver rows", silver, daily)
    if silver == 0:
        problems.append("silver has no rows for the month")
    counts = {"bronze": bronze, "silver": silver, "rejected": rejected, "duplicates_removed": duplicates}
    print(f"check {month}: {counts}")
    if problems:
        raise AirflowFailException(
            f"check failed for {month} (branch {branch} kept for inspection): " + "; ".join(problems)
        )
    return counts
