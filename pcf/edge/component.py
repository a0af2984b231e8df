"""The meter-reader component: configuration, wiring and the polling loop.

The Greengrass V2 component (``greengrass_components/com.pcf.MeterReader/main.py``) and the
local live demo both run this: meters are polled through a ``MeterSource``, readings become
windows in a ``WindowAggregator``, and windows go to a ``WindowSink`` (Stream Manager in
the cloud; the ingest handler directly in the local demo). Rate registers (kind ``rate``,
e.g. active power) are read but not aggregated: they are informative only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pcf.adapters.stream_manager import StreamSettings
from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import dimension_of
from pcf.edge.processing import MeterSettings as ProcessingSettings
from pcf.edge.processing import WindowAggregator
from pcf.edge.readings import MeterReading, MeterSource, ReadingKind
from pcf.edge.sources.registers import RegisterEntry, RegisterType, WordOrder
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import QUANTITY_DIMENSIONS

logger = logging.getLogger("pcf.edge.component")


# --- configuration (the recipe's DefaultConfiguration, merged by the deployment) ----------
# Greengrass passes configuration as JSON and may turn numbers into floats or keep them as
# strings; the models accept both.


class RegisterMapConfig(BaseModel):
    """Where a meter's value is read over Modbus TCP and how its registers decode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    unit_id: int = Field(ge=0, le=255)
    address: int = Field(ge=0, le=65535)
    data_type: RegisterType
    scale: float = Field(default=1.0, gt=0)  # value in the meter's unit = raw value x scale
    word_order: WordOrder = WordOrder.BIG
    kind: ReadingKind = ReadingKind.COUNTER


class MeterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meter_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    machine_id: str | None
    quantity: MeterQuantity
    item_id: str | None
    unit: str
    register_map: RegisterMapConfig
    # the counter value, in the meter's unit, at which it rolls over to 0; None: from the
    # register type (2**bits x scale for unsigned types)
    counter_max: float | None = Field(gt=0)
    # the most the meter can count per second, in its unit; faster deltas are dropped
    max_rate_per_second: float = Field(gt=0)

    @model_validator(mode="after")
    def _unit_fits_quantity(self) -> Self:
        allowed = QUANTITY_DIMENSIONS[self.quantity]
        if dimension_of(self.unit) not in allowed:
            raise ValueError(
                f'meter {self.meter_id}: unit "{self.unit}" does not measure {self.quantity}'
            )
        if self.quantity is MeterQuantity.PRODUCTION_COUNT and not self.item_id:
            raise ValueError(f"meter {self.meter_id}: a production counter names its item_id")
        return self


class MeterReaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    poll_interval_seconds: float = Field(default=1.0, gt=0)
    window_seconds: int = Field(default=60, gt=0)
    grace_seconds: float = Field(default=15.0, ge=0)
    stream: StreamSettings
    meters: list[MeterConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_meters(self) -> Self:
        seen: set[str] = set()
        for meter in self.meters:
            if meter.meter_id in seen:
                raise ValueError(f"meter {meter.meter_id} is configured twice")
            seen.add(meter.meter_id)
        return self


def load_configuration(source: str) -> MeterReaderConfig:
    """``ipc``: this component's configuration from the Greengrass nucleus; otherwise a
    JSON or YAML file with the same structure as the recipe's DefaultConfiguration."""
    raw: Any
    if source == "ipc":
        from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2

        ipc = GreengrassCoreIPCClientV2()
        try:
            raw = ipc.get_configuration().value
        finally:
            ipc.close()
    elif source.endswith((".yaml", ".yml")):
        import yaml

        raw = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    else:
        raw = json.loads(Path(source).read_text(encoding="utf-8"))
    return MeterReaderConfig.model_validate(raw)


# --- wiring ---------------------------------------------------------------------------


class WindowSink(Protocol):
    """Where due windows go: Stream Manager on a Greengrass core, the ingest handler in
    the local demo."""

    def send(self, windows: Sequence[TelemetryWindow]) -> None: ...

    def close(self) -> None: ...


class WindowProcessor(Protocol):
    """Edge processing as the loop uses it (``pcf.edge.processing.WindowAggregator``)."""

    def add(self, readings: Sequence[MeterReading]) -> None: ...

    def close_due(self, now: float, grace_seconds: float = ...) -> list[TelemetryWindow]: ...


class CombinedSource:
    """Several meter sources polled as one (one Modbus TCP server per host and port)."""

    def __init__(self, sources: Sequence[MeterSource]) -> None:
        self.sources = tuple(sources)

    def read(self) -> Sequence[MeterReading]:
        return [reading for source in self.sources for reading in source.read()]

    def close(self) -> None:
        for source in self.sources:
            source.close()


def register_entry(meter: MeterConfig) -> RegisterEntry:
    register = meter.register_map
    return RegisterEntry(
        meter_id=meter.meter_id,
        unit_id=register.unit_id,
        address=register.address,
        data_type=register.data_type,
        scale=register.scale,
        word_order=register.word_order,
        kind=register.kind,
    )


def build_source(config: MeterReaderConfig, clock: Callable[[], float] = time.time) -> MeterSource:
    from pcf.edge.sources.modbus import ModbusTcpSource  # needs pymodbus: imported late

    servers: dict[tuple[str, int], list[RegisterEntry]] = {}
    for meter in config.meters:
        server = (meter.register_map.host, meter.register_map.port)
        servers.setdefault(server, []).append(register_entry(meter))
    return CombinedSource(
        [
            ModbusTcpSource(host, port, register_map=entries, clock=clock)
            for (host, port), entries in servers.items()
        ]
    )


def build_processor(config: MeterReaderConfig) -> WindowProcessor:
    settings = [
        ProcessingSettings(
            meter_id=meter.meter_id,
            site_id=meter.site_id,
            machine_id=meter.machine_id,
            quantity=meter.quantity,
            unit=meter.unit,
            item_id=meter.item_id,
            counter_max=meter.counter_max or register_entry(meter).rollover_span,
            max_rate_per_second=meter.max_rate_per_second,
        )
        for meter in config.meters
        if meter.register_map.kind is ReadingKind.COUNTER
    ]
    return WindowAggregator(settings, window_seconds=config.window_seconds)


# --- the loop ------------------------------------------------------------------------


def run(
    source: MeterSource,
    processor: WindowProcessor,
    sink: WindowSink,
    config: MeterReaderConfig,
    stop: threading.Event,
    clock: Callable[[], float] = time.time,
    speed: float = 1.0,
) -> None:
    """Poll on a fixed cadence of ``clock`` until ``stop`` is set; send windows as they
    become due. ``speed`` is clock seconds per wall second (a simulator's sped-up clock)."""
    poll_interval_seconds = config.poll_interval_seconds
    next_poll = clock()
    while not stop.is_set():
        processor.add(source.read())
        sink.send(processor.close_due(clock(), grace_seconds=config.grace_seconds))
        next_poll += poll_interval_seconds
        # a slow poll does not pile up: skip the ticks already missed
        now = clock()
        if next_poll < now:
            next_poll = now
        stop.wait((next_poll - now) / speed)
