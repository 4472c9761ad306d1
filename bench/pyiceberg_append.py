"""Baseline for bench/elt-bronze.ts: the original design's Bronze load, done with PyIceberg.

Reads one landed TLC month from the object store into memory as an Arrow table (as the original design
did), normalises it to the canonical Bronze schema (snake_case names, widest types, lineage columns),
then replaces that month's partition of an Iceberg table through Nessie's Iceberg REST catalog with
PyIceberg's `overwrite(..., overwrite_filter=source_month == M)`: one commit that deletes the month and
appends the new rows. Prints one JSON line with its timings.

The object-store keys come from the environment (DP_S3_ACCESS_KEY / DP_S3_SECRET_KEY), never argv.
"""

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs as pafs
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError
from pyiceberg.expressions import EqualTo
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import NestedField

# The canonical Bronze schema, read from domain/bronze-schema.json by the Airflow DAG's module (imports only
# the standard library): name, Iceberg type, Arrow type, source column names in any year's file (first match
# wins; none found = absent in older files).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "airflow", "dags"))
import yellow_trips.bronze_schema as bronze  # noqa: E402

SOURCE_COLUMNS = [
    (c.name, bronze.iceberg_type(c.type), bronze.arrow_type(c.type), list(c.sources))
    for c in bronze.bronze_schema().source_columns
]
LINEAGE_COLUMNS = [
    (c.name, bronze.iceberg_type(c.type), bronze.arrow_type(c.type)) for c in bronze.bronze_schema().lineage_columns
]


def iceberg_schema() -> Schema:
    fields = []
    for index, (name, iceberg_type, _, _) in enumerate(SOURCE_COLUMNS + [c + (None,) for c in LINEAGE_COLUMNS]):
        fields.append(NestedField(field_id=index + 1, name=name, field_type=iceberg_type, required=False))
    return Schema(*fields)


def arrow_schema() -> pa.Schema:
    columns = [(name, arrow_type) for name, _, arrow_type, _ in SOURCE_COLUMNS]
    columns += [(name, arrow_type) for name, _, arrow_type in LINEAGE_COLUMNS]
    return pa.schema([pa.field(name, arrow_type, nullable=True) for name, arrow_type in columns])


def normalise(source: pa.Table, args: argparse.Namespace, ingested_at: datetime) -> pa.Table:
    rows = source.num_rows
    names = set(source.column_names)
    arrays = []
    for _name, _, arrow_type, sources in SOURCE_COLUMNS:
        found = next((s for s in sources if s in names), None)
        if found is None:
            arrays.append(pa.nulls(rows, type=arrow_type))
        else:
            arrays.append(pc.cast(source.column(found), arrow_type))
    arrays.append(pa.repeat(args.month, rows))
    arrays.append(pa.repeat(args.source_file, rows))
    arrays.append(pa.repeat(args.sha256, rows))
    arrays.append(pa.repeat(pa.scalar(ingested_at, type=pa.timestamp("us", tz="UTC")), rows))
    arrays.append(pa.repeat(args.run_id, rows))
    return pa.Table.from_arrays(arrays, schema=arrow_schema())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog-uri", required=True, help="Nessie Iceberg REST base, e.g. http://127.0.0.1:19120/iceberg/main")
    parser.add_argument("--warehouse", default="warehouse")
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True, help="object key of the landed source Parquet")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--month", required=True)
    parser.add_argument("--source-file", required=True)
    parser.add_argument("--sha256", required=True)
    parser.add_argument("--run-id", required=True)
    args = parser.parse_args()

    access_key = os.environ["DP_S3_ACCESS_KEY"]
    secret_key = os.environ["DP_S3_SECRET_KEY"]
    catalog = RestCatalog(
        "bench",
        **{
            "uri": args.catalog_uri,
            "warehouse": args.warehouse,
            "s3.endpoint": args.s3_endpoint,
            "s3.access-key-id": access_key,
            "s3.secret-access-key": secret_key,
            "s3.path-style-access": "true",
            "s3.region": "us-east-1",
        },
    )
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace(args.namespace)
    identifier = (args.namespace, args.table)
    try:
        table = catalog.load_table(identifier)
    except NoSuchTableError:
        schema = iceberg_schema()
        spec = PartitionSpec(
            PartitionField(
                source_id=schema.find_field("source_month").field_id,
                field_id=1000,
                transform=IdentityTransform(),
                name="source_month",
            )
        )
        table = catalog.create_table(
            identifier,
            schema=schema,
            partition_spec=spec,
            properties={"write.parquet.compression-codec": "zstd"},
        )

    endpoint = args.s3_endpoint.split("://", 1)
    s3 = pafs.S3FileSystem(
        access_key=access_key,
        secret_key=secret_key,
        endpoint_override=endpoint[1] if len(endpoint) == 2 else endpoint[0],
        scheme=endpoint[0] if len(endpoint) == 2 else "http",
        region="us-east-1",
    )

    started = time.perf_counter()
    source = pq.read_table(f"{args.bucket}/{args.key}", filesystem=s3)
    read_s = time.perf_counter() - started
    ingested_at = datetime.now(timezone.utc)
    canonical = normalise(source, args, ingested_at)
    del source
    normalise_s = time.perf_counter() - started - read_s
    table.overwrite(canonical, overwrite_filter=EqualTo("source_month", args.month))
    total_s = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": canonical.num_rows,
                "read_s": round(read_s, 3),
                "normalise_s": round(normalise_s, 3),
                "append_s": round(total_s - read_s - normalise_s, 3),
                "total_s": round(total_s, 3),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "pyiceberg": __import__("pyiceberg").__version__,
                "pyarrow": pa.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
