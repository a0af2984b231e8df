"""Edge processing properties: whatever the order, batching, closing times and restarts,
the latest revision of every window sums to the true counter difference, exactly.

Counter values are multiples of 1/8 below 2**20, so every delta and every sum is exact in
binary floating point and equality is meaningful.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from pcf.core.telemetry import TelemetryWindow
from pcf.edge.processing import MeterSettings, WindowAggregator
from pcf.edge.readings import MeterReading
from pcf.formats.definitions import MeterQuantity

T0 = 1_772_445_600.0
EIGHTHS = st.integers(min_value=0, max_value=800).map(lambda n: n / 8)


def settings_for(meter_ids: Sequence[str], **overrides: float) -> list[MeterSettings]:
    return [
        MeterSettings(m, "S1", None, MeterQuantity.ELECTRICITY, "kWh", **overrides)  # type: ignore[arg-type]
        for m in meter_ids
    ]


def latest(windows: Sequence[TelemetryWindow]) -> dict[tuple[str, float], TelemetryWindow]:
    best: dict[tuple[str, float], TelemetryWindow] = {}
    for w in windows:
        key = (w.meter_id, w.window_start.timestamp())
        if key not in best or w.revision > best[key].revision:
            best[key] = w
    return best


@st.composite
def monotone_meters(draw: st.DrawFn) -> dict[str, list[MeterReading]]:
    """1 to 3 meters, each with monotone readings at distinct times in the first 10 min."""
    meters: dict[str, list[MeterReading]] = {}
    for i in range(draw(st.integers(1, 3))):
        meter_id = f"m{i}"
        times = sorted(draw(st.sets(st.integers(0, 600 * 4), min_size=1, max_size=40)))
        start = draw(EIGHTHS)
        steps = draw(st.lists(EIGHTHS, min_size=len(times), max_size=len(times)))
        value = start
        meters[meter_id] = []
        for quarter_second, step in zip(times, steps, strict=True):
            meters[meter_id].append(MeterReading(meter_id, T0 + quarter_second / 4, value))
            value += step
    return meters


def deliver(
    aggregator: WindowAggregator,
    arrivals: Sequence[MeterReading],
    cuts: Sequence[int],
    restart_at: int | None,
    meter_settings: Sequence[MeterSettings],
) -> list[TelemetryWindow]:
    """Deliver readings in batches split at ``cuts``, closing due windows after each batch
    (the clock being the newest timestamp delivered so far), optionally restarting from a
    JSON round trip of the state after batch ``restart_at``."""
    sent: list[TelemetryWindow] = []
    clock = T0
    bounds = [0, *sorted(set(cuts)), len(arrivals)]
    for batch_number, (lo, hi) in enumerate(pairwise(bounds)):
        batch = arrivals[lo:hi]
        aggregator.add(batch)
        clock = max([clock, *(r.timestamp for r in batch)])
        sent += aggregator.close_due(clock, grace_seconds=2)
        if batch_number == restart_at:
            state = json.loads(json.dumps(aggregator.to_state(), allow_nan=False))
            aggregator = WindowAggregator.from_state(state, meter_settings)
    return sent + aggregator.close_due(T0 + 700, grace_seconds=0)


@settings(max_examples=150, deadline=None)
@given(
    meters=monotone_meters(),
    data=st.data(),
)
def test_latest_windows_sum_to_last_minus_first_whatever_the_arrival(
    meters: dict[str, list[MeterReading]], data: st.DataObject
) -> None:
    # Given monotone counters, delivered shuffled, in random batches, maybe with a restart
    arrivals = data.draw(st.permutations([r for rs in meters.values() for r in rs]))
    cuts = data.draw(st.lists(st.integers(0, len(arrivals)), max_size=8))
    restart_at = data.draw(st.none() | st.integers(0, 8))
    meter_settings = settings_for(list(meters))

    # When they are processed
    windows = deliver(WindowAggregator(meter_settings), arrivals, cuts, restart_at, meter_settings)

    # Then per meter, the latest revisions sum to last - first exactly, and they equal the
    # windows of an in-order, one-batch run
    best = latest(windows)
    for meter_id, readings in meters.items():
        total = sum(w.value for (m, _), w in sorted(best.items()) if m == meter_id)
        assert total == readings[-1].value - readings[0].value
        assert sum(w.samples_received for (m, _), w in best.items() if m == meter_id) == len(
            readings
        )
    in_order = WindowAggregator(meter_settings)
    in_order.add(sorted(arrivals, key=lambda r: r.timestamp))
    reference = latest(in_order.close_due(T0 + 700, grace_seconds=0))
    assert {k: (w.value, w.samples_received) for k, w in best.items()} == {
        k: (w.value, w.samples_received) for k, w in reference.items()
    }


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, 1023 * 8).map(lambda n: n / 8),
    steps=st.lists(st.integers(0, 63 * 8).map(lambda n: n / 8), min_size=1, max_size=200),
)
def test_rollovers_lose_nothing(start: float, steps: list[float]) -> None:
    # Given a register rolling over at 1024, advancing less than the 64-unit band per poll
    meter_settings = settings_for(["m0"], counter_max=1024.0, reset_threshold=64.0)
    aggregator = WindowAggregator(meter_settings)
    value, readings = start, [MeterReading("m0", T0, start)]
    for second, step in enumerate(steps, start=1):
        value = (value + step) % 1024
        readings.append(MeterReading("m0", T0 + second, value))

    # When the polls are processed one by one
    for reading in readings:
        aggregator.add([reading])
    windows = aggregator.close_due(T0 + 600, grace_seconds=0)

    # Then the windows sum to the total advance exactly, nothing dropped
    assert sum(w.value for w in windows) == sum(steps)
    assert sum(w.samples_dropped for w in windows) == 0
