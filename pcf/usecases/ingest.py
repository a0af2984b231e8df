"""Ingest telemetry: records from the stream into the telemetry store and the raw
archive, malformed ones to the dead-letter destination, nothing lost, nothing counted
twice.

``ingest_records`` is the use case (bytes in, a report out, no event shapes).
``handle_kinesis_batch`` is what the Lambda entry point calls with a Kinesis event: it
runs the use case on the whole batch and, when any record failed, reports per record
through Powertools' batch processor, so Lambda retries only what failed
(``batchItemFailures``).

Why one store write per batch: writing each record on its own costs a round trip and a
transaction per window; the batch's valid windows go to the store in one call (one COPY
in PostgreSQL, or a COPY and a merge when some windows were stored before). The price is
coarser failure: when that write raises, every valid record of the batch is reported
failed. That is exact, not pessimistic: the
PostgreSQL store writes in one transaction, so nothing of the batch was stored; and for
Kinesis, Lambda restarts the shard from the lowest failed sequence number anyway, so
records after a failed one are delivered again whatever is reported for them. A store
that stored part of the windows before failing is safe too: the redelivered windows are
the same revisions, which the store ignores (idempotent per meter and window).

Malformed records are not failures: they are sent to the dead-letter destination with
the reason and count as processed, so a poison record never blocks its shard. Only when
the dead-letter destination itself fails is the record reported failed (retried, never
dropped). The raw archive is written while the store writes (each waits on I/O, not on
the other); a batch succeeds only when both did. A failed archive write fails its
records, which are then delivered again (stored again as a no-op, archived again); a
failed store write fails them too, though the archive may hold them already: the raw
tier keeps what arrived, copies included. Because Lambda redelivers from the lowest
failed record, a malformed record after it can be dead-lettered twice; its
``sequence_number`` identifies the copies.

Speed: a batch whose every record is in the edge's form is decoded and checked as a
whole and written with one COPY; any other batch is validated record by record with
pydantic, which names each malformed record's reason. Both give the same windows. The
PostgreSQL store writes the batch while it is decoded (``EdgeBatch``: the server stores
one part while the next is decoded); other stores take the decoded table
(``pcf.formats.telemetry_batch.decode_payloads``). ``docs/decisions/0005`` has the
figures.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache, cached_property, partial
from operator import attrgetter
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, ValidationError

from pcf.adapters.archive import FirehoseArchive, FolderArchive, RawArchive, archive_lines
from pcf.adapters.dead_letter import (
    DeadLetter,
    DeadLetterDestination,
    FieldError,
    FolderDeadLetters,
    SqsDeadLetters,
)
from pcf.adapters.postgres.connection import create_engine
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import TelemetryStore, WriteOutcome
from pcf.environment import EnvironmentSettings
from pcf.formats.telemetry_batch import (
    EdgeBatch,
    EdgeBatchWriter,
    WindowTableWriter,
    decode_payloads,
    epoch_seconds,
    windows_from_table,
    windows_table,
)
from pcf.formats.telemetry_record import TelemetryWindowRecord
from pcf.observability import logger, metrics

FIREHOSE_ARCHIVE_SCHEME = "firehose:"
NOTHING_WRITTEN = WriteOutcome(inserted=0, replaced=0, ignored=0)
SECONDS_PER_DAY = 86_400
EPOCH_DAY = date(1970, 1, 1)


class RecordStatus(StrEnum):
    STORED = "stored"  # in the store (new, replacing, or a no-op duplicate) and archived
    DEAD_LETTERED = "dead_lettered"  # malformed; sent to the dead-letter destination
    FAILED = "failed"  # not done; must be delivered again


@dataclass(frozen=True)
class RecordOutcome:
    status: RecordStatus
    reason: str | None = None  # why a record was dead-lettered or failed


_STATUS = attrgetter("status")


@dataclass(frozen=True)
class IngestReport:
    """What became of each record (``outcomes``, in input order) and what the store did
    with the valid ones (``written``: windows inserted, replaced, ignored as duplicates;
    all zero when the store write failed)."""

    outcomes: tuple[RecordOutcome, ...]
    written: WriteOutcome

    def count(self, status: RecordStatus) -> int:
        return self._statuses.count(status)

    @property
    def failed_positions(self) -> list[int]:
        """Positions (0-based) of the records to deliver again."""
        if RecordStatus.FAILED not in self._statuses:
            return []
        return [
            position
            for position, status in enumerate(self._statuses)
            if status is RecordStatus.FAILED
        ]

    @cached_property
    def _statuses(self) -> list[RecordStatus]:
        # counted in C: a batch has thousands of records and is reported on three times
        return list(map(_STATUS, self.outcomes))


def ingest_records(
    payloads: Sequence[bytes],
    store: TelemetryStore,
    archive: RawArchive,
    dead_letter: DeadLetterDestination,
    *,
    sequence_numbers: Sequence[str] | None = None,
) -> IngestReport:
    """Ingest one batch of telemetry records, each payload one ``TelemetryWindowRecord``
    as JSON (UTF-8).

    Malformed payloads go to ``dead_letter`` with pydantic's reason, the payload and the
    record's sequence number (from ``sequence_numbers``, parallel to ``payloads``, when
    given). Valid ones are written to ``store`` in one call (idempotent: a record seen
    before changes nothing) and appended to ``archive``. Never raises for a bad record or
    a failing store, archive or destination: those records come back ``FAILED`` in the
    report, with the error as reason.
    """
    if sequence_numbers is not None and len(sequence_numbers) != len(payloads):
        raise ValueError(f"{len(sequence_numbers)} sequence numbers for {len(payloads)} payloads")
    # the fast path, when the whole batch is valid and in the edge's form
    if payloads and isinstance(store, EdgeBatchWriter):
        fast = _write_while_decoding(store, payloads, archive)
    else:
        table = decode_payloads(payloads)
        fast = None
        if table is not None:
            fast = _store_and_archive(store, table, archive, _payload_lines_by_day(payloads, table))
    if fast is not None:
        written, failure = fast
        outcome = failure or RecordOutcome(RecordStatus.STORED)
        return IngestReport(outcomes=(outcome,) * len(payloads), written=written)

    outcomes: list[RecordOutcome] = [RecordOutcome(RecordStatus.STORED)] * len(payloads)
    valid: list[tuple[int, TelemetryWindowRecord]] = []
    rejected: list[tuple[int, DeadLetter]] = []
    for position, payload in enumerate(payloads):
        try:
            valid.append((position, TelemetryWindowRecord.model_validate_json(payload)))
        except ValidationError as error:
            sequence_number = sequence_numbers[position] if sequence_numbers else None
            rejected.append((position, _dead_letter(error, payload, sequence_number)))

    if rejected:
        failure = _attempt("dead-letter", lambda: dead_letter.send([d for _, d in rejected]))
        for position, letter in rejected:
            if failure is not None:
                outcomes[position] = failure
                continue
            outcomes[position] = RecordOutcome(RecordStatus.DEAD_LETTERED, letter.reason)
            logger.warning(
                "telemetry record dead-lettered",
                extra={"sequence_number": letter.sequence_number, "reason": letter.reason},
            )

    written = NOTHING_WRITTEN
    if valid:
        records = [record for _, record in valid]
        written, failure = _store_and_archive(
            store,
            windows_table([record.to_window() for record in records]),
            archive,
            archive_lines(records),
        )
        if failure is not None:
            for position, _ in valid:
                outcomes[position] = failure
    return IngestReport(outcomes=tuple(outcomes), written=written)


def _store_and_archive(
    store: TelemetryStore,
    windows: pa.Table,
    archive: RawArchive,
    lines_by_day: Mapping[date, Sequence[bytes]],
) -> tuple[WriteOutcome, RecordOutcome | None]:
    """Write the windows to the store while the archive writes their lines (both wait
    on I/O, not on each other); the failure outcome when either failed.

    A store that writes tables works out its rows first and only then is the archive
    started: the archive thread's Python (a write call a line, a GIL hand-over at each
    buffer flush) would otherwise slow that work down, while it costs nothing while the
    store waits on its database."""
    try:
        if isinstance(store, WindowTableWriter):
            write = store.prepare_window_table(windows)
        else:
            write = partial(store.write_windows, windows_from_table(windows))
    except Exception as error:  # rows the store refuses: the records are delivered again
        return NOTHING_WRITTEN, _failure("telemetry store write", error)
    archiving = _archive_worker().submit(archive.append_lines, lines_by_day)
    written = NOTHING_WRITTEN
    try:
        written = write()
    except Exception as error:  # any store error: the records are delivered again
        store_failure: RecordOutcome | None = _failure("telemetry store write", error)
    else:
        store_failure = None
    archive_failure = _attempt("raw archive", archiving.result)
    return written, store_failure or archive_failure


def _write_while_decoding(
    store: EdgeBatchWriter, payloads: Sequence[bytes], archive: RawArchive
) -> tuple[WriteOutcome, RecordOutcome | None] | None:
    """``_store_and_archive`` for a store that writes the batch while it is decoded
    (``EdgeBatch``); None, with nothing written, when the batch is not all valid and in
    the edge's form. The archive starts once the whole batch is decoded and checked,
    and writes while the store finishes."""
    archiving: list[Future[None]] = []

    def start_archive(table: pa.Table) -> None:
        lines = _payload_lines_by_day(payloads, table)
        archiving.append(_archive_worker().submit(archive.append_lines, lines))

    try:
        written = store.write_edge_batch(EdgeBatch(payloads, on_table=start_archive))
    except Exception as error:  # any store error: the records are delivered again
        store_failure: RecordOutcome | None = _failure("telemetry store write", error)
        written = NOTHING_WRITTEN
    else:
        if written is None:
            return None
        store_failure = None
    # the store failed before the batch was decoded: no archive, as no record succeeds
    archive_failure = _attempt("raw archive", archiving[0].result) if archiving else None
    return written, store_failure or archive_failure


@cache
def _archive_worker() -> ThreadPoolExecutor:
    """The thread the raw archive writes in, one per process (Lambda execution
    environment), so batches reach the archive in order."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-archive")


def _payload_lines_by_day(payloads: Sequence[bytes], windows: pa.Table) -> dict[date, list[bytes]]:
    """The payloads as archive lines, by the UTC day of their window start (the fast
    path checked each payload is one line with its bounds in UTC)."""
    days = epoch_seconds(windows.column("window_start")) // SECONDS_PER_DAY
    by_day: dict[date, list[bytes]] = {}
    for day in np.unique(days).tolist():
        on_day = np.flatnonzero(days == day).tolist()
        by_day[EPOCH_DAY + timedelta(days=day)] = [payloads[i] + b"\n" for i in on_day]
    return by_day


def _dead_letter(error: ValidationError, payload: bytes, sequence_number: str | None) -> DeadLetter:
    errors = tuple(
        FieldError(
            loc=".".join(str(part) for part in detail["loc"]),
            msg=detail["msg"],
            type=detail["type"],
        )
        for detail in error.errors(include_url=False, include_input=False)
    )
    # pydantic's messages without the input (which is in the payload already)
    reason = "; ".join(f"{e.loc}: {e.msg}" if e.loc else e.msg for e in errors)
    return DeadLetter(
        reason=reason, payload=payload, sequence_number=sequence_number, errors=errors
    )


def _attempt(step: str, action: Callable[[], object]) -> RecordOutcome | None:
    """None when ``action()`` succeeded, else the failure outcome for its records."""
    try:
        action()
    except Exception as error:  # any adapter error: the records are delivered again
        return _failure(step, error)
    return None


def _failure(step: str, error: Exception) -> RecordOutcome:
    logger.exception(f"{step} failed; its records will be delivered again")
    return RecordOutcome(RecordStatus.FAILED, f"{step} failed: {type(error).__name__}: {error}")


# --- the Lambda path -------------------------------------------------------------------


@dataclass(frozen=True)
class IngestDependencies:
    """What the ingest writes to, built once per process (Lambda cold start)."""

    store: TelemetryStore
    archive: RawArchive
    dead_letter: DeadLetterDestination


TIMESTREAM_STORE_SCHEME = "timestream:"


class IngestSettings(EnvironmentSettings):
    """The ingest's environment, parsed at cold start (a missing one fails there).

    - ``DATABASE_URL``: the PostgreSQL holding the telemetry store.
    - ``DEAD_LETTER_QUEUE_URL``: an SQS queue URL (``https://sqs...``), or a local folder
      for dead letters as JSON lines.
    - ``ARCHIVE``: ``firehose:<delivery stream name>``, or a local folder (the root of
      the object-store folder; files go under ``raw/telemetry/``).
    - ``TELEMETRY_STORE`` (optional): ``postgres`` (the default: the database of
      ``DATABASE_URL``) or ``timestream:<database>/<table>[/<hourly table>]``.
    """

    database_url: str = Field(alias="DATABASE_URL", min_length=1)
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", min_length=1)
    archive: str = Field(alias="ARCHIVE", min_length=1)
    telemetry_store: str = Field(
        alias="TELEMETRY_STORE",
        default="postgres",
        pattern=r"^(postgres|timestream:[^/]+/[^/]+(/[^/]+)?)$",
    )


def build_ingest_dependencies(settings: IngestSettings) -> IngestDependencies:
    """The PostgreSQL store, the archive and the dead-letter destination the settings
    name (boto3 clients only for the AWS ones, from the Lambda's own region and role)."""
    archive: RawArchive
    if settings.archive.startswith(FIREHOSE_ARCHIVE_SCHEME):
        import boto3

        stream = settings.archive.removeprefix(FIREHOSE_ARCHIVE_SCHEME)
        archive = FirehoseArchive(boto3.client("firehose"), stream)
    else:
        archive = FolderArchive(Path(settings.archive))
    dead_letter: DeadLetterDestination
    if settings.dead_letter_queue_url.startswith("https://"):
        import boto3

        dead_letter = SqsDeadLetters(boto3.client("sqs"), settings.dead_letter_queue_url)
    else:
        dead_letter = FolderDeadLetters(Path(settings.dead_letter_queue_url))
    return IngestDependencies(
        store=telemetry_store(settings.telemetry_store, settings.database_url),
        archive=archive,
        dead_letter=dead_letter,
    )


def telemetry_store(setting: str, database_url: str) -> TelemetryStore:
    """The store a ``TELEMETRY_STORE`` setting names (see ``IngestSettings``)."""
    if setting.startswith(TIMESTREAM_STORE_SCHEME):
        import boto3

        from pcf.adapters.timestream.store import TimestreamTelemetryStore

        database, table, *hourly = setting.removeprefix(TIMESTREAM_STORE_SCHEME).split("/")
        return TimestreamTelemetryStore(
            boto3.client("timestream-write"),
            boto3.client("timestream-query"),
            database,
            table,
            rollup_table=hourly[0] if hourly else None,
        )
    return PostgresTelemetryStore(create_engine(database_url))


class RecordNotIngested(RuntimeError):
    """Raised for a record that must be delivered again (reported in batchItemFailures)."""


_processor = BatchProcessor(
    event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False
)


def handle_kinesis_batch(
    event: dict[str, Any],
    context: LambdaContext | None,
    dependencies: IngestDependencies,
) -> PartialItemFailureResponse:
    """Ingest a Kinesis event's records (data base64, as Lambda delivers it) and return
    the partial batch response: the sequence numbers of the records Lambda must deliver
    again. Malformed records are dead-lettered and not listed.

    When no record failed the response lists nothing and is built here; Powertools'
    batch processor, which costs about 9 us a record, more than the rest of the ingest,
    reports the batches that have failures (``docs/decisions/0005``).
    """
    kinesis_records = [record["kinesis"] for record in event["Records"]]
    sequence_numbers: list[str] = [record["sequenceNumber"] for record in kinesis_records]
    report = ingest_records(
        _kinesis_payloads([record["data"] for record in kinesis_records]),
        dependencies.store,
        dependencies.archive,
        dependencies.dead_letter,
        sequence_numbers=sequence_numbers,
    )
    _publish(report)
    if not report.failed_positions:
        return {"batchItemFailures": []}
    # One shard per invocation, so sequence numbers name the records uniquely.
    outcomes = dict(zip(sequence_numbers, report.outcomes, strict=True))

    def report_record(record: KinesisStreamRecord) -> str:
        outcome = outcomes[record.kinesis.sequence_number]
        if outcome.status is RecordStatus.FAILED:
            raise RecordNotIngested(outcome.reason)
        return outcome.status.value

    return process_partial_response(
        event=event, record_handler=report_record, processor=_processor, context=context
    )


def _kinesis_payloads(data: list[Any]) -> list[bytes]:
    """The records' data, base64-decoded as ``binascii.a2b_base64`` decodes it.

    msgspec decodes the whole list in one C call, four times faster than binascii a
    record. It takes only canonical base64 (padded, no other character), on which the
    two give the same bytes; any other batch is decoded record by record by binascii
    (which skips characters outside the alphabet)."""
    if set(map(type, data)) <= {str}:  # msgspec would pass bytes through undecoded
        try:
            return msgspec.convert(data, list[bytes])
        except msgspec.ValidationError:
            pass
    return [binascii.a2b_base64(text) for text in data]


def _publish(report: IngestReport) -> None:
    counts = {
        "RecordsReceived": len(report.outcomes),
        "WindowsInserted": report.written.inserted,
        "WindowsReplaced": report.written.replaced,
        "WindowsIgnored": report.written.ignored,
        "RecordsDeadLettered": report.count(RecordStatus.DEAD_LETTERED),
        "RecordsFailed": report.count(RecordStatus.FAILED),
    }
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("telemetry batch ingested", extra=counts)
