"""Ingest fixtures: AWS through moto, the real PostgreSQL store, a ground truth."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import TelemetryStore
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import TelemetryWindowRecord
from pcf.observability import metrics
from tests.integration.ingest.kinesis_events import REGION, KinesisStream
from tests.moto_aws import mocked_aws
from tests.unit.ingest.builders import MIDNIGHT, record

# Two hours around midnight UTC, so the raw archive gets two date partitions.
PERIOD_START = MIDNIGHT - timedelta(hours=1)
PERIOD_END = MIDNIGHT + timedelta(hours=1)
# (meter, machine, quantity, item, unit)
METERS = [
    ("M1-E", "M1", MeterQuantity.ELECTRICITY, None, "kWh"),
    ("M2-E", "M2", MeterQuantity.ELECTRICITY, None, "kWh"),
    ("M1-G", "M1", MeterQuantity.NATURAL_GAS, None, "m3"),
    ("M1-P", "M1", MeterQuantity.PRODUCTION_COUNT, "A", "piece"),
]
MALFORMED = [
    b'{"site_id": "S1", "meter_id": "M9-E"}',
    b"\x00\x01 not even text \xff",
    b'{"truncated": ',
]


@dataclass(frozen=True)
class GroundTruth:
    """What the edge sent (every revision, in order) and the per-meter totals of the
    latest revisions: sums of multiples of 1/16, so exact in binary and in decimal."""

    records: list[TelemetryWindowRecord]
    totals: dict[str, Decimal]

    def deliveries(self, rng: random.Random) -> list[tuple[bytes, str]]:
        """The records as the stream sees them: 10 % sent twice, three malformed ones,
        all shuffled; (data, partition key) pairs."""
        sent = self.records + rng.sample(self.records, k=len(self.records) // 10)
        payloads = [(r.to_json_bytes(), r.meter_id) for r in sent]
        payloads += [(data, "M9-E") for data in MALFORMED]
        rng.shuffle(payloads)
        return payloads


def ground_truth(seed: int = 7) -> GroundTruth:
    rng = random.Random(seed)
    records: list[TelemetryWindowRecord] = []
    totals: dict[str, Decimal] = {}
    for meter_id, machine_id, quantity, item_id, unit in METERS:
        total = Decimal(0)
        for minute in range(-60, 60):
            if quantity is MeterQuantity.PRODUCTION_COUNT:
                value = float(rng.randrange(0, 20))
            else:
                value = rng.randrange(0, 161) / 16
            window = record(
                minute,
                value,
                meter_id=meter_id,
                machine_id=machine_id,
                quantity=quantity,
                item_id=item_id,
                unit=unit,
            )
            records.append(window)
            if rng.random() < 0.1:  # a late reading: the same window again, revised up
                value += rng.randrange(1, 17) / 16 if unit != "piece" else 1.0
                records.append(window.model_copy(update={"value": value, "revision": 1}))
            total += Decimal(value)
        totals[meter_id] = total
    return GroundTruth(records=records, totals=totals)


def stored_totals(store: TelemetryStore) -> dict[str, Decimal]:
    return {
        total.meter_id: total.total
        for total in store.meter_period_totals("S1", PERIOD_START, PERIOD_END)
    }


@pytest.fixture(autouse=True)
def fresh_metrics() -> Iterator[None]:
    """Metrics are process-wide: start and end each test with none pending."""
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every boto3 client in the test talks to moto."""
    with mocked_aws(monkeypatch, REGION):
        yield


@pytest.fixture
def stream(aws: None) -> KinesisStream:
    return KinesisStream(boto3.client("kinesis", region_name=REGION))


@pytest.fixture
def dead_letter_queue(aws: None) -> str:
    return str(
        boto3.client("sqs", region_name=REGION).create_queue(QueueName="pcf-dlq")["QueueUrl"]
    )


@pytest.fixture
def store(db: Engine) -> PostgresTelemetryStore:
    return PostgresTelemetryStore(db)


def dead_letter_messages(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue (received, not deleted)."""

    client = boto3.client("sqs", region_name=REGION)
    messages: list[dict[str, Any]] = []
    while True:
        received = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
        ).get("Messages", [])
        if not received:
            return messages
        messages += [json.loads(message["Body"]) for message in received]
