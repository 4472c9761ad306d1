"""Nessie's REST API v2, with the standard library."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.settings import Settings

REF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class NessieError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


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


def nessie_ref(s: Settings, name: str) -> dict[str, Any] | None:
    if not REF_NAME.match(name):
        raise AirflowFailException(f"Unsafe Nessie reference name {name!r}")
    try:
        return nessie_call(s, "GET", f"/trees/{name}")["reference"]
    except NessieError as err:
        if err.status == 404:
            return None
        raise
