"""Issue acceptance point 9: one factory, one ground truth, every fault on the way from the
meters to the store, and the store's totals equal what the meters counted, exactly.

The chain: meters (scripted, or the simulator over real Modbus TCP) -> the component
(``run_meter_reader``: processing, state file, Stream Manager sink) -> a Stream Manager
stand-in -> its exporter's records put into Kinesis (moto) -> read back shard by shard as
Lambda events -> ``handle_kinesis_batch``, retried from the lowest failed sequence number
as Lambda does -> the PostgreSQL store -> ``meter_period_totals``, the read the
calculator uses. Production code throughout, except the meters, Stream Manager, Kinesis
and Lambda's event source mapping, which are played by stand-ins.

Exactness: every counter value is a multiple of 1/8 (scripted) or 1/128 (simulated
registers scaled by 1/128), so each reading, delta and window value is exact in binary
floating point; the store keeps each value as the exact decimal of that float and sums
them as ``numeric``; the ground truth is a sum of the same exact values as ``Decimal``.
Equality is therefore exact, not within a tolerance.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.edge.component import MeterReaderConfig
from pcf.formats.telemetry_record import TelemetryWindowRecord
from tests.integration.edge.fault_chain import (
    SimulatedFactory,
    ingest,
    put_into_kinesis,
    stored_totals,
)
from tests.integration.ingest.kinesis_events import KinesisStream
from tests.unit.edge.scripted_shift import (
    GRACE_SECONDS,
    SMALL_STREAM,
    Faults,
    LateReadings,
    ScriptedRegisters,
    Shift,
    component_config,
    exported_records,
    ground_truth,
    scripted_factory,
)

pytestmark = pytest.mark.integration

POLLS = 180  # fifteen minutes of 5 s polls


@dataclass(frozen=True)
class FaultPlan:
    """The faults of one run: ``edge`` in the component's world (restarts, the exporter
    offline, late readings), the meters' own (a reset of M2-G after poll ``reset_after``,
    a rollover of M1-E or M2-E), and downstream of Stream Manager (records twice, out of
    order, a store failing half-way through chosen writes)."""

    edge: Faults = field(default_factory=Faults)
    reset_after: int | None = None
    rollover: bool = False
    duplicate_share: float = 0.0
    shuffle: bool = False
    failing_store_calls: frozenset[int] = frozenset()


RESTARTS = Faults(
    crash_before_polls=frozenset({41, 130}),  # killed 25 s and 50 s into a window
    crash_after_appends=frozenset({30}),  # killed right after Stream Manager took a window
    stop_after_polls=frozenset({83}),  # stopped by Greengrass 55 s into a window
)
EXPORTER_OFFLINE = Faults(exporter_offline=range(20, 110))
# now and then a reading of these meters arrives 100 s late, after its window was sent
SOMETIMES_LATE = LateReadings(frozenset({"M1-E", "M2-E", "M1-P"}), every=7, by_polls=20)
# a slow gateway: every reading of M1-E arrives 30 s late, past the 10 s grace period, so
# its windows are sent and revised in the very polls that deliver the readings
SLOW_GATEWAY = LateReadings(frozenset({"M1-E"}), every=1, by_polls=6)
LATE = Faults(late=(SOMETIMES_LATE, SLOW_GATEWAY))
ALL_AT_ONCE = FaultPlan(
    edge=replace(RESTARTS, exporter_offline=EXPORTER_OFFLINE.exporter_offline, late=LATE.late),
    reset_after=100,
    rollover=True,
    duplicate_share=0.1,
    shuffle=True,
    failing_store_calls=frozenset({2, 4}),
)
CASES = {
    "duplicated records": FaultPlan(duplicate_share=0.1),
    "shuffled order": FaultPlan(shuffle=True),
    "late readings": FaultPlan(edge=LATE),
    "a meter reset": FaultPlan(reset_after=100),
    "a counter rollover": FaultPlan(rollover=True),
    "exporter unreachable, then back": FaultPlan(edge=EXPORTER_OFFLINE),
    "component restarted mid-window": FaultPlan(edge=RESTARTS),
    # killed right after Stream Manager took revisions carrying a delayed reading: sending
    # before saving would count 0.5 kWh of M1-E twice here
    "slow gateway, killed right after sending": FaultPlan(
        edge=Faults(late=(SLOW_GATEWAY,), crash_after_appends=frozenset({14, 35, 64}))
    ),
    "ingest failing part way through a batch": FaultPlan(failing_store_calls=frozenset({2})),
    "all at once": ALL_AT_ONCE,
}


@dataclass(frozen=True)
class Outcome:
    processes: int  # how many processes the component ran as
    exported: list[bytes]  # what Stream Manager's exporter sent to Kinesis
    responses: list[dict[str, Any]]  # every ingest invocation's partial batch response


def through_the_chain(
    shift: Shift,
    config: MeterReaderConfig,
    plan: FaultPlan,
    stream: KinesisStream,
    store: PostgresTelemetryStore,
    folder: Path,
) -> Outcome:
    """The component through the shift, its exports into Kinesis, Kinesis into the store."""
    processes = shift.run(config)
    exported = exported_records(shift.daemon)
    put_into_kinesis(
        stream,
        exported,
        random.Random(9),
        duplicate_share=plan.duplicate_share,
        shuffle=plan.shuffle,
    )
    invocations = ingest(stream, store, folder, failing_store_calls=plan.failing_store_calls)
    return Outcome(processes, exported, [response for _, response in invocations])


def check_the_faults_happened(
    plan: FaultPlan, shift: Shift, config: MeterReaderConfig, outcome: Outcome, log: str
) -> None:
    """Evidence that each planned fault was really on the way (a fault suite whose faults
    silently did not happen would prove nothing), and that nothing is left behind."""
    edge = plan.edge
    restarts = (
        len(edge.crash_before_polls) + len(edge.crash_after_appends) + len(edge.stop_after_polls)
    )
    assert outcome.processes == 1 + restarts
    windows = [TelemetryWindowRecord.model_validate_json(data) for data in outcome.exported]
    if edge.late:  # sent windows were revised by the late readings
        assert any(window.revision > 0 for window in windows)
    if edge.exporter_offline:  # the stream filled up and windows waited in the component
        assert "stream telemetry is full" in log
    if plan.failing_store_calls:  # the handler reported failures and Lambda redelivered
        assert any(response["batchItemFailures"] for response in outcome.responses)
    # no reading was taken for a glitch (a reset or rollover not recognised would be)
    assert all(window.samples_dropped == 0 for window in windows)
    # nothing waits anywhere: not in the component's saved backlog, not in the stream
    assert json.loads(config.state_file.read_text())["backlog"] == []
    assert shift.daemon.payloads("telemetry") == []


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="pcf"):
        yield caplog


@pytest.mark.parametrize("plan", CASES.values(), ids=CASES.keys())
def test_the_store_holds_exactly_what_the_meters_counted_whatever_the_fault(
    plan: FaultPlan,
    stream: KinesisStream,
    store: PostgresTelemetryStore,
    tmp_path: Path,
    log: pytest.LogCaptureFixture,
) -> None:
    # Given the scripted factory (its ground truth exact) and the case's faults
    meters = scripted_factory(
        POLLS, reset_after_poll=plan.reset_after, rollover_at_poll=60 if plan.rollover else None
    )
    shift = Shift(POLLS, lambda clock: ScriptedRegisters(meters, clock), plan.edge)
    config = component_config(
        [meter.config(2 * i) for i, meter in enumerate(meters)],
        tmp_path / "work" / "meter-reader-state.json",
    )

    # When the windows go from the meters through the whole chain into the store
    outcome = through_the_chain(shift, config, plan, stream, store, tmp_path)

    # Then the faults were on the way, and the store's totals are the ground truth exactly
    check_the_faults_happened(plan, shift, config, outcome, log.text)
    assert stored_totals(store) == ground_truth(meters, POLLS)


def test_all_faults_at_once_over_modbus_leave_the_ground_truth_in_the_store(
    stream: KinesisStream,
    store: PostgresTelemetryStore,
    tmp_path: Path,
    log: pytest.LogCaptureFixture,
) -> None:
    # Given the simulated factory served over Modbus TCP on loopback, in the morning
    # shift, M1's electricity counter 1.5 kWh below its wrap point, M2's gas meter reset
    # after poll 100, and every other fault of the suite
    plan = ALL_AT_ONCE
    shift = Shift(
        POLLS,
        lambda clock: factory.open_meters(config, clock),
        plan.edge,
        after_poll=lambda poll: factory.reset("M2-G") if poll == plan.reset_after else None,
    )
    factory = SimulatedFactory(shift.clock, rollover_headroom_kwh=1.5)
    try:
        config = factory.component_config(
            tmp_path / "work" / "meter-reader-state.json",
            grace_seconds=GRACE_SECONDS,
            stream=SMALL_STREAM,
        )

        # When the windows go from the meters through the whole chain into the store
        outcome = through_the_chain(shift, config, plan, stream, store, tmp_path)
    finally:
        factory.stop()

    # Then the counter rolled over and the meter was reset (the simulator says so),
    assert factory.history["M1-E"][-1].rollovers == 1
    assert factory.history["M2-G"][-1].resets == 1
    # the other faults were on the way, and the store holds what the registers counted
    check_the_faults_happened(plan, shift, config, outcome, log.text)
    truth = factory.ground_truth()
    assert set(truth) == {"M1-E", "M1-P", "M2-E", "M2-G", "M2-P"}
    assert all(total > 0 for total in truth.values())
    assert stored_totals(store) == truth
