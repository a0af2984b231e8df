"""Kinesis event builders: records put into a (moto) Kinesis stream, read back shard by
shard and shaped as the events Lambda delivers, plus Lambda's retry behaviour for
partial batch responses."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"

Event = dict[str, Any]
Handler = Callable[[Event], Any]


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of a LambdaContext that Powertools reads."""

    function_name: str = "pcf-ingest"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pcf-ingest"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


class KinesisStream:
    """A Kinesis data stream (through moto) the edge writes to and Lambda reads from."""

    def __init__(self, client: Any, name: str = "pcf-telemetry", shards: int = 2) -> None:
        self.client = client
        self.name = name
        client.create_stream(StreamName=name, ShardCount=shards)
        self.arn = client.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]

    def put(self, payloads: Sequence[tuple[bytes, str]]) -> None:
        """Put (data, partition key) pairs in order, 500 per PutRecords call."""
        for start in range(0, len(payloads), 500):
            chunk = payloads[start : start + 500]
            response = self.client.put_records(
                StreamName=self.name,
                Records=[{"Data": data, "PartitionKey": key} for data, key in chunk],
            )
            assert response["FailedRecordCount"] == 0

    def lambda_events(self, batch_size: int = 100) -> Iterator[Event]:
        """The stream's records as Lambda events: one shard per event, in shard order,
        at most ``batch_size`` records each."""
        for shard in self.client.list_shards(StreamName=self.name)["Shards"]:
            iterator = self.client.get_shard_iterator(
                StreamName=self.name,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
            while True:
                response = self.client.get_records(ShardIterator=iterator, Limit=batch_size)
                if not response["Records"]:
                    break
                yield {
                    "Records": [
                        self._lambda_record(shard["ShardId"], record)
                        for record in response["Records"]
                    ]
                }
                iterator = response["NextShardIterator"]

    def _lambda_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/pcf-ingest",
            "awsRegion": REGION,
            "eventSourceARN": self.arn,
        }


def deliver_like_lambda(event: Event, handler: Handler, max_attempts: int = 10) -> int:
    """Invoke ``handler`` as Lambda's Kinesis event source mapping does with
    ReportBatchItemFailures: after a partial failure it checkpoints before the lowest
    failed sequence number and delivers that record and every later one again. An
    invocation that raises delivers the whole batch again. Returns the invocations made."""
    records = event["Records"]
    for attempt in range(1, max_attempts + 1):
        try:
            response = handler({"Records": records})
        except Exception:
            continue
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        if not failed:
            return attempt
        first = min(
            index
            for index, record in enumerate(records)
            if record["kinesis"]["sequenceNumber"] in failed
        )
        records = records[first:]
    raise AssertionError(f"batch still failing after {max_attempts} invocations")


def failed_sequence_numbers(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
