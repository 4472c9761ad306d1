"""Trino through the Airflow connection ``dp_trino`` (set by ``dp airflow``)."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException

TRINO_CONN_ID = "dp_trino"


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
