"""The ingest's fast path (``decode_payloads``) against the record model: it accepts a
subset of what the model accepts, with the same values, and the edge's own records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pcf.core.units import UNIT_SYMBOLS, dimension_of
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_batch import decode_payloads, windows_from_table, windows_table
from pcf.formats.telemetry_record import MAX_COUNT, QUANTITY_DIMENSIONS, TelemetryWindowRecord

UNITS_OF = {
    quantity: [unit for unit in UNIT_SYMBOLS if dimension_of(unit) in dimensions]
    for quantity, dimensions in QUANTITY_DIMENSIONS.items()
}
FIELDS = list(TelemetryWindowRecord.model_fields)


@st.composite
def edge_records(draw: st.DrawFn) -> TelemetryWindowRecord:
    """Records as the edge sends them: UTC, whole seconds."""
    quantity = draw(st.sampled_from(list(MeterQuantity)))
    start = draw(
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31))
    ).replace(microsecond=0, tzinfo=UTC)
    received = draw(st.integers(0, MAX_COUNT))
    return TelemetryWindowRecord(
        site_id=draw(st.text(min_size=1, max_size=8)),
        machine_id=draw(st.none() | st.text(max_size=8)),
        meter_id=draw(st.text(min_size=1, max_size=8)),
        quantity=quantity,
        item_id=draw(st.text(min_size=1, max_size=8))
        if quantity is MeterQuantity.PRODUCTION_COUNT
        else draw(st.none() | st.text(max_size=8)),
        window_start=start,
        window_end=start + timedelta(seconds=draw(st.integers(1, 86_400))),
        value=draw(st.floats(min_value=0, allow_nan=False, allow_infinity=False)),
        unit=draw(st.sampled_from(UNITS_OF[quantity])),
        revision=draw(st.integers(0, MAX_COUNT)),
        samples_received=received,
        samples_dropped=draw(st.integers(0, received)),
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(
        [
            "",
            "2026-02-30T00:00:00Z",
            "2026-03-31T24:00:00Z",
            "2026-03-31T23:59:60Z",
            "2026-03-31T08:00:00+00:00",
            "2026-03-31T08:00:00",
            "2026-03-31T08:00:00.5Z",
            "0999-01-01T00:00:00Z",
            "kWh",
            "m3",
            "piece",
            "production_count",
            "electricity",
        ]
    ),
    lambda children: st.lists(children, max_size=2),
    max_leaves=3,
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> bytes:
    """An edge record's JSON with one to three fields removed, added or replaced."""
    fields: dict[str, Any] = draw(edge_records()).model_dump(mode="json")
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*FIELDS, "extra"]))
        if draw(st.booleans()) and name in fields:
            del fields[name]
        else:
            fields[name] = draw(JSON_VALUES)
    return json.dumps(fields).encode()


@settings(max_examples=150, deadline=None)
@given(st.lists(edge_records(), min_size=1, max_size=20))
def test_the_edges_records_take_the_fast_path_with_the_models_values(
    records: list[TelemetryWindowRecord],
) -> None:
    table = decode_payloads([record.to_json_bytes() for record in records])

    assert table is not None
    assert table.equals(windows_table([record.to_window() for record in records]))


@settings(max_examples=600, deadline=None)
@given(st.lists(mutated_payloads() | edge_records().map(lambda r: r.to_json_bytes()), max_size=3))
def test_the_fast_path_accepts_only_what_the_model_accepts_with_the_same_values(
    payloads: list[bytes],
) -> None:
    table = decode_payloads(payloads)

    if table is not None:
        windows = [TelemetryWindowRecord.model_validate_json(p).to_window() for p in payloads]
        assert windows_from_table(table) == windows


def edge_payload(**changes: Any) -> bytes:
    start = datetime(2026, 3, 31, 8, tzinfo=UTC)
    fields: dict[str, Any] = TelemetryWindowRecord(
        site_id="S1",
        machine_id="M1",
        meter_id="M1-E",
        quantity=MeterQuantity.ELECTRICITY,
        item_id=None,
        window_start=start,
        window_end=start + timedelta(minutes=1),
        value=1.25,
        unit="kWh",
        revision=0,
        samples_received=60,
        samples_dropped=0,
    ).model_dump(mode="json")
    fields.update(changes)
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("changes", "the_model_accepts_it"),
    [
        ({"window_start": "2026-03-31T09:00:00+01:00"}, True),  # an offset: slow path
        ({"revision": 1.0}, True),  # pydantic takes 1.0 as 1; the fast path wants 1
        ({"revision": MAX_COUNT + 1}, False),  # beyond the stores' 32-bit integers
        ({"value": -0.5}, False),
        ({"unit": "m3"}, False),  # electricity in cubic metres
        ({"quantity": "production_count", "unit": "piece"}, False),  # no item named
        ({"window_end": "2026-03-31T08:00:00Z"}, False),  # ends where it starts
        ({"samples_dropped": 61}, False),
        ({"site_id": ""}, False),
        ({"colour": "blue"}, False),
    ],
)
def test_one_payload_off_the_edges_form_sends_the_batch_the_slow_way(
    changes: dict[str, Any], the_model_accepts_it: bool
) -> None:
    odd = edge_payload(**changes)

    assert decode_payloads([edge_payload(), odd]) is None
    try:
        TelemetryWindowRecord.model_validate_json(odd)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted is the_model_accepts_it


def test_an_integer_where_a_number_is_due_is_the_same_number_on_both_paths() -> None:
    table = decode_payloads([edge_payload(value=1)])

    assert table is not None
    assert windows_from_table(table) == [
        TelemetryWindowRecord.model_validate_json(edge_payload(value=1)).to_window()
    ]


def test_a_payload_over_two_lines_goes_the_slow_way_as_it_would_break_the_archive() -> None:
    pretty = json.dumps(json.loads(edge_payload()), indent=1).encode()

    assert decode_payloads([pretty]) is None
    assert TelemetryWindowRecord.model_validate_json(pretty)
