"""The canonical Bronze schema, read from domain/bronze-schema.json: the definition the Temporal ELT uses.

Where the file is looked for, first hit wins:
1. ``DP_BRONZE_SCHEMA_FILE``, a path setting for deployments that keep it elsewhere;
2. ``bronze-schema.json`` beside this module, where an image build copies it next to the DAG;
3. ``domain/bronze-schema.json`` of the checkout the dags folder belongs to (``dp airflow`` runs the DAG
   from ``<repo>/airflow/dags``).
Imports only the standard library; pyarrow and pyiceberg are imported by the functions that need them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE_NAME = "bronze-schema.json"


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str  # a Trino type, e.g. "bigint", "timestamp(6)"
    sources: tuple[str, ...]  # the file's column names it is read from (first match wins)
    optional: bool  # absent from older files: loaded as null


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class BronzeSchema:
    schema: str
    table: str
    partitioned_by: str
    source_columns: tuple[SourceColumn, ...]
    lineage_columns: tuple[Column, ...]

    @property
    def columns(self) -> list[Column]:
        """Every column in table order: the source columns, then lineage."""
        return [Column(c.name, c.type) for c in self.source_columns] + list(self.lineage_columns)

    @property
    def optional_columns(self) -> set[str]:
        return {c.name for c in self.source_columns if c.optional}


def schema_file() -> Path:
    configured = os.environ.get("DP_BRONZE_SCHEMA_FILE")
    if configured:
        return Path(configured)
    here = Path(__file__).resolve().parent
    beside = here / SCHEMA_FILE_NAME
    if beside.exists():
        return beside
    # <repo>/airflow/dags/yellow_trips/bronze_schema.py -> <repo>/domain/bronze-schema.json
    return here.parents[2] / "domain" / SCHEMA_FILE_NAME


@cache
def bronze_schema() -> BronzeSchema:
    path = schema_file()
    try:
        raw: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise RuntimeError(
            f"The Bronze schema {path} is missing: set DP_BRONZE_SCHEMA_FILE to domain/bronze-schema.json, "
            "or copy that file next to this module."
        ) from err
    columns = [c["name"] for c in raw["sourceColumns"] + raw["lineageColumns"]]
    for column in raw["sourceColumns"] + raw["lineageColumns"]:
        if column["type"] not in TRINO_TO_ICEBERG:
            raise RuntimeError(f"{path}: column {column['name']} has unknown type {column['type']}")
    if len(set(columns)) != len(columns) or raw["partitionedBy"] not in columns:
        raise RuntimeError(f"{path}: duplicate column names, or the partition column is not a column")
    return BronzeSchema(
        schema=raw["schema"],
        table=raw["table"],
        partitioned_by=raw["partitionedBy"],
        source_columns=tuple(
            SourceColumn(c["name"], c["type"], tuple(c["sources"]), bool(c.get("optional", False)))
            for c in raw["sourceColumns"]
        ),
        lineage_columns=tuple(Column(c["name"], c["type"]) for c in raw["lineageColumns"]),
    )


# The Iceberg type of each Trino type the schema uses (Trino's Iceberg connector maps them this way).
TRINO_TO_ICEBERG = {
    "bigint": "long",
    "double": "double",
    "varchar": "string",
    "timestamp(6)": "timestamp",
    "timestamp(6) with time zone": "timestamptz",
}


def arrow_type(trino_type: str):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return {
        "bigint": pa.int64(),
        "double": pa.float64(),
        "varchar": pa.string(),
        "timestamp(6)": pa.timestamp("us"),
        "timestamp(6) with time zone": pa.timestamp("us", tz="UTC"),
    }[trino_type]


def iceberg_type(trino_type: str):  # type: ignore[no-untyped-def]
    from pyiceberg.types import DoubleType, LongType, StringType, TimestampType, TimestamptzType

    return {
        "long": LongType(),
        "double": DoubleType(),
        "string": StringType(),
        "timestamp": TimestampType(),
        "timestamptz": TimestamptzType(),
    }[TRINO_TO_ICEBERG[trino_type]]


def arrow_schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=True) for c in bronze_schema().columns])


def iceberg_schema():  # type: ignore[no-untyped-def]
    """The table's Iceberg schema: every column optional, field ids 1.. in table order."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import NestedField

    return Schema(
        *[
            NestedField(field_id=i + 1, name=c.name, field_type=iceberg_type(c.type), required=False)
            for i, c in enumerate(bronze_schema().columns)
        ]
    )


def partition_spec(schema):  # type: ignore[no-untyped-def]
    """Identity partitioning on the month column (partition field id 1000)."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    column = bronze_schema().partitioned_by
    return PartitionSpec(
        PartitionField(
            source_id=schema.find_field(column).field_id,
            field_id=1000,
            transform=IdentityTransform(),
            name=column,
        )
    )


if __name__ == "__main__":
    # Prints the schema as read here: test/domain/bronze-schema.test.ts compares it with the TypeScript one.
    s = bronze_schema()
    print(
        json.dumps(
            {
                "file": str(schema_file()),
                "table": f"{s.schema}.{s.table}",
                "partitioned_by": s.partitioned_by,
                "columns": [[c.name, c.type] for c in s.columns],
                "sources": {c.name: list(c.sources) for c in s.source_columns},
                "optional": sorted(s.optional_columns),
            }
        )
    )
