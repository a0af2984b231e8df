"""Period totals of the Timestream store: the query through botocore's Stubber with
realistic pages, and round trips over the records moto received."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from pcf.adapters.timestream import TimestreamTelemetryStore
from pcf.core.telemetry import MeterPeriodTotal, TelemetryWindow
from pcf.formats.definitions import MeterQuantity
from tests.unit.timestream.timestream_fakes import (
    DATABASE,
    HOUR,
    JANUARY,
    REGION,
    TABLE,
    RecordsQueryClient,
    column_info,
    never_sleep,
    window,
)

START_MS = 1767225600000  # JANUARY


def row(*values: str | None) -> dict[str, Any]:
    return {"Data": [{"NullValue": True} if v is None else {"ScalarValue": v} for v in values]}


def page(rows: list[dict[str, Any]], token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "QueryId": "AEDQCANMOQ7Q2XTW5OB6",
        "Rows": rows,
        "ColumnInfo": column_info(),
        "QueryStatus": {
            "ProgressPercentage": 100.0,
            "CumulativeBytesScanned": 4096,
            "CumulativeBytesMetered": 10000000,
        },
    }
    if token:
        response["NextToken"] = token
    return response


@pytest.fixture
def stubbed(aws: None) -> tuple[Any, Stubber]:
    client = boto3.client("timestream-query", region_name=REGION)
    return client, Stubber(client)


def test_totals_hash_and_order_from_paginated_rows(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    start, end = str(START_MS), str(START_MS + 60_000)
    stubber.add_response(
        "query",
        page(
            [
                row("M1-E", "M1", "electricity", "-", "kWh", start, "60000", "1.5", "0"),
                row("M2-G", None, "natural_gas", "-", "m3", start, "30500", "2.8316846592", "2"),
            ],
            token="page-2",
        ),
        {"QueryString": ANY},
    )
    stubber.add_response(
        "query", page([], token="page-3"), {"QueryString": ANY, "NextToken": "page-2"}
    )
    stubber.add_response(
        "query",
        page([row("M1-E", "M1", "electricity", "-", "kWh", end, "60000", "1.25", "1")]),
        {"QueryString": ANY, "NextToken": "page-3"},
    )
    store = TimestreamTelemetryStore(None, client, DATABASE, TABLE)

    with stubber:
        totals = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)
        stubber.assert_no_pending_responses()

    electricity_text = "1767225600:1767225660:1.5:0;1767225660:1767225720:1.25:1"
    assert totals == [
        MeterPeriodTotal(
            meter_id="M1-E",
            machine_id="M1",
            quantity=MeterQuantity.ELECTRICITY,
            item_id=None,
            unit="kWh",
            total=Decimal("2.75"),
            windows_received=2,
            seconds_covered=120,
            period_seconds=3600,
            windows_hash=hashlib.sha256(electricity_text.encode()).hexdigest(),
        ),
        MeterPeriodTotal(
            meter_id="M2-G",
            machine_id=None,
            quantity=MeterQuantity.NATURAL_GAS,
            item_id=None,
            unit="m3",
            total=Decimal("2.8316846592"),
            windows_received=1,
            seconds_covered=31,  # 30.5 rounds half up, as PostgreSQL's round does
            period_seconds=3600,
            windows_hash=hashlib.sha256(b"1767225600:1767225630.5:2.8316846592:2").hexdigest(),
        ),
    ]


def test_the_query_filters_site_measure_and_period_in_milliseconds(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    queries: list[str] = []
    client.meta.events.register(
        "before-parameter-build.timestream-query.Query",
        lambda params, **_: queries.append(params["QueryString"]),
    )
    stubber.add_response("query", page([]))
    store = TimestreamTelemetryStore(None, client, DATABASE, TABLE)

    with stubber:
        assert (
            store.meter_period_totals("O'Hare", JANUARY + timedelta(microseconds=1), JANUARY + HOUR)
            == []
        )

    (query,) = queries
    assert f'FROM "{DATABASE}"."{TABLE}"' in query
    assert "measure_name = 'window'" in query
    assert "site_id = 'O''Hare'" in query
    assert f"time >= from_milliseconds({START_MS + 1})" in query  # ceil of the bound
    assert f"time < from_milliseconds({START_MS + 3_600_000})" in query
    assert "ORDER BY meter_id, time" in query


def test_a_throttled_query_is_retried(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("query", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_response(
        "query",
        page([row("M1-E", "M1", "electricity", "-", "kWh", str(START_MS), "60000", "1", "0")]),
    )
    delays: list[float] = []
    store = TimestreamTelemetryStore(None, client, DATABASE, TABLE, sleep=delays.append)

    with stubber:
        (total,) = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)

    assert total.total == Decimal(1)
    assert len(delays) == 1


def test_a_query_error_that_is_not_transient_is_raised(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("query", "ValidationException", "line 1:8: Column missing", 400)
    store = TimestreamTelemetryStore(None, client, DATABASE, TABLE, sleep=never_sleep)
    with stubber, pytest.raises(ClientError, match="Column missing"):
        store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2026, 1, 1), JANUARY + HOUR, "timezone-aware"),
        (JANUARY + HOUR, JANUARY, "not after"),
    ],
)
def test_bad_periods_are_refused(start: datetime, end: datetime, message: str) -> None:
    store = TimestreamTelemetryStore(None, None, DATABASE, TABLE)
    with pytest.raises(ValueError, match=message):
        store.meter_period_totals("S1", start, end)


def test_written_windows_read_back_through_the_query(write_client: Any) -> None:
    query = RecordsQueryClient(page_size=7)
    store = TimestreamTelemetryStore(write_client, query, DATABASE, TABLE)
    store.write_windows(
        [window(minute, 0.5) for minute in range(30)]
        + [window(minute, 1500.0, unit="Wh", meter_id="M0-E") for minute in range(3)]
        + [
            window(
                minute,
                2.0,
                meter_id="C1",
                quantity=MeterQuantity.PRODUCTION_COUNT,
                unit="piece",
                item_id="A" if minute < 2 else "B",
            )
            for minute in range(4)
        ]
        + [window(90, 100.0)]  # outside the period
        + [window(5, 9.0, site_id="S2")]  # another site
    )
    store.write_windows([window(3, 0.75, revision=1), window(4, 0.25, revision=0)])

    totals = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)

    assert [(t.meter_id, t.item_id, t.total, t.windows_received) for t in totals] == [
        ("C1", "A", Decimal("4.0"), 2),
        ("C1", "B", Decimal("4.0"), 2),
        ("M0-E", None, Decimal("4.5"), 3),
        ("M1-E", None, Decimal("15.25"), 30),
    ]
    assert totals[-1].seconds_covered == 1800
    assert totals[-1].completeness == 0.5
    assert len(query.calls) > 1  # paginated


def test_faults_leave_totals_equal_to_the_ground_truth(write_client: Any) -> None:
    """Duplicated records (10 %), shuffled order, late readings as higher revisions,
    throttled calls: the stored totals equal the known energy per machine exactly."""
    rng = random.Random(20260101)
    truth: dict[str, Decimal] = {}
    windows: list[TelemetryWindow] = []
    for machine in ("M1", "M2", "M3"):
        for minute in range(60):
            kwh = Decimal(rng.randrange(1, 5000)) / 1000
            late = rng.random() < 0.1
            if late:  # first sent short, the late reading completes it as revision 1
                windows.append(
                    window(minute, float(kwh / 2), meter_id=f"{machine}-E", machine_id=machine)
                )
            windows.append(
                window(
                    minute,
                    float(kwh),
                    meter_id=f"{machine}-E",
                    machine_id=machine,
                    revision=1 if late else 0,
                )
            )
            truth[machine] = truth.get(machine, Decimal(0)) + kwh
    windows += rng.sample(windows, len(windows) // 10)
    rng.shuffle(windows)

    throttled = ThrottlingWriteClient(write_client, fail_calls={1, 2, 5})
    store = TimestreamTelemetryStore(
        throttled, RecordsQueryClient(), DATABASE, TABLE, sleep=lambda _: None
    )
    for first in range(0, len(windows), 37):
        store.write_windows(windows[first : first + 37])

    totals = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)
    assert {t.machine_id: t.total for t in totals} == truth
    assert all(t.windows_received == 60 for t in totals)
    assert throttled.throttled == 3


class ThrottlingWriteClient:
    """The moto client, answering chosen WriteRecords calls with a ThrottlingException."""

    def __init__(self, client: Any, fail_calls: set[int]) -> None:
        self._client = client
        self._fail_calls = fail_calls
        self.calls = 0
        self.throttled = 0

    def write_records(self, **parameters: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls in self._fail_calls:
            self.throttled += 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "WriteRecords",
            )
        result: dict[str, Any] = self._client.write_records(**parameters)
        return result
