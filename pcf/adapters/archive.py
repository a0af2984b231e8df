"""The raw archive: every telemetry record the ingest accepted, as JSON lines in the data
lake's raw tier, partitioned by date so Glue and Athena read it as one table.

Layout (the same key layout in S3 and in the local object-store folder)::

    raw/telemetry/year=YYYY/month=MM/day=DD/<file>.jsonl

One record per line, the ``TelemetryWindowRecord`` JSON with ``window_start`` and
``window_end`` in UTC (``2026-01-01T00:00:00Z``): the payload as the edge sent it when it
was in that form already (the ingest's fast path), else the record written again in UTC.
The partition is the UTC date of ``window_start``, not the arrival date: a redelivered or
late record lands in the same partition as the first copy, and a query for a period
prunes partitions by the time the energy was used. The archive is raw: a record delivered
twice is archived twice (readers that need one row per window keep the highest
``revision`` per ``meter_id`` and ``window_start``, as the telemetry store does).

Two implementations of ``RawArchive``:

- ``FolderArchive``, locally: one file per batch and day, written to a temporary name
  starting with ``.`` (which Athena and Glue skip) and renamed, so a reader never sees half
  a file.
- ``FirehoseArchive``, in the cloud: ``PutRecordBatch`` to a Firehose stream delivering to
  the S3 raw bucket. Firehose, not this code, does the date layout, with dynamic
  partitioning on the record itself:

  - processing: ``MetadataExtraction`` with the JQ query
    ``{year: .window_start[0:4], month: .window_start[5:7], day: .window_start[8:10]}``
    (JQ-1.6); it reads the UTC text this module writes;
  - ``Prefix``: ``raw/telemetry/year=!{partitionKeyFromQuery:year}/``
    ``month=!{partitionKeyFromQuery:month}/day=!{partitionKeyFromQuery:day}/``;
  - ``ErrorOutputPrefix``: ``raw/telemetry-errors/!{firehose:error-output-type}/``
    ``year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/``.

  Every record sent ends with a newline, so the objects Firehose concatenates are JSON
  lines without a separate delimiter processor.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from pcf.formats.telemetry_record import TelemetryWindowRecord

RAW_TELEMETRY_PREFIX = "raw/telemetry"

# PutRecordBatch limits: 500 records and 4 MiB per call, 1,000 KiB per record.
FIREHOSE_MAX_RECORDS = 500
FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024
FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024


class ArchiveError(RuntimeError):
    """Records could not be archived; the caller should have them delivered again."""


class RawArchive(Protocol):
    def append_lines(self, lines_by_day: Mapping[date, Sequence[bytes]]) -> None:
        """Archive JSON lines (each ending in a newline) in the partitions of their days
        (all of them, or raise ``ArchiveError``; some may have been archived before the
        error, so a retry can archive a record twice)."""
        ...


def archive_lines(records: Sequence[TelemetryWindowRecord]) -> dict[date, list[bytes]]:
    """The records' archive lines by partition day."""
    by_day: dict[date, list[bytes]] = defaultdict(list)
    for record in records:
        by_day[archive_day(record)].append(archive_line(record))
    return by_day


def archive_line(record: TelemetryWindowRecord) -> bytes:
    """The record as one JSON line (UTF-8, ending in a newline), window bounds in UTC."""
    in_utc = record.model_copy(
        update={
            "window_start": record.window_start.astimezone(UTC),
            "window_end": record.window_end.astimezone(UTC),
        }
    )
    return in_utc.to_json_bytes() + b"\n"


def partition_prefix(day: date) -> str:
    """The key prefix of one day's partition: ``raw/telemetry/year=2026/month=01/day=05``."""
    return f"{RAW_TELEMETRY_PREFIX}/year={day:%Y}/month={day:%m}/day={day:%d}"


def archive_day(record: TelemetryWindowRecord) -> date:
    """The partition a record belongs to: the UTC date of its window start."""
    return record.window_start.astimezone(UTC).date()


class FolderArchive:
    """``RawArchive`` in a local folder (the object-store folder of a local install)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def append_lines(self, lines_by_day: Mapping[date, Sequence[bytes]]) -> None:
        """Write one new ``.jsonl`` file per day, each atomically."""
        # One name for all files of this call: sortable by arrival time, unique by uuid.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.jsonl"
        try:
            for day, lines in sorted(lines_by_day.items()):
                self._write_atomically(self.root / partition_prefix(day) / name, lines)
        except OSError as error:
            raise ArchiveError(f"raw archive in {self.root}: {error}") from error

    def append(self, records: Sequence[TelemetryWindowRecord]) -> None:
        """Archive model records, each written again in UTC."""
        self.append_lines(archive_lines(records))

    def files(self) -> list[Path]:
        """The archived files, in key order."""
        return sorted((self.root / RAW_TELEMETRY_PREFIX).glob("year=*/month=*/day=*/*.jsonl"))

    @staticmethod
    def _write_atomically(path: Path, lines: Sequence[bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        with temporary.open("wb") as file:
            file.writelines(lines)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)


class FirehoseArchive:
    """``RawArchive`` on an Amazon Data Firehose stream (see the module docstring for the
    stream's S3 prefix and dynamic partitioning)."""

    def __init__(
        self,
        client: Any,
        delivery_stream: str,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``client`` is a boto3 Firehose client. A call's records Firehose reports as
        failed (``FailedPutCount``) are sent again, up to ``max_attempts`` calls in all,
        waiting ``backoff_seconds`` doubled after each."""
        self._client = client
        self.delivery_stream = delivery_stream
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    def append_lines(self, lines_by_day: Mapping[date, Sequence[bytes]]) -> None:
        """Put the lines, at most 500 and 4 MiB per ``PutRecordBatch`` call (Firehose
        finds each line's day in the line itself)."""
        lines = [line for day_lines in lines_by_day.values() for line in day_lines]
        for line in lines:
            if len(line) > FIREHOSE_MAX_RECORD_BYTES:
                raise ArchiveError(
                    f"a record of {len(line)} bytes exceeds Firehose's limit of "
                    f"{FIREHOSE_MAX_RECORD_BYTES} bytes"
                )
        for chunk in _put_batches(lines):
            self._put_with_retries(chunk)

    def append(self, records: Sequence[TelemetryWindowRecord]) -> None:
        """Archive model records, each written again in UTC."""
        self.append_lines(archive_lines(records))

    def _put_with_retries(self, lines: list[bytes]) -> None:
        pending = lines
        errors: list[str] = []
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
            response = self._client.put_record_batch(
                DeliveryStreamName=self.delivery_stream,
                Records=[{"Data": line} for line in pending],
            )
            if not response.get("FailedPutCount"):
                return
            # RequestResponses is in request order; a failed entry carries an ErrorCode.
            failed = [
                (line, entry)
                for line, entry in zip(pending, response["RequestResponses"], strict=True)
                if entry.get("ErrorCode")
            ]
            pending = [line for line, _ in failed]
            errors = [
                f"{entry['ErrorCode']}: {entry.get('ErrorMessage', '')}" for _, entry in failed
            ]
        raise ArchiveError(
            f"Firehose stream {self.delivery_stream}: {len(pending)} record(s) still rejected "
            f"after {self._max_attempts} attempts (first error {errors[0]})"
        )


def _put_batches(lines: list[bytes]) -> Iterator[list[bytes]]:
    """The lines in consecutive groups within PutRecordBatch's count and size limits."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and (
            len(batch) == FIREHOSE_MAX_RECORDS or size + len(line) > FIREHOSE_MAX_BATCH_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield batch
