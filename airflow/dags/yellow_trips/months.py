"""Months, SQL literals and the names a run gives its branch and catalog: checked before they reach a URL,
a path or SQL."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from airflow.sdk.exceptions import AirflowFailException

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_SUPPORTED_MONTH = "2023-01"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


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
        raise AirflowFailException(
            f"Month {month} is not supported: the pipeline loads {FIRST_SUPPORTED_MONTH} and later."
        )
    now = today or datetime.now(timezone.utc)
    if index > now.year * 12 + now.month - 1:
        raise AirflowFailException(f"Month {month} is in the future.")
    return month


def scheduled_month(logical: datetime, lag_months: int) -> str:
    """The month a scheduled run loads: lag_months before the run's date, as the Temporal Schedule does."""
    return validate_month(month_from_index(logical.year * 12 + logical.month - 1 - lag_months))


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
