"""Writes of the Timestream store: records on moto, error paths through botocore's Stubber."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from pcf.adapters.timestream import TimestreamTelemetryStore, TimestreamWriteError
from pcf.core.telemetry import TelemetryStore, WriteOutcome
from pcf.formats.definitions import MeterQuantity
from tests.unit.timestream.timestream_fakes import (
    DATABASE,
    JANUARY,
    REGION,
    TABLE,
    never_sleep,
    stored_records,
    window,
)


def store_on(write_client: Any, **options: Any) -> TimestreamTelemetryStore:
    return TimestreamTelemetryStore(write_client, None, DATABASE, TABLE, **options)


def measures(record: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {m["Name"]: (m["Value"], m["Type"]) for m in record["MeasureValues"]}


@pytest.fixture
def stubbed(aws: None) -> tuple[Any, Stubber]:
    client = boto3.client("timestream-write", region_name=REGION)
    return client, Stubber(client)


def rejected(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"RejectedRecords": list(entries)}


def test_windows_land_as_multi_measure_records_in_batches_of_100(write_client: Any) -> None:
    batch_sizes: list[int] = []
    write_client.meta.events.register(
        "before-parameter-build.timestream-write.WriteRecords",
        lambda params, **_: batch_sizes.append(len(params["Records"])),
    )
    store = store_on(write_client)
    implementation: TelemetryStore = store

    outcome = implementation.write_windows([window(minute) for minute in range(250)])

    assert outcome == WriteOutcome(inserted=250, replaced=0, ignored=0)
    assert batch_sizes == [100, 100, 50]
    records = stored_records()
    assert len(records) == 250
    first = records[0]
    assert first["Dimensions"] == [
        {"Name": "site_id", "Value": "S1", "DimensionValueType": "VARCHAR"},
        {"Name": "meter_id", "Value": "M1-E", "DimensionValueType": "VARCHAR"},
    ]
    assert first["MeasureName"] == "window"
    assert first["MeasureValueType"] == "MULTI"
    assert first["Time"] == str(int(JANUARY.timestamp() * 1000))
    assert first["TimeUnit"] == "MILLISECONDS"
    assert first["Version"] == 1
    assert measures(first) == {
        "value": ("1.0", "DOUBLE"),
        "value_decimal": ("1.0", "VARCHAR"),
        "unit": ("kWh", "VARCHAR"),
        "machine_id": ("M1", "VARCHAR"),
        "quantity": ("electricity", "VARCHAR"),
        "item_id": ("-", "VARCHAR"),
        "window_ms": ("60000", "BIGINT"),
        "revision": ("0", "BIGINT"),
        "samples_received": ("60", "BIGINT"),
        "samples_dropped": ("0", "BIGINT"),
    }


def test_values_are_stored_in_the_canonical_unit_as_postgres_stores_them(
    write_client: Any,
) -> None:
    store_on(write_client).write_windows(
        [
            window(0, 1500.0, unit="Wh", meter_id="E"),
            window(0, 100.0, unit="ft3", meter_id="G", quantity=MeterQuantity.NATURAL_GAS),
            window(0, 60.0, meter_id="K"),
            window(0, 60000.0, unit="Wh", meter_id="W", machine_id=None),
            window(0, 1e-05, meter_id="T"),
        ]
    )
    by_meter = {
        next(d["Value"] for d in r["Dimensions"] if d["Name"] == "meter_id"): measures(r)
        for r in stored_records()
    }
    assert by_meter["E"]["value_decimal"][0] == "1.5"
    assert by_meter["E"]["unit"][0] == "kWh"
    assert by_meter["G"]["value_decimal"][0] == "2.8316846592"
    assert by_meter["G"]["unit"][0] == "m3"
    assert by_meter["K"]["value_decimal"][0] == "60.0"  # as sent: PostgreSQL keeps 60.0
    assert by_meter["W"]["value_decimal"][0] == "60"  # converted: 15 digits, PostgreSQL 60
    assert by_meter["W"]["machine_id"][0] == "-"
    assert by_meter["T"]["value_decimal"][0] == "0.00001"
    assert float(by_meter["G"]["value"][0]) == 2.8316846592


def test_revisions_map_to_versions_and_repeats_in_one_call_are_ignored(
    write_client: Any,
) -> None:
    outcome = store_on(write_client).write_windows(
        [
            window(0, 1.0, revision=0),
            window(0, 2.0, revision=2),
            window(0, 3.0, revision=2),
            window(1, 1.0),
            window(1, 1.0),
        ]
    )

    assert outcome == WriteOutcome(inserted=2, replaced=0, ignored=3)
    (late, other) = stored_records()
    assert late["Version"] == 3
    assert measures(late)["value_decimal"][0] == "2.0"  # the first of equal revisions
    assert other["Version"] == 1


def test_a_record_rejected_for_an_existing_version_is_ignored(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "write_records",
        "RejectedRecordsException",
        "One or more records have been rejected.",
        419,
        modeled_fields=rejected(
            {
                "RecordIndex": 1,
                "Reason": "A record with a higher version exists.",
                "ExistingVersion": 3,
            },
            {"RecordIndex": 2, "Reason": "Same version, different values.", "ExistingVersion": 1},
        ),
    )
    with stubber:
        outcome = store_on(client).write_windows([window(0), window(1, revision=1), window(2, 5.0)])
        stubber.assert_no_pending_responses()

    assert outcome == WriteOutcome(inserted=1, replaced=0, ignored=2)


def test_other_rejections_raise_naming_meter_and_window_after_every_batch(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "write_records",
        "RejectedRecordsException",
        "One or more records have been rejected.",
        419,
        modeled_fields=rejected(
            {
                "RecordIndex": 7,
                "Reason": "The record timestamp is outside the time range "
                "[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z) of the memory store.",
            },
            {"RecordIndex": 8, "Reason": "Existing record.", "ExistingVersion": 9},
        ),
    )
    stubber.add_response("write_records", {"RecordsIngested": {"Total": 20}})
    with stubber, pytest.raises(TimestreamWriteError) as raised:
        store_on(client).write_windows([window(minute) for minute in range(120)])
    stubber.assert_no_pending_responses()

    error = raised.value
    assert error.outcome == WriteOutcome(inserted=118, replaced=0, ignored=1)
    (only,) = error.rejected
    assert only.meter_id == "M1-E"
    assert only.window_start == JANUARY + timedelta(minutes=7)
    assert "meter M1-E window 2026-01-01T00:07:00+00:00 revision 0" in str(error)
    assert "outside the time range" in str(error)


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerException"])
def test_throttling_and_internal_errors_are_retried_with_backoff(
    stubbed: tuple[Any, Stubber], code: str
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("write_records", code, "Rate exceeded", 429)
    stubber.add_client_error("write_records", code, "Rate exceeded", 429)
    stubber.add_response("write_records", {"RecordsIngested": {"Total": 3}})
    delays: list[float] = []
    store = store_on(client, sleep=delays.append, jitter=lambda: 1.0, base_delay=0.1)

    with stubber:
        outcome = store.write_windows([window(0), window(1), window(2)])
        stubber.assert_no_pending_responses()

    assert outcome == WriteOutcome(inserted=3, replaced=0, ignored=0)
    assert delays == [0.1, 0.2]


def test_retries_are_bounded(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for _ in range(4):
        stubber.add_client_error("write_records", "ThrottlingException", "Rate exceeded", 429)
    delays: list[float] = []
    store = store_on(
        client, sleep=delays.append, jitter=lambda: 0.0, max_attempts=4, max_delay=0.15
    )

    with stubber, pytest.raises(ClientError, match="ThrottlingException"):
        store.write_windows([window(0)])
    stubber.assert_no_pending_responses()
    assert delays == [0.05, 0.075, 0.075]  # half of min(0.15, 0.1 * 2**n): jitter 0


def test_validation_errors_are_not_retried(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("write_records", "ValidationException", "bad", 400)
    with stubber, pytest.raises(ClientError, match="ValidationException"):
        store_on(client, sleep=never_sleep).write_windows([window(0)])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            window(0).__class__(**{**window(0).__dict__, "window_start": datetime(2026, 1, 1)}),
            "timezone-aware",
        ),
        (window(0, length=timedelta(microseconds=1500)), "whole millisecond"),
        (window(0, float("nan")), "finite"),
        (window(0, unit="furlong"), "unknown unit"),
        (window(0, machine_id="-"), "not a valid id"),
        (window(0, revision=-1), "negative"),
    ],
)
def test_invalid_windows_are_refused_before_any_write(
    write_client: Any, bad: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store_on(write_client).write_windows([window(5), bad])
    assert stored_records() == []


def test_an_empty_write_calls_nothing(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    with stubber:
        assert store_on(client).write_windows([]) == WriteOutcome(0, 0, 0)


def test_bad_table_names_are_refused() -> None:
    with pytest.raises(ValueError, match="table name"):
        TimestreamTelemetryStore(None, None, DATABASE, 'x"; DROP')
