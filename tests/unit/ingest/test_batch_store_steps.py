"""The batch path's array steps against plain reference code: the Kinesis data decoded
as binascii decodes it, one window per key kept as the store's rule says, the pending
rollup hours, and the value text the PostgreSQL store COPYs."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pcf.adapters.postgres.telemetry_store import (
    _canonical_value,
    _copy_csv,
    _latest_per_window,
    _pending_rollup_hours,
    _shortest_texts,
)
from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import CANONICAL_UNIT, conversion_factor, dimension_of
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_batch import epoch_seconds, windows_table
from pcf.usecases.ingest import _kinesis_payloads

T0 = datetime(2026, 3, 31, 23, tzinfo=UTC)
# what a base64 text may hold beside its alphabet, for binascii to skip or refuse
NOISE = st.sampled_from(["=", " ", "\n", "-", "_", "é", "A", "/", "+"])


@st.composite
def kinesis_data(draw: st.DrawFn) -> str:
    """Base64 as Lambda delivers it, sometimes with a character added or removed."""
    text = base64.b64encode(draw(st.binary(max_size=12))).decode("ascii")
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()) and text:
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + draw(NOISE) + text[position:]
    return text


@settings(max_examples=400, deadline=None)
@given(st.lists(kinesis_data(), max_size=4))
def test_kinesis_data_is_decoded_as_binascii_decodes_it(data: list[str]) -> None:
    try:
        expected: list[bytes] | None = [binascii.a2b_base64(text) for text in data]
    except ValueError:  # binascii.Error, or a character beyond ASCII
        expected = None

    if expected is None:
        try:
            _kinesis_payloads(data)
        except ValueError:
            return
        raise AssertionError("decoded what binascii refuses")
    assert _kinesis_payloads(data) == expected


def test_kinesis_data_as_bytes_is_decoded_too() -> None:
    assert _kinesis_payloads([b"YQ==", "Yg=="]) == [b"a", b"b"]


def window(meter_id: str, minute: int, revision: int, value: float, unit: str) -> TelemetryWindow:
    start = T0 + timedelta(minutes=minute)
    return TelemetryWindow(
        site_id="S1",
        machine_id=None,
        meter_id=meter_id,
        quantity=MeterQuantity.ELECTRICITY,
        item_id=None,
        window_start=start,
        window_end=start + timedelta(minutes=1),
        value=value,
        unit=unit,
        revision=revision,
        samples_received=60,
        samples_dropped=0,
    )


WINDOWS = st.builds(
    window,
    meter_id=st.sampled_from(["M2", "M10", "m1", "É", ""]),
    minute=st.integers(-90, 90),
    revision=st.integers(0, 2),
    value=st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["kWh", "Wh", "MWh", "GJ"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WINDOWS, min_size=1, max_size=30))
def test_one_window_per_key_the_highest_revision_first_of_equals_in_key_order(
    windows: list[TelemetryWindow],
) -> None:
    kept: dict[tuple[str, datetime], tuple[int, TelemetryWindow]] = {}
    for position, w in enumerate(windows):
        key = (w.meter_id, w.window_start)
        if key not in kept or w.revision > kept[key][1].revision:
            kept[key] = (position, w)
    # Arrow orders texts by their UTF-8 bytes
    order = sorted(kept, key=lambda key: (key[0].encode(), key[1]))
    expected = windows_table([kept[key][1] for key in order])

    latest = _latest_per_window(windows_table(windows))

    assert latest.equals(expected)
    starts = epoch_seconds(latest.column("window_start"))
    pairs = _pending_rollup_hours(latest.column("meter_id"), starts)
    hours = sorted({(k[0].encode(), int(k[1].timestamp()) // 3600 * 3600) for k in order})
    assert list(zip(*pairs, strict=True)) == [(m.decode(), h) for m, h in hours]


@settings(max_examples=300, deadline=None)
@given(st.lists(WINDOWS, min_size=1, max_size=10))
def test_the_copied_value_is_the_canonical_value_text(windows: list[TelemetryWindow]) -> None:
    table = windows_table(windows)

    rows = list(csv.reader(io.StringIO(_copy_csv(table).decode())))

    # the same numeric for PostgreSQL: value and scale (an exponent may be written
    # differently: 1e16 or 1e+16)
    assert [as_numeric(row[7]) for row in rows] == [
        as_numeric(
            _canonical_value(
                w.value, conversion_factor(w.unit, CANONICAL_UNIT[dimension_of(w.unit)])
            )
        )
        for w in windows
    ]
    assert [row[5] for row in rows] == [
        np.datetime_as_string(np.datetime64(w.window_start.replace(tzinfo=None), "s"), "s") + "Z"
        for w in windows
    ]


def as_numeric(literal: str) -> tuple[Decimal, int]:
    """What PostgreSQL's numeric makes of a literal: its value and its scale (digits
    after the point; a positive exponent gives scale 0)."""
    value = Decimal(literal)
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # Infinity (a conversion that overflowed)
        return value, 0
    return value, max(0, -exponent)


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_shortest_texts_are_repr_as_postgresql_reads_it(value: float) -> None:
    (text,) = _shortest_texts(np.array([value]))
    assert float(text) == value
    assert as_numeric(text.decode()) == as_numeric(repr(value))


def test_bounds_with_fractions_of_a_second_keep_them() -> None:
    start = pa.array([1_775_000_000_500_000, 1_775_000_060_000_000], pa.int64())
    table = windows_table([window("M1", 0, 0, 1.0, "kWh"), window("M1", 1, 0, 1.0, "kWh")])
    table = table.set_column(5, "window_start", start.cast(table.schema.field(5).type))

    rows = list(csv.reader(io.StringIO(_copy_csv(table).decode())))

    assert [row[5] for row in rows] == [
        "2026-03-31T23:33:20.500000Z",
        "2026-03-31T23:34:20.000000Z",
    ]
