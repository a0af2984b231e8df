"""Reading meters over real Modbus TCP: the simulator on loopback (a port the OS picks),
read by ModbusTcpSource, compared with the simulator's ground truth. Simulated time is a
ManualClock shared by both, so a reading and the ground truth describe the same instant."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pcf.edge.readings import MeterReading, ReadingKind
from pcf.edge.simulator import (
    FactorySimulation,
    ManualClock,
    RunningSimulator,
    ScaledClock,
    SimulatorConfig,
    main,
    small_factory_config,
)
from pcf.edge.sources.modbus import ModbusTcpSource
from pcf.edge.sources.registers import RegisterEntry, RegisterType

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 2 March 2026, an hour before the 06:00 shift starts
MONDAY_0500 = datetime(2026, 3, 2, 5, 0, tzinfo=BERLIN).timestamp()
SATURDAY_0800 = datetime(2026, 3, 7, 8, 0, tzinfo=BERLIN).timestamp()
HOUR = 3600.0
COUNTERS = ("M1-E", "M2-E", "M2-G", "M1-P", "M2-P")


def simulate(config: SimulatorConfig, clock: ManualClock) -> RunningSimulator:
    return RunningSimulator(config, "127.0.0.1", 0, clock=clock).start()


def source_for(simulator: RunningSimulator, clock: ManualClock) -> ModbusTcpSource:
    return ModbusTcpSource(
        "127.0.0.1", simulator.port, simulator.config.register_map, timeout=1.0, clock=clock
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_0500)


@pytest.fixture
def factory(clock: ManualClock) -> Iterator[RunningSimulator]:
    """The small factory without random resets, served from Monday 05:00."""
    simulator = simulate(small_factory_config(resets_per_day=0.0), clock)
    yield simulator
    simulator.stop()


@pytest.fixture
def source(factory: RunningSimulator, clock: ManualClock) -> Iterator[ModbusTcpSource]:
    meters = source_for(factory, clock)
    yield meters
    meters.close()


def values(readings: Sequence[MeterReading]) -> dict[str, float]:
    return {reading.meter_id: reading.value for reading in readings}


def increase(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {meter: after[meter] - before[meter] for meter in COUNTERS}


def test_readings_equal_the_ground_truth(
    factory: RunningSimulator, source: ModbusTcpSource, clock: ManualClock
) -> None:
    # Given the factory in the middle of a shift
    clock.set(MONDAY_0500 + 5 * HOUR + 17 * 60 + 23)

    # When
    readings = source.read()

    # Then every meter answered, counters exactly as the simulator holds them
    truth = factory.truth()
    assert [r.meter_id for r in readings] == [e.meter_id for e in factory.config.register_map]
    for reading in readings:
        assert reading.timestamp == clock()
        if reading.kind is ReadingKind.COUNTER:
            assert reading.value == truth[reading.meter_id].value
        else:  # active power travels as float32
            meter_id = reading.meter_id.removesuffix("/power")
            assert reading.value == pytest.approx(truth[meter_id].rate, rel=1e-6)
    assert truth["M1-P"].value > 0


def test_counters_follow_the_shift(source: ModbusTcpSource, clock: ManualClock) -> None:
    # Given readings at 05:00, 06:00 and 07:00 on a Monday
    at_five = values(source.read())
    clock.advance(HOUR)
    at_six = values(source.read())
    clock.advance(HOUR)
    at_seven = values(source.read())

    # When
    night, first_shift_hour = increase(at_five, at_six), increase(at_six, at_seven)

    # Then: before the shift the idle base load only, nothing produced
    assert night["M1-E"] == pytest.approx(4.0, rel=0.05)
    assert night["M2-G"] == pytest.approx(2.0, rel=0.05)
    assert night["M1-P"] == night["M2-P"] == 0
    # the first shift hour: 15 start-up minutes at 55 kW, then 35 kW
    assert first_shift_hour["M1-E"] == pytest.approx(15 / 60 * 55 + 45 / 60 * 35, rel=0.05)
    # the furnace heats up for 30 minutes at 45 m3/h, then burns 25 m3/h
    assert first_shift_hour["M2-G"] == pytest.approx(0.5 * 45 + 0.5 * 25, rel=0.05)
    # M1 runs up at half speed for 15 minutes; M2 produces nothing in its first 10
    assert first_shift_hour["M1-P"] == pytest.approx(15 / 60 * 60 + 45 / 60 * 120, abs=6)
    assert first_shift_hour["M2-P"] == pytest.approx(50 / 60 * 40, abs=4)


def test_a_weekend_produces_nothing() -> None:
    # Given the factory on a Saturday morning
    clock = ManualClock(SATURDAY_0800)
    simulator = simulate(small_factory_config(resets_per_day=0.0), clock)
    try:
        with source_for(simulator, clock) as source:
            before = values(source.read())

            # When six hours pass
            clock.advance(6 * HOUR)
            weekend = increase(before, values(source.read()))
    finally:
        simulator.stop()

    # Then production stands still and the meters run on the base load
    assert weekend["M1-P"] == weekend["M2-P"] == 0
    assert weekend["M1-E"] == pytest.approx(6 * 4.0, rel=0.05)
    assert weekend["M2-E"] == pytest.approx(6 * 6.0, rel=0.05)
    assert weekend["M2-G"] == pytest.approx(6 * 2.0, rel=0.05)


def test_a_reset_shows_as_a_drop_to_near_zero(
    factory: RunningSimulator, source: ModbusTcpSource, clock: ManualClock
) -> None:
    # Given the gas meter well into the shift
    clock.set(MONDAY_0500 + 4 * HOUR)
    before = values(source.read())
    consumed_before = factory.truth()["M2-G"].consumed

    # When it is reset and a minute passes
    factory.simulation.reset_meter("M2-G")
    clock.advance(60)
    after = values(source.read())

    # Then the register dropped to what one minute adds, the ground truth kept counting
    truth = factory.truth()["M2-G"]
    assert before["M2-G"] > 87_000
    assert 0 < after["M2-G"] < 1.0
    assert after["M2-G"] == truth.value
    assert truth.resets == 1
    assert truth.consumed - consumed_before == pytest.approx(after["M2-G"], abs=0.01)
    assert after["M1-E"] > before["M1-E"]  # the other meters are untouched


def test_random_resets_come_at_the_configured_rate_and_are_reproducible() -> None:
    # Given two simulations of the same seed, one looked at every minute, one once
    config = small_factory_config(resets_per_day=24.0, seed=7)
    watched_clock, glanced_clock = ManualClock(MONDAY_0500), ManualClock(MONDAY_0500)
    watched = FactorySimulation(config, watched_clock)
    glanced = FactorySimulation(config, glanced_clock)

    # When a day passes
    for _ in range(1440):
        watched_clock.advance(60)
        watched.truth()
    glanced_clock.advance(24 * HOUR)

    # Then both tell the same truth, with about one reset per meter and hour
    assert watched.truth() == glanced.truth()
    resets = [truth.resets for truth in glanced.truth().values()]
    assert all(8 <= count <= 48 for count in resets), resets
    # and the past is recomputed, not forgotten
    assert glanced.truth(at=MONDAY_0500 + HOUR) == FactorySimulation(
        config, ManualClock(MONDAY_0500)
    ).truth(at=MONDAY_0500 + HOUR)


def test_a_counter_near_its_maximum_rolls_over(clock: ManualClock) -> None:
    # Given M1's kWh counter 10 kWh below its wrap point, in the shift
    clock.set(MONDAY_0500 + 2 * HOUR)
    config = small_factory_config(resets_per_day=0.0, rollover_headroom_kwh=10.0)
    simulator = simulate(config, clock)
    span = config.meter("M1-E").counter.rollover_span
    assert span is not None
    try:
        with source_for(simulator, clock) as source:
            before = values(source.read())

            # When an hour at 35 kW passes
            clock.advance(HOUR)
            after = values(source.read())
            truth = simulator.truth()["M1-E"]
    finally:
        simulator.stop()

    # Then the register wrapped to a small value; what was used is the span minus the jump
    assert before["M1-E"] == pytest.approx(span - 10.0)
    assert after["M1-E"] < 30.0
    assert truth.rollovers == 1 and truth.resets == 0
    assert span - before["M1-E"] + after["M1-E"] == pytest.approx(truth.consumed, abs=0.02)


def test_a_stopped_server_leaves_meters_absent_then_recovers(
    factory: RunningSimulator,
    source: ModbusTcpSource,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a source that has read the meters
    assert len(source.read()) == len(factory.config.register_map)

    # When the server goes away
    factory.stop()
    clock.advance(HOUR)
    with caplog.at_level(logging.WARNING, logger="pcf.edge.sources.modbus"):
        started = time.monotonic()
        during_outage = source.read()
        outage_poll_seconds = time.monotonic() - started

    # Then the poll comes back quickly with no readings at all (a gap, not zeros), logged
    assert during_outage == []
    assert outage_poll_seconds < 2.0
    assert "unreachable" in caplog.text

    # When it is back on the same port, the same source reads again
    factory.start()
    clock.advance(60)
    recovered = source.read()

    # Then
    truth = factory.truth()
    assert values(recovered).keys() == {e.meter_id for e in factory.config.register_map}
    for meter in COUNTERS:
        assert values(recovered)[meter] == truth[meter].value


def test_a_server_restarted_between_polls_loses_no_poll(
    factory: RunningSimulator, source: ModbusTcpSource, clock: ManualClock
) -> None:
    # Given a source whose connection the server dropped while restarting between two polls
    source.read()
    factory.stop()
    factory.start()
    clock.advance(60)

    # When
    readings = source.read()

    # Then the stale connection is replaced within the same poll
    assert len(readings) == len(factory.config.register_map)


def test_a_device_that_fails_is_absent_the_others_are_read(
    factory: RunningSimulator, source: ModbusTcpSource, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the PLC (device 10) stops answering behind the gateway
    factory.simulation.set_offline(10)

    # When
    with caplog.at_level(logging.WARNING, logger="pcf.edge.sources.modbus"):
        readings = values(source.read())

    # Then its piece counters are absent, every other meter is there
    assert "M1-P" not in readings and "M2-P" not in readings
    assert {"M1-E", "M1-E/power", "M2-E", "M2-E/power", "M2-G"} <= readings.keys()
    assert "exception code 11" in caplog.text

    # When it answers again
    factory.simulation.set_offline(10, offline=False)

    # Then
    assert {"M1-P", "M2-P"} <= values(source.read()).keys()


def test_an_address_the_device_lacks_does_not_hide_its_neighbours(
    factory: RunningSimulator, clock: ManualClock
) -> None:
    # Given a register map with a third PLC counter the PLC does not have, next to the two
    # it has, so all three would share one request
    wrong = RegisterEntry(meter_id="M3-P", unit_id=10, address=4, data_type=RegisterType.UINT32)
    register_map = [*factory.config.register_map, wrong]

    # When
    with ModbusTcpSource("127.0.0.1", factory.port, register_map, 1.0, clock) as source:
        readings = values(source.read())

    # Then the request is retried meter by meter: only the wrong one is absent
    assert "M3-P" not in readings
    assert {"M1-P", "M2-P"} <= readings.keys()


def test_nobody_listening_means_no_readings(clock: ManualClock) -> None:
    # Given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    register_map = small_factory_config().register_map

    # When / Then
    with ModbusTcpSource("127.0.0.1", port, register_map, timeout=0.5, clock=clock) as source:
        assert source.read() == []


def test_a_scaled_clock_plays_an_hour_per_second() -> None:
    # Given simulated time running 3600 times faster than a (stand-in) wall clock
    wall = [100.0]
    clock = ScaledClock(MONDAY_0500, speed=3600, wall=lambda: wall[0])
    simulation = FactorySimulation(small_factory_config(resets_per_day=0.0), clock)

    # When one wall-clock second passes
    wall[0] += 1.0

    # Then an hour of idle base load was used
    assert clock() == MONDAY_0500 + HOUR
    assert simulation.truth()["M1-E"].consumed == pytest.approx(4.0, rel=0.05)


def test_the_real_time_simulator_advances_while_read() -> None:
    # Given the simulator at 600x from Monday 08:00 (in the shift), the clock shared with the source
    clock = ScaledClock(MONDAY_0500 + 3 * HOUR, speed=600)
    config = small_factory_config(resets_per_day=0.0)
    simulator = RunningSimulator(config, "127.0.0.1", 0, clock=clock).start()
    try:
        with ModbusTcpSource("127.0.0.1", simulator.port, config.register_map, 1.0, clock) as src:
            first = src.read()
            time.sleep(0.3)  # at least three simulated minutes
            second = src.read()
    finally:
        simulator.stop()

    # Then M2 used energy at its running load (80 kW +- 5 %) over the simulated time between
    hours = (second[0].timestamp - first[0].timestamp) / HOUR
    assert hours >= 3 / 60
    used = values(second)["M2-E"] - values(first)["M2-E"]
    assert used == pytest.approx(80 * hours, rel=0.2)
    assert values(second)["M1-P"] >= values(first)["M1-P"]


def test_command_line_prints_the_register_map(capsys: pytest.CaptureFixture[str]) -> None:
    # When
    assert main(["--print-register-map"]) == 0

    # Then the component can be configured from it
    entries = [RegisterEntry.model_validate(e) for e in json.loads(capsys.readouterr().out)]
    assert entries == small_factory_config().register_map
