"""A calculation run's results out of PostgreSQL: the curated tier (Parquet) and the audit
log (one summary line per footprint).

PostgreSQL stays the record (``pcf.usecases.calculate`` stores the run, its footprints and
the audit chain); this reads what it stored and writes it where analysts and auditors read
it without database access:

    curated/footprints/period=<YYYY-MM>/run=<run id>/footprints.parquet
        a row per footprint (``FOOTPRINT_SCHEMA``; breakdowns as JSON text)
    curated/audit/period=<YYYY-MM>/run=<run id>/audit_records.parquet
        each footprint's audit record as chained (sequence, hashes, canonical JSON) and
        the run's site-inputs record they name by hash (``footprint_id`` null), so
        ``pcf audit recompute`` and a chain check can be redone from the lake

A run is never changed once stored, so an export is rewritten identically by a retry.
Site ids are not in the keys (keys are lower case; the site is a column).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from pcf.adapters.audit_log import AuditLog
from pcf.adapters.object_store import ObjectStore, check_key, parquet_bytes
from pcf.adapters.postgres.results import (
    read_audit_record,
    read_calculation_run,
    read_footprints,
    read_run_site_inputs,
)

FOOTPRINTS_PREFIX = "curated/footprints"
AUDIT_PREFIX = "curated/audit"

FOOTPRINT_SCHEMA = pa.schema(
    [
        pa.field("footprint_id", pa.int64(), nullable=False),
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("site_id", pa.string(), nullable=False),
        pa.field("period_label", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("item_type", pa.string()),
        pa.field("declared_unit", pa.string()),
        pa.field("total_kg_co2e", pa.float64()),
        pa.field("electricity_location_kg_co2e", pa.float64()),
        pa.field("electricity_market_kg_co2e", pa.float64()),
        pa.field("primary_data_share", pa.float64()),
        pa.field("complete", pa.bool_()),
        pa.field("units_produced", pa.float64()),
        pa.field("electricity_kwh", pa.float64()),
        pa.field("natural_gas_kwh", pa.float64()),
        pa.field("by_category", pa.string()),  # JSON
        pa.field("by_source", pa.string()),  # JSON
        pa.field("notes", pa.string()),  # JSON
    ]
)
_JSON_FIELDS = ("by_category", "by_source", "notes")

AUDIT_SCHEMA = pa.schema(
    [
        pa.field("sequence", pa.int64(), nullable=False),
        pa.field("footprint_id", pa.int64()),  # null: the run's site-inputs record
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("record_json", pa.string(), nullable=False),
        pa.field("previous_hash", pa.string(), nullable=False),
        pa.field("record_hash", pa.string(), nullable=False),
    ]
)

# The curated tables this module writes: name -> (key prefix, schema, partition keys).
CURATED_TABLES: dict[str, tuple[str, pa.Schema, tuple[str, ...]]] = {
    "footprints": (FOOTPRINTS_PREFIX, FOOTPRINT_SCHEMA, ("period", "run")),
    "audit_records": (AUDIT_PREFIX, AUDIT_SCHEMA, ("period", "run")),
}


def footprints_key(period_label: str, run_id: int) -> str:
    return check_key(
        f"{FOOTPRINTS_PREFIX}/period={period_label}/run={int(run_id)}/footprints.parquet"
    )


def audit_records_key(period_label: str, run_id: int) -> str:
    return check_key(
        f"{AUDIT_PREFIX}/period={period_label}/run={int(run_id)}/audit_records.parquet"
    )


@dataclass(frozen=True)
class ExportedRun:
    run_id: int
    site_id: str
    period_label: str
    keys: dict[str, str]  # table name -> object key
    summaries: tuple[dict[str, Any], ...]  # one audit summary line per footprint


def export_run(engine: Engine, store: ObjectStore, run_id: int) -> ExportedRun:
    """Write a stored run's footprints and audit records to the curated tier; the keys
    and each footprint's audit summary line."""
    run = read_calculation_run(engine, run_id)
    footprints = read_footprints(engine, run_id)
    records = []
    for row in footprints:
        record = read_audit_record(engine, int(row["id"]))
        if record is None:
            raise LookupError(f"footprint {row['id']} of run {run_id} has no audit record")
        records.append((row, record))
    audit_rows = [
        {
            "sequence": record.sequence,
            "footprint_id": int(row["id"]),
            "run_id": run_id,
            "record_json": record.record_json,
            "previous_hash": record.previous_hash,
            "record_hash": record.record_hash,
        }
        for row, record in records
    ]
    site_inputs = read_run_site_inputs(engine, run_id)
    if site_inputs is not None:  # runs stored before audit records of version 2 have none
        audit_rows.insert(
            0,
            {
                "sequence": site_inputs.sequence,
                "footprint_id": None,
                "run_id": run_id,
                "record_json": site_inputs.record_json,
                "previous_hash": site_inputs.previous_hash,
                "record_hash": site_inputs.record_hash,
            },
        )
    keys = {
        "footprints": footprints_key(run.period_label, run_id),
        "audit_records": audit_records_key(run.period_label, run_id),
    }
    store.put(keys["footprints"], parquet_bytes(footprint_table(footprints)), overwrite=True)
    store.put(
        keys["audit_records"],
        parquet_bytes(pa.Table.from_pylist(audit_rows, schema=AUDIT_SCHEMA)),
        overwrite=True,
    )
    summaries = tuple(
        audit_summary(row, sequence=record.sequence, record_hash=record.record_hash)
        for row, record in records
    )
    return ExportedRun(run_id, run.site_id, run.period_label, keys, summaries)


def footprint_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Stored footprint rows (``read_footprints``) as ``FOOTPRINT_SCHEMA``."""
    records = []
    for row in rows:
        record = {field.name: row.get(field.name) for field in FOOTPRINT_SCHEMA}
        record["footprint_id"] = int(row["id"])
        for name in _JSON_FIELDS:
            if record[name] is not None:
                record[name] = json.dumps(record[name], sort_keys=True)
        records.append(record)
    return pa.Table.from_pylist(records, schema=FOOTPRINT_SCHEMA)


def audit_summary(row: Mapping[str, Any], *, sequence: int, record_hash: str) -> dict[str, Any]:
    """The audit log's line for one footprint: what it is, its result, and where its full
    record sits in the chain."""
    total = row.get("total_kg_co2e")
    return {
        "event": "footprint_calculated",
        "footprint_id": int(row["id"]),
        "run_id": int(row["run_id"]),
        "site_id": row["site_id"],
        "period": row["period_label"],
        "item_id": row["item_id"],
        "declared_unit": row.get("declared_unit"),
        "total_kg_co2e": None if total is None else float(total),
        "complete": row.get("complete"),
        "audit_sequence": sequence,
        "audit_record_hash": record_hash,
    }


def log_run(audit_log: AuditLog, exported: ExportedRun) -> int:
    """The run's summary lines in the audit log, under a stream of the run."""
    stream = f"{exported.period_label}/{exported.site_id}/run-{exported.run_id}"
    return audit_log.write(stream, exported.summaries)
