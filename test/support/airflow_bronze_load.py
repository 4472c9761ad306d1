"""Runs the DAG's Bronze load (yellow_trips.bronze.load_month) once outside Airflow, for the Airflow integration
test's failure case: argv = the DAG folder, the landed-file record (JSON, as the fetch task returns it), the Nessie
branch. Needs the environment `dp airflow` sets (platform/local/airflow.ts airflowEnv). Exits 1 with the error on
stderr when the load fails."""

from __future__ import annotations

import json
import sys

sys.path.insert(0, sys.argv[1])

from yellow_trips.bronze import load_month  # noqa: E402
from yellow_trips.settings import settings  # noqa: E402

rows = load_month(settings(), json.loads(sys.argv[2]), sys.argv[3], "airflow:test-bronze-load")
print(json.dumps({"rows": rows}))
