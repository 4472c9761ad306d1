"""NYC Yellow Taxi trips, one month per run: the Airflow version of the Temporal workflow `monthlyYellowTrips`.

Same source, same tables, same contract as the Temporal workflow (see the README's "The monthly ELT"):

1. ``resolve_month``  the month of the run: ``conf``/params ``month`` ('YYYY-MM', 2023-01 on, not in the
   future) for a manual run; for a scheduled run (the 1st of each month) the month DP_TLC_LAG_MONTHS (2)
   before the run's date, as the Temporal Schedule does.
2. ``fetch``          ``<DP_TLC_BASE_URL>/trip-data/yellow_tripdata_YYYY-MM.parquet`` into
   ``s3://<bucket>/landing/yellow/`` (the Temporal workflow's landing key), hashed on the way; the Parquet
   footer gives the row count.
3. ``open_branch``    a Nessie branch from main's current commit and a Trino catalog bound to it: like the
   Temporal workflow, the DAG writes on a branch (Write-Audit-Publish). Nothing before ``publish``
   touches main, so readers never see a half-loaded month and a failed check leaves main as it was.
4. ``load_bronze``    the landed file, normalised to the canonical Bronze schema (snake_case, widest types,
   lineage columns), into ``bronze.yellow_trips`` with PyIceberg through Nessie's Iceberg REST endpoint
   (``/iceberg/<branch>``): one ``overwrite`` commit with the filter ``source_month = M``, so a re-run
   replaces the month and never duplicates it.
5. ``dbt_build``      ``dbt build`` of the same ``dbt/`` project with the same vars (``{"month": M}``) and the
   same dbt (the project's dbt virtualenv), on the branch's catalog.
6. ``check``          reconciliations computed here, independently of dbt: Bronze = source footer rows,
   Bronze = Silver + rejected + duplicates removed, Gold trips = Silver rows, non-empty.
7. ``publish``        one atomic Nessie merge into main, tag ``yellow-trips-YYYY-MM`` (moved on a re-run),
   then the branch's catalog and branch are dropped.

Everything comes from the environment that ``dp airflow up`` / ``dp airflow run`` set (endpoints from the
platform config, object-store keys from the platform's generated secrets); nothing is hard-coded here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

DAG_ID = "nyc_yellow_trips"
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_SUPPORTED_MONTH = "2023-01"
LANDING_PREFIX = "landing/yellow"
TRINO_CONN_ID = "dp_trino"

# ------------------------------------------------------------------------------------------- settings


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


# ---------------------------------------------------------------------------------------------- months


def month_index(month: str) -> int:
    match = MONTH_PATTERN.match(month)
    if not match:
        raise ValueError(f"Invalid month '{month}': use YYYY-MM, e.g. 2025-03.")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def validate_month(month: object, today: datetime | None = None) -> str:
    """A month the pipeline loads: 'YYYY-MM', from 2023-01 (the Bronze schema family) up to this month."""
    if not isinstance(month, str):
        raise AirflowFailException(f"Invalid month {month!r}: use a 'YYYY-MM' string, e.g. 2025-03.")
    try:
        index = month_index(month)
    except ValueError as err:
        raise AirflowFailException(str(err)) from err
    if index < month_index(FIRST_SUPPORTED_MONTH):
        raise AirflowFailException(f"Month {month} is not supported: the pipeline loads {FIRST_SUPPORTED_MONTH} and later.")
    now = today or datetime.now(timezone.utc)
    if index > now.year * 12 + now.month - 1:
        raise AirflowFailException(f"Month {month} is in the future.")
    return month


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
REF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def sql_identifier(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise AirflowFailException(f"Unsafe SQL identifier {name!r}")
    return name


def run_token(run_id: str) -> str:
    """A short, ref- and SQL-safe token of the Airflow run id (stable across task retries)."""
    return hashlib.sha256(run_id.encode()).hexdigest()[:10]


def branch_names(month: str, run_id: str) -> tuple[str, str]:
    token = run_token(run_id)
    return (f"airflow-yellow-trips-{month}-{token}", f"af_{month.replace('-', '_')}_{token}")


# ---------------------------------------------------------------------------------------------- nessie


def nessie_call(s: Settings, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        s.nessie_api + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        raise NessieError(err.code, f"Nessie {method} {path}: HTTP {err.code}: {err.read().decode()[:500]}") from err


class NessieError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def nessie_ref(s: Settings, name: str) -> dict[str, Any] | None:
    if not REF_NAME.match(name):
        raise AirflowFailException(f"Unsafe Nessie reference name {name!r}")
    try:
        return nessie_call(s, "GET", f"/trees/{name}")["reference"]
    except NessieError as err:
        if err.status == 404:
            return None
        raise


# ----------------------------------------------------------------------------------------------- trino


def trino_hook():  # type: ignore[no-untyped-def]
    from airflow.providers.trino.hooks.trino import TrinoHook

    return TrinoHook(trino_conn_id=TRINO_CONN_ID)


def trino_rows(sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in trino_hook().get_records(sql)]


def trino_one(sql: str) -> tuple[Any, ...]:
    rows = trino_rows(sql)
    if len(rows) != 1:
        raise AirflowFailException(f"Expected one row, got {len(rows)}: {sql}")
    return rows[0]


def catalogs() -> set[str]:
    return {str(r[0]) for r in trino_rows("SHOW CATALOGS")}


# ----------------------------------------------------------------------------------------------- Bronze

# Canonical Bronze columns (domain/bronze-schema.ts): name, type, source names (first match wins).
SOURCE_COLUMNS: list[tuple[str, str, list[str]]] = [
    ("vendor_id", "long", ["VendorID"]),
    ("tpep_pickup_datetime", "timestamp", ["tpep_pickup_datetime"]),
    ("tpep_dropoff_datetime", "timestamp", ["tpep_dropoff_datetime"]),
    ("passenger_count", "double", ["passenger_count"]),
    ("trip_distance", "double", ["trip_distance"]),
    ("ratecode_id", "double", ["RatecodeID"]),
    ("store_and_fwd_flag", "string", ["store_and_fwd_flag"]),
    ("pu_location_id", "long", ["PULocationID"]),
    ("do_location_id", "long", ["DOLocationID"]),
    ("payment_type", "long", ["payment_type"]),
    ("fare_amount", "double", ["fare_amount"]),
    ("extra", "double", ["extra"]),
    ("mta_tax", "double", ["mta_tax"]),
    ("tip_amount", "double", ["tip_amount"]),
    ("tolls_amount", "double", ["tolls_amount"]),
    ("improvement_surcharge", "double", ["improvement_surcharge"]),
    ("total_amount", "double", ["total_amount"]),
    ("congestion_surcharge", "double", ["congestion_surcharge"]),
    ("airport_fee", "double", ["Airport_fee", "airport_fee"]),
    ("cbd_congestion_fee", "double", ["cbd_congestion_fee"]),
]
OPTIONAL_SOURCE_COLUMNS = {"congestion_surcharge", "airport_fee", "cbd_congestion_fee"}
LINEAGE_COLUMNS: list[tuple[str, str]] = [
    ("source_month", "string"),
    ("source_file", "string"),
    ("source_sha256", "string"),
    ("ingested_at", "timestamptz"),
    ("run_id", "string"),
]


def _arrow_type(kind: str):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return {
        "long": pa.int64(),
        "double": pa.float64(),
        "string": pa.string(),
        "timestamp": pa.timestamp("us"),
        "timestamptz": pa.timestamp("us", tz="UTC"),
    }[kind]


def _iceberg_type(kind: str):  # type: ignore[no-untyped-def]
    from pyiceberg.types import DoubleType, LongType, StringType, TimestampType, TimestamptzType

    return {
        "long": LongType(),
        "double": DoubleType(),
        "string": StringType(),
        "timestamp": TimestampType(),
        "timestamptz": TimestamptzType(),
    }[kind]


def bronze_columns() -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, _ in SOURCE_COLUMNS] + LINEAGE_COLUMNS


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


def normalise(source, month: str, source_file: str, sha256: str, run_id: str, ingested_at: datetime):  # type: ignore[no-untyped-def]
    """The landed file in the canonical Bronze layout: renames, lossless casts, nulls for absent columns, lineage."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = source.num_rows
    names = source.column_names
    arrays = []
    problems = []
    for name, kind, sources in SOURCE_COLUMNS:
        found = next((n for n in sources if n in names), None)
        if found is None:
            lowered = {n.lower(): n for n in names}
            found = next((lowered[n.lower()] for n in sources if n.lower() in lowered), None)
        if found is None:
            if name not in OPTIONAL_SOURCE_COLUMNS:
                problems.append(f"missing column {' or '.join(sources)}")
            arrays.append(pa.nulls(rows, type=_arrow_type(kind)))
            continue
        column = source.column(found)
        if pa.types.is_timestamp(column.type) and column.type.tz is not None and kind == "timestamp":
            column = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        arrays.append(pc.cast(column, _arrow_type(kind), safe=True))
    if problems:
        raise AirflowFailException(f"{source_file} does not have the yellow-taxi trip layout: {'; '.join(problems)}")
    arrays.append(pa.array([month] * rows, type=pa.string()))
    arrays.append(pa.array([source_file] * rows, type=pa.string()))
    arrays.append(pa.array([sha256] * rows, type=pa.string()))
    arrays.append(pa.repeat(pa.scalar(ingested_at, type=pa.timestamp("us", tz="UTC")), rows))
    arrays.append(pa.array([run_id] * rows, type=pa.string()))
    schema = pa.schema([pa.field(name, _arrow_type(kind), nullable=True) for name, kind in bronze_columns()])
    return pa.Table.from_arrays(arrays, schema=schema)


# ------------------------------------------------------------------------------------------------- DAG

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
        s = settings()
        return validate_month(month_from_index(logical.year * 12 + logical.month - 1 - s.lag_months))

    @task(execution_timeout=timedelta(minutes=45))
    def fetch(month: str) -> dict[str, Any]:
        """Downloads the month's file to the landing key: streamed, hashed, footer-checked, then uploaded."""
        import pyarrow.parquet as pq

        s = settings()
        source_file = f"yellow_tripdata_{validate_month(month)}.parquet"
        url = f"{s.tlc_base_url}/trip-data/{source_file}"
        key = f"{LANDING_PREFIX}/{source_file}"
        with tempfile.TemporaryDirectory(prefix="dp-airflow-fetch-") as tmp:
            local = os.path.join(tmp, source_file)
            digest = hashlib.sha256()
            try:
                with urllib.request.urlopen(url, timeout=60) as response, open(local, "wb") as out:
                    announced = int(response.headers.get("Content-Length") or -1)
                    while chunk := response.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as err:
                if err.code in (403, 404):
                    raise AirflowFailException(f"{url}: HTTP {err.code}: the month is not published yet") from err
                raise
            size = os.path.getsize(local)
            if announced >= 0 and size != announced:
                raise RuntimeError(f"{source_file}: received {size} bytes but the source announced {announced}")
            try:
                rows = pq.ParquetFile(local).metadata.num_rows
            except Exception as err:  # pyarrow raises ArrowInvalid on a truncated or non-Parquet file
                raise AirflowFailException(f"{source_file} is not a valid Parquet file: {err}") from err
            fs = s3_filesystem(s)
            with open(local, "rb") as src, fs.open_output_stream(f"{s.bucket}/{key}") as dst:
                while chunk := src.read(8 << 20):
                    dst.write(chunk)
        sha256 = digest.hexdigest()
        print(f"landed s3://{s.bucket}/{key}: {size} bytes, {rows} rows, sha256 {sha256[:12]}...")
        return {"month": month, "key": key, "source_file": source_file, "rows": rows, "sha256": sha256, "bytes": size}

    @task(execution_timeout=timedelta(minutes=5))
    def open_branch(landed: dict[str, Any]) -> dict[str, str]:
        """A Nessie branch from main and a Trino catalog bound to it (kept when they exist: task retries).

        Runs after ``fetch``: a month the source does not have leaves no branch behind."""
        s = settings()
        month = validate_month(landed["month"])
        context = get_current_context()
        branch, catalog = branch_names(month, context["run_id"])
        if nessie_ref(s, branch) is None:
            main = nessie_ref(s, "main")
            if main is None:
                raise AirflowFailException("Nessie has no main branch: run dp up first")
            nessie_call(
                s,
                "POST",
                f"/trees?name={urllib.parse.quote(branch)}&type=BRANCH",
                {"type": "BRANCH", "name": "main", "hash": main["hash"]},
            )
        if sql_identifier(catalog) not in catalogs():
            properties = {**s.branch_catalog_properties, "iceberg.nessie-catalog.ref": branch}
            connector = sql_identifier(properties.pop("connector.name"))
            with_clause = ", ".join(f'"{k}" = {sql_string(v)}' for k, v in properties.items())
            trino_hook().run(f"CREATE CATALOG {catalog} USING {connector} WITH ({with_clause})")
        print(f"branch {branch}, Trino catalog {catalog}")
        return {"branch": branch, "catalog": catalog}

    @task(execution_timeout=timedelta(minutes=30))
    def load_bronze(landed: dict[str, Any], run: dict[str, str]) -> int:
        """Replaces the month in bronze.yellow_trips on the run's branch with PyIceberg (one overwrite commit)."""
        import pyarrow.parquet as pq
        from pyiceberg.catalog.rest import RestCatalog
        from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError
        from pyiceberg.expressions import EqualTo
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.transforms import IdentityTransform
        from pyiceberg.types import NestedField

        s = settings()
        month = validate_month(landed["month"])
        context = get_current_context()
        started = time.perf_counter()
        catalog = RestCatalog(
            "dp",
            **{
                "uri": s.iceberg_rest + run["branch"],
                "warehouse": s.bucket,
                "s3.endpoint": s.s3_endpoint,
                "s3.access-key-id": s.s3_access_key,
                "s3.secret-access-key": s.s3_secret_key,
                "s3.path-style-access": "true",
                "s3.region": "us-east-1",
            },
        )
        try:
            catalog.create_namespace("bronze")
        except NamespaceAlreadyExistsError:
            pass
        try:
            table = catalog.load_table(("bronze", "yellow_trips"))
        except NoSuchTableError:
            fields = [
                NestedField(field_id=i + 1, name=name, field_type=_iceberg_type(kind), required=False)
                for i, (name, kind) in enumerate(bronze_columns())
            ]
            schema = Schema(*fields)
            spec = PartitionSpec(
                PartitionField(
                    source_id=schema.find_field("source_month").field_id,
                    field_id=1000,
                    transform=IdentityTransform(),
                    name="source_month",
                )
            )
            table = catalog.create_table(("bronze", "yellow_trips"), schema=schema, partition_spec=spec)
        source = pq.read_table(f"{s.bucket}/{landed['key']}", filesystem=s3_filesystem(s))
        canonical = normalise(
            source,
            month,
            landed["source_file"],
            landed["sha256"],
            f"airflow:{context['run_id']}",
            datetime.now(timezone.utc),
        )
        del source
        if canonical.num_rows != landed["rows"]:
            raise AirflowFailException(f"read {canonical.num_rows} rows but the footer says {landed['rows']}")
        table.overwrite(canonical, overwrite_filter=EqualTo("source_month", month))
        print(f"bronze.yellow_trips on {run['branch']}: month {month} replaced by {canonical.num_rows} rows "
              f"in {time.perf_counter() - started:.1f} s")
        return int(canonical.num_rows)

    @task(execution_timeout=timedelta(minutes=60))
    def dbt_build(month: str, run: dict[str, str], bronze_rows: int) -> dict[str, Any]:
        """`dbt build` of dbt/ for the month on the branch's catalog: the Temporal workflow's invocation."""
        s = settings()
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
            ]
            env = {
                **os.environ,
                "DP_DBT_CATALOG": sql_identifier(run["catalog"]),
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
        return {"passed": passed, "bronze_rows": bronze_rows}

    @task(execution_timeout=timedelta(minutes=10))
    def check(landed: dict[str, Any], run: dict[str, str], dbt: dict[str, Any]) -> dict[str, int]:
        """Reconciliations on the branch, computed independently of dbt; any failure keeps main untouched."""
        month = validate_month(landed["month"])
        c = sql_identifier(run["catalog"])
        m = sql_string(month)
        start = f"TIMESTAMP {sql_string(month + '-01 00:00:00')}"
        rules = " AND ".join(
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
        source_columns = ", ".join(name for name, _, _ in SOURCE_COLUMNS)
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
                f"check failed for {month} (branch {run['branch']} kept for inspection): " + "; ".join(problems)
            )
        return counts

    @task(execution_timeout=timedelta(minutes=5), retries=1)
    def publish(month: str, run: dict[str, str], counts: dict[str, int]) -> str:
        """Merges the branch into main in one commit, moves the month's tag there, drops branch and catalog."""
        s = settings()
        month = validate_month(month)
        branch = nessie_ref(s, run["branch"])
        if branch is None:
            raise AirflowFailException(f"branch {run['branch']} no longer exists")
        message = f"Publish yellow trips {month} (airflow {get_current_context()['run_id']})"
        # A retry after the merge went through (and a later step failed) must not merge again.
        history = nessie_call(s, "GET", "/trees/main/history?max-records=50")["logEntries"]
        done = next((e["commitMeta"]["hash"] for e in history if e["commitMeta"].get("message") == message), None)
        if done:
            main_hash = done
        else:
            main = nessie_ref(s, "main")
            if main is None:
                raise AirflowFailException("Nessie has no main branch")
            try:
                merged = nessie_call(
                    s,
                    "POST",
                    f"/trees/main@{main['hash']}/history/merge",
                    {"fromRefName": branch["name"], "fromHash": branch["hash"], "message": message},
                )
            except NessieError as err:
                if err.status == 409:
                    raise AirflowFailException(
                        f"main changed the same tables since the branch was made (another run published): {err}. "
                        "Run the month again."
                    ) from err
                raise
            main_hash = merged["resultantTargetHash"]
        tag_name = f"yellow-trips-{month}"
        tag = nessie_ref(s, tag_name)
        target = {"type": "BRANCH", "name": "main", "hash": main_hash}
        if tag is None:
            nessie_call(s, "POST", f"/trees?name={tag_name}&type=TAG", target)
        elif tag["hash"] != main_hash:
            nessie_call(s, "PUT", f"/trees/{tag_name}@{tag['hash']}?type=TAG", target)
        if sql_identifier(run["catalog"]) in catalogs():
            trino_hook().run(f"DROP CATALOG {run['catalog']}")
        nessie_call(s, "DELETE", f"/trees/{branch['name']}@{branch['hash']}?type=BRANCH")
        print(f"{month} published to main ({main_hash[:12]}), tag {tag_name}; counts {counts}")
        return main_hash

    month = resolve_month()
    landed = fetch(month)
    run = open_branch(landed)
    bronze_rows = load_bronze(landed, run)
    dbt = dbt_build(month, run, bronze_rows)
    counts = check(landed, run, dbt)
    publish(month, run, counts)
