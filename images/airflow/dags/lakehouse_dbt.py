"""Silver and Gold for one month with dbt on the lakehouse, as an Airflow DAG.

The platform's own pipeline is the Temporal workflow monthlyYellowTrips; this DAG is for teams that run
Airflow: it builds the dbt models of a month (already loaded into Bronze) against Trino on Nessie's main
branch, then checks the Gold summary has the month. Connection: Airflow connection `trino_lakehouse`
(host trino.data-platform.svc.cluster.local, port 8080). The month is the run's logical month, two months back
(the TLC publication lag), or the `month` param of a manual run.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.trino.operators.trino import TrinoOperator
from airflow.sdk import DAG, Param

DBT_VENV = os.environ.get("DBT_VENV", "/opt/airflow/dbt-venv")
DBT_PROJECT_DIR = os.environ.get("DBT_PROJECT_DIR", "/opt/airflow/dbt")
MONTH = (
    "{{ params.month or (logical_date - macros.dateutil.relativedelta.relativedelta(months=2))"
    ".strftime('%Y-%m') }}"
)

with DAG(
    dag_id="lakehouse_dbt_monthly",
    description="dbt build of Silver and Gold for one month of NYC yellow trips",
    schedule="0 6 1 * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={"month": Param(None, type=["null", "string"], pattern=r"^\d{4}-\d{2}$")},
    tags=["lakehouse", "dbt"],
) as dag:
    dbt_build = BashOperator(
        task_id="dbt_build",
        bash_command=(
            f"{DBT_VENV}/bin/dbt build --project-dir {DBT_PROJECT_DIR} --profiles-dir {DBT_PROJECT_DIR} "
            f"--target-path /tmp/dbt-target --log-path /tmp/dbt-logs "
            "--vars '{\"month\": \"" + MONTH + "\"}'"
        ),
        env={
            "DP_TRINO_HOST": "trino.data-platform.svc.cluster.local",
            "DP_TRINO_PORT": "8080",
            "DP_DBT_CATALOG": "lakehouse",
        },
        append_env=True,
    )

    check_gold = TrinoOperator(
        task_id="check_gold",
        trino_conn_id="trino_lakehouse",
        sql=(
            "SELECT count(*) FROM lakehouse.gold.monthly_summary "
            "WHERE source_month = '" + MONTH + "' HAVING count(*) > 0"
        ),
    )

    dbt_build >> check_gold
