"""Calculation runs, footprints and the audit chain."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from pcf.adapters.postgres.results import (
    append_audit_records,
    finish_calculation_run,
    read_audit_chain,
    read_audit_record,
    read_calculation_run,
    read_footprints,
    save_calculation,
    save_footprints,
    start_calculation_run,
)
from pcf.core.audit import GENESIS_HASH, ChainedRecord, canonical_json, verify_chain

pytestmark = pytest.mark.integration

RUN: dict[str, Any] = {
    "site_id": "S1",
    "period_start": datetime(2025, 12, 31, 23, tzinfo=UTC),
    "period_end": datetime(2026, 1, 31, 23, tzinfo=UTC),
    "period_label": "2026-01",
    "settings": {"gwp_set": "AR6", "allocation": "units"},
    "dataset_versions": {"items": 3, "bom": 1},
}


@dataclass(frozen=True)
class Footprint:
    """The shape an engine might hand over: a dataclass with the column values."""

    item_id: str
    declared_unit: str
    total_kg_co2e: float
    by_category: dict[str, float]
    by_source: dict[str, float]
    primary_data_share: float
    complete: bool
    electricity_location_kg_co2e: float | None = None
    electricity_market_kg_co2e: float | None = None
    notes: list[str] = field(default_factory=list)


PRODUCT_P = Footprint(
    item_id="P",
    declared_unit="piece",
    total_kg_co2e=10.1207884,
    by_category={
        "materials": 6.11,
        "purchased_parts": 2.4,
        "electricity": 1.53056,
        "natural_gas": 0.0802284,
    },
    by_source={"item:A": 8.2141884, "item:MAT-STEEL": 0.95, "machine:M1": 0.9566},
    primary_data_share=0.277724,
    complete=True,
    electricity_location_kg_co2e=1.53056,
    electricity_market_kg_co2e=1.2,
)
SUBASSEMBLY_A = {
    "item_id": "A",
    "declared_unit": "piece",
    "total_kg_co2e": 4.1070942,
    "by_category": {"materials": 2.58, "purchased_parts": 1.2},
    "by_source": {"item:MAT-AL": 2.58},
    "primary_data_share": 0.2,
    "complete": False,
    "notes": ["A consumed but not produced in the period"],
}


def audit_document(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"item_id": item_id, "result": {"total_kg_co2e": 1.5}, "steps": [1, 2], **extra}


def test_a_run_and_its_footprints_read_back(db: Engine) -> None:
    run_id = start_calculation_run(db, **RUN)
    ids = save_footprints(db, run_id, [PRODUCT_P, SUBASSEMBLY_A])
    finish_calculation_run(db, run_id)

    run = read_calculation_run(db, run_id)
    footprints = read_footprints(db, run_id)

    assert (run.status, run.settings, run.dataset_versions) == (
        "succeeded",
        RUN["settings"],
        RUN["dataset_versions"],
    )
    assert run.finished_at is not None
    assert [f["item_id"] for f in footprints] == ["A", "P"]
    assert {f["item_id"]: f["id"] for f in footprints} == ids
    a, p = footprints
    assert (p["site_id"], p["period_label"]) == ("S1", "2026-01")  # the run's
    assert p["total_kg_co2e"] == 10.1207884
    assert p["by_category"] == PRODUCT_P.by_category
    assert p["electricity_market_kg_co2e"] == 1.2
    assert (a["complete"], a["notes"], a["electricity_location_kg_co2e"]) == (
        False,
        SUBASSEMBLY_A["notes"],
        None,
    )


def test_unknown_or_missing_footprint_fields_are_refused(db: Engine) -> None:
    run_id = start_calculation_run(db, **RUN)

    with pytest.raises(ValueError, match=r"\['colour'\] are not footprint columns"):
        save_footprints(db, run_id, [{**SUBASSEMBLY_A, "colour": "red"}])
    with pytest.raises(ValueError, match="lacks total_kg_co2e"):
        save_footprints(
            db, run_id, [{k: v for k, v in SUBASSEMBLY_A.items() if k != "total_kg_co2e"}]
        )
    with pytest.raises(ValueError, match="total_kg_co2e is nan"):
        save_footprints(db, run_id, [{**SUBASSEMBLY_A, "total_kg_co2e": float("nan")}])


def test_a_calculation_is_saved_with_one_audit_record_per_footprint(db: Engine) -> None:
    saved = save_calculation(
        db,
        **RUN,
        footprints=[PRODUCT_P, SUBASSEMBLY_A],
        audit_documents={"P": audit_document("P"), "A": audit_document("A")},
    )

    assert [record.sequence for record in saved.audit_records] == [1, 2]
    assert saved.audit_records[0].previous_hash == GENESIS_HASH
    record = read_audit_record(db, saved.footprint_ids["P"])
    assert record is not None
    assert record.record_json == canonical_json(audit_document("P"))
    assert read_audit_record(db, 999_999) is None
    assert verify_chain(read_audit_chain(db)) == []


def test_a_calculation_without_all_audit_documents_saves_nothing(db: Engine) -> None:
    with pytest.raises(ValueError, match=r"footprints without one: \['A'\]"):
        save_calculation(
            db,
            **RUN,
            footprints=[PRODUCT_P, SUBASSEMBLY_A],
            audit_documents={"P": audit_document("P")},
        )

    with db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM calculation_run")).scalar() == 0


def test_two_concurrent_writers_extend_one_intact_chain(db: Engine) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def append(writer: str) -> None:
        start.wait()
        try:
            for call in range(25):
                append_audit_records(
                    db,
                    [
                        (None, audit_document(f"{writer}-{call}-{n}", writer=writer))
                        for n in range(2)
                    ],
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=append, args=(writer,)) for writer in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    chain = list(read_audit_chain(db, chunk_size=7))
    assert errors == []
    assert [record.sequence for record in chain] == list(range(1, 101))
    assert verify_chain(chain) == []


def test_the_chain_streams_in_sequence_order_across_chunks(db: Engine) -> None:
    appended = append_audit_records(db, [(None, audit_document(str(n))) for n in range(20)])

    assert list(read_audit_chain(db, chunk_size=7)) == appended
    assert list(read_audit_chain(db, chunk_size=20)) == appended


def tamper(db: Engine, statement: str) -> None:
    with db.begin() as connection:
        connection.execute(text("SET LOCAL pcf.allow_audit_tamper = on"))
        connection.execute(text(statement))


def test_a_tampered_record_is_named_by_verify_chain(db: Engine) -> None:
    append_audit_records(db, [(None, audit_document(str(n))) for n in range(6)])

    tamper(
        db,
        "UPDATE audit_record SET record_json = replace(record_json, '1.5', '0.5') "
        "WHERE sequence = 3",
    )

    problems = verify_chain(read_audit_chain(db))
    assert [(p.sequence, p.reason) for p in problems] == [
        (3, "content does not match its hash: tampered")
    ]


def test_a_removed_record_is_named_by_verify_chain(db: Engine) -> None:
    append_audit_records(db, [(None, audit_document(str(n))) for n in range(6)])

    tamper(db, "DELETE FROM audit_record WHERE sequence = 4")

    problems = verify_chain(read_audit_chain(db))
    assert {p.sequence for p in problems} == {5}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_record SET record_json = '{}'",
        "DELETE FROM audit_record",
        "TRUNCATE audit_record CASCADE",
    ],
)
def test_the_audit_trail_is_append_only(db: Engine, statement: str) -> None:
    append_audit_records(db, [(None, audit_document("x"))])

    with pytest.raises(DBAPIError, match="append-only"), db.begin() as connection:
        connection.execute(text(statement))

    assert [r.record_json for r in read_audit_chain(db)] == [canonical_json(audit_document("x"))]


def test_appending_nothing_is_a_no_op(db: Engine) -> None:
    assert append_audit_records(db, []) == []
    assert list(read_audit_chain(db)) == []


def test_records_are_returned_as_stored(db: Engine) -> None:
    (appended,) = append_audit_records(db, [(None, {"é": [1.25, None, True]})])

    (stored,) = read_audit_chain(db)
    assert (
        stored
        == appended
        == ChainedRecord(1, '{"é":[1.25,null,true]}', GENESIS_HASH, appended.record_hash)
    )
