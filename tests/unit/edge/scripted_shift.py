"""A shift of the meter-reader component played poll by poll, restarts included.

- ``ScriptedMeter``: a counter that follows a script of steps, so what it counted is known
  exactly (steps are multiples of 1/8: every value, delta and sum is exact in binary
  floating point and in decimal). It may roll over or be reset.
- ``Shift``: the world around the component. Simulated time moves one poll per read (a
  ``ManualClock``), so the loop never waits. It plays the scenario's ``Faults`` (the
  process killed, Greengrass stopping and restarting the component, the exporter offline,
  a gateway delivering readings late) against a Stream Manager stand-in, and starts a new
  process (``run_meter_reader``: new source, aggregator and sink from the configuration and
  the state file) whenever one ended before the shift did.
- ``latest_windows`` / ``totals``: what reached Kinesis, as a store keeps it.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pcf.adapters.stream_manager import StreamSettings
from pcf.core.telemetry import TelemetryWindow
from pcf.edge.component import (
    MeterConfig,
    MeterReaderConfig,
    RegisterMapConfig,
    run_meter_reader,
)
from pcf.edge.readings import MeterReading, MeterSource
from pcf.edge.simulator import ManualClock
from pcf.edge.sources.registers import RegisterType
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import TelemetryWindowRecord
from tests.unit.edge.stream_manager_stand_in import StreamManagerStandIn
from tests.unit.ingest.builders import InMemoryStore

# Monday 2 March 2026, 06:00 UTC: a window boundary
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC).timestamp()
POLL_SECONDS = 5.0
WINDOW_SECONDS = 60
GRACE_SECONDS = 10.0
RESET_THRESHOLD = 64.0
# 2 KiB: eight windows, so an exporter outage soon fills it
SMALL_STREAM = StreamSettings(
    name="telemetry",
    kinesis_stream_name="pcf-telemetry",
    max_size_bytes=2048,
    segment_size_bytes=1024,
)


class SimulatedCrash(BaseException):
    """The component's process dies here (kill -9, a power cut): no clean stop, nothing
    saved on the way out. A BaseException, so no handler in the component catches it."""


# --- the meters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedMeter:
    """A counter register whose value at every poll is known in advance: ``start`` at poll
    0, then each poll adds the next step. ``reset_after_poll``: the meter is reset right
    after that poll is read (nothing is counted between the reading and the reset)."""

    meter_id: str
    machine_id: str
    quantity: MeterQuantity
    unit: str
    item_id: str | None
    start: float
    steps: tuple[float, ...]
    counter_max: float
    reset_after_poll: int | None = None
    values: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        values = [self.start]
        for poll, step in enumerate(self.steps, start=1):
            before = 0.0 if poll - 1 == self.reset_after_poll else values[-1]
            values.append((before + step) % self.counter_max)
        object.__setattr__(self, "values", tuple(values))

    def counted(self, first_poll: int, last_poll: int) -> Decimal:
        """What the meter counted between two polls: the ground truth, exact."""
        return sum((Decimal(step) for step in self.steps[first_poll:last_poll]), Decimal(0))

    def config(self, address: int) -> MeterConfig:
        return MeterConfig(
            meter_id=self.meter_id,
            site_id="S1",
            machine_id=self.machine_id,
            quantity=self.quantity,
            item_id=self.item_id,
            unit=self.unit,
            register_map=RegisterMapConfig(
                host="scripted", unit_id=1, address=address, data_type=RegisterType.UINT32
            ),
            counter_max=self.counter_max,
            max_rate_per_second=1.0,
            reset_threshold=RESET_THRESHOLD,
        )


def scripted_factory(
    polls: int,
    *,
    seed: int = 1,
    reset_after_poll: int | None = None,
    rollover_at_poll: int | None = None,
) -> list[ScriptedMeter]:
    """Site S1's two machines: M1 (electricity, pieces of P), M2 (electricity, natural gas).
    ``reset_after_poll`` resets the gas meter; ``rollover_at_poll`` starts M2's electricity
    counter so that it rolls over at 4096 kWh on that poll."""
    rng = random.Random(seed)

    def eighths(most: int) -> tuple[float, ...]:
        return tuple(rng.randrange(1, most * 8 + 1) / 8 for _ in range(polls - 1))

    m2_steps = eighths(1)
    m2_start = 1000.0
    if rollover_at_poll is not None:
        m2_start = 4096.0 - math.fsum(m2_steps[:rollover_at_poll]) + 0.125
    return [
        ScriptedMeter(
            "M1-E", "M1", MeterQuantity.ELECTRICITY, "kWh", None, 12_345.5, eighths(1), 2.0**20
        ),
        ScriptedMeter(
            "M1-P",
            "M1",
            MeterQuantity.PRODUCTION_COUNT,
            "piece",
            "P",
            500.0,
            tuple(float(rng.randrange(0, 3)) for _ in range(polls - 1)),
            2.0**32,
        ),
        ScriptedMeter(
            "M2-E", "M2", MeterQuantity.ELECTRICITY, "kWh", None, m2_start, m2_steps, 4096.0
        ),
        ScriptedMeter(
            "M2-G",
            "M2",
            MeterQuantity.NATURAL_GAS,
            "m3",
            None,
            87_000.0,
            tuple(step / 2 for step in eighths(1)),
            2.0**20,
            reset_after_poll,
        ),
    ]


class ScriptedRegisters:
    """The scripted meters as a ``MeterSource``: poll k is read at T0 + k x POLL_SECONDS."""

    def __init__(self, meters: Sequence[ScriptedMeter], clock: Callable[[], float]) -> None:
        self.meters = tuple(meters)
        self.clock = clock

    def read(self) -> list[MeterReading]:
        now = self.clock()
        poll = round((now - T0) / POLL_SECONDS)
        return [MeterReading(meter.meter_id, now, meter.values[poll]) for meter in self.meters]

    def close(self) -> None:
        pass


def ground_truth(meters: Sequence[ScriptedMeter], polls: int) -> dict[str, Decimal]:
    """What each meter counted from the first poll to the last, exactly."""
    return {meter.meter_id: meter.counted(0, polls - 1) for meter in meters}


def component_config(
    meters: Sequence[MeterConfig], state_file: Path, **changes: Any
) -> MeterReaderConfig:
    """The component's configuration for a shift: 5 s polls, one-minute windows, the
    small stream."""
    values: dict[str, Any] = {
        "poll_interval_seconds": POLL_SECONDS,
        "window_seconds": WINDOW_SECONDS,
        "grace_seconds": GRACE_SECONDS,
        "state_file": state_file,
        "stream": SMALL_STREAM,
        "meters": list(meters),
    }
    values.update(changes)
    return MeterReaderConfig.model_validate(values)


# --- the world around the component ----------------------------------------------------------


@dataclass(frozen=True)
class LateReadings:
    """A gateway that holds readings back: every ``every``-th poll's reading of each of
    ``meter_ids`` reaches the component ``by_polls`` polls later, stamped with the time it
    was taken. ``every=1`` delays all of them (a slow gateway)."""

    meter_ids: frozenset[str]
    every: int
    by_polls: int


@dataclass(frozen=True)
class Faults:
    # the process dies as this poll is due (before reading it)
    crash_before_polls: frozenset[int] = frozenset()
    # the process dies right after Stream Manager accepted the n-th append of the shift
    # (1-based): the window is in the stream, the process never learns it
    crash_after_appends: frozenset[int] = frozenset()
    # Greengrass stops the component (SIGTERM) after this poll, then starts it again
    stop_after_polls: frozenset[int] = frozenset()
    # polls during which Stream Manager's exporter cannot reach Kinesis
    exporter_offline: range = range(0)
    late: tuple[LateReadings, ...] = ()


class _Source:
    """One process's meter source: the world's next poll through ``meters``."""

    def __init__(self, shift: Shift, meters: MeterSource) -> None:
        self.shift, self.meters = shift, meters

    def read(self) -> Sequence[MeterReading]:
        return self.shift.poll(self.meters)

    def close(self) -> None:
        self.meters.close()


class _Client:
    """One process's Stream Manager client: the stand-in, dying after chosen appends."""

    def __init__(self, shift: Shift) -> None:
        self.shift = shift
        self.daemon = shift.daemon.connect()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.daemon, name)

    def append_message(self, stream_name: str, data: bytes) -> int:
        sequence_number = self.daemon.append_message(stream_name, data)
        self.shift.appends += 1
        if self.shift.appends in self.shift.faults.crash_after_appends:
            raise SimulatedCrash(f"after append {self.shift.appends}")
        return sequence_number


class Shift:
    """``polls`` polls of the meters opened by ``open_meters`` (one source per process),
    then ``drain_polls`` polls without readings, so the last windows close and the backlog
    drains; then Greengrass stops the component for good. ``after_poll(poll)`` runs after
    each poll with readings is read (a meter reset, say)."""

    def __init__(
        self,
        polls: int,
        open_meters: Callable[[ManualClock], MeterSource],
        faults: Faults = Faults(),
        *,
        drain_polls: int = 40,
        after_poll: Callable[[int], None] | None = None,
    ) -> None:
        self.polls = polls
        self.open_meters = open_meters
        self.faults = faults
        self.last_poll = polls + drain_polls - 1
        self.after_poll = after_poll
        self.clock = ManualClock(T0 - POLL_SECONDS)
        self.daemon = StreamManagerStandIn()
        self.next_poll = 0
        self.appends = 0
        self.finished = False
        self.stop = threading.Event()
        self.backlogs_at_start: list[int] = []  # windows in the state file at each start
        self._crashed_at: set[int] = set()
        self._held: list[tuple[int, MeterReading]] = []  # (due poll, reading)

    def run(self, config: MeterReaderConfig) -> int:
        """Run the component until the shift is over, starting it again whenever its
        process died or was stopped; returns the number of processes."""
        processes = 0
        while not self.finished:
            processes += 1
            self.backlogs_at_start.append(_saved_backlog(config.state_file))
            self.stop = threading.Event()
            try:
                run_meter_reader(
                    config,
                    self.stop,
                    source_factory=lambda _, clock: _Source(self, self.open_meters(self.clock)),
                    client_factory=lambda: _Client(self),
                    clock=self.clock,
                )
            except SimulatedCrash:
                continue
        self.daemon.run_exporter()
        return processes

    def poll(self, meters: MeterSource) -> list[MeterReading]:
        poll = self.next_poll
        if poll in self.faults.crash_before_polls and poll not in self._crashed_at:
            self._crashed_at.add(poll)
            raise SimulatedCrash(f"before poll {poll}")
        self.next_poll += 1
        self.clock.set(T0 + poll * POLL_SECONDS)
        self.daemon.exporter_online = poll not in self.faults.exporter_offline
        readings: list[MeterReading] = []
        if poll < self.polls:
            readings = list(meters.read())
            if self.after_poll is not None:
                self.after_poll(poll)
        readings = self._deliver(poll, readings)
        self.daemon.run_exporter()
        if poll in self.faults.stop_after_polls:
            self.stop.set()
        if poll == self.last_poll:
            self.stop.set()
            self.finished = True
        return readings

    def _deliver(self, poll: int, readings: list[MeterReading]) -> list[MeterReading]:
        on_time = []
        for reading in readings:
            delays = [
                late.by_polls
                for late in self.faults.late
                if reading.meter_id in late.meter_ids and poll % late.every == 0
            ]
            # a meter's first and last readings come on time
            if delays and 0 < poll < self.polls - 1:
                self._held.append((poll + max(delays), reading))
            else:
                on_time.append(reading)
        due = [reading for at, reading in self._held if at <= poll or poll >= self.polls]
        self._held = [(at, r) for at, r in self._held if not (at <= poll or poll >= self.polls)]
        return due + on_time


def _saved_backlog(state_file: Path) -> int:
    try:
        return len(json.loads(state_file.read_bytes())["backlog"])
    except FileNotFoundError:
        return 0


# --- what reached Kinesis, as a store keeps it ----------------------------------------------


def exported_records(daemon: StreamManagerStandIn) -> list[bytes]:
    return [data for _, data in daemon.kinesis_records]


def latest_windows(records: Iterable[bytes]) -> dict[tuple[str, datetime], TelemetryWindow]:
    """Per meter and window start, the highest revision, as the store keeps it.

    Copies of one (meter, window, revision) must be the same window: a store keeps the
    first it gets and ignores the others, so differing copies would make the result
    depend on arrival order (raises AssertionError)."""
    windows = [TelemetryWindowRecord.model_validate_json(data).to_window() for data in records]
    seen: dict[tuple[str, datetime, int], TelemetryWindow] = {}
    for window in windows:
        key = (window.meter_id, window.window_start, window.revision)
        assert seen.setdefault(key, window) == window, f"two different copies of {key}"
    store = InMemoryStore()
    store.write_windows(windows)
    return store.windows


def totals(records: Iterable[bytes]) -> dict[str, Decimal]:
    """Per meter, the exact sum of the latest revisions' values."""
    sums: dict[str, Decimal] = {}
    for (meter_id, _), window in latest_windows(records).items():
        sums[meter_id] = sums.get(meter_id, Decimal(0)) + Decimal(window.value)
    return sums
