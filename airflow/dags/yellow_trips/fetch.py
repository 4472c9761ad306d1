"""Step fetch: the month's TLC file into the landing area of the object store."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.months import validate_month
from yellow_trips.settings import Settings, s3_filesystem

# Not the Temporal workflow's landing/yellow: the two runners must never write (or prune) each other's files.
LANDING_PREFIX = "landing/airflow/yellow"


def fetch_month(s: Settings, month: str) -> dict[str, Any]:
    """Downloads the month's file to the landing key: streamed, hashed, footer-checked, then uploaded."""
    import pyarrow.parquet as pq

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
