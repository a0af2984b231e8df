"""A Modbus TCP server that plays the meters of a small factory, so the edge runs without
hardware.

Each simulated meter is a cumulative counter (electricity in kWh, natural gas in m3, pieces
from a PLC), optionally with an instantaneous rate register (active power in kW). Counters
advance from a load profile in simulated time: shifts on working days, idle base load
outside them and at weekends, a start-up peak when a shift begins, a little noise (a new
value each minute), occasional counter resets and, for a counter configured close to its
maximum, a rollover.

Three layers, each usable on its own:

- ``FactorySimulation``: the model, no I/O. The counters are a deterministic function of
  simulated time (noise and random resets come from a seeded hash of the minute), so
  ``truth(at)`` reports exactly what the registers show at any time: the ground truth tests
  compare against.
- ``SimulatorServer`` / ``run_simulator``: the pymodbus async TCP server in front of it;
  registers are refreshed from the model on every request.
- ``RunningSimulator`` / ``start_simulator``: the server on a thread, started and stopped
  from synchronous code (tests, the local demo).

Simulated time comes from an injectable clock: ``ScaledClock(start, speed=60)`` plays a
minute per wall-clock second, ``ManualClock`` moves only when told to.

Run it: ``python -m pcf.edge.simulator --port 5020 --speed 60``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import hashlib
import itertools
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from datetime import time as time_of_day
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from pcf.edge.readings import ReadingKind
from pcf.edge.sources.registers import (
    RegisterEntry,
    RegisterType,
    WordOrder,
    counter_modulus,
    encode_registers,
)
from pcf.formats.definitions import MeterQuantity

logger = logging.getLogger(__name__)

Clock = Callable[[], float]  # seconds since the epoch (UTC), simulated

SECONDS_PER_HOUR = 3600.0
MINUTES_PER_DAY = 1440


# --------------------------------------------------------------------------- clocks


class ManualClock:
    """Simulated time that moves only when told to: for tests."""

    def __init__(self, start: float) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def set(self, now: float) -> None:
        self._now = float(now)

    def advance(self, seconds: float) -> float:
        """Move ``seconds`` forward; returns the new time."""
        self._now += seconds
        return self._now


class ScaledClock:
    """Simulated time starting at ``start`` (default: now) and running ``speed`` times faster
    than the wall clock: ``speed=60`` plays a minute per second."""

    def __init__(
        self, start: float | None = None, speed: float = 1.0, wall: Clock = time.monotonic
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.start = time.time() if start is None else float(start)
        self.speed = speed
        self._wall = wall
        self._wall_start = wall()

    def __call__(self) -> float:
        return self.start + (self._wall() - self._wall_start) * self.speed


# --------------------------------------------------------------------------- configuration


class Shift(BaseModel):
    """Working hours on some weekdays, local time of the site (Monday = 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time_of_day
    end: time_of_day
    weekdays: frozenset[int] = frozenset(range(5))

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"shift end {self.end} must be after its start {self.start}")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return self

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute


class LoadProfile(BaseModel):
    """How fast a meter counts, in its unit per hour (kW for a kWh counter, m3/h, pieces/h)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idle: float = Field(ge=0, description="Outside shifts and at weekends (base load).")
    running: float = Field(ge=0, description="During a shift, after start-up.")
    startup_peak: float | None = Field(
        default=None, ge=0, description="The first startup_minutes of a shift; None: running."
    )
    startup_minutes: int = Field(default=0, ge=0, le=240)
    noise: float = Field(
        default=0.0, ge=0, lt=1, description="Relative spread, a new value each minute."
    )


class SimulatedMeter(BaseModel):
    """One meter: its counter register, an optional rate register, and how it behaves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    counter: RegisterEntry
    power: RegisterEntry | None = Field(
        default=None, description="Instantaneous rate in the counter's unit per hour."
    )
    quantity: MeterQuantity
    unit: str = Field(min_length=1)
    machine_id: str | None = None
    item_id: str | None = None
    profile: LoadProfile
    initial_value: float = Field(
        default=0.0, ge=0, description="Counter reading at the start, in the meter's unit."
    )
    resets_per_day: float = Field(
        default=0.0, ge=0, le=MINUTES_PER_DAY, description="Mean random counter resets per day."
    )
    reset_at: tuple[float, ...] = Field(
        default=(), description="Scheduled resets, seconds since the epoch (simulated)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.counter.kind is not ReadingKind.COUNTER:
            raise ValueError(f"meter {self.meter_id}: the counter entry must be of kind counter")
        span = self.counter.rollover_span
        if span is None:
            raise ValueError(
                f"meter {self.meter_id}: a simulated counter is an unsigned integer "
                f"(uint16, uint32, uint64), not {self.counter.data_type}"
            )
        if self.initial_value >= span:
            raise ValueError(
                f"meter {self.meter_id}: initial_value {self.initial_value} must be below the "
                f"rollover point {span}"
            )
        if self.power is not None and self.power.kind is not ReadingKind.RATE:
            raise ValueError(f"meter {self.meter_id}: the power entry must be of kind rate")
        return self

    @property
    def meter_id(self) -> str:
        return self.counter.meter_id

    @property
    def entries(self) -> tuple[RegisterEntry, ...]:
        return (self.counter,) if self.power is None else (self.counter, self.power)


class SimulatorConfig(BaseModel):
    """A factory to simulate: its site, shift calendar and meters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: str = Field(default="S1", min_length=1)
    time_zone: str = "Europe/Berlin"
    shifts: tuple[Shift, ...] = ()
    meters: tuple[SimulatedMeter, ...] = Field(min_length=1)
    seed: int = 0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f'unknown time zone "{name}"') from error
        return name

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen: set[str] = set()
        for entry in self.register_map:
            if entry.meter_id in seen:
                raise ValueError(f"meter id {entry.meter_id} is used twice")
            seen.add(entry.meter_id)
        by_unit = sorted(self.register_map, key=lambda entry: (entry.unit_id, entry.address))
        for before, after in itertools.pairwise(by_unit):
            if before.unit_id == after.unit_id and after.address < before.end_address:
                raise ValueError(
                    f"device {after.unit_id}: registers of {before.meter_id} and "
                    f"{after.meter_id} overlap at address {after.address}"
                )
        return self

    @property
    def register_map(self) -> list[RegisterEntry]:
        """Every register entry of every meter: what a ModbusTcpSource is configured with."""
        return [entry for meter in self.meters for entry in meter.entries]

    def meter(self, meter_id: str) -> SimulatedMeter:
        for meter in self.meters:
            if meter.meter_id == meter_id:
                return meter
        raise KeyError(f"no simulated meter {meter_id}")


def small_factory_config(
    *,
    time_zone: str = "Europe/Berlin",
    seed: int = 0,
    resets_per_day: float = 0.05,
    rollover_headroom_kwh: float | None = None,
) -> SimulatorConfig:
    """The worked example's site S1: machine M1 (assembly, electricity, pieces of P) and M2
    (machining, electricity, natural gas, pieces of A), one shift 06:00-22:00 Monday to
    Friday.

    Devices: unit 1 is M1's electricity meter (kWh uint32 x 0.01, kW float32, big word
    order), unit 2 is M2's (same, little word order), unit 3 the gas meter (m3 uint32 x 0.01),
    unit 10 the PLC with both piece counters side by side. ``resets_per_day`` is the mean
    random resets per counter and day; ``rollover_headroom_kwh`` starts M1's kWh counter
    that far below its wrap point, so it rolls over once that much energy has been used.
    """

    def energy(meter_id: str, unit_id: int, word_order: WordOrder) -> tuple[RegisterEntry, ...]:
        return (
            RegisterEntry(
                meter_id=meter_id,
                unit_id=unit_id,
                address=0,
                data_type=RegisterType.UINT32,
                scale=0.01,
                word_order=word_order,
            ),
            RegisterEntry(
                meter_id=f"{meter_id}/power",
                unit_id=unit_id,
                address=2,
                data_type=RegisterType.FLOAT32,
                word_order=word_order,
                kind=ReadingKind.RATE,
            ),
        )

    def pieces(meter_id: str, address: int) -> RegisterEntry:
        return RegisterEntry(
            meter_id=meter_id, unit_id=10, address=address, data_type=RegisterType.UINT32
        )

    m1_counter, m1_power = energy("M1-E", 1, WordOrder.BIG)
    m2_counter, m2_power = energy("M2-E", 2, WordOrder.LITTLE)
    m1_initial = 0.0
    if rollover_headroom_kwh is not None:
        span = m1_counter.rollover_span
        assert span is not None
        m1_initial = span - rollover_headroom_kwh
    meters = (
        SimulatedMeter(
            counter=m1_counter,
            power=m1_power,
            quantity=MeterQuantity.ELECTRICITY,
            unit="kWh",
            machine_id="M1",
            profile=LoadProfile(
                idle=4.0, running=35.0, startup_peak=55.0, startup_minutes=15, noise=0.05
            ),
            initial_value=m1_initial,
            resets_per_day=resets_per_day,
        ),
        SimulatedMeter(
            counter=m2_counter,
            power=m2_power,
            quantity=MeterQuantity.ELECTRICITY,
            unit="kWh",
            machine_id="M2",
            profile=LoadProfile(
                idle=6.0, running=80.0, startup_peak=120.0, startup_minutes=10, noise=0.05
            ),
            initial_value=1_234.56,
            resets_per_day=resets_per_day,
        ),
        SimulatedMeter(
            counter=RegisterEntry(
                meter_id="M2-G", unit_id=3, address=100, data_type=RegisterType.UINT32, scale=0.01
            ),
            quantity=MeterQuantity.NATURAL_GAS,
            unit="m3",
            machine_id="M2",
            # a furnace kept warm overnight, heating up at shift start
            profile=LoadProfile(
                idle=2.0, running=25.0, startup_peak=45.0, startup_minutes=30, noise=0.03
            ),
            initial_value=87_000.0,
            resets_per_day=resets_per_day,
        ),
        SimulatedMeter(
            counter=pieces("M1-P", 0),
            quantity=MeterQuantity.PRODUCTION_COUNT,
            unit="piece",
            machine_id="M1",
            item_id="P",
            profile=LoadProfile(
                idle=0.0, running=120.0, startup_peak=60.0, startup_minutes=15, noise=0.1
            ),
            resets_per_day=resets_per_day,
        ),
        SimulatedMeter(
            counter=pieces("M2-P", 2),
            quantity=MeterQuantity.PRODUCTION_COUNT,
            unit="piece",
            machine_id="M2",
            item_id="A",
            profile=LoadProfile(
                idle=0.0, running=40.0, startup_peak=0.0, startup_minutes=10, noise=0.1
            ),
            resets_per_day=resets_per_day,
        ),
    )
    return SimulatorConfig(
        site_id="S1",
        time_zone=time_zone,
        shifts=(Shift(start=time_of_day(6), end=time_of_day(22)),),
        meters=meters,
        seed=seed,
    )


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class MeterTruth:
    """What a simulated meter holds at ``timestamp``: the ground truth tests compare with."""

    meter_id: str
    timestamp: float
    value: float  # what the counter register shows, in the meter's unit (raw x scale)
    raw: int  # the counter register's raw value
    consumed: float  # used since the simulation started, in the unit: never reset or wrapped
    rate: float  # current rate in the unit per hour (what the power register shows)
    resets: int  # counter resets since the simulation started
    rollovers: int  # times the counter wrapped past its maximum


@dataclass
class _CounterState:
    consumed: float
    since_reset: float  # the counter's unwrapped reading, in the unit, since the last reset
    resets: int = 0
    rollovers_before_reset: int = 0


class FactorySimulation:
    """The meters of ``config`` as a function of simulated time from ``clock``.

    Time starts at ``clock()`` when the simulation is built. Counters integrate each meter's
    rate exactly (the rate is constant within a minute), so the state at a time does not
    depend on when, or how often, it was looked at. Thread-safe.
    """

    def __init__(self, config: SimulatorConfig, clock: Clock = time.time) -> None:
        self.config = config
        self.clock = clock
        self.origin = clock()
        self._zone = ZoneInfo(config.time_zone)
        self._lock = threading.Lock()
        self._reset_times: dict[str, list[float]] = {
            meter.meter_id: sorted(meter.reset_at) for meter in config.meters
        }
        self._offline: set[int] = set()
        self._phases: dict[int, tuple[bool, int]] = {}
        self._checkpoint = self.origin
        self._state = self._initial_state()

    # ---- public

    def truth(self, at: float | None = None) -> dict[str, MeterTruth]:
        """Every meter's state at ``at`` (default: the clock's now), by meter id."""
        now = self.clock() if at is None else at
        state = self._state_at(now)
        return {
            meter.meter_id: self._truth(meter, state[meter.meter_id], now)
            for meter in self.config.meters
        }

    def rate(self, meter_id: str, at: float | None = None) -> float:
        """The meter's rate at ``at``, in its unit per hour."""
        now = self.clock() if at is None else at
        meter = self.config.meter(meter_id)
        minute = math.floor(now / 60)
        return self._rate(meter, minute, self._phase(minute))

    def reset_meter(self, meter_id: str, at: float | None = None) -> float:
        """Reset the meter's counter to zero at ``at`` (default: now; not before the latest
        time already simulated). Returns the time of the reset."""
        meter = self.config.meter(meter_id)  # raises KeyError for an unknown meter
        when = self.clock() if at is None else at
        with self._lock:
            if when < self._checkpoint:
                raise ValueError(
                    f"cannot reset {meter_id} at {when}: simulated time is already at "
                    f"{self._checkpoint}"
                )
            self._advance(self._state, self._checkpoint, when)
            self._checkpoint = when
            bisect.insort(self._reset_times[meter_id], when)
            self._reset(self._state[meter_id], meter)
        return when

    def set_offline(self, unit_id: int, offline: bool = True) -> None:
        """Make a device stop answering (an exception response: gateway target failed)."""
        with self._lock:
            if offline:
                self._offline.add(unit_id)
            else:
                self._offline.discard(unit_id)

    def is_offline(self, unit_id: int) -> bool:
        return unit_id in self._offline

    def registers(self, unit_id: int, at: float | None = None) -> dict[int, list[int]]:
        """The register words of device ``unit_id`` at ``at``: first address -> words."""
        now = self.clock() if at is None else at
        state = self._state_at(now)
        words: dict[int, list[int]] = {}
        for meter in self.config.meters:
            truth = self._truth(meter, state[meter.meter_id], now)
            if meter.counter.unit_id == unit_id:
                words[meter.counter.address] = encode_registers(
                    truth.raw, meter.counter.data_type, meter.counter.word_order
                )
            if meter.power is not None and meter.power.unit_id == unit_id:
                words[meter.power.address] = _encode_rate(meter.power, truth.rate)
        return words

    @property
    def unit_ids(self) -> list[int]:
        return sorted({entry.unit_id for entry in self.config.register_map})

    # ---- integration

    def _initial_state(self) -> dict[str, _CounterState]:
        return {
            meter.meter_id: _CounterState(consumed=0.0, since_reset=meter.initial_value)
            for meter in self.config.meters
        }

    def _state_at(self, now: float) -> dict[str, _CounterState]:
        now = max(now, self.origin)
        with self._lock:
            if now >= self._checkpoint:
                self._advance(self._state, self._checkpoint, now)
                self._checkpoint = now
                return {key: replace(value) for key, value in self._state.items()}
            # the past: recompute from the start, leaving the checkpoint where it is
            state = self._initial_state()
            self._advance(state, self.origin, now)
            return state

    def _advance(self, state: dict[str, _CounterState], start: float, end: float) -> None:
        """Integrate every meter from ``start`` to ``end``, minute by minute, applying the
        resets in (start, end]."""
        t = start
        while t < end:
            minute = math.floor(t / 60)
            minute_end = (minute + 1) * 60.0
            segment_end = min(minute_end, end)
            phase = self._phase(minute)
            for meter in self.config.meters:
                counter = state[meter.meter_id]
                per_second = self._rate(meter, minute, phase) / SECONDS_PER_HOUR
                begin = t
                for reset in self._resets_in(meter, t, segment_end, minute_end):
                    self._add(counter, per_second * (reset - begin))
                    self._reset(counter, meter)
                    begin = reset
                self._add(counter, per_second * (segment_end - begin))
            t = segment_end

    def _resets_in(
        self, meter: SimulatedMeter, start: float, end: float, minute_end: float
    ) -> list[float]:
        times = self._reset_times[meter.meter_id]
        found = times[bisect.bisect_right(times, start) : bisect.bisect_right(times, end)]
        if (
            meter.resets_per_day > 0
            and end == minute_end
            and self._uniform(meter.meter_id, "reset", int(minute_end // 60))
            < meter.resets_per_day / MINUTES_PER_DAY
        ):
            found = sorted([*found, end])
        return found

    @staticmethod
    def _add(counter: _CounterState, amount: float) -> None:
        counter.consumed += amount
        counter.since_reset += amount

    def _reset(self, counter: _CounterState, meter: SimulatedMeter) -> None:
        wraps = self._unwrapped_raw(meter, counter) // self._modulus(meter)
        counter.rollovers_before_reset += wraps
        counter.since_reset = 0.0
        counter.resets += 1

    # ---- profile

    def _phase(self, minute: int) -> tuple[bool, int]:
        """(in a shift, minutes since that shift began) for the minute starting at
        ``minute`` x 60 seconds since the epoch."""
        phase = self._phases.get(minute)
        if phase is None:
            local = datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(self._zone)
            minute_of_day = local.hour * 60 + local.minute
            phase = (False, 0)
            for shift in self.config.shifts:
                if (
                    local.weekday() in shift.weekdays
                    and shift.start_minute <= minute_of_day < shift.end_minute
                ):
                    phase = (True, minute_of_day - shift.start_minute)
                    break
            if len(self._phases) > 200_000:
                self._phases.clear()
            self._phases[minute] = phase
        return phase

    def _rate(self, meter: SimulatedMeter, minute: int, phase: tuple[bool, int]) -> float:
        profile = meter.profile
        in_shift, since_start = phase
        if not in_shift:
            base = profile.idle
        elif since_start < profile.startup_minutes and profile.startup_peak is not None:
            base = profile.startup_peak
        else:
            base = profile.running
        if profile.noise == 0 or base == 0:
            return base
        spread = 2.0 * self._uniform(meter.meter_id, "noise", minute) - 1.0
        return base * (1.0 + profile.noise * spread)

    def _uniform(self, meter_id: str, purpose: str, minute: int) -> float:
        """A number in [0, 1) fixed by the seed, the meter, the purpose and the minute."""
        key = f"{self.config.seed}|{meter_id}|{purpose}|{minute}".encode()
        digest = hashlib.blake2b(key, digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2.0**64

    # ---- registers

    @staticmethod
    def _modulus(meter: SimulatedMeter) -> int:
        modulus = counter_modulus(meter.counter.data_type)
        assert modulus is not None  # SimulatedMeter only accepts unsigned counters
        return modulus

    @staticmethod
    def _unwrapped_raw(meter: SimulatedMeter, counter: _CounterState) -> int:
        # the tiny nudge keeps 0.29 / 0.01 = 28.999999999999996 on the register value 29
        return math.floor(counter.since_reset / meter.counter.scale + 1e-9)

    def _truth(self, meter: SimulatedMeter, counter: _CounterState, now: float) -> MeterTruth:
        unwrapped = self._unwrapped_raw(meter, counter)
        wraps, raw = divmod(unwrapped, self._modulus(meter))
        minute = math.floor(now / 60)
        return MeterTruth(
            meter_id=meter.meter_id,
            timestamp=now,
            value=raw * meter.counter.scale,
            raw=raw,
            consumed=counter.consumed,
            rate=self._rate(meter, minute, self._phase(minute)),
            resets=counter.resets,
            rollovers=counter.rollovers_before_reset + wraps,
        )


def _encode_rate(entry: RegisterEntry, rate: float) -> list[int]:
    raw = rate / entry.scale
    if entry.data_type in (RegisterType.FLOAT32, RegisterType.FLOAT64):
        return encode_registers(raw, entry.data_type, entry.word_order)
    return encode_registers(round(raw), entry.data_type, entry.word_order)


# --------------------------------------------------------------------------- the server

SimAction = Callable[
    [int, int, int, int, list[int], list[int] | list[bool] | None],
    Coroutine[Any, Any, ExcCodes | None],
]


class SimulatorServer:
    """The pymodbus async TCP server in front of a simulation: one Modbus device per unit
    id, holding registers only where the register map puts them (elsewhere: illegal
    address), read-only, refreshed from the simulation on every request."""

    def __init__(self, simulation: FactorySimulation, host: str = "127.0.0.1", port: int = 5020):
        self.simulation = simulation
        self.host = host
        self.port = port
        self._server: ModbusTcpServer | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (the one chosen when ``port`` is 0)."""
        server = ModbusTcpServer(self._devices(), address=(self.host, self.port))
        await server.serve_forever(background=True)
        self._server = server
        sockets = getattr(server.transport, "sockets", None) or ()
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def wait_closed(self) -> None:
        if self._server is not None:
            await self._server.serving

    async def stop(self) -> None:
        """Stop listening and drop every client connection."""
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus: untyped
            self._server = None

    def _devices(self) -> list[SimDevice]:
        devices = []
        for unit_id in self.simulation.unit_ids:
            entries = [e for e in self.simulation.config.register_map if e.unit_id == unit_id]
            blocks = [
                SimData(
                    address=entry.address,
                    count=entry.register_count,
                    values=0,
                    datatype=DataType.REGISTERS,
                    readonly=True,
                )
                for entry in entries
            ]
            devices.append(SimDevice(id=unit_id, simdata=blocks, action=self._action(unit_id)))
        return devices

    def _action(self, unit_id: int) -> SimAction:
        simulation = self.simulation

        async def refresh(
            function_code: int,
            start_address: int,
            address: int,
            count: int,
            registers: list[int],
            set_values: list[int] | list[bool] | None,
        ) -> ExcCodes | None:
            if simulation.is_offline(unit_id):
                return ExcCodes.GATEWAY_NO_RESPONSE
            for first, words in simulation.registers(unit_id).items():
                offset = first - start_address
                registers[offset : offset + len(words)] = words
            return None

        return refresh


async def run_simulator(
    config: SimulatorConfig,
    host: str = "127.0.0.1",
    port: int = 5020,
    *,
    clock: Clock = time.time,
    on_ready: Callable[[FactorySimulation, int], None] | None = None,
) -> None:
    """Serve the simulated factory until cancelled. ``on_ready`` is called with the
    simulation and the bound port once the server listens."""
    simulation = FactorySimulation(config, clock)
    server = SimulatorServer(simulation, host, port)
    bound = await server.start()
    logger.info("simulating %d meters on %s:%d", len(config.meters), host, bound)
    if on_ready is not None:
        on_ready(simulation, bound)
    try:
        await server.wait_closed()
    finally:
        await server.stop()


class RunningSimulator:
    """The simulator on a background thread, for synchronous code. ``start()`` returns once
    the server listens; ``stop()`` closes it and every connection; a later ``start()``
    serves the same simulation on the same port again (a gateway back after an outage)."""

    def __init__(
        self,
        config: SimulatorConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.simulation = FactorySimulation(config, clock)
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def config(self) -> SimulatorConfig:
        return self.simulation.config

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def truth(self, at: float | None = None) -> dict[str, MeterTruth]:
        return self.simulation.truth(at)

    def start(self, timeout: float = 5.0) -> Self:
        if self.running:
            return self
        ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(ready)), name="modbus-simulator", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"simulator did not start within {timeout} s")
        if self._error is not None:
            self._thread.join(timeout)
            raise RuntimeError(
                f"simulator could not listen on {self.host}:{self.port}"
            ) from self._error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and self.running:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = self._loop = self._stop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _serve(self, ready: threading.Event) -> None:
        server = SimulatorServer(self.simulation, self.host, self.port)
        try:
            self.port = await server.start()
        except Exception as error:  # reported to the starting thread
            self._error = error
            ready.set()
            return
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.stop()


def start_simulator(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0, *, clock: Clock = time.time
) -> RunningSimulator:
    """Start the simulator on a background thread (``port=0``: any free port, see
    ``.port``); stop it with ``.stop()``."""
    return RunningSimulator(config, host, port, clock=clock).start()


# --------------------------------------------------------------------------- command line


def _parse_start(text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f'"{text}" needs an offset, e.g. 2026-03-02T05:30+01:00')
    return moment.timestamp()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pcf.edge.simulator``: serve the small factory over Modbus TCP."""
    parser = argparse.ArgumentParser(
        prog="pcf-simulator",
        description="Modbus TCP server playing the meters of a small factory (site S1).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=5020, help="TCP port (0: any free port)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per wall-clock second"
    )
    parser.add_argument(
        "--start", type=_parse_start, default=None, help="simulated start, ISO 8601 with offset"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of noise and random resets")
    parser.add_argument(
        "--resets-per-day", type=float, default=0.05, help="mean random resets per counter and day"
    )
    parser.add_argument(
        "--rollover-in-kwh",
        type=float,
        default=None,
        help="start M1-E this many kWh below its wrap point, so it rolls over",
    )
    parser.add_argument(
        "--print-register-map",
        action="store_true",
        help="print the register map as JSON (for the edge component) and exit",
    )
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be > 0")
    try:
        config = small_factory_config(
            seed=args.seed,
            resets_per_day=args.resets_per_day,
            rollover_headroom_kwh=args.rollover_in_kwh,
        )
    except ValueError as error:
        parser.error(str(error))
    if args.print_register_map:
        entries = [entry.model_dump(mode="json") for entry in config.register_map]
        print(json.dumps(entries, indent=2))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    clock = ScaledClock(args.start, speed=args.speed)

    def announce(simulation: FactorySimulation, port: int) -> None:
        started = datetime.fromtimestamp(simulation.origin, tz=ZoneInfo(config.time_zone))
        print(
            f"Simulating {len(config.meters)} meters of site {config.site_id} on "
            f"{args.host}:{port}, from {started.isoformat(timespec='seconds')} at "
            f"{args.speed:g}x. Ctrl-C stops.",
            flush=True,
        )

    try:
        asyncio.run(run_simulator(config, args.host, args.port, clock=clock, on_ready=announce))
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as error:
        print(f"cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
