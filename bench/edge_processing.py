"""Edge processing throughput: readings per second through ``WindowAggregator`` on one core.

What it measures: a factory of 1,000 meters (``--meters``) polled at 1 Hz for ``--seconds``
seconds (default 3,600: 3.6 million readings). Each poll is a list of ``MeterReading``
objects, one per meter, as a meter source hands it over; the timer covers ``add(poll)``
followed by ``close_due(now)`` for every poll, that is the whole edge processing path:
field extraction, counter-to-delta rules, window bookkeeping, the reading log kept for
late readings, and building the ``TelemetryWindow`` records. Building the readings is not
timed.

Beside it, for reference, a plain numpy group-by of the same readings: deltas by
``np.diff`` of each meter's counter and ``np.bincount`` over (meter, window). It knows
nothing of rollovers, resets, drops, late readings or records, so it is a floor, not a
competitor; the ratio says how far the real path is from it. The script also checks that
both give the same value for every (meter, window), exactly (counter values are multiples
of 1/8).

Target (issue 3, point 10): at least 50,000 readings per second, fifty times a 1,000-meter
factory polled every second. Prints PASS or FAIL and exits 1 on FAIL.

Run: ``.venv/bin/python bench/edge_processing.py [--meters 1000] [--seconds 3600]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import numpy.typing as npt

from pcf.core.telemetry import TelemetryWindow
from pcf.edge.processing import MeterSettings, WindowAggregator
from pcf.edge.readings import MeterReading
from pcf.formats.definitions import MeterQuantity

TARGET_READINGS_PER_SECOND = 50_000
T0 = 1_772_445_600.0  # 2026-03-02 10:00 UTC, a whole hour
WINDOW_SECONDS = 60


def factory_counters(
    meters: int, seconds: int, seed: int = 7
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Counter values and read times, each (seconds, meters): per-meter mean loads from
    0 to 2 kWh per second, varying each second, in multiples of 1/8 kWh; read times jitter
    within the first half of each second."""
    rng = np.random.default_rng(seed)
    eighths = rng.poisson(rng.uniform(0, 16, meters), size=(seconds, meters))
    start = rng.integers(0, 8_000_000, meters)
    values = (start + np.cumsum(eighths, axis=0) - eighths[0]) / 8.0
    times = T0 + np.arange(seconds)[:, None] + rng.uniform(0, 0.5, (seconds, meters))
    return values, times


def run_aggregator(
    values: npt.NDArray[np.float64], times: npt.NDArray[np.float64]
) -> tuple[float, list[TelemetryWindow]]:
    seconds, meters = values.shape
    ids = [f"meter-{i:04d}" for i in range(meters)]
    settings = [
        MeterSettings(
            meter_id,
            "S1",
            f"machine-{i // 2:04d}",
            MeterQuantity.ELECTRICITY,
            "kWh",
            counter_max=2.0**32 / 8,
            max_rate_per_second=100.0,
            reset_threshold=1000.0,
        )
        for i, meter_id in enumerate(ids)
    ]
    aggregator = WindowAggregator(settings, window_seconds=WINDOW_SECONDS)
    windows: list[TelemetryWindow] = []
    elapsed = 0.0
    chunk = 60
    for lo in range(0, seconds, chunk):
        # build a minute of polls outside the timer
        polls = [
            [
                MeterReading(meter_id, t, v)
                for meter_id, t, v in zip(ids, times[s].tolist(), values[s].tolist(), strict=True)
            ]
            for s in range(lo, min(lo + chunk, seconds))
        ]
        started = time.perf_counter()
        for poll in polls:
            aggregator.add(poll)
            windows += aggregator.close_due(poll[-1].timestamp + 0.5, grace_seconds=5.0)
        elapsed += time.perf_counter() - started
    windows += aggregator.close_due(T0 + seconds + 3600, grace_seconds=0.0)
    return elapsed, windows


def run_reference(
    values: npt.NDArray[np.float64], times: npt.NDArray[np.float64]
) -> tuple[float, npt.NDArray[np.float64]]:
    """Plain group-by: per-meter deltas, summed per (meter, window) of the later reading."""
    meters = values.shape[1]
    started = time.perf_counter()
    deltas = np.diff(values, axis=0, prepend=values[:1])
    window = np.floor((times - T0) / WINDOW_SECONDS).astype(np.int64)
    n_windows = int(window.max()) + 1
    meter = np.broadcast_to(np.arange(meters), values.shape)
    sums: npt.NDArray[np.float64] = np.bincount(  # type: ignore[assignment]
        (meter * n_windows + window).ravel(), weights=deltas.ravel(), minlength=meters * n_windows
    ).reshape(meters, n_windows)
    return time.perf_counter() - started, sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=3600)
    args = parser.parse_args()
    values, times = factory_counters(args.meters, args.seconds)
    readings = values.size

    elapsed, windows = run_aggregator(values, times)
    reference_elapsed, reference = run_reference(values, times)

    ours = np.zeros_like(reference)
    for w in windows:
        meter = int(w.meter_id.split("-")[1])
        ours[meter, int((w.window_start.timestamp() - T0) // WINDOW_SECONDS)] = w.value
    same = bool(np.array_equal(ours, reference))
    rate = readings / elapsed
    reference_rate = readings / reference_elapsed
    print(
        f"edge processing: {args.meters:,} meters x {args.seconds:,} s at 1 Hz = "
        f"{readings:,} readings, {len(windows):,} windows"
    )
    print(f"  WindowAggregator add()+close_due(): {elapsed:8.3f} s  {rate:12,.0f} readings/s")
    print(
        f"  numpy group-by (diff + bincount):   {reference_elapsed:8.3f} s  "
        f"{reference_rate:12,.0f} readings/s"
    )
    print(f"  ratio aggregator / group-by: {rate / reference_rate:.3f}")
    print(f"  window values equal to the group-by's, exactly: {same}")
    passed = rate >= TARGET_READINGS_PER_SECOND and same
    print(
        f"{'PASS' if passed else 'FAIL'}: {rate:,.0f} readings/s vs target "
        f"{TARGET_READINGS_PER_SECOND:,} readings/s"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
