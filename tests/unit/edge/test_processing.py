"""Edge processing: counters to deltas, wall-clock windows, faults (issue 3, points 3 and 9)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from pcf.core.telemetry import TelemetryWindow
from pcf.edge.processing import MeterSettings, WindowAggregator
from pcf.edge.readings import MeterReading, ReadingKind
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import TelemetryWindowRecord

# 2026-03-02 10:00:00 UTC, a whole hour: window k of the hour starts at T0 + 60 k
T0 = 1_772_445_600.0


def meter(meter_id: str = "m1", **overrides: object) -> MeterSettings:
    settings: dict[str, object] = {
        "meter_id": meter_id,
        "site_id": "S1",
        "machine_id": "press-1",
        "quantity": MeterQuantity.ELECTRICITY,
        "unit": "kWh",
    }
    settings.update(overrides)
    return MeterSettings(**settings)  # type: ignore[arg-type]


def readings(*points: tuple[float, float], meter_id: str = "m1") -> list[MeterReading]:
    """Readings of one meter at (seconds after T0, counter value)."""
    return [MeterReading(meter_id, T0 + offset, value) for offset, value in points]


def at(minute: int) -> datetime:
    return datetime.fromtimestamp(T0 + 60 * minute, UTC)


def values(windows: Sequence[TelemetryWindow]) -> dict[tuple[str, datetime], float]:
    """The value of each (meter, window start), taking the highest revision."""
    best: dict[tuple[str, datetime], TelemetryWindow] = {}
    for w in windows:
        key = (w.meter_id, w.window_start)
        if key not in best or w.revision > best[key].revision:
            best[key] = w
    return {key: w.value for key, w in sorted(best.items())}


def close_all(aggregator: WindowAggregator) -> list[TelemetryWindow]:
    """Close every window of the first 10 minutes (all these tests use), within the
    default 15-minute revision horizon."""
    return aggregator.close_due(T0 + 600, grace_seconds=0)


def test_counter_readings_become_deltas_in_the_window_of_the_later_reading() -> None:
    # Given a meter read at 0, 20, 40 s in minute 0 and 0, 20 s in minute 1
    aggregator = WindowAggregator([meter()])
    aggregator.add(readings((0, 100.0), (20, 100.5), (40, 101.25), (60, 102.0), (80, 103.0)))

    # When every window is closed
    windows = close_all(aggregator)

    # Then minute 0 holds 0.5 + 0.75 (the first reading only sets the baseline) and minute 1
    # holds the 40 -> 60 s interval (0.75) plus 1.0: together 103 - 100
    assert [(w.window_start, w.value, w.samples_received, w.samples_dropped) for w in windows] == [
        (at(0), 1.25, 3, 0),
        (at(1), 1.75, 2, 0),
    ]
    first = windows[0]
    assert (first.window_end, first.revision, first.unit, first.site_id) == (at(1), 0, "kWh", "S1")
    assert first.machine_id == "press-1"
    assert first.quantity is MeterQuantity.ELECTRICITY
    TelemetryWindowRecord.from_window(first)  # a valid record on the wire


def test_windows_align_to_the_wall_clock_and_close_after_the_grace() -> None:
    # Given 15-minute windows and readings at 10:07 and 10:14:59 and 10:15:00
    aggregator = WindowAggregator([meter()], window_seconds=900)
    aggregator.add(readings((420, 1.0), (899, 2.0), (900, 4.0)))

    # When closing at 10:15:04 with a 5 s grace, then at 10:15:05
    before_grace = aggregator.close_due(T0 + 904, grace_seconds=5)
    after_grace = aggregator.close_due(T0 + 905, grace_seconds=5)

    # Then the 10:00-10:15 window (not 10:07-10:22) is sent only after the grace, and the
    # 10:15 window stays open
    assert before_grace == []
    assert [(w.window_start, w.window_end, w.value) for w in after_grace] == [
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 10, 15, tzinfo=UTC), 1.0)
    ]
    assert [w.value for w in aggregator.close_due(T0 + 1800, grace_seconds=0)] == [2.0]


def test_window_length_must_divide_the_hour() -> None:
    with pytest.raises(ValueError, match="must divide 3600"):
        WindowAggregator([meter()], window_seconds=70)


def test_rollover_counts_the_wrapped_distance() -> None:
    # Given a register that rolls over at 1000, with a 10-unit band for rollovers and resets
    aggregator = WindowAggregator([meter(counter_max=1000.0, reset_threshold=10.0)])

    # When it reads 990, 998, then 3
    aggregator.add(readings((0, 990.0), (10, 998.0), (20, 3.0)))

    # Then the wrap counts 1000 - 998 + 3 = 5, and the window holds 8 + 5
    [window] = close_all(aggregator)
    assert (window.value, window.samples_dropped) == (13.0, 0)


def test_reset_counts_from_zero() -> None:
    # Given a meter without a rollover near 5000, with a 10-unit reset band
    aggregator = WindowAggregator([meter(reset_threshold=10.0)])

    # When it reads 4990, 5000, then 2 (reset), then 6
    aggregator.add(readings((0, 4990.0), (10, 5000.0), (20, 2.0), (30, 6.0)))

    # Then the reset counts the 2 since the reset, not a drop: 10 + 2 + 4
    [window] = close_all(aggregator)
    assert (window.value, window.samples_received, window.samples_dropped) == (16.0, 4, 0)


def test_a_fall_near_the_top_to_near_zero_is_a_reset_without_counter_max() -> None:
    # Given a meter that never rolls over: only the reset rule applies
    aggregator = WindowAggregator([meter(reset_threshold=10.0)])
    # When it goes from 998 to 3
    aggregator.add(readings((0, 990.0), (10, 998.0), (20, 3.0)))
    # Then 3 is counted, not the wrapped 5
    assert [w.value for w in close_all(aggregator)] == [11.0]


def test_a_fall_not_reaching_the_reset_band_is_dropped_and_the_baseline_kept() -> None:
    # Given a meter with a 10-unit reset band
    aggregator = WindowAggregator([meter(reset_threshold=10.0)])

    # When it reads 100, glitches to 50, then reads 102
    aggregator.add(readings((0, 100.0), (10, 50.0), (20, 102.0)))

    # Then the glitch is dropped and counted, and 102 is measured from 100: 2, nothing lost
    [window] = close_all(aggregator)
    assert (window.value, window.samples_received, window.samples_dropped) == (2.0, 3, 1)


def test_a_delta_above_the_maximum_rate_is_dropped() -> None:
    # Given a meter that cannot plausibly exceed 0.5 kWh/s
    aggregator = WindowAggregator([meter(max_rate_per_second=0.5)])

    # When it reads 100, then 150 after 10 s (5/s: a spike), then 104 after 20 s (0.2/s)
    aggregator.add(readings((0, 100.0), (10, 150.0), (20, 104.0)))

    # Then the spike is dropped and 104 counts from 100: 4 over 20 s is plausible
    [window] = close_all(aggregator)
    assert (window.value, window.samples_dropped) == (4.0, 1)


def test_consecutive_drops_move_the_baseline_so_a_jumped_counter_recovers() -> None:
    # Given a meter limited to 1 kWh/s that re-baselines after 2 consecutive drops
    aggregator = WindowAggregator([meter(max_rate_per_second=1.0, rebaseline_after_drops=2)])

    # When the counter jumps from 10 to 5000 and keeps counting from there
    aggregator.add(readings((0, 10.0), (10, 12.0), (20, 5000.0), (30, 5001.0), (40, 5003.0)))

    # Then 5000 and 5001 are dropped, 5001 becomes the baseline, 5003 counts 2: 2 + 2
    [window] = close_all(aggregator)
    assert (window.value, window.samples_dropped) == (4.0, 2)


def test_non_finite_or_negative_values_are_dropped() -> None:
    aggregator = WindowAggregator([meter()])
    aggregator.add(readings((0, 1.0), (10, float("nan")), (20, -3.0), (30, 2.5)))
    [window] = close_all(aggregator)
    assert (window.value, window.samples_received, window.samples_dropped) == (1.5, 4, 2)


def test_a_late_reading_resends_its_window_with_the_next_revision() -> None:
    # Given minute 0 sent with readings at 0 and 40 s, and minute 1 open with one at 70 s
    aggregator = WindowAggregator([meter()])
    aggregator.add(readings((0, 10.0), (40, 12.0), (70, 20.0)))
    [sent] = aggregator.close_due(T0 + 65, grace_seconds=5)
    assert (sent.value, sent.revision) == (2.0, 0)

    # When a reading taken at 50 s (value 13) arrives after minute 0 was sent
    aggregator.add(readings((50, 13.0)))
    resent = aggregator.close_due(T0 + 66, grace_seconds=5)

    # Then minute 0 is sent again, revision 1, with 3 (10 -> 12 -> 13) and 3 samples; the
    # open minute 1 now holds 13 -> 20 = 7 instead of 8: 3 + 7 = 20 - 10, nothing doubled
    assert [(w.window_start, w.value, w.revision, w.samples_received) for w in resent] == [
        (at(0), 3.0, 1, 3)
    ]
    assert [(w.value, w.revision) for w in close_all(aggregator)] == [(7.0, 0)]


def test_a_late_reading_into_a_later_sent_window_revises_both() -> None:
    # Given minutes 0 and 1 both sent
    aggregator = WindowAggregator([meter()])
    aggregator.add(readings((0, 0.0), (30, 1.0), (90, 5.0)))
    assert [w.value for w in close_all(aggregator)] == [1.0, 4.0]

    # When a reading at 45 s arrives (value 2)
    aggregator.add(readings((45, 2.0)))
    resent = close_all(aggregator)

    # Then minute 0 becomes 2 and minute 1 becomes 3, both revision 1
    assert [(w.window_start, w.value, w.revision) for w in resent] == [
        (at(0), 2.0, 1),
        (at(1), 3.0, 1),
    ]


def test_a_late_duplicate_changes_nothing() -> None:
    aggregator = WindowAggregator([meter()])
    aggregator.add(readings((0, 0.0), (30, 1.0)))
    close_all(aggregator)
    aggregator.add(readings((30, 1.0)))
    assert close_all(aggregator) == []
    assert aggregator.counters.readings_duplicate == 1


def test_readings_out_of_order_within_the_open_window_are_sorted() -> None:
    # Given readings arriving 40 s, 0 s, 20 s (values 4, 0, 1), in one batch and apart
    shuffled = readings((40, 4.0), (0, 0.0), (20, 1.0))
    in_one_batch = WindowAggregator([meter(max_rate_per_second=0.2)])
    in_one_batch.add(shuffled)
    one_by_one = WindowAggregator([meter(max_rate_per_second=0.2)])
    for reading in shuffled:
        one_by_one.add([reading])

    # Then both give 1 + 3 with nothing dropped (40 -> 0 would have been a drop)
    for aggregator in (in_one_batch, one_by_one):
        [window] = close_all(aggregator)
        assert (window.value, window.samples_received, window.samples_dropped) == (4.0, 3, 0)


def test_a_silent_meter_gets_no_window() -> None:
    # Given two meters, the second silent in minute 1
    aggregator = WindowAggregator([meter("m1"), meter("m2")])
    m1 = readings((0, 0.0), (60, 1.0), (120, 2.0))
    m2 = readings((0, 5.0), (120, 7.0), meter_id="m2")
    aggregator.add(m1 + m2)

    # When all windows close
    windows = close_all(aggregator)

    # Then m2 has minutes 0 and 2 only; its 2 kWh land in minute 2 (no zero window)
    assert values(windows) == {
        ("m1", at(0)): 0.0,
        ("m1", at(1)): 1.0,
        ("m1", at(2)): 1.0,
        ("m2", at(0)): 0.0,
        ("m2", at(2)): 2.0,
    }


def test_rate_and_unknown_readings_are_counted_not_summed() -> None:
    aggregator = WindowAggregator([meter()])
    aggregator.add(
        [
            MeterReading("m1", T0, 1.0),
            MeterReading("m1", T0 + 1, 50.0, ReadingKind.RATE),
            MeterReading("ghost", T0 + 2, 9.0),
            MeterReading("m1", T0 + 3, 2.0),
        ]
    )
    [window] = close_all(aggregator)
    assert (window.value, window.samples_received) == (1.0, 2)
    assert aggregator.counters.rate_readings_ignored == 1
    assert aggregator.counters.readings_unknown_meter == 1


def test_a_reading_older_than_the_horizon_is_refused_but_its_energy_kept() -> None:
    # Given a 120 s revision horizon and minutes 0 to 4 sent
    aggregator = WindowAggregator([meter()], revision_horizon_seconds=120)
    aggregator.add(readings((0, 0.0), (30, 1.0), (290, 9.0)))
    aggregator.close_due(T0 + 300, grace_seconds=0)

    # When a reading from minute 1 arrives
    aggregator.add(readings((70, 3.0)))

    # Then it is refused and counted; the energy stays where it was (1 + 8 = 9)
    assert aggregator.close_due(T0 + 301, grace_seconds=0) == []
    assert aggregator.counters.readings_too_late == 1


def test_save_and_restore_mid_window_gives_the_same_windows_as_one_run() -> None:
    # Given two meters (one rolling over at 1000) polled every 10 s for 5 minutes, with a
    # late reading, and a component saving its state to JSON and restarting at 2:35
    settings = [meter("m1", counter_max=1000.0, reset_threshold=50.0), meter("m2")]
    polls = [
        [
            MeterReading("m1", T0 + s, (900.0 + 2.125 * s) % 1000.0),
            MeterReading("m2", T0 + s, 0.5 * s),
        ]
        for s in range(0, 300, 10)
        if s != 150
    ]
    late = [MeterReading("m2", T0 + 150, 75.0)]
    polls.insert(20, late)  # arrives after the 2:30 poll, once minute 2 may have closed

    def run(restart_after: int | None) -> list[TelemetryWindow]:
        aggregator = WindowAggregator(settings)
        sent: list[TelemetryWindow] = []
        for i, poll in enumerate(polls):
            aggregator.add(poll)
            sent += aggregator.close_due(max(r.timestamp for r in poll) + 1, grace_seconds=0)
            if i == restart_after:
                saved = json.loads(json.dumps(aggregator.to_state(), allow_nan=False))
                aggregator = WindowAggregator.from_state(saved, settings)
        return sent + close_all(aggregator)

    # When one run is uninterrupted and others restart at 2:35 and just before the late one
    uninterrupted = run(None)
    # Then every run sends exactly the same windows, revisions included
    for restart_after in (16, 19, 20):
        assert run(restart_after) == uninterrupted
    # and the totals are the counters' true differences
    latest = values(uninterrupted)
    assert sum(v for (m, _), v in latest.items() if m == "m1") == 2.125 * 290
    assert sum(v for (m, _), v in latest.items() if m == "m2") == 0.5 * 290
    assert any(w.revision == 1 for w in uninterrupted)


def test_restore_with_a_changed_meter_list_keeps_the_known_meters() -> None:
    aggregator = WindowAggregator([meter("m1"), meter("m2")])
    aggregator.add(readings((0, 1.0)) + readings((0, 5.0), meter_id="m2"))
    restored = WindowAggregator.from_state(aggregator.to_state(), [meter("m2"), meter("m3")])
    restored.add(readings((10, 6.5), meter_id="m2") + readings((10, 1.0), meter_id="m3"))
    assert values(close_all(restored)) == {("m2", at(0)): 1.5, ("m3", at(0)): 0.0}


def test_settings_are_checked_with_readable_errors() -> None:
    with pytest.raises(ValueError, match=r'meter "m1": reset_threshold 600\.0 must be below'):
        meter(counter_max=1000.0, reset_threshold=600.0)
    with pytest.raises(ValueError, match="names the item it counts"):
        meter(quantity=MeterQuantity.PRODUCTION_COUNT, unit="piece")
    with pytest.raises(ValueError, match="meter ids must be unique"):
        WindowAggregator([meter(), meter()])
