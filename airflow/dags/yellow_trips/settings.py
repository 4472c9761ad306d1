"""The run's settings: everything from the environment that ``dp airflow up`` / ``dp airflow run`` set."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from airflow.sdk.exceptions import AirflowFailException


@dataclass(frozen=True)
class Settings:
    tlc_base_url: str
    lag_months: int
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    bucket: str
    nessie_api: str
    iceberg_rest: str
    trino_host: str
    trino_port: int
    catalog: str
    branch_catalog_properties: dict[str, str]
    dbt_executable: str
    dbt_project_dir: str


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise AirflowFailException(
            f"{name} is not set: run the DAG through `dp airflow up` or `dp airflow run`, which set the "
            "platform's endpoints and keys in Airflow's environment."
        )
    return value


def settings() -> Settings:
    return Settings(
        tlc_base_url=_env("DP_TLC_BASE_URL").rstrip("/"),
        lag_months=int(os.environ.get("DP_TLC_LAG_MONTHS") or "2"),
        s3_endpoint=_env("DP_S3_ENDPOINT"),
        s3_access_key=_env("DP_S3_ACCESS_KEY"),
        s3_secret_key=_env("DP_S3_SECRET_KEY"),
        bucket=_env("DP_WAREHOUSE_BUCKET"),
        nessie_api=_env("DP_NESSIE_API").rstrip("/"),
        iceberg_rest=_env("DP_NESSIE_ICEBERG_REST").rstrip("/") + "/",
        trino_host=_env("DP_TRINO_HOST"),
        trino_port=int(_env("DP_TRINO_PORT")),
        catalog=_env("DP_CATALOG"),
        branch_catalog_properties=json.loads(_env("DP_BRANCH_CATALOG_PROPERTIES")),
        dbt_executable=_env("DP_DBT_EXECUTABLE"),
        dbt_project_dir=_env("DP_DBT_PROJECT_DIR"),
    )


def s3_filesystem(s: Settings):  # type: ignore[no-untyped-def]
    from pyarrow import fs as pafs

    scheme, _, rest = s.s3_endpoint.partition("://")
    return pafs.S3FileSystem(
        access_key=s.s3_access_key,
        secret_key=s.s3_secret_key,
        endpoint_override=rest,
        scheme=scheme,
        region="us-east-1",
    )
