"""The raw archive: date-partitioned JSON lines, written atomically; Firehose batching."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pcf.adapters.archive import (
    FIREHOSE_MAX_BATCH_BYTES,
    ArchiveError,
    FirehoseArchive,
    FolderArchive,
    archive_line,
)
from pcf.formats.telemetry_record import TelemetryWindowRecord
from tests.unit.ingest.builders import record


def test_records_land_in_the_partition_of_their_utc_window_start(tmp_path: Path) -> None:
    # Given one window before and two after midnight UTC, one of them sent with a +01:00 offset
    before = record(-1)
    after = record(0)
    late_evening_in_paris = record(5).model_copy(
        update={"window_start": record(5).window_start.astimezone(timezone(timedelta(hours=1)))}
    )
    archive = FolderArchive(tmp_path)

    # When
    archive.append([before, after, late_evening_in_paris])

    # Then there is one file per UTC day, in the Hive layout, one record per line, in UTC
    files = archive.files()
    assert [file.relative_to(tmp_path).parent.as_posix() for file in files] == [
        "raw/telemetry/year=2026/month=01/day=01",
        "raw/telemetry/year=2026/month=01/day=02",
    ]
    lines = [json.loads(line) for line in files[1].read_text().splitlines()]
    assert [line["window_start"] for line in lines] == [
        "2026-01-02T00:00:00Z",
        "2026-01-02T00:05:00Z",
    ]
    assert TelemetryWindowRecord.model_validate(lines[1]) == late_evening_in_paris
    assert not list(tmp_path.rglob(".*"))  # no temporary files left


def test_every_batch_gets_its_own_file(tmp_path: Path) -> None:
    archive = FolderArchive(tmp_path)

    archive.append([record(0)])
    archive.append([record(0)])

    assert len({file.name for file in archive.files()}) == 2


def test_an_unwritable_folder_is_an_archive_error(tmp_path: Path) -> None:
    (tmp_path / "raw").write_text("a file where a folder should be")

    with pytest.raises(ArchiveError, match="raw archive in"):
        FolderArchive(tmp_path).append([record(0)])


class FakeFirehose:
    """Accepts PutRecordBatch calls; rejects the first ``rejections`` records it sees."""

    def __init__(self, rejections: int = 0) -> None:
        self.calls: list[list[bytes]] = []
        self.rejections = rejections

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, Any]]) -> Any:
        self.calls.append([entry["Data"] for entry in Records])
        responses: list[dict[str, str]] = []
        for _ in Records:
            if self.rejections:
                self.rejections -= 1
                responses.append(
                    {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
                )
            else:
                responses.append({"RecordId": "r"})
        failed = sum(1 for response in responses if "ErrorCode" in response)
        return {"FailedPutCount": failed, "RequestResponses": responses}


def test_firehose_calls_hold_at_most_500_records() -> None:
    client = FakeFirehose()

    FirehoseArchive(client, "raw").append([record(minute) for minute in range(1201)])

    assert [len(call) for call in client.calls] == [500, 500, 201]
    assert client.calls[0][0] == archive_line(record(0))
    assert client.calls[0][0].endswith(b"\n")


def test_firehose_calls_hold_at_most_4_mib() -> None:
    client = FakeFirehose()
    big = record(meter_id="M" * 20_000)  # a record of about 20 kB

    FirehoseArchive(client, "raw").append([big] * 400)

    sizes = [sum(len(line) for line in call) for call in client.calls]
    assert len(client.calls) == 2
    assert max(sizes) <= FIREHOSE_MAX_BATCH_BYTES


def test_firehose_resends_only_the_rejected_records() -> None:
    client, waits = FakeFirehose(rejections=3), []

    FirehoseArchive(client, "raw", sleep=waits.append).append([record(m) for m in range(10)])

    assert [len(call) for call in client.calls] == [10, 3]
    assert client.calls[1] == [archive_line(record(m)) for m in range(3)]
    assert waits == [0.1]


def test_firehose_gives_up_after_the_last_attempt() -> None:
    client = FakeFirehose(rejections=100)

    with pytest.raises(ArchiveError, match=r"2 record.*after 3 attempts.*ServiceUnavailable"):
        FirehoseArchive(client, "raw", max_attempts=3, sleep=lambda _: None).append(
            [record(0), record(1)]
        )
