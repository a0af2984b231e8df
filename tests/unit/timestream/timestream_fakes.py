"""Test helpers for the Timestream store: moto clients, windows, and query responses.

Moto keeps every written record but runs no SQL and enforces no versions, so
``query_response`` plays the store's one query over moto's records, applying Timestream's
documented rule for records of the same identity (dimensions, time, measure name): the
highest version wins; of equal versions the first written stays (the later one, if its
values differ, would have been rejected).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.validate import validate_parameters
from moto.timestreamwrite.models import timestreamwrite_backends

from pcf.core.telemetry import TelemetryWindow
from pcf.formats.definitions import MeterQuantity

REGION = "eu-west-1"
ACCOUNT = "123456789012"
DATABASE = "pcf_telemetry"
TABLE = "telemetry_window"
JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)

COLUMNS = (
    ("meter_id", "VARCHAR"),
    ("machine_id", "VARCHAR"),
    ("quantity", "VARCHAR"),
    ("item_id", "VARCHAR"),
    ("unit", "VARCHAR"),
    ("start_ms", "BIGINT"),
    ("window_ms", "BIGINT"),
    ("value_decimal", "VARCHAR"),
    ("revision", "BIGINT"),
)


def window(
    minute: float,
    value: float = 1.0,
    *,
    meter_id: str = "M1-E",
    unit: str = "kWh",
    revision: int = 0,
    site_id: str = "S1",
    machine_id: str | None = "M1",
    quantity: MeterQuantity = MeterQuantity.ELECTRICITY,
    item_id: str | None = None,
    length: timedelta = timedelta(minutes=1),
) -> TelemetryWindow:
    start = JANUARY + timedelta(minutes=minute)
    return TelemetryWindow(
        site_id=site_id,
        machine_id=machine_id,
        meter_id=meter_id,
        quantity=quantity,
        item_id=item_id,
        window_start=start,
        window_end=start + length,
        value=value,
        unit=unit,
        revision=revision,
        samples_received=60,
        samples_dropped=0,
    )


def stored_records() -> list[dict[str, Any]]:
    """Every record moto received for the raw table, in write order."""
    backend = timestreamwrite_backends[ACCOUNT][REGION]
    records: list[dict[str, Any]] = backend.databases[DATABASE].tables[TABLE].records
    return records


def current_records() -> list[dict[str, Any]]:
    """The records Timestream would hold: per identity the highest version, the first
    written of equal versions."""
    kept: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in stored_records():
        dimensions = tuple(sorted((d["Name"], d["Value"]) for d in record["Dimensions"]))
        key = (dimensions, record["Time"], record["MeasureName"])
        held = kept.get(key)
        if held is None or int(record.get("Version", 1)) > int(held.get("Version", 1)):
            kept[key] = record
    return list(kept.values())


def query_response(query_string: str, page_size: int = 1000) -> list[dict[str, Any]]:
    """The pages Timestream would answer the store's window query with, over moto's
    records (the WHERE bounds are read back from the query text)."""
    site_id = re.search(r"site_id = '((?:[^']|'')*)'", query_string)
    start = re.search(r"time >= from_milliseconds\((\d+)\)", query_string)
    end = re.search(r"time < from_milliseconds\((\d+)\)", query_string)
    assert site_id and start and end, query_string
    rows = []
    for record in current_records():
        dimensions = {d["Name"]: d["Value"] for d in record["Dimensions"]}
        measures = {m["Name"]: m["Value"] for m in record["MeasureValues"]}
        time_ms = int(record["Time"])
        if (
            record["MeasureName"] == "window"
            and dimensions["site_id"] == site_id.group(1).replace("''", "'")
            and int(start.group(1)) <= time_ms < int(end.group(1))
        ):
            values = {**dimensions, **measures, "start_ms": record["Time"]}
            rows.append((dimensions["meter_id"], time_ms, values))
    rows.sort(key=lambda row: (row[0], row[1]))
    data = [
        {"Data": [{"ScalarValue": values[name]} for name, _ in COLUMNS]} for _, _, values in rows
    ]
    pages = [data[first : first + page_size] for first in range(0, len(data), page_size)] or [[]]
    return [
        {
            "QueryId": "query-1",
            "Rows": page,
            "ColumnInfo": column_info(),
            **({"NextToken": f"token-{number + 1}"} if number + 1 < len(pages) else {}),
        }
        for number, page in enumerate(pages)
    ]


def column_info() -> list[dict[str, Any]]:
    return [{"Name": name, "Type": {"ScalarType": kind}} for name, kind in COLUMNS]


class RecordsQueryClient:
    """A stand-in for the timestream-query client whose ``query`` answers from moto's
    records (see ``query_response``), paginated, parameters validated against the
    service model."""

    def __init__(self, page_size: int = 1000) -> None:
        self.page_size = page_size
        self.calls: list[dict[str, Any]] = []
        self._model = (
            botocore.session.get_session()
            .get_service_model("timestream-query")
            .operation_model("Query")
        )

    def query(self, **parameters: Any) -> dict[str, Any]:
        validate_parameters(parameters, self._model.input_shape)
        self.calls.append(parameters)
        pages = query_response(parameters["QueryString"], self.page_size)
        token = parameters.get("NextToken")
        return pages[int(token.removeprefix("token-")) if token else 0]


def never_sleep(seconds: float) -> None:
    """A ``sleep`` for stores that must not retry."""
    raise AssertionError(f"unexpected retry (sleep {seconds})")
