"""Step load_bronze: the landed file, normalised to the canonical Bronze schema, replaces the month in
bronze.yellow_trips with PyIceberg through Nessie's Iceberg REST endpoint, in bounded memory and one snapshot.

A full month is ~4 M rows; held whole as Arrow it took ~4.4 GB. Here the landed file is read in record
batches of BATCH_ROWS; each batch is normalised and written straight into the current Parquet data file
(a new file after TARGET_FILE_BYTES), so at most one batch is in memory. The data files are then committed
with one PyIceberg snapshot producer (``update_snapshot().overwrite()``): it removes the month's earlier
data files and adds the new ones in a single OVERWRITE snapshot, one catalog commit. So a load that fails
before the commit leaves the table as it was (its written files are deleted), and a re-run replaces the
month instead of adding to it. PyIceberg's own ``overwrite`` would materialise the whole month (its
streaming path refuses partitioned tables) and commits a DELETE and an APPEND snapshot.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.bronze_schema import arrow_schema, arrow_type, bronze_schema, iceberg_schema, partition_spec
from yellow_trips.months import validate_month
from yellow_trips.settings import Settings, s3_filesystem

# Rows read, normalised and written at a time: a batch is ~40 MB as Arrow, one Parquet row group.
BATCH_ROWS = 131_072
# A new data file after this many bytes (compressed): a full month is one or two files.
TARGET_FILE_BYTES = 128 << 20


def normalise(source, month: str, source_file: str, sha256: str, run_id: str, ingested_at: datetime):  # type: ignore[no-untyped-def]
    """Rows of the landed file (a Table or a RecordBatch) in the canonical Bronze layout: renames, lossless
    casts, nulls for absent columns, lineage."""
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
        "source_month": pa.repeat(pa.scalar(month, type=pa.string()), rows),
        "source_file": pa.repeat(pa.scalar(source_file, type=pa.string()), rows),
        "source_sha256": pa.repeat(pa.scalar(sha256, type=pa.string()), rows),
        "ingested_at": pa.repeat(pa.scalar(ingested_at, type=pa.timestamp("us", tz="UTC")), rows),
        "run_id": pa.repeat(pa.scalar(run_id, type=pa.string()), rows),
    }
    arrays += [lineage[c.name] for c in schema.lineage_columns]
    return pa.Table.from_arrays(arrays, schema=arrow_schema())


# ------------------------------------------------------------------------------------------- peak memory


def reset_peak_rss() -> bool:
    """Resets this process's VmHWM (Linux: writing 5 to /proc/self/clear_refs), so that the peak read at the
    end is the task's own, not that of whatever ran in the process before it (``airflow dags test`` runs
    every task in one process)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib() -> float | None:
    """This process's VmHWM (peak resident set) in MiB, or None where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            match = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) / 1024 if match else None


# ------------------------------------------------------------------------------------------- the load


class MonthFileWriter:
    """Writes normalised batches into the table's data files for one month partition, a new file after
    TARGET_FILE_BYTES, and describes each closed file as an Iceberg DataFile (statistics from its footer)."""

    def __init__(self, table, month: str) -> None:  # type: ignore[no-untyped-def]
        from pyiceberg.io.pyarrow import schema_to_pyarrow
        from pyiceberg.partitioning import PartitionFieldValue, PartitionKey

        self.table = table
        self.month = month
        self.schema = table.schema()
        self.spec = table.spec()
        # The file schema carries the Iceberg field ids (PARQUET:field_id), by which Trino reads columns.
        self.file_schema = schema_to_pyarrow(self.schema, include_field_ids=True)
        self.partition_key = PartitionKey(
            field_values=[PartitionFieldValue(self.spec.fields[0], month)],
            partition_spec=self.spec,
            schema=self.schema,
        )
        self.locations = table.location_provider()
        self.write_uuid = uuid.uuid4()
        self.data_files: list[Any] = []
        self.paths: list[str] = []  # every file started, committed or not: what a failure deletes
        self._writer: Any = None
        self._stream: Any = None
        self._path = ""

    def write(self, canonical) -> None:  # type: ignore[no-untyped-def]
        import pyarrow.parquet as pq

        batch = canonical.select(self.file_schema.names).cast(self.file_schema)
        if self._writer is None:
            name = f"00000-{len(self.paths)}-{self.write_uuid}.parquet"
            self._path = self.locations.new_data_location(data_file_name=name, partition_key=self.partition_key)
            self.paths.append(self._path)
            self._stream = self.table.io.new_output(self._path).create(overwrite=True)
            self._writer = pq.ParquetWriter(self._stream, self.file_schema, compression="zstd")
        self._writer.write_table(batch, row_group_size=batch.num_rows)
        if self._stream.tell() >= TARGET_FILE_BYTES:
            self.close_file()

    def close_file(self) -> None:
        from pyiceberg.io.pyarrow import (
            compute_statistics_plan,
            data_file_statistics_from_parquet_metadata,
            parquet_path_to_id_mapping,
        )
        from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

        if self._writer is None:
            return
        writer, stream, path = self._writer, self._stream, self._path
        self._writer = self._stream = None
        writer.close()
        size = stream.tell()
        stream.close()
        statistics = data_file_statistics_from_parquet_metadata(
            parquet_metadata=writer.writer.metadata,
            stats_columns=compute_statistics_plan(self.schema, self.table.metadata.properties),
            parquet_column_mapping=parquet_path_to_id_mapping(self.schema),
        )
        self.data_files.append(
            DataFile.from_args(
                content=DataFileContent.DATA,
                file_path=path,
                file_format=FileFormat.PARQUET,
                # From the file's own min/max of source_month: fails unless every row is of this month.
                partition=statistics.partition(self.spec, self.schema),
                file_size_in_bytes=size,
                sort_order_id=None,
                spec_id=self.table.metadata.default_spec_id,
                equality_ids=None,
                key_metadata=None,
                **statistics.to_serialized_dict(),
            )
        )

    def discard(self) -> None:
        """Closes and deletes every file this writer started (after a failure, before any commit)."""
        with contextlib.suppress(Exception):
            if self._writer is not None:
                self._writer.close()
            if self._stream is not None:
                self._stream.close()
        for path in self.paths:
            with contextlib.suppress(Exception):
                self.table.io.delete(path)


def month_data_files(table, month: str) -> list[Any]:  # type: ignore[no-untyped-def]
    """The table's live data files of the month: whole files of the month partition, else an error (a file
    that mixes months could not be dropped whole)."""
    from pyiceberg.expressions import EqualTo
    from pyiceberg.transforms import IdentityTransform

    column = bronze_schema().partitioned_by
    source_id = table.schema().find_field(column).field_id
    files = []
    for task in table.scan(row_filter=EqualTo(column, month)).plan_files():
        spec = table.specs()[task.file.spec_id]
        identity = [
            i
            for i, f in enumerate(spec.fields)
            if f.source_id == source_id and isinstance(f.transform, IdentityTransform)
        ]
        if not identity or task.file.partition[identity[0]] != month:
            raise AirflowFailException(
                f"{task.file.file_path} is not a file of the {column}={month} partition (spec {spec}): "
                f"the month cannot be replaced file by file; repartition {column} by identity first."
            )
        files.append(task.file)
    return files


def open_table(s: Settings, branch: str):  # type: ignore[no-untyped-def]
    """bronze.yellow_trips on the branch, created (identity-partitioned by month) when missing."""
    from pyiceberg.catalog.rest import RestCatalog
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError

    schema = bronze_schema()
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
    expected = [c.name for c in schema.columns]
    if sorted(f.name for f in table.schema().fields) != sorted(expected):
        raise AirflowFailException(
            f"{schema.schema}.{schema.table} on {branch} has columns {[f.name for f in table.schema().fields]}, "
            f"not the canonical Bronze columns {expected}: migrate the table to domain/bronze-schema.json."
        )
    spec_fields = table.spec().fields
    if len(spec_fields) != 1 or table.schema().find_field(spec_fields[0].source_id).name != schema.partitioned_by:
        raise AirflowFailException(
            f"{schema.schema}.{schema.table} must be partitioned by {schema.partitioned_by} alone (spec {table.spec()})"
        )
    return table


def replace_month(table, source, landed: dict[str, Any], run_id: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Replaces the month in the table with the rows of ``source`` (an open Parquet file) in one snapshot;
    returns the rows, files written and files replaced. A failure before the commit deletes what it wrote."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyiceberg.exceptions import CommitFailedException

    month = validate_month(landed["month"])
    ingested_at = datetime.now(timezone.utc)
    writer = MonthFileWriter(table, month)
    rows = 0
    try:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=BATCH_ROWS):
            canonical = normalise(
                pa.Table.from_batches([batch]),
                month,
                landed["source_file"],
                landed["sha256"],
                run_id,
                ingested_at,
            )
            writer.write(canonical)
            rows += canonical.num_rows
        writer.close_file()
        if rows != landed["rows"]:
            raise AirflowFailException(f"read {rows} rows but the footer says {landed['rows']}")
        replaced = month_data_files(table, month)
    except BaseException:
        writer.discard()
        raise
    # One snapshot: the month's earlier files out, the new ones in; one commit to the catalog.
    try:
        transaction = table.transaction()
        overwrite = transaction.update_snapshot(
            snapshot_properties={"dp.source-month": month, "dp.run-id": run_id}
        ).overwrite()
        for data_file in replaced:
            overwrite.delete_data_file(data_file)
        for data_file in writer.data_files:
            overwrite.append_data_file(data_file)
        overwrite.commit()
        transaction.commit_transaction()
    except CommitFailedException:
        writer.discard()  # refused by the catalog: nothing references the files
        raise
    # Any other error may have reached the catalog (a lost response): the files stay, a retry replaces them.
    return {"rows": rows, "files": len(writer.data_files), "replaced": len(replaced)}


def load_month(s: Settings, landed: dict[str, Any], branch: str, run_id: str) -> int:
    """Replaces the month in bronze.yellow_trips on the branch with the landed file; returns its rows."""
    month = validate_month(landed["month"])
    schema = bronze_schema()
    peak_reset = reset_peak_rss()
    started = time.perf_counter()
    table = open_table(s, branch)
    with s3_filesystem(s).open_input_file(f"{s.bucket}/{landed['key']}") as source:
        done = replace_month(table, source, landed, run_id)
    peak = peak_rss_mib()
    peak_text = f"{peak:.0f} MiB" if peak is not None else "unknown"
    # The benchmark (bench/airflow.ts) reads the seconds and the peak from this line: keep them early in it.
    print(
        f"{schema.schema}.{schema.table} on {branch}: month {month} replaced by {done['rows']} rows "
        f"in {time.perf_counter() - started:.1f} s, task peak RSS {peak_text} "
        f"(VmHWM{' since the task started' if peak_reset else ' of the process'}); "
        f"{done['files']} files written, {done['replaced']} replaced, one snapshot"
    )
    return done["rows"]
