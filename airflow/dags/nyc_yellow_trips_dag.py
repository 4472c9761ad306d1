"""NYC Yellow Taxi trips, one month per run: the Airflow version of the Temporal workflow `monthlyYellowTrips`.

Same source, same tables, same contract as the Temporal workflow (see the README's "The monthly ELT"):

1. ``resolve_month``  the month of the run: ``conf``/params ``month`` ('YYYY-MM', 2023-01 on, not in the
   future) for a manual run; for a scheduled run (the 1st of each month) the month DP_TLC_LAG_MONTHS (2)
   before the run's date, as the Temporal Schedule does.
2. ``fetch``          ``<DP_TLC_BASE_URL>/trip-data/yellow_tripdata_YYYY-MM.parquet`` into
   ``s3://<bucket>/landing/airflow/yellow/`` (apart from the Temporal workflow's landing keys), hashed on
   the way; the Parquet footer gives the row count.
3. ``open_branch``    a Nessie branch from main's current commit and a Trino catalog bound to it: like the
   Temporal workflow, the DAG writes on a branch (Write-Audit-Publish). Nothing before ``publish``
   touches main, so readers never see a half-loaded month and a failed check leaves main as it was.
4. ``load_bronze``    the landed file, normalised to the canonical Bronze schema (snake_case, widest types,
   lineage columns), into ``bronze.yellow_trips`` with PyIceberg through Nessie's Iceberg REST endpoint
   (``/iceberg/<branch>``): read and written in record batches (bounded memory: a full month stays under
   1.5 GiB), then one OVERWRITE snapshot in one commit that drops the month's earlier files and adds the
   new ones, so a failed load leaves nothing and a re-run replaces the month, never duplicates it.
5. ``dbt_build``      ``dbt build`` of the same ``dbt/`` project with the same vars (``{"month": M}``) and the
   same dbt (the project's dbt virtualenv), on the branch's catalog.
6. ``check``          reconciliations computed here, independently of dbt: Bronze = source footer rows,
   Bronze = Silver + rejected + duplicates removed, Gold trips = Silver rows, non-empty.
7. ``publish``        one atomic Nessie merge into main, tag ``yellow-trips-YYYY-MM`` (moved on a re-run),
   then the branch's catalog and branch are dropped.

Everything comes from the environment that ``dp airflow up`` / ``dp airflow run`` set (endpoints from the
platform config, object-store keys from the platform's generated secrets); nothing is hard-coded here.
The steps themselves live in the package ``yellow_trips`` beside this file; this file only wires them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task

# The steps, named apart from the tasks below that run them.
from yellow_trips.branch import open_branch as open_run_branch
from yellow_trips.branch import publish as publish_run
from yellow_trips.bronze import load_month
from yellow_trips.checks import reconcile
from yellow_trips.dbt_run import dbt_build as run_dbt_build
from yellow_trips.fetch import fetch_month
from yellow_trips.months import scheduled_month, validate_month
from yellow_trips.settings import settings

DAG_ID = "nyc_yellow_trips"

default_args = {
    "owner": "lakehouse",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
}

with DAG(
    dag_id=DAG_ID,
    description="NYC Yellow Taxi trips: fetch a month, Bronze with PyIceberg, dbt Silver/Gold, check, publish",
    schedule="0 6 1 * *",  # the 1st of each month; the month loaded lags by DP_TLC_LAG_MONTHS
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # two months at once would conflict on the Nessie merge
    dagrun_timeout=timedelta(hours=3),
    default_args=default_args,
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="The month to load, YYYY-MM (e.g. 2025-03). Empty: the scheduled month.",
        )
    },
    tags=["lakehouse", "yellow-trips"],
    doc_md=__doc__,
) as dag:

    @task
    def resolve_month() -> str:
        context = get_current_context()
        conf = (context["dag_run"].conf or {}) if context.get("dag_run") else {}
        month = conf.get("month") or context["params"].get("month")
        if month:
            return validate_month(month)
        logical = context.get("logical_date") or context["dag_run"].run_after
        return scheduled_month(logical, settings().lag_months)

    @task(execution_timeout=timedelta(minutes=45))
    def fetch(month: str) -> dict[str, Any]:
        """Downloads the month's file to the landing key: streamed, hashed, footer-checked, then uploaded."""
        return fetch_month(settings(), month)

    @task(execution_timeout=timedelta(minutes=5))
    def open_branch(landed: dict[str, Any]) -> dict[str, str]:
        """A Nessie branch from main and a Trino catalog bound to it (kept when they exist: task retries).

        Runs after ``fetch``: a month the source does not have leaves no branch behind."""
        return open_run_branch(settings(), landed["month"], get_current_context()["run_id"])

    @task(execution_timeout=timedelta(minutes=30))
    def load_bronze(landed: dict[str, Any], run: dict[str, str]) -> int:
        """Replaces the month in bronze.yellow_trips on the run's branch: batches streamed, one snapshot."""
        run_id = f"airflow:{get_current_context()['run_id']}"
        return load_month(settings(), landed, run["branch"], run_id)

    @task(execution_timeout=timedelta(minutes=60))
    def dbt_build(month: str, run: dict[str, str], bronze_rows: int) -> dict[str, Any]:
        """`dbt build` of dbt/ for the month on the branch's catalog: the Temporal workflow's invocation."""
        return {**run_dbt_build(settings(), month, run["catalog"]), "bronze_rows": bronze_rows}

    @task(execution_timeout=timedelta(minutes=10))
    def check(landed: dict[str, Any], run: dict[str, str], dbt: dict[str, Any]) -> dict[str, int]:
        """Reconciliations on the branch, computed independently of dbt; any failure keeps main untouched."""
        return reconcile(landed, run["branch"], run["catalog"])

    @task(execution_timeout=timedelta(minutes=5), retries=1)
    def publish(month: str, run: dict[str, str], counts: dict[str, int]) -> str:
        """Merges the branch into main in one commit, moves the month's tag there, drops branch and catalog."""
        return publish_run(settings(), month, run, get_current_context()["run_id"], counts)

    month = resolve_month()
    landed = fetch(month)
    run = open_branch(landed)
    bronze_rows = load_bronze(landed, run)
    dbt_result = dbt_build(month, run, bronze_rows)
    counts = check(landed, run, dbt_result)
    publish(month, run, counts)
