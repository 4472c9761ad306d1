"""Step dbt_build: ``dbt build`` of dbt/ for the month on the branch's catalog, as the Temporal workflow runs it."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.months import sql_identifier, validate_month
from yellow_trips.settings import Settings


def dbt_build(s: Settings, month: str, catalog: str) -> dict[str, Any]:
    """Runs dbt build and fails on any error or failed test; returns how many nodes passed."""
    month = validate_month(month)
    with tempfile.TemporaryDirectory(prefix="dp-airflow-dbt-") as target:
        args = [
            s.dbt_executable,
            "build",
            "--project-dir",
            s.dbt_project_dir,
            "--profiles-dir",
            s.dbt_project_dir,
            "--target-path",
            target,
            "--vars",
            json.dumps({"month": month}),
            # Unit tests test the SQL, not the month: test/dbt/unit-tests.integration.test.ts runs them.
            "--exclude-resource-type",
            "unit_test",
        ]
        env = {
            **os.environ,
            "DP_DBT_CATALOG": sql_identifier(catalog),
            "DP_TRINO_HOST": s.trino_host,
            "DP_TRINO_PORT": str(s.trino_port),
            "DBT_LOG_PATH": os.path.join(target, "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        completed = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        print(completed.stdout[-20000:])
        print(completed.stderr[-5000:])
        results_file = os.path.join(target, "run_results.json")
        if not os.path.exists(results_file):
            raise RuntimeError(f"dbt build failed before running anything (exit {completed.returncode})")
        with open(results_file) as f:
            results = json.load(f)["results"]
    errors = [r for r in results if r["status"] == "error"]
    failed = [r for r in results if r["status"] == "fail"]
    if errors or failed:
        names = ", ".join(r["unique_id"] for r in errors + failed)
        raise AirflowFailException(f"dbt build: {len(errors)} error(s), {len(failed)} failed test(s): {names}")
    passed = sum(1 for r in results if r["status"] in ("success", "pass"))
    return {"passed": passed}
