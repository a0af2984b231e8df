"""The telemetry window record on the wire."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pcf.formats.definitions import TELEMETRY_WINDOWS
from pcf.formats.telemetry_record import TelemetryWindowRecord

GOOD = {
    "site_id": "S1",
    "machine_id": "M1",
    "meter_id": "M1-E",
    "quantity": "electricity",
    "item_id": None,
    "window_start": "2026-01-05T06:00:00+00:00",
    "window_end": "2026-01-05T06:01:00+00:00",
    "value": 1.25,
    "unit": "kWh",
    "revision": 0,
    "samples_received": 60,
    "samples_dropped": 0,
}


def test_the_record_has_exactly_the_columns_of_the_documented_format() -> None:
    assert tuple(TelemetryWindowRecord.model_fields) == TELEMETRY_WINDOWS.column_names


def test_round_trip_through_json_and_the_core_window() -> None:
    record = TelemetryWindowRecord.model_validate(GOOD)
    window = record.to_window()
    assert window.window_start == datetime(2026, 1, 5, 6, tzinfo=UTC)
    again = TelemetryWindowRecord.model_validate_json(
        TelemetryWindowRecord.from_window(window).to_json_bytes()
    )
    assert again == record


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": -1}, "greater than or equal to 0"),
        ({"unit": "kgs"}, 'unknown unit "kgs"'),
        ({"unit": "m3"}, 'unit "m3" is volume; a electricity meter reports energy'),
        ({"window_end": "2026-01-05T06:00:00+00:00"}, "window_end must be after window_start"),
        ({"window_start": "2026-01-05T06:00:00"}, "timezone"),
        ({"samples_dropped": 61}, "samples_dropped cannot exceed samples_received"),
        ({"quantity": "production_count", "unit": "piece"}, "names the item it counts"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_malformed_records_are_refused_with_the_reason(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        TelemetryWindowRecord.model_validate({**GOOD, **change})
