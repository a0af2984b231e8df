"""The fault suite's chain after the component, and its Modbus factory.

- ``SimulatedFactory``: the simulator's small factory over real Modbus TCP, with register
  scales that are powers of two (1/128 kWh, 1/128 m3, one piece), so every value read is
  exact in binary and in decimal, and a ground truth taken from the simulator: what the
  registers counted, poll to poll, knowing when a meter was reset or rolled over.
- ``put_into_kinesis``: what the Stream Manager stand-in exported, put into a (moto)
  Kinesis stream, a share of it twice and in any order if asked.
- ``ingest``: the stream read shard by shard as Lambda events into ``handle_kinesis_batch``
  (the ingest suite's own delivery loop, with Lambda's retries), optionally with a store
  that fails part way through chosen writes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from pcf.adapters.archive import FolderArchive
from pcf.adapters.dead_letter import FolderDeadLetters
from pcf.core.telemetry import TelemetryStore
from pcf.edge.component import MeterReaderConfig, build_source
from pcf.edge.readings import MeterReading, MeterSource
from pcf.edge.simulator import (
    ManualClock,
    MeterTruth,
    RunningSimulator,
    SimulatorConfig,
    small_factory_config,
)
from pcf.usecases.ingest import IngestDependencies
from pcf.usecases.live_demo import component_configuration
from tests.integration.ingest.kinesis_events import Event, KinesisStream
from tests.integration.ingest.lambda_runs import PartWayFailingStore
from tests.integration.ingest.lambda_runs import deliver_stream as deliver_as_lambda

PERIOD_START = datetime(2026, 3, 2, tzinfo=UTC)
PERIOD_END = datetime(2026, 3, 3, tzinfo=UTC)
BINARY_SCALE = 1 / 128  # instead of 0.01: a register step exact in binary


def stored_totals(store: TelemetryStore) -> dict[str, Decimal]:
    """Per meter, the store's exact total for the day: the read the calculator uses."""
    return {
        total.meter_id: total.total
        for total in store.meter_period_totals("S1", PERIOD_START, PERIOD_END)
    }


# --- the simulated factory over Modbus TCP ----------------------------------------------


def exact_factory_config(*, rollover_headroom_kwh: float) -> SimulatorConfig:
    """The small factory (no random resets), its energy and gas registers counting in
    1/128 of their unit, M1's electricity counter ``rollover_headroom_kwh`` below its
    wrap point."""
    base = small_factory_config(resets_per_day=0.0)
    meters = []
    for meter in base.meters:
        counter = meter.counter
        if counter.scale != 1:
            counter = counter.model_copy(update={"scale": BINARY_SCALE})
        initial = meter.initial_value
        if meter.meter_id == "M1-E":
            span = counter.rollover_span
            assert span is not None
            initial = span - rollover_headroom_kwh
        meters.append(meter.model_copy(update={"counter": counter, "initial_value": initial}))
    return SimulatorConfig.model_validate({**base.model_dump(), "meters": meters})


class _RecordingSource:
    """A process's Modbus source that also notes, for every counter read, what the
    simulator knew at that instant (resets and rollovers included)."""

    def __init__(self, factory: SimulatedFactory, source: MeterSource) -> None:
        self.factory, self.source = factory, source

    def read(self) -> Sequence[MeterReading]:
        readings = self.source.read()
        truth = self.factory.simulator.truth()
        for reading in readings:
            self.factory.history.setdefault(reading.meter_id, []).append(truth[reading.meter_id])
            assert reading.value == truth[reading.meter_id].value
        return readings

    def close(self) -> None:
        self.source.close()


class SimulatedFactory:
    """The simulator on loopback, read by the component's own Modbus source."""

    def __init__(self, clock: ManualClock, *, rollover_headroom_kwh: float) -> None:
        self.config = exact_factory_config(rollover_headroom_kwh=rollover_headroom_kwh)
        self.simulator = RunningSimulator(self.config, "127.0.0.1", 0, clock=clock).start()
        self.history: dict[str, list[MeterTruth]] = {}

    def component_config(self, state_file: Path, **changes: Any) -> MeterReaderConfig:
        """The live demo's configuration for these meters, with resets and rollovers
        recognised (16 units: far more than a meter counts between two readings)."""
        config = component_configuration(
            self.config, "127.0.0.1", self.simulator.port, poll_interval_seconds=5.0
        )
        meters = [meter.model_copy(update={"reset_threshold": 16.0}) for meter in config.meters]
        return MeterReaderConfig.model_validate(
            {**config.model_dump(), "meters": meters, "state_file": state_file, **changes}
        )

    def open_meters(self, config: MeterReaderConfig, clock: ManualClock) -> MeterSource:
        return _RecordingSource(self, build_source(config, clock))

    def reset(self, meter_id: str) -> None:
        """Reset the meter now, right after the poll that read it."""
        self.simulator.simulation.reset_meter(meter_id)

    def ground_truth(self) -> dict[str, Decimal]:
        """What each register counted from its first reading to its last, exactly: the
        differences of the values read, plus a whole span per rollover; after a reset
        (made right after a reading) the register counted from zero."""
        counted: dict[str, Decimal] = {}
        for meter_id, history in self.history.items():
            span = self.config.meter(meter_id).counter.rollover_span
            assert span is not None
            total = Decimal(0)
            for before, after in pairwise(history):
                if after.resets > before.resets:
                    total += Decimal(after.value)
                else:
                    wraps = after.rollovers - before.rollovers
                    total += Decimal(after.value) - Decimal(before.value) + wraps * Decimal(span)
            counted[meter_id] = total
        return counted

    def stop(self) -> None:
        self.simulator.stop()


# --- Stream Manager's export, Kinesis and Lambda ------------------------------------------


def put_into_kinesis(
    stream: KinesisStream,
    records: Sequence[bytes],
    rng: random.Random,
    *,
    duplicate_share: float = 0.0,
    shuffle: bool = False,
) -> int:
    """Put the exported records into the stream (partition key: the meter), a share of
    them twice (an exporter retrying a PutRecords whose answer it lost), shuffled if
    asked; returns how many records went in."""
    deliveries = list(records)
    deliveries += rng.sample(deliveries, k=round(len(deliveries) * duplicate_share))
    if shuffle:
        rng.shuffle(deliveries)
    stream.put([(data, json.loads(data)["meter_id"]) for data in deliveries])
    return len(deliveries)


def ingest(
    stream: KinesisStream,
    store: TelemetryStore,
    folder: Path,
    *,
    failing_store_calls: frozenset[int] = frozenset(),
) -> list[tuple[Event, dict[str, Any]]]:
    """Every record of the stream through the ingest handler as Lambda delivers them,
    retried from the lowest failed sequence number; the store fails half-way through the
    chosen writes. Returns every invocation's event and response."""
    if failing_store_calls:
        store = PartWayFailingStore(store, set(failing_store_calls))
    dependencies = IngestDependencies(
        store, FolderArchive(folder / "lake"), FolderDeadLetters(folder / "dead-letters")
    )
    return deliver_as_lambda(stream, dependencies)
