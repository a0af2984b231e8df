"""The live demo: simulated meters -> edge component -> ingest handler -> telemetry store ->
footprints, all on this machine, the same code the cloud runs.

The simulator plays the worked example's meters over Modbus TCP on loopback, on a sped-up
clock; the component polls them, turns counters into windows and hands them, as Kinesis
events, to the ingest handler, which writes them to the telemetry store. At the end the
counters as read at the meters are compared with the stored totals, and site S1's
footprints are computed from what arrived.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from pcf.adapters.archive import FolderArchive
from pcf.adapters.dead_letter import InMemoryDeadLetters
from pcf.adapters.local_kinesis import LocalKinesisSink
from pcf.adapters.postgres.migrations import upgrade
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.adapters.stream_manager import StreamSettings
from pcf.core.period import month_period
from pcf.edge.component import (
    MeterConfig,
    MeterReaderConfig,
    RegisterMapConfig,
    build_processor,
    build_source,
    run,
)
from pcf.edge.readings import MeterReading, MeterSource, ReadingKind
from pcf.edge.simulator import RunningSimulator, ScaledClock, SimulatorConfig, small_factory_config
from pcf.sample.worked_example import worked_example_files
from pcf.usecases.calculate import SiteCalculation, calculate_site_period
from pcf.usecases.ingest import IngestDependencies, handle_kinesis_batch
from pcf.usecases.load_datasets import load_static_files

# Monday 5 January 2026, 08:00 in Berlin: the first shift is running
LIVE_START = datetime(2026, 1, 5, 8, tzinfo=ZoneInfo("Europe/Berlin"))


@dataclass(frozen=True)
class MeterCheck:
    meter_id: str
    counted_at_meter: float  # last counter reading minus first, as the component read them
    stored: Decimal  # the telemetry store's total for the meter

    @property
    def agrees(self) -> bool:
        # the component sums float deltas of decoded registers: equal to the counter
        # difference up to float rounding, never by a window more or less
        return abs(float(self.stored) - self.counted_at_meter) <= 1e-9 * max(
            1.0, abs(self.counted_at_meter)
        )


@dataclass(frozen=True)
class LiveOutcome:
    checks: tuple[MeterCheck, ...]
    windows_delivered: int
    dead_letters: int
    calculation: SiteCalculation


class _ReadingRecorder:
    """Wraps a source to keep each counter's first and last reading: the ground truth of
    what the meters counted while the component ran."""

    def __init__(self, source: MeterSource) -> None:
        self._source = source
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def read(self) -> Sequence[MeterReading]:
        readings = self._source.read()
        for reading in readings:
            if reading.kind is ReadingKind.COUNTER:
                self.first.setdefault(reading.meter_id, reading.value)
                self.last[reading.meter_id] = reading.value
        return readings

    def close(self) -> None:
        self._source.close()


def component_configuration(
    simulator: SimulatorConfig, host: str, port: int, poll_interval_seconds: float
) -> MeterReaderConfig:
    """The component's configuration for the simulated meters (counters only)."""
    return MeterReaderConfig(
        poll_interval_seconds=poll_interval_seconds,
        window_seconds=60,
        grace_seconds=5,
        stream=StreamSettings(kinesis_stream_name="local"),
        meters=[
            MeterConfig(
                meter_id=meter.meter_id,
                site_id=simulator.site_id,
                machine_id=meter.machine_id,
                quantity=meter.quantity,
                item_id=meter.item_id,
                unit=meter.unit,
                register_map=RegisterMapConfig(
                    host=host,
                    port=port,
                    unit_id=meter.counter.unit_id,
                    address=meter.counter.address,
                    data_type=meter.counter.data_type,
                    scale=meter.counter.scale,
                    word_order=meter.counter.word_order,
                    kind=meter.counter.kind,
                ),
                counter_max=None,
                # generous: the simulated machines never come near it
                max_rate_per_second=10.0,
            )
            for meter in simulator.meters
        ],
    )


def run_live_demo(
    engine: Engine,
    raw_archive: Path,
    *,
    minutes: float = 60.0,
    speed: float = 120.0,
    say: Callable[[str], None] = print,
) -> LiveOutcome:
    """Run the chain for ``minutes`` of simulated time at ``speed`` simulated seconds per
    wall second, on ``engine`` (a database or schema of its own), then compare and
    calculate."""
    upgrade(engine)
    files = worked_example_files()
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    dead_letters = InMemoryDeadLetters()
    dependencies = IngestDependencies(store, FolderArchive(raw_archive), dead_letters)
    sink = LocalKinesisSink(lambda event: dict(handle_kinesis_batch(event, None, dependencies)))

    simulator_config = small_factory_config(resets_per_day=0.0)
    clock = ScaledClock(start=LIVE_START.timestamp(), speed=speed)
    with RunningSimulator(simulator_config, "127.0.0.1", 0, clock=clock) as simulator:
        # poll every 20 ms of wall time, whatever the speed
        config = component_configuration(
            simulator_config, "127.0.0.1", simulator.port, poll_interval_seconds=0.02 * speed
        )
        source = _ReadingRecorder(build_source(config, clock=clock))
        processor = build_processor(config)
        stop = threading.Event()
        timer = threading.Timer(minutes * 60.0 / speed, stop.set)
        say(
            f"live: {len(config.meters)} meters on a simulator at 127.0.0.1:{simulator.port}, "
            f"{minutes:g} simulated minutes at {speed:g}x"
        )
        timer.start()
        try:
            run(source, processor, sink, config, stop, clock=clock, speed=speed)
        finally:
            timer.cancel()
            source.close()
        # the windows still open when the component stopped
        sink.send(processor.close_due(clock() + 3600.0, grace_seconds=0.0))

    period = month_period("2026-01", "Europe/Berlin")
    totals = {
        t.meter_id: t.total for t in store.meter_period_totals("S1", period.start, period.end)
    }
    checks = tuple(
        MeterCheck(meter, source.last[meter] - source.first[meter], totals.get(meter, Decimal(0)))
        for meter in sorted(source.first)
    )
    say(f"\n{'meter':<8} {'counted at meter':>18} {'stored':>18}  agrees")
    for check in checks:
        say(
            f"{check.meter_id:<8} {check.counted_at_meter:>18.6f} {float(check.stored):>18.6f}  "
            f"{'yes' if check.agrees else 'NO'}"
        )
    say(f"windows delivered to ingest: {sink.delivered}, dead letters: {len(dead_letters.letters)}")

    calculation = calculate_site_period(engine, store, "S1", "2026-01")
    for footprint in calculation.footprints:
        say(
            f"{footprint.item_id}: {footprint.total_kg_co2e:.6f} kg CO2e/{footprint.declared_unit} "
            f"from {footprint.units_produced:g} units produced so far"
        )
    return LiveOutcome(checks, sink.delivered, len(dead_letters.letters), calculation)
