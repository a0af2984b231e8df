"""Firehose rejecting part of a PutRecordBatch (which moto never does), through
botocore's Stubber on a real client."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from pcf.adapters.archive import ArchiveError, FirehoseArchive, archive_line
from tests.integration.ingest.kinesis_events import REGION
from tests.unit.ingest.builders import record

ACCEPTED = {"RecordId": "49546986683135544286507457936321625675700192471156785154"}
REJECTED = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}


@pytest.fixture
def firehose() -> object:
    return boto3.client(
        "firehose",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_rejected_records_are_sent_again_alone(firehose: object) -> None:
    # Given Firehose rejecting the second of three records once
    lines = [archive_line(record(minute)) for minute in range(3)]
    with Stubber(firehose) as stub:
        stub.add_response(
            "put_record_batch",
            {
                "FailedPutCount": 1,
                "Encrypted": False,
                "RequestResponses": [ACCEPTED, REJECTED, ACCEPTED],
            },
            {"DeliveryStreamName": "pcf-raw", "Records": [{"Data": line} for line in lines]},
        )
        stub.add_response(
            "put_record_batch",
            {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": [ACCEPTED]},
            {"DeliveryStreamName": "pcf-raw", "Records": [{"Data": lines[1]}]},
        )

        # When
        FirehoseArchive(firehose, "pcf-raw", sleep=lambda _: None).append(
            [record(minute) for minute in range(3)]
        )

        # Then both calls were made, the second with the rejected record only
        stub.assert_no_pending_responses()


def test_records_still_rejected_after_the_last_attempt_are_an_error(firehose: object) -> None:
    with Stubber(firehose) as stub:
        for _ in range(2):
            stub.add_response(
                "put_record_batch",
                {"FailedPutCount": 1, "RequestResponses": [REJECTED]},
            )

        with pytest.raises(ArchiveError, match=r"1 record.*after 2 attempts"):
            FirehoseArchive(firehose, "pcf-raw", max_attempts=2, sleep=lambda _: None).append(
                [record(0)]
            )
