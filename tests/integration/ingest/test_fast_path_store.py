"""The ingest's fast path on the real PostgreSQL store (a batch decoded as a whole and
COPYed in one statement), and every way out of it (a window stored before, the same
window twice, a malformed record, a new month) leaving the windows the record-by-record
path would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pcf.adapters.dead_letter import InMemoryDeadLetters
from pcf.adapters.postgres import telemetry_store
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import WriteOutcome
from pcf.usecases.ingest import RecordStatus, ingest_records
from tests.unit.ingest.builders import ListArchive, record

pytestmark = pytest.mark.integration

JANUARY = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))


@pytest.fixture
def january_store(store: PostgresTelemetryStore) -> PostgresTelemetryStore:
    """The store once it has written a January window (of another meter): January's
    partition exists and the store knows it."""
    store.write_windows([record(0, meter_id="M0-E").to_window()])
    return store


def totals(store: PostgresTelemetryStore) -> dict[str, object]:
    return {t.meter_id: t.total for t in store.meter_period_totals("S1", *JANUARY)}


def test_a_batch_of_new_windows_is_stored_with_one_copy(
    january_store: PostgresTelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = january_store
    # the merge (the way out) would fail: the batch must go in with the COPY alone
    monkeypatch.setattr(telemetry_store, "_STAGE", "SELECT 1 / 0")
    archive = ListArchive()
    payloads = [record(minute, value=0.5).to_json_bytes() for minute in range(5)]

    report = ingest_records(payloads, store, archive, InMemoryDeadLetters())

    assert report.written == WriteOutcome(inserted=5, replaced=0, ignored=0)
    assert report.count(RecordStatus.STORED) == 5
    assert str(totals(store)["M1-E"]) == "2.5"
    assert archive.lines == [p + b"\n" for p in payloads]


def test_a_window_stored_before_sends_the_batch_through_the_merge(
    store: PostgresTelemetryStore,
) -> None:
    ingest_records(
        [record(3, value=0.5).to_json_bytes()], store, ListArchive(), InMemoryDeadLetters()
    )
    payloads = [record(minute, value=0.5).to_json_bytes() for minute in range(5)]
    payloads[3] = record(3, value=0.75, revision=1).to_json_bytes()

    report = ingest_records(payloads, store, ListArchive(), InMemoryDeadLetters())

    assert report.written == WriteOutcome(inserted=4, replaced=1, ignored=0)
    assert str(totals(store)["M1-E"]) == "2.75"


def test_the_same_window_twice_in_a_batch_counts_once(
    january_store: PostgresTelemetryStore,
) -> None:
    store = january_store
    payloads = [record(minute, value=0.5).to_json_bytes() for minute in (0, 1, 2, 0)]

    report = ingest_records(payloads, store, ListArchive(), InMemoryDeadLetters())

    assert report.written == WriteOutcome(inserted=3, replaced=0, ignored=1)
    assert str(totals(store)["M1-E"]) == "1.5"


def test_a_malformed_record_sends_the_batch_record_by_record(
    january_store: PostgresTelemetryStore,
) -> None:
    store = january_store
    # Given four good records then a malformed one
    payloads = [record(minute, value=0.5).to_json_bytes() for minute in range(4)]
    letters = InMemoryDeadLetters()

    report = ingest_records([*payloads, b'{"meter_id": "M1-E"}'], store, ListArchive(), letters)

    # Then the batch went record by record: the good ones stored once, the bad one
    # dead-lettered
    assert report.count(RecordStatus.STORED) == 4
    assert report.count(RecordStatus.DEAD_LETTERED) == 1
    assert report.written == WriteOutcome(inserted=4, replaced=0, ignored=0)
    assert str(totals(store)["M1-E"]) == "2.0"
    assert len(letters.letters) == 1


def test_a_month_without_a_partition_yet_is_made_and_stored(
    store: PostgresTelemetryStore,
) -> None:
    payloads = [record(minute, value=0.5).to_json_bytes() for minute in range(3)]
    payloads.append(record(60 * 24 * 40, value=0.5).to_json_bytes())  # in February

    report = ingest_records(payloads, store, ListArchive(), InMemoryDeadLetters())

    assert report.written == WriteOutcome(inserted=4, replaced=0, ignored=0)
    assert str(totals(store)["M1-E"]) == "1.5"
    (february,) = store.meter_period_totals(
        "S1", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert str(february.total) == "0.5"
