"""METHOD.md's worked example as upload files and telemetry windows.

The static files live beside this module in ``worked_example/<kind>.csv``. There is no
``production_counts`` file: production comes from the counters M1-P and M2-P in
telemetry, as METHOD.md describes it, and a file without data rows would be an empty
upload. The telemetry is one production run on Monday 5 January 2026 from 06:00 Berlin
time, 400 one-minute windows, with values that are exact in binary floating point, so the
period totals are exact: M1-E 1000 kWh, M2-E 600 kWh, M2-G 20 m3, M1-P 500 pieces of P,
M2-P 1000 pieces of A.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

from pcf.core.telemetry import TelemetryWindow
from pcf.formats.definitions import STATIC_FORMATS, MeterQuantity

SITE_ID = "S1"
PERIOD = "2026-01"
# January 2026 in Europe/Berlin (UTC+1 all month), as UTC instants.
PERIOD_START = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
PERIOD_END = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
RUN_START = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
RUN_WINDOWS = 400
WINDOW_SECONDS = 60

# Static kinds with a file; production_counts has none (see the module docstring).
WORKED_EXAMPLE_KINDS: tuple[str, ...] = tuple(
    f.kind for f in STATIC_FORMATS if f.kind != "production_counts"
)

# Period totals of each meter, as METHOD.md states them.
METER_TOTALS: dict[str, float] = {
    "M1-E": 1000.0,
    "M2-E": 600.0,
    "M2-G": 20.0,
    "M1-P": 500.0,
    "M2-P": 1000.0,
}


def worked_example_files() -> dict[str, bytes]:
    """The worked example's CSV files by kind, in load order (no production_counts)."""
    folder = resources.files("pcf.sample").joinpath("worked_example")
    return {kind: folder.joinpath(f"{kind}.csv").read_bytes() for kind in WORKED_EXAMPLE_KINDS}


def _run_value(meter_id: str, k: int) -> float:
    """Meter reading in window k of the run: dyadic values, so every sum is exact."""
    if meter_id == "M1-E":
        return 2.5  # x 400 = 1000 kWh
    if meter_id == "M2-E":
        return 1.5  # x 400 = 600 kWh
    if meter_id == "M2-G":
        return 0.0625 if k < 320 else 0.0  # x 320 = 20 m3
    if meter_id == "M1-P":
        return 2.0 if k % 4 == 0 else 1.0  # 100 x 2 + 300 x 1 = 500 pieces
    return 3.0 if k % 2 == 0 else 2.0  # M2-P: 200 x 3 + 200 x 2 = 1000 pieces


_METERS: tuple[tuple[str, str, MeterQuantity, str, str | None], ...] = (
    # meter, machine, quantity, unit, item counted
    ("M1-E", "M1", MeterQuantity.ELECTRICITY, "kWh", None),
    ("M1-P", "M1", MeterQuantity.PRODUCTION_COUNT, "piece", "P"),
    ("M2-E", "M2", MeterQuantity.ELECTRICITY, "kWh", None),
    ("M2-G", "M2", MeterQuantity.NATURAL_GAS, "m3", None),
    ("M2-P", "M2", MeterQuantity.PRODUCTION_COUNT, "piece", "A"),
)


def worked_example_telemetry(*, whole_month: bool = False) -> list[TelemetryWindow]:
    """Windows whose January 2026 totals are the worked example's meter readings.

    By default only the 400 windows of the production run (a few hundred windows per
    meter; completeness is then 400 / 44640 per meter). With ``whole_month`` every meter
    has a window for every minute of the Berlin month, zero outside the run, so
    completeness is 1.0 (5 x 44640 windows). Ordered by meter, then time.
    """
    window = timedelta(seconds=WINDOW_SECONDS)
    if whole_month:
        first = PERIOD_START
        count = int((PERIOD_END - PERIOD_START) / window)
    else:
        first, count = RUN_START, RUN_WINDOWS
    run_offset = int((RUN_START - first) / window)
    starts = [first + k * window for k in range(count + 1)]
    windows: list[TelemetryWindow] = []
    for meter_id, machine_id, quantity, unit, item_id in _METERS:
        for k in range(count):
            in_run = 0 <= k - run_offset < RUN_WINDOWS
            windows.append(
                TelemetryWindow(
                    site_id=SITE_ID,
                    machine_id=machine_id,
                    meter_id=meter_id,
                    quantity=quantity,
                    item_id=item_id,
                    window_start=starts[k],
                    window_end=starts[k + 1],
                    value=_run_value(meter_id, k - run_offset) if in_run else 0.0,
                    unit=unit,
                    revision=0,
                    samples_received=WINDOW_SECONDS,
                    samples_dropped=0,
                )
            )
    return windows
