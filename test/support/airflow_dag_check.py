"""Checks of airflow/dags/nyc_yellow_trips_dag.py and its library airflow/dags/yellow_trips without the platform, run
by test/airflow/airflow.integration.test.ts with the Airflow virtualenv's Python: the DAG parses (and the library is
not parsed as DAG files), its schedule, retries and timeouts, the order of its tasks, the month validation, and the
Bronze normalisation of a 2024-layout file. Prints one JSON object."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone

import pyarrow as pa

DAGS = sys.argv[1]
sys.path.insert(0, DAGS)

from airflow.models.dagbag import DagBag  # noqa: E402

from yellow_trips.bronze import normalise  # noqa: E402
from yellow_trips.months import branch_names, validate_month  # noqa: E402

bag = DagBag(dag_folder=DAGS)
dag = bag.dags.get("nyc_yellow_trips")

result: dict[str, object] = {"import_errors": {k: str(v)[:500] for k, v in bag.import_errors.items()}}
# The files the DAG processor parsed: the DAG file only, not its library (.airflowignore).
result["parsed_files"] = sorted(os.path.basename(stat.file) for stat in bag.dagbag_stats)
if dag is not None:
    result["schedule"] = str(dag.timetable.summary if hasattr(dag.timetable, "summary") else dag.schedule)
    result["catchup"] = dag.catchup
    result["max_active_runs"] = dag.max_active_runs
    result["tasks"] = {
        t.task_id: {
            "upstream": sorted(t.upstream_task_ids),
            "retries": t.retries,
            "timeout_s": t.execution_timeout.total_seconds() if t.execution_timeout else None,
        }
        for t in dag.tasks
    }

today = datetime(2026, 11, 25, tzinfo=timezone.utc)
validation: dict[str, str] = {}
for month in ["2025-03", "2023-01", "2026-11", "2025-13", "2022-12", "2026-12", "2025-3", "2025-03'; DROP", 202503]:
    try:
        validation[str(month)] = "ok:" + validate_month(month, today)
    except Exception as err:  # AirflowFailException
        validation[str(month)] = "refused:" + str(err)
result["validation"] = validation

# A 2024-layout file: int64 passenger_count, Airport_fee, no cbd_congestion_fee, timestamps in us.
rows = 3
source = pa.table(
    {
        "VendorID": pa.array([1, 2, 1], pa.int32()),
        "tpep_pickup_datetime": pa.array([datetime(2024, 6, 1, 8, 0)] * rows, pa.timestamp("us")),
        "tpep_dropoff_datetime": pa.array([datetime(2024, 6, 1, 8, 15)] * rows, pa.timestamp("us")),
        "passenger_count": pa.array([1, None, 3], pa.int64()),
        "trip_distance": pa.array([1.5, 2.0, 0.3]),
        "RatecodeID": pa.array([1, 1, 2], pa.int64()),
        "store_and_fwd_flag": pa.array(["N", "N", "Y"]),
        "PULocationID": pa.array([161, 237, 132], pa.int32()),
        "DOLocationID": pa.array([236, 161, 1], pa.int32()),
        "payment_type": pa.array([1, 2, 1], pa.int64()),
        "fare_amount": pa.array([10.0, 12.5, 70.0]),
        "extra": pa.array([0.0, 1.0, 0.0]),
        "mta_tax": pa.array([0.5, 0.5, 0.5]),
        "tip_amount": pa.array([2.0, 0.0, 15.0]),
        "tolls_amount": pa.array([0.0, 0.0, 6.94]),
        "improvement_surcharge": pa.array([1.0, 1.0, 1.0]),
        "total_amount": pa.array([16.0, 17.5, 96.19]),
        "congestion_surcharge": pa.array([2.5, 2.5, 0.0]),
        "Airport_fee": pa.array([0.0, 0.0, 1.75]),
    }
)
ingested = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
canonical = normalise(source, "2024-06", "yellow_tripdata_2024-06.parquet", "ab" * 32, "airflow:test", ingested)
result["normalised"] = {
    "columns": [f"{f.name}:{f.type}" for f in canonical.schema],
    "rows": canonical.num_rows,
    "passenger_count": canonical.column("passenger_count").to_pylist(),
    "airport_fee": canonical.column("airport_fee").to_pylist(),
    "cbd_congestion_fee": canonical.column("cbd_congestion_fee").to_pylist(),
    "source_month": canonical.column("source_month").to_pylist(),
    "run_id": canonical.column("run_id").to_pylist(),
}
try:
    normalise(source.drop(["PULocationID"]), "2024-06", "f.parquet", "0" * 64, "r", ingested)
    result["missing_column"] = "accepted"
except Exception as err:
    result["missing_column"] = str(err)
result["branch_names"] = list(branch_names("2025-03", "manual__2026-11-25T21:52:16+00:00"))
print(json.dumps(result))
os._exit(0)
