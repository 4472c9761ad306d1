"""Step load_bronze: the landed file, normalised to the canonical Bronze schema, replaces the month in
bronze.yellow_trips with PyIceberg through Nessie's Iceberg REST endpoint (one overwrite commit)."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.bronze_schema import arrow_schema, arrow_type, bronze_schema, iceberg_schema, partition_spec
from yellow_trips.months import validate_month
from yellow_trips.settings import Settings, s3_filesystem


def normalise(source, month: str, source_file: str, sha256: str, run_id: str, ingested_at: datetime):  # type: ignore[no-untyped-def]
    """The landed file in the canonical Bronze layout: renames, lossless casts, nulls for absent columns, lineage."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = bronze_schema()
    rows = source.num_rows
    names = source.column_names
    arrays = []
    problems = []
    for column in schema.source_columns:
        kind = arrow_type(column.type)
        found = next((n for n in column.sources if n in names), None)
        if found is None:
            lowered = {n.lower(): n for n in names}
            found = next((lowered[n.lower()] for n in column.sources if n.lower() in lowered), None)
        if found is None:
            if not column.optional:
                problems.append(f"missing column {' or '.join(column.sources)}")
            arrays.append(pa.nulls(rows, type=kind))
            continue
        data = source.column(found)
        if pa.types.is_timestamp(data.type) and data.type.tz is not None and column.type == "timestamp(6)":
            data = pc.cast(data, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        arrays.append(pc.cast(data, kind, safe=True))
    if problems:
        raise AirflowFailException(f"{source_file} does not have the yellow-taxi trip layout: {'; '.join(problems)}")
    lineage = {
        "source_month": pa.array([month] * rows, type=pa.string()),
        "source_file": pa.array([source_file] * rows, type=pa.string()),
        "source_sha256": pa.array([sha256] * rows, type=pa.string()),
        "ingested_at": pa.repeat(pa.scalar(ingested_at, type=pa.timestamp("us", tz="UTC")), rows),
        "run_id": pa.array([run_id] * rows, type=pa.string()),
    }
    arrays += [lineage[c.name] for c in schema.lineage_columns]
    return pa.Table.from_arrays(arrays, schema=arrow_schema())


def load_month(s: Settings, landed: dict[str, Any], branch: str, run_id: str) -> int:
    """Replaces the month in bronze.yellow_trips on the branch with the landed file; returns its rows."""
    import pyarrow.parquet as pq
    from pyiceberg.catalog.rest import RestCatalog
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError
    from pyiceberg.expressions import EqualTo

    month = validate_month(landed["month"])
    schema = bronze_schema()
    started = time.perf_counter()
    catalog = RestCatalog(
        "dp",
        **{
            "uri": s.iceberg_rest + branch,
            "warehouse": s.bucket,
            "s3.endpoint": s.s3_endpoint,
            "s3.access-key-id": s.s3_access_key,
            "s3.secret-access-key": s.s3_secret_key,
            "s3.path-style-access": "true",
            "s3.region": "us-east-1",
        },
    )
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace(schema.schema)
    try:
        table = catalog.load_table((schema.schema, schema.table))
    except NoSuchTableError:
        fields = iceberg_schema()
        table = catalog.create_table(
            (schema.schema, schema.table), schema=fields, partition_spec=partition_spec(fields)
        )
    source = pq.read_table(f"{s.bucket}/{landed['key']}", filesystem=s3_filesystem(s))
    canonical = normalise(
        source,
        month,
        landed["source_file"],
        landed["sha256"],
        run_id,
        datetime.now(timezone.utc),
    )
    del source
    if canonical.num_rows != landed["rows"]:
        raise AirflowFailException(f"read {canonical.num_rows} rows but the footer says {landed['rows']}")
    table.overwrite(canonical, overwrite_filter=EqualTo(schema.partitioned_by, month))
    print(
        f"{schema.schema}.{schema.table} on {branch}: month {month} replaced by {canonical.num_rows} rows "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return int(canonical.num_rows)
