"""Steps open_branch and publish: the run writes on its own Nessie branch (Write-Audit-Publish), merged
into main in one commit once the checks pass."""

from __future__ import annotations

import urllib.parse

from airflow.sdk.exceptions import AirflowFailException

from yellow_trips.months import branch_names, sql_identifier, sql_string, validate_month
from yellow_trips.nessie import NessieError, nessie_call, nessie_ref
from yellow_trips.settings import Settings
from yellow_trips.trino_queries import catalogs, trino_hook


def open_branch(s: Settings, month: str, run_id: str) -> dict[str, str]:
    """A Nessie branch from main and a Trino catalog bound to it (kept when they exist: task retries)."""
    month = validate_month(month)
    branch, catalog = branch_names(month, run_id)
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


def publish(s: Settings, month: str, run: dict[str, str], run_id: str, counts: dict[str, int]) -> str:
    """Merges the branch into main in one commit, moves the month's tag there, drops branch and catalog."""
    month = validate_month(month)
    branch = nessie_ref(s, run["branch"])
    if branch is None:
        raise AirflowFailException(f"branch {run['branch']} no longer exists")
    message = f"Publish yellow trips {month} (airflow {run_id})"
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
