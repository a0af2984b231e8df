"""The PostgreSQL store writing an edge batch while it is decoded (``write_edge_batch``):
the rows it stores are the ones the table's way stores, and every way out of the one
streamed COPY (a refused batch, a window stored before or twice, a new month, a fault)
leaves nothing behind or the table's result."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres import telemetry_store
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import WriteOutcome
from pcf.core.units import UNIT_SYMBOLS, dimension_of
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_batch import EdgeBatch, EdgeBatchWriter, decode_payloads
from pcf.formats.telemetry_record import MAX_COUNT, QUANTITY_DIMENSIONS, TelemetryWindowRecord
from tests.unit.ingest.builders import record

pytestmark = pytest.mark.integration

JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
UNITS_OF = {
    quantity: [unit for unit in UNIT_SYMBOLS if dimension_of(unit) in dimensions]
    for quantity, dimensions in QUANTITY_DIMENSIONS.items()
}
ROWS = """
SELECT site_id, machine_id, meter_id, quantity, item_id, window_start::text,
       window_end::text, value::text, unit, revision, samples_received, samples_dropped
FROM telemetry_window ORDER BY meter_id, window_start
"""
# texts that a CSV row could take for its own syntax
AWKWARD_TEXTS = ["", " ", ",", '"', '""', "a,b", 'say "hi"', "two\nlines", "\\", "\\.", "NULL"]
TEXTS = st.sampled_from(AWKWARD_TEXTS) | st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=6
)


def stored_rows(db: Engine) -> list[tuple[Any, ...]]:
    with db.connect() as connection:
        return [tuple(row) for row in connection.execute(text(ROWS))]


def empty(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(text("TRUNCATE telemetry_window, telemetry_rollup_pending"))


def payloads_of(records: Sequence[TelemetryWindowRecord]) -> list[bytes]:
    return [r.to_json_bytes() for r in records]


@st.composite
def january_records(draw: st.DrawFn) -> TelemetryWindowRecord:
    """Records as the edge sends them, in January 2026, with texts that CSV must quote."""
    quantity = draw(st.sampled_from(list(MeterQuantity)))
    start = JANUARY + timedelta(seconds=draw(st.integers(0, 30 * 86_400)))
    received = draw(st.integers(0, MAX_COUNT))
    return TelemetryWindowRecord(
        site_id=draw(TEXTS.filter(bool)),
        machine_id=draw(st.none() | TEXTS),
        meter_id=draw(TEXTS.filter(bool)),
        quantity=quantity,
        item_id=draw(TEXTS.filter(bool))
        if quantity is MeterQuantity.PRODUCTION_COUNT
        else draw(st.none() | TEXTS),
        window_start=start,
        window_end=start + timedelta(seconds=draw(st.integers(1, 3600))),
        value=draw(
            st.sampled_from([0.0, 60.0, 1e-05, 1.5e-07, 1e15, 1e16, 5e-324, 0.1 + 0.2])
            | st.floats(min_value=0, max_value=1e300, allow_nan=False)
        ),
        unit=draw(st.sampled_from(UNITS_OF[quantity])),
        revision=draw(st.integers(0, MAX_COUNT)),
        samples_received=received,
        samples_dropped=draw(st.integers(0, received)),
    )


@pytest.fixture
def store(db: Engine) -> PostgresTelemetryStore:
    """A store whose January partition exists (the streamed COPY's usual case)."""
    store = PostgresTelemetryStore(db)
    store.write_windows([record(0, meter_id="M0-E").to_window()])
    empty(db)
    return store


@pytest.fixture
def streamed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's way (its COPY text) fails: a write must be the streamed COPY alone."""

    def no_table_copy(*_: object) -> bytes:
        raise AssertionError("the batch went the table's way")

    monkeypatch.setattr(telemetry_store, "_copy_csv", no_table_copy)


def test_the_store_writes_edge_batches(store: PostgresTelemetryStore) -> None:
    assert isinstance(store, EdgeBatchWriter)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        january_records(),
        min_size=1,
        max_size=12,
        unique_by=lambda r: (r.meter_id, r.window_start),
    ),
    st.integers(1, 5),
)
def test_the_streamed_rows_are_the_rows_the_table_way_stores(
    db: Engine,
    store: PostgresTelemetryStore,
    records: list[TelemetryWindowRecord],
    part_size: int,
) -> None:
    payloads = payloads_of(records)
    table = decode_payloads(payloads)
    assert table is not None

    empty(db)
    streamed = store.write_edge_batch(EdgeBatch(payloads, part_size=part_size))
    streamed_rows = stored_rows(db)
    empty(db)
    by_table = store.write_window_table(table)

    assert streamed == by_table == WriteOutcome(inserted=len(records), replaced=0, ignored=0)
    assert streamed_rows == stored_rows(db)


def test_a_batch_of_new_windows_goes_in_part_by_part_with_the_canonical_values(
    db: Engine, store: PostgresTelemetryStore, streamed_only: None
) -> None:
    # Given seven windows, in parts of two, some in units that are converted
    records = [
        record(0, 1500.0, unit="Wh"),
        record(1, 0.25),
        record(2, 100.0, meter_id="M2-G", quantity=MeterQuantity.NATURAL_GAS, unit="ft3"),
        record(3, 60.0),
        record(4, 1e-05),
        record(5, 3.0, meter_id="M3-P", quantity=MeterQuantity.PRODUCTION_COUNT,
               item_id='bolt "M8", zinc', unit="piece", machine_id=None),
        record(6, 2.0),
    ]  # fmt: skip
    parts_made: list[int] = []
    batch = EdgeBatch(payloads_of(records), part_size=2, on_table=lambda t: parts_made.append(0))

    outcome = store.write_edge_batch(batch)

    assert outcome == WriteOutcome(inserted=7, replaced=0, ignored=0)
    assert parts_made == [0]  # the table was made once, for the archive
    values = {(row[2], row[5]): row[7] for row in stored_rows(db)}
    assert values[("M1-E", "2026-01-02 00:00:00+00")] == "1.5"
    assert values[("M2-G", "2026-01-02 00:02:00+00")] == "2.8316846592"
    assert values[("M1-E", "2026-01-02 00:03:00+00")] == "60.0"
    assert values[("M1-E", "2026-01-02 00:04:00+00")] == "0.00001"
    (counter,) = [row for row in stored_rows(db) if row[2] == "M3-P"]
    assert counter[1] is None and counter[4] == 'bolt "M8", zinc'
    with db.connect() as connection:
        marked = connection.execute(text("SELECT count(*) FROM telemetry_rollup_pending"))
        assert marked.scalar_one() == 3  # one hour of each of three meters


@pytest.mark.parametrize(
    "last",
    [
        b'{"meter_id": "M1-E"}',  # not in the edge's form
        # an electricity meter in kg: in the edge's form, against a rule
        record(9, 0.5).to_json_bytes().replace(b'"unit":"kWh"', b'"unit":"kg"'),
    ],
    ids=["malformed", "breaks-a-rule"],
)
def test_a_refused_record_in_a_later_part_cancels_the_copy_and_writes_nothing(
    db: Engine, store: PostgresTelemetryStore, last: bytes
) -> None:
    payloads = [*payloads_of([record(minute) for minute in range(5)]), last]

    outcome = store.write_edge_batch(EdgeBatch(payloads, part_size=2))

    assert outcome is None
    assert stored_rows(db) == []


def test_a_window_stored_before_goes_through_the_merge(
    db: Engine, store: PostgresTelemetryStore
) -> None:
    store.write_windows([record(3, 0.5).to_window()])
    records = [record(minute, 0.5) for minute in range(5)]
    records[3] = record(3, 0.75, revision=1)

    outcome = store.write_edge_batch(EdgeBatch(payloads_of(records), part_size=2))

    assert outcome == WriteOutcome(inserted=4, replaced=1, ignored=0)
    assert [row[7] for row in stored_rows(db)] == ["0.5", "0.5", "0.5", "0.75", "0.5"]


def test_the_same_window_twice_counts_once_with_its_highest_revision(
    db: Engine, store: PostgresTelemetryStore
) -> None:
    records = [record(0, 0.5), record(1, 0.5), record(2, 0.5), record(0, 0.25, revision=2)]

    outcome = store.write_edge_batch(EdgeBatch(payloads_of(records), part_size=2))

    assert outcome == WriteOutcome(inserted=3, replaced=0, ignored=1)
    assert [row[7] for row in stored_rows(db)] == ["0.25", "0.5", "0.5"]


def test_a_month_without_a_partition_is_made_and_stored(
    db: Engine, store: PostgresTelemetryStore
) -> None:
    records = [record(0, 0.5), record(60 * 24 * 40, 0.5)]  # January, then February

    outcome = store.write_edge_batch(EdgeBatch(payloads_of(records), part_size=1))

    assert outcome == WriteOutcome(inserted=2, replaced=0, ignored=0)
    assert [row[5][:7] for row in stored_rows(db)] == ["2026-01", "2026-02"]


def test_a_fault_while_making_the_rows_is_raised_and_writes_nothing(
    db: Engine, store: PostgresTelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> bytes:
        raise RuntimeError("a fault in the row texts")

    monkeypatch.setattr(telemetry_store._WireRowTexts, "rows", broken)
    payloads = payloads_of([record(minute) for minute in range(3)])

    with pytest.raises(RuntimeError, match="a fault in the row texts"):
        store.write_edge_batch(EdgeBatch(payloads))
    assert stored_rows(db) == []


def test_concurrent_writers_in_arrival_order_keep_the_highest_revision(
    db: Engine, store: PostgresTelemetryStore
) -> None:
    # Three writers stream the same 60 windows at once, each in its own order and with
    # its own revision: arrival order is not key order, so they may deadlock or meet a
    # window the other stored, and each must then finish the table's way. A writer
    # whose table's way loses a deadlock fails with nothing written and is delivered
    # again, as Lambda would.
    start = threading.Barrier(3)
    outcomes: list[WriteOutcome | None] = []

    def write(revision: int) -> None:
        records = [record(minute, float(revision), revision=revision) for minute in range(60)]
        random.Random(revision).shuffle(records)
        start.wait()
        for _ in range(5):
            try:
                batch = EdgeBatch(payloads_of(records), part_size=7)
                outcomes.append(store.write_edge_batch(batch))
                return
            except psycopg2.errors.DeadlockDetected:
                continue

    threads = [threading.Thread(target=write, args=(revision,)) for revision in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [row[7] for row in stored_rows(db)] == ["3.0"] * 60
    assert all(outcome is not None for outcome in outcomes)
    assert sum(o.inserted for o in outcomes if o) == 60
    assert sum(o.inserted + o.replaced + o.ignored for o in outcomes if o) == 180
