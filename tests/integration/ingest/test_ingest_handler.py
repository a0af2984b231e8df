"""The ingest path end to end: Kinesis events (moto) -> handler -> PostgreSQL store, raw
archive and SQS dead letters (moto), under duplicates, shuffling and failures."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from sqlalchemy.engine import Engine

from pcf.adapters.archive import FolderArchive, archive_line
from pcf.adapters.dead_letter import FolderDeadLetters, SqsDeadLetters
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.formats.telemetry_record import TelemetryWindowRecord
from pcf.usecases.ingest import IngestDependencies, handle_kinesis_batch
from tests.integration.ingest.conftest import (
    MALFORMED,
    dead_letter_messages,
    ground_truth,
    stored_totals,
)
from tests.integration.ingest.kinesis_events import (
    REGION,
    Event,
    FakeLambdaContext,
    KinesisStream,
    failed_sequence_numbers,
)
from tests.integration.ingest.lambda_runs import PartWayFailingStore, deliver_stream
from tests.lambda_entry_points import load_handler_module

pytestmark = pytest.mark.integration


class FlakyArchive(FolderArchive):
    """A folder archive whose first write fails (a full disk, a Firehose outage)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.failures_left = 1

    def append_lines(self, lines_by_day: Mapping[date, Sequence[bytes]]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise OSError("No space left on device")
        super().append_lines(lines_by_day)


def archived_lines(archive: FolderArchive) -> list[bytes]:
    return [line for file in archive.files() for line in file.read_bytes().splitlines(True)]


def valid_sequence_numbers(event: Event) -> list[str]:
    return [
        record["kinesis"]["sequenceNumber"]
        for record in event["Records"]
        if base64.b64decode(record["kinesis"]["data"]) not in MALFORMED
    ]


def test_duplicates_and_shuffled_order_store_the_ground_truth_exactly(
    stream: KinesisStream, dead_letter_queue: str, store: PostgresTelemetryStore, tmp_path: Path
) -> None:
    # Given the edge's records, 10 % of them twice, late revisions, three malformed
    # records, all shuffled across two shards
    truth = ground_truth()
    deliveries = truth.deliveries(random.Random(1))
    stream.put(deliveries)
    archive = FolderArchive(tmp_path / "lake")
    dead_letters = SqsDeadLetters(boto3.client("sqs", region_name=REGION), dead_letter_queue)

    # When Lambda delivers the stream in batches
    invocations = deliver_stream(stream, IngestDependencies(store, archive, dead_letters))

    # Then nothing was retried, the stored totals are the ground truth to the last digit,
    assert all(response == {"batchItemFailures": []} for _, response in invocations)
    assert stored_totals(store) == truth.totals
    # the raw archive holds every valid record as received, in two date partitions,
    valid = [data for data, _ in deliveries if data not in MALFORMED]
    assert sorted(archived_lines(archive)) == sorted(
        archive_line(TelemetryWindowRecord.model_validate_json(data)) for data in valid
    )
    assert {file.parent.name for file in archive.files()} == {"day=01", "day=02"}
    # and each malformed record is on the dead-letter queue with its reason
    messages = dead_letter_messages(dead_letter_queue)
    assert len(messages) == len(MALFORMED)
    by_payload = {m.get("payload_text", m.get("payload_base64")): m for m in messages}
    missing_fields = by_payload['{"site_id": "S1", "meter_id": "M9-E"}']
    assert "quantity: Field required" in missing_fields["reason"]
    assert missing_fields["sequence_number"]
    assert "Invalid JSON" in by_payload['{"truncated": ']["reason"]
    assert "AAEgbm90IGV2ZW4gdGV4dCD/" in by_payload  # the non-UTF-8 one, as base64


def test_a_handler_failing_part_way_through_a_batch_is_retried_to_the_ground_truth(
    stream: KinesisStream, dead_letter_queue: str, store: PostgresTelemetryStore, tmp_path: Path
) -> None:
    # Given a store that fails half-way through the 2nd and 4th writes
    truth = ground_truth(seed=11)
    stream.put(truth.deliveries(random.Random(2)))
    failing = PartWayFailingStore(store, failing_calls={2, 4})
    dead_letters = SqsDeadLetters(boto3.client("sqs", region_name=REGION), dead_letter_queue)

    # When Lambda delivers the stream and redelivers what the handler reports failed
    invocations = deliver_stream(
        stream, IngestDependencies(failing, FolderArchive(tmp_path), dead_letters)
    )

    # Then two invocations reported every valid record failed, and no malformed one,
    failed = [(event, response) for event, response in invocations if response["batchItemFailures"]]
    assert len(failed) == 2
    for event, response in failed:
        assert failed_sequence_numbers(response) == valid_sequence_numbers(event)
    # and after the retries the stored totals are the ground truth exactly
    assert stored_totals(store) == truth.totals


def test_an_archive_failure_is_retried_and_counts_nothing_twice(
    stream: KinesisStream, store: PostgresTelemetryStore, tmp_path: Path
) -> None:
    # Given an archive whose first write fails
    truth = ground_truth(seed=3)
    deliveries = truth.deliveries(random.Random(3))
    stream.put(deliveries)
    archive = FlakyArchive(tmp_path / "lake")
    dead_letters = FolderDeadLetters(tmp_path / "dead")

    # When
    invocations = deliver_stream(stream, IngestDependencies(store, archive, dead_letters))

    # Then the first batch was reported failed and delivered again: stored once, archived
    assert invocations[0][1]["batchItemFailures"]
    assert len(dead_letters.messages()) >= len(MALFORMED)
    assert stored_totals(store) == truth.totals
    valid = {data for data, _ in deliveries if data not in MALFORMED}
    archived = {line for line in archived_lines(archive)}
    assert archived == {archive_line(TelemetryWindowRecord.model_validate_json(d)) for d in valid}


def test_the_lambda_entry_point_archives_to_firehose_and_dead_letters_to_sqs(
    stream: KinesisStream,
    dead_letter_queue: str,
    db: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a Firehose stream into the raw bucket and the Lambda's environment
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="pcf-lake", CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName="pcf-raw",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::pcf-lake",
            "Prefix": "raw/telemetry/",
        },
    )
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", dead_letter_queue)
    monkeypatch.setenv("ARCHIVE", "firehose:pcf-raw")
    handler = load_handler_module("ingest")
    truth = ground_truth(seed=5)
    stream.put([(r.to_json_bytes(), r.meter_id) for r in truth.records] + [(b"{}", "M9-E")])

    # When Lambda invokes the entry point with each batch
    for event in stream.lambda_events(batch_size=500):
        response = handler.lambda_handler(event, FakeLambdaContext())
        assert response == {"batchItemFailures": []}

    # Then the store has the ground truth, Firehose delivered every valid record to S3,
    assert stored_totals(PostgresTelemetryStore(db)) == truth.totals
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="pcf-lake")["Contents"]]
    lines = b"".join(s3.get_object(Bucket="pcf-lake", Key=key)["Body"].read() for key in keys)
    assert sorted(lines.splitlines(True)) == sorted(archive_line(r) for r in truth.records)
    # the malformed record is on the queue, and the invocation published its metrics
    (message,) = dead_letter_messages(dead_letter_queue)
    assert message["payload_text"] == "{}"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [m["RecordsDeadLettered"] for m in emitted] == [[0.0], [1.0]]
    assert emitted[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "PCF"


def test_a_batch_without_failures_answers_as_powertools_would(
    stream: KinesisStream, store: PostgresTelemetryStore, tmp_path: Path
) -> None:
    # Given the edge's records, all good, in one event
    truth = ground_truth()
    stream.put([(r.to_json_bytes(), r.meter_id) for r in truth.records])
    events = list(stream.lambda_events(batch_size=10_000))
    dependencies = IngestDependencies(store, FolderArchive(tmp_path), FolderDeadLetters(tmp_path))

    # When the handler ingests them
    responses = [handle_kinesis_batch(e, FakeLambdaContext(), dependencies) for e in events]  # type: ignore[arg-type]

    # Then each response is Powertools' for a batch of successes: nothing to redeliver
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    for event, response in zip(events, responses, strict=True):
        expected = process_partial_response(
            event=event, record_handler=lambda record: "stored", processor=processor, context=None
        )
        assert response == expected == {"batchItemFailures": []}
    assert stored_totals(store) == truth.totals
