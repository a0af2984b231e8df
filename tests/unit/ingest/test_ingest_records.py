"""The ingest use case: parse, dead-letter the malformed, store and archive the rest."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pytest

from pcf.adapters.archive import FolderArchive
from pcf.adapters.dead_letter import (
    DeadLetter,
    DeadLetterError,
    FolderDeadLetters,
    InMemoryDeadLetters,
)
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import WriteOutcome
from pcf.usecases.ingest import (
    IngestSettings,
    RecordStatus,
    build_ingest_dependencies,
    ingest_records,
)
from tests.unit.ingest.builders import BrokenStore, InMemoryStore, ListArchive, record

STORED, DEAD_LETTERED, FAILED = RecordStatus.STORED, RecordStatus.DEAD_LETTERED, RecordStatus.FAILED


def payload(**fields: object) -> bytes:
    data = json.loads(record().to_json_bytes())
    data.update(fields)
    return json.dumps(data).encode()


class BrokenDeadLetters:
    def send(self, letters: Sequence[DeadLetter]) -> None:
        raise DeadLetterError("queue unreachable")


def test_valid_records_are_stored_once_and_archived_as_received() -> None:
    # Given three windows, one of them delivered twice
    payloads = [record(0).to_json_bytes(), record(1).to_json_bytes(), record(0).to_json_bytes()]
    store, archive = InMemoryStore(), ListArchive()

    # When
    report = ingest_records(payloads, store, archive, InMemoryDeadLetters())

    # Then the store counted the duplicate once, in one write; the raw archive has all three
    assert [outcome.status for outcome in report.outcomes] == [STORED] * 3
    assert report.written == WriteOutcome(inserted=2, replaced=0, ignored=1)
    assert store.calls == 1
    assert len(store.windows) == 2
    assert archive.records == [record(0), record(1), record(0)]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "Invalid JSON"),
        (payload(value=-1.0), "value: Input should be greater than or equal to 0"),
        (payload(unit="furlong"), "unit: Value error"),
        (payload(quantity="steam"), "quantity: Input should be"),
        (payload(window_end="2026-01-01T00:00:00Z"), "window_end must be after window_start"),
        (payload(colour="red"), "colour: Extra inputs are not permitted"),
        (b"\xff\xfe\x00", "Invalid JSON"),
    ],
)
def test_a_malformed_record_is_dead_lettered_with_the_reason(raw: bytes, reason: str) -> None:
    # Given a malformed record between two good ones
    payloads = [record(0).to_json_bytes(), raw, record(1).to_json_bytes()]
    dead_letters, store = InMemoryDeadLetters(), InMemoryStore()

    # When
    report = ingest_records(
        payloads, store, ListArchive(), dead_letters, sequence_numbers=["100", "101", "102"]
    )

    # Then it is dead-lettered with pydantic's reason, its payload and sequence number,
    # and the good records are stored
    assert [outcome.status for outcome in report.outcomes] == [STORED, DEAD_LETTERED, STORED]
    (letter,) = dead_letters.letters
    assert reason in letter.reason
    assert report.outcomes[1].reason == letter.reason
    assert letter.payload == raw
    assert letter.sequence_number == "101"
    assert len(store.windows) == 2


def test_a_dead_letter_carries_the_payload_as_text_or_base64() -> None:
    dead_letters = InMemoryDeadLetters()

    ingest_records([b'{"value": 1', b"\xff\x00"], InMemoryStore(), ListArchive(), dead_letters)

    text, binary = (letter.to_message() for letter in dead_letters.letters)
    assert text["payload_text"] == '{"value": 1'
    assert binary["payload_base64"] == base64.b64encode(b"\xff\x00").decode()
    assert text["sequence_number"] is None
    assert text["errors"][0]["type"] == "json_invalid"


def test_when_the_store_fails_every_valid_record_fails_and_comes_again() -> None:
    archive, dead_letters = ListArchive(), InMemoryDeadLetters()

    report = ingest_records(
        [record(0).to_json_bytes(), b"{}", record(1).to_json_bytes()],
        BrokenStore(),
        archive,
        dead_letters,
    )

    assert [outcome.status for outcome in report.outcomes] == [FAILED, DEAD_LETTERED, FAILED]
    assert "ConnectionError: server closed the connection" in str(report.outcomes[0].reason)
    assert report.failed_positions == [0, 2]
    assert report.written == WriteOutcome(0, 0, 0)
    # archived while the store was failing: the raw tier keeps what arrived, and will
    # keep the redelivered copies too (readers keep the latest revision per window)
    assert archive.records == [record(0), record(1)]
    assert len(dead_letters.letters) == 1


class RefusingTableStore(InMemoryStore):
    """A store that writes tables and refuses the batch's rows while working them out."""

    def write_window_table(self, table: pa.Table) -> WriteOutcome:
        return self.prepare_window_table(table)()

    def prepare_window_table(self, table: pa.Table) -> Callable[[], WriteOutcome]:
        raise ValueError("value inf is not a finite number")


def test_rows_the_store_refuses_fail_every_record_before_anything_is_written() -> None:
    archive = ListArchive()

    report = ingest_records(
        [record(0).to_json_bytes(), record(1).to_json_bytes()],
        RefusingTableStore(),
        archive,
        InMemoryDeadLetters(),
    )

    assert report.failed_positions == [0, 1]
    assert "ValueError: value inf" in str(report.outcomes[0].reason)
    assert report.written == WriteOutcome(0, 0, 0)
    # nothing archived: the records come again and are archived then
    assert archive.lines == []


def test_when_the_archive_fails_the_stored_records_fail_so_they_come_again() -> None:
    store = InMemoryStore()

    report = ingest_records(
        [record(0).to_json_bytes()], store, ListArchive(broken=True), InMemoryDeadLetters()
    )

    assert report.outcomes[0].status is FAILED
    assert "raw archive failed: OSError" in str(report.outcomes[0].reason)
    assert len(store.windows) == 1  # stored; the redelivery will be a no-op


def test_when_the_dead_letter_destination_fails_the_malformed_record_fails() -> None:
    report = ingest_records(
        [b"{}", record(0).to_json_bytes()], InMemoryStore(), ListArchive(), BrokenDeadLetters()
    )

    assert [outcome.status for outcome in report.outcomes] == [FAILED, STORED]
    assert "dead-letter failed: DeadLetterError: queue unreachable" in str(
        report.outcomes[0].reason
    )


def test_an_empty_batch_touches_nothing() -> None:
    store = InMemoryStore()

    report = ingest_records([], store, ListArchive(), InMemoryDeadLetters())

    assert report.outcomes == ()
    assert store.calls == 0


def test_sequence_numbers_must_match_the_payloads() -> None:
    with pytest.raises(ValueError, match="2 sequence numbers for 1 payloads"):
        ingest_records(
            [b"{}"],
            InMemoryStore(),
            ListArchive(),
            InMemoryDeadLetters(),
            sequence_numbers=["1", "2"],
        )


def test_settings_fail_at_start_when_a_variable_is_missing() -> None:
    with pytest.raises(ValueError, match="DEAD_LETTER_QUEUE_URL"):
        IngestSettings.from_environment({"DATABASE_URL": "postgresql://x/y", "ARCHIVE": "/tmp/a"})


def test_settings_read_the_environment_names() -> None:
    settings = IngestSettings.from_environment(
        {
            "DATABASE_URL": "postgresql://db/pcf",
            "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/dlq",
            "ARCHIVE": "firehose:pcf-raw",
            "PATH": "/usr/bin",
        }
    )
    assert settings.archive == "firehose:pcf-raw"
    assert settings.dead_letter_queue_url.endswith("/dlq")


def test_dependencies_for_a_local_install_are_folders(tmp_path: Path) -> None:
    settings = IngestSettings.from_environment(
        {
            "DATABASE_URL": "postgresql://localhost/pcf",
            "DEAD_LETTER_QUEUE_URL": str(tmp_path / "dead"),
            "ARCHIVE": str(tmp_path / "lake"),
        }
    )

    dependencies = build_ingest_dependencies(settings)

    assert isinstance(dependencies.archive, FolderArchive)
    assert dependencies.archive.root == tmp_path / "lake"
    assert isinstance(dependencies.dead_letter, FolderDeadLetters)
    assert isinstance(dependencies.store, PostgresTelemetryStore)


def test_a_batch_taking_the_slow_way_stores_and_archives_what_the_fast_way_does() -> None:
    # Given the edge's records, once alone (decoded as one batch) and once with a
    # malformed record among them (validated record by record)
    payloads = [record(minute, value=0.25 * minute).to_json_bytes() for minute in range(5)]
    payloads += [record(0, revision=1, unit="Wh", value=250.0).to_json_bytes()]
    fast_store, fast_archive = InMemoryStore(), ListArchive()
    slow_store, slow_archive = InMemoryStore(), ListArchive()

    # When
    fast = ingest_records(payloads, fast_store, fast_archive, InMemoryDeadLetters())
    slow = ingest_records([*payloads, b"{}"], slow_store, slow_archive, InMemoryDeadLetters())

    # Then both store the same windows and archive the same records
    assert fast.written == slow.written == WriteOutcome(inserted=5, replaced=1, ignored=0)
    assert fast_store.windows == slow_store.windows
    assert fast_archive.records == slow_archive.records
    assert fast_archive.lines == [p + b"\n" for p in payloads]  # the payloads as received
