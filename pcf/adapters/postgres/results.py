"""Calculation runs, their footprints, and the audit chain.

A run records what was calculated (site, period, settings, the dataset versions used);
each footprint is one item's result in kg CO2e per declared unit. Audit records form
one hash chain (``pcf.core.audit``) over the whole database: appends take a transaction
advisory lock, so concurrent calculations extend the chain one after the other, never
forking it and never leaving a gap. ``save_calculation`` writes a finished run, its
footprints and their audit records in one transaction, so a footprint never exists
without its audit record.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from psycopg2.extras import execute_values
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, Row

from pcf.adapters.postgres.connection import dbapi_cursor, transaction
from pcf.core.audit import (
    GENESIS_HASH,
    ChainedRecord,
    canonical_json,
    chain_hash,
    site_inputs_sha256,
)

# pg_advisory_xact_lock key serialising appends to the audit chain ("pcf_aud" in ASCII).
AUDIT_CHAIN_LOCK_KEY = 0x7063665F617564

RUN_STATUSES = ("running", "succeeded", "failed")

# The footprint table's value columns, in table order. Required unless listed in
# _FOOTPRINT_DEFAULTS; site_id and period_label default to the run's.
FOOTPRINT_COLUMNS = (
    "item_id",
    "site_id",
    "period_label",
    "declared_unit",
    "total_kg_co2e",
    "by_category",
    "by_source",
    "electricity_location_kg_co2e",
    "electricity_market_kg_co2e",
    "primary_data_share",
    "complete",
    "notes",
    # written at calculation time so list reads need no audit record (migration 0011)
    "item_type",
    "units_produced",
    "electricity_kwh",
    "natural_gas_kwh",
)
_FOOTPRINT_DEFAULTS: dict[str, Any] = {
    "electricity_location_kg_co2e": None,
    "electricity_market_kg_co2e": None,
    "notes": [],
    "item_type": None,
    "units_produced": None,
    "electricity_kwh": None,
    "natural_gas_kwh": None,
}
_JSON_COLUMNS = frozenset({"by_category", "by_source", "notes"})
_FLOAT_COLUMNS = frozenset(
    {
        "total_kg_co2e",
        "electricity_location_kg_co2e",
        "electricity_market_kg_co2e",
        "primary_data_share",
        "units_produced",
        "electricity_kwh",
        "natural_gas_kwh",
    }
)

_INSERT_FOOTPRINTS = (
    f"INSERT INTO footprint (run_id, {', '.join(FOOTPRINT_COLUMNS)}) VALUES %s "
    "RETURNING item_id, id"
)
_FOOTPRINT_TEMPLATE = (
    "(%s, "
    + ", ".join("%s::jsonb" if name in _JSON_COLUMNS else "%s" for name in FOOTPRINT_COLUMNS)
    + ")"
)

_AUDIT_COLUMNS = "sequence, record_json, previous_hash, record_hash"


@dataclass(frozen=True)
class CalculationRun:
    id: int
    site_id: str
    period_start: datetime
    period_end: datetime
    period_label: str  # e.g. "2026-01"
    settings: dict[str, Any]
    dataset_versions: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None
    status: str  # one of RUN_STATUSES


@dataclass(frozen=True)
class SavedCalculation:
    run_id: int
    footprint_ids: dict[str, int]  # item_id -> footprint id
    audit_records: list[ChainedRecord]


def start_calculation_run(
    bind: Engine | Connection,
    *,
    site_id: str,
    period_start: datetime,
    period_end: datetime,
    period_label: str,
    settings: Mapping[str, Any],
    dataset_versions: Mapping[str, Any],
) -> int:
    """Record a run as started (status ``running``); returns its id."""
    with transaction(bind) as connection:
        return _insert_run(
            connection,
            site_id=site_id,
            period_start=period_start,
            period_end=period_end,
            period_label=period_label,
            settings=settings,
            dataset_versions=dataset_versions,
            status="running",
        )


def finish_calculation_run(
    bind: Engine | Connection, run_id: int, *, status: str = "succeeded"
) -> None:
    """Mark a running run as ``succeeded`` or ``failed``, finished now."""
    if status not in ("succeeded", "failed"):
        raise ValueError(f'a run finishes as "succeeded" or "failed", not "{status}"')
    with transaction(bind) as connection:
        updated = connection.execute(
            text(
                "UPDATE calculation_run SET status = :status, finished_at = now() "
                "WHERE id = :id AND status = 'running'"
            ),
            {"status": status, "id": run_id},
        ).rowcount
    if updated != 1:
        raise ValueError(f"calculation run {run_id} does not exist or is not running")


def save_footprints(
    bind: Engine | Connection, run_id: int, footprints: Iterable[Any]
) -> dict[str, int]:
    """Store a run's footprints; returns item_id -> footprint id.

    Each footprint is a mapping or a dataclass instance whose fields are columns of
    ``FOOTPRINT_COLUMNS``: ``by_category``, ``by_source`` and ``notes`` are stored as
    JSON; ``site_id`` and ``period_label`` default to the run's; the electricity
    alternatives default to None and ``notes`` to an empty list. An unknown or missing
    field raises ``ValueError``, as does a number that is not finite.
    """
    with transaction(bind) as connection:
        return _insert_footprints(connection, run_id, footprints)


def save_calculation(
    bind: Engine | Connection,
    *,
    site_id: str,
    period_start: datetime,
    period_end: datetime,
    period_label: str,
    settings: Mapping[str, Any],
    dataset_versions: Mapping[str, Any],
    footprints: Iterable[Any],
    audit_documents: Mapping[str, Mapping[str, Any]],
    site_inputs_document: Mapping[str, Any] | None = None,
) -> SavedCalculation:
    """A finished run, its footprints and one audit record per footprint, in one
    transaction. ``audit_documents`` maps each footprint's item_id to its audit record
    (a JSON document); the records are appended in item_id order. Every footprint needs
    a document and every document a footprint (``ValueError`` otherwise).

    ``site_inputs_document``, the inputs every footprint of the run shares, is appended
    to the chain first (so tampering with it breaks the chain too) and indexed by run and
    by the sha256 of its canonical JSON, the name the footprint records give it
    (``read_site_inputs``)."""
    rows = [_footprint_values(footprint) for footprint in footprints]
    items = {row["item_id"] for row in rows}
    if items != set(audit_documents):
        missing = sorted(items - set(audit_documents))
        extra = sorted(set(audit_documents) - items)
        raise ValueError(
            "every footprint needs exactly one audit document "
            f"(footprints without one: {missing or 'none'}; documents without a "
            f"footprint: {extra or 'none'})"
        )
    with transaction(bind) as connection:
        run_id = _insert_run(
            connection,
            site_id=site_id,
            period_start=period_start,
            period_end=period_end,
            period_label=period_label,
            settings=settings,
            dataset_versions=dataset_versions,
            status="succeeded",
        )
        footprint_ids = _insert_footprints(connection, run_id, rows)
        site_records: list[tuple[int | None, Mapping[str, Any]]] = (
            [] if site_inputs_document is None else [(None, site_inputs_document)]
        )
        audit_records = append_audit_records(
            connection,
            site_records
            + [(footprint_ids[item], audit_documents[item]) for item in sorted(footprint_ids)],
        )
        if site_inputs_document is not None:
            site_record = audit_records.pop(0)
            connection.execute(
                text(
                    "INSERT INTO audit_site_inputs (run_id, sha256, sequence) "
                    "VALUES (:run_id, :sha256, :sequence)"
                ),
                {
                    "run_id": run_id,
                    "sha256": site_inputs_sha256(site_record.record_json),
                    "sequence": site_record.sequence,
                },
            )
    return SavedCalculation(run_id, footprint_ids, audit_records)


def read_calculation_run(bind: Engine | Connection, run_id: int) -> CalculationRun:
    """One run by id; ``KeyError`` when there is none."""
    with transaction(bind) as connection:
        row = (
            connection.execute(text("SELECT * FROM calculation_run WHERE id = :id"), {"id": run_id})
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise KeyError(f"no calculation run with id {run_id}")
    return CalculationRun(
        **{field.name: row[field.name] for field in dataclasses.fields(CalculationRun)}
    )


def read_footprints(bind: Engine | Connection, run_id: int) -> list[dict[str, Any]]:
    """A run's footprints as dicts of ``id``, ``run_id`` and ``FOOTPRINT_COLUMNS``
    (JSON columns decoded), ordered by item_id."""
    with transaction(bind) as connection:
        rows = connection.execute(
            text(
                f"SELECT id, run_id, {', '.join(FOOTPRINT_COLUMNS)} FROM footprint "
                'WHERE run_id = :run_id ORDER BY item_id COLLATE "C"'
            ),
            {"run_id": run_id},
        ).mappings()
        return [dict(row) for row in rows]


def append_audit_records(
    bind: Engine | Connection, records: Sequence[tuple[int | None, Mapping[str, Any]]]
) -> list[ChainedRecord]:
    """Append records (footprint id or None, JSON document) to the audit chain, in the
    order given; returns them as chained.

    Each document is stored as its canonical JSON (``pcf.core.audit.canonical_json``:
    JSON types only, NaN refused) and hashed onto the chain. Concurrent appends are serialised
    by a transaction advisory lock held until the transaction commits, so sequences
    are contiguous and every record names its true predecessor. Run it at READ
    COMMITTED (PostgreSQL's default): under a snapshot taken before the lock, a
    concurrent append would make this one fail on the chain's unique constraints
    rather than fork the chain.
    """
    if not records:
        return []
    with transaction(bind) as connection:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK_KEY}
        )
        last = connection.execute(
            text("SELECT sequence, record_hash FROM audit_record ORDER BY sequence DESC LIMIT 1")
        ).one_or_none()
        sequence, previous_hash = (0, GENESIS_HASH) if last is None else (last[0], last[1])
        chained: list[ChainedRecord] = []
        rows: list[tuple[int, int | None, str, str, str]] = []
        for footprint_id, document in records:
            record_json = canonical_json(dict(document))
            record_hash = chain_hash(previous_hash, record_json)
            sequence += 1
            chained.append(ChainedRecord(sequence, record_json, previous_hash, record_hash))
            rows.append((sequence, footprint_id, record_json, previous_hash, record_hash))
            previous_hash = record_hash
        cursor = dbapi_cursor(connection)
        try:
            execute_values(
                cursor,
                "INSERT INTO audit_record "
                "(sequence, footprint_id, record_json, previous_hash, record_hash) VALUES %s",
                rows,
                page_size=1000,
            )
        finally:
            cursor.close()
    return chained


def read_audit_chain(
    bind: Engine | Connection, *, chunk_size: int = 1000
) -> Iterator[ChainedRecord]:
    """Every audit record in sequence order, fetched ``chunk_size`` at a time (keyset
    pagination), so a long chain is verified in constant memory:
    ``verify_chain(read_audit_chain(engine))``."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    after = 0
    while True:
        with transaction(bind) as connection:
            rows = connection.execute(
                text(
                    f"SELECT {_AUDIT_COLUMNS} FROM audit_record WHERE sequence > :after "
                    "ORDER BY sequence LIMIT :limit"
                ),
                {"after": after, "limit": chunk_size},
            ).all()
        for row in rows:
            yield _chained_record(row)
        if len(rows) < chunk_size:
            return
        after = rows[-1][0]


def read_audit_record(bind: Engine | Connection, footprint_id: int) -> ChainedRecord | None:
    """The audit record of a footprint (the latest, should there be several), or None."""
    with transaction(bind) as connection:
        row = connection.execute(
            text(
                f"SELECT {_AUDIT_COLUMNS} FROM audit_record WHERE footprint_id = :footprint_id "
                "ORDER BY sequence DESC LIMIT 1"
            ),
            {"footprint_id": footprint_id},
        ).one_or_none()
    return None if row is None else _chained_record(row)


def read_site_inputs(bind: Engine | Connection, sha256: str) -> ChainedRecord | None:
    """The site-inputs record a footprint record names by ``sha256`` (the latest, should
    several runs have had the same inputs), as stored: the caller checks that its content
    still hashes to ``sha256``. None when there is none."""
    with transaction(bind) as connection:
        row = connection.execute(
            text(
                f"SELECT {', '.join('a.' + c for c in _AUDIT_COLUMNS.split(', '))} "
                "FROM audit_site_inputs s JOIN audit_record a ON a.sequence = s.sequence "
                "WHERE s.sha256 = :sha256 ORDER BY s.sequence DESC LIMIT 1"
            ),
            {"sha256": sha256},
        ).one_or_none()
    return None if row is None else _chained_record(row)


def read_run_site_inputs(bind: Engine | Connection, run_id: int) -> ChainedRecord | None:
    """A run's site-inputs record (audit records of version 2), as stored; None for a run
    stored before them. Whoever copies a run's footprint records elsewhere copies this one
    too: they name it by sha256 and cannot be recomputed without it."""
    with transaction(bind) as connection:
        row = connection.execute(
            text(
                f"SELECT {', '.join('a.' + c for c in _AUDIT_COLUMNS.split(', '))} "
                "FROM audit_site_inputs s JOIN audit_record a ON a.sequence = s.sequence "
                "WHERE s.run_id = :run_id"
            ),
            {"run_id": run_id},
        ).one_or_none()
    return None if row is None else _chained_record(row)


def _chained_record(row: Row[Any]) -> ChainedRecord:
    return ChainedRecord(
        sequence=int(row.sequence),
        record_json=row.record_json,
        previous_hash=row.previous_hash,
        record_hash=row.record_hash,
    )


def _insert_run(
    connection: Connection,
    *,
    site_id: str,
    period_start: datetime,
    period_end: datetime,
    period_label: str,
    settings: Mapping[str, Any],
    dataset_versions: Mapping[str, Any],
    status: str,
) -> int:
    if period_start.tzinfo is None or period_end.tzinfo is None:
        raise ValueError("period_start and period_end must be timezone-aware")
    run_id: int = connection.execute(
        text(
            "INSERT INTO calculation_run (site_id, period_start, period_end, period_label, "
            "settings, dataset_versions, status, finished_at) "
            "VALUES (:site_id, :period_start, :period_end, :period_label, "
            "CAST(:settings AS jsonb), CAST(:dataset_versions AS jsonb), :status, "
            "CASE WHEN :status = 'running' THEN NULL ELSE now() END) RETURNING id"
        ),
        {
            "site_id": site_id,
            "period_start": period_start,
            "period_end": period_end,
            "period_label": period_label,
            "settings": _json(settings),
            "dataset_versions": _json(dataset_versions),
            "status": status,
        },
    ).scalar_one()
    return run_id


def _insert_footprints(
    connection: Connection, run_id: int, footprints: Iterable[Any]
) -> dict[str, int]:
    run = connection.execute(
        text("SELECT site_id, period_label FROM calculation_run WHERE id = :id"), {"id": run_id}
    ).one_or_none()
    if run is None:
        raise ValueError(f"no calculation run with id {run_id}")
    run_defaults = {"site_id": run[0], "period_label": run[1]}
    rows: list[tuple[Any, ...]] = []
    for footprint in footprints:
        values = {**run_defaults, **_footprint_values(footprint)}
        rows.append(
            (
                run_id,
                *(
                    _json(values[name]) if name in _JSON_COLUMNS else values[name]
                    for name in FOOTPRINT_COLUMNS
                ),
            )
        )
    if not rows:
        return {}
    cursor = dbapi_cursor(connection)
    try:
        returned = execute_values(
            cursor, _INSERT_FOOTPRINTS, rows, template=_FOOTPRINT_TEMPLATE, fetch=True
        )
    finally:
        cursor.close()
    return {item_id: footprint_id for item_id, footprint_id in returned}


def _footprint_values(footprint: Any) -> dict[str, Any]:
    """The column values of one footprint given as a mapping or a dataclass instance;
    site_id and period_label may be absent (the run's apply)."""
    if isinstance(footprint, Mapping):
        given = dict(footprint)
    elif dataclasses.is_dataclass(footprint) and not isinstance(footprint, type):
        given = {
            field.name: getattr(footprint, field.name) for field in dataclasses.fields(footprint)
        }
    else:
        raise TypeError(f"a footprint is a mapping or a dataclass instance, not {type(footprint)}")
    unknown = sorted(set(given) - set(FOOTPRINT_COLUMNS))
    if unknown:
        raise ValueError(
            f"footprint fields {unknown} are not footprint columns ({', '.join(FOOTPRINT_COLUMNS)})"
        )
    values = {**_FOOTPRINT_DEFAULTS, **given}
    missing = [
        name
        for name in FOOTPRINT_COLUMNS
        if name not in values and name not in ("site_id", "period_label")
    ]
    if missing:
        raise ValueError(f"footprint of {given.get('item_id', '?')} lacks {', '.join(missing)}")
    for name in _FLOAT_COLUMNS:
        value = values[name]
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"footprint of {values['item_id']}: {name} is {value!r}")
    return values


def _json(value: Any) -> str:
    return json.dumps(_plain(value), allow_nan=False, sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """The value with dataclasses, enums, dates, decimals, tuples and sets turned into
    JSON types (decimals as strings, to stay exact; dates in ISO 8601)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(item) for item in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
