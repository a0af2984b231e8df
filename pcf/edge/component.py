"""The meter-reader component: configuration, wiring, the polling loop and the state it
keeps across restarts.

The Greengrass V2 component (``greengrass_components/com.pcf.MeterReader/main.py``) and the
local live demo both run this: meters are polled through a ``MeterSource``, readings become
windows in a ``WindowAggregator``, and windows go to a ``WindowSink`` (Stream Manager in
the cloud; the ingest handler directly in the local demo). Rate registers (kind ``rate``,
e.g. active power) are read but not aggregated: they are informative only.

Restarts (``run_meter_reader``, what ``main.py`` runs). Greengrass restarts the component
whenever Stream Manager restarts (a HARD dependency), on deployments and after a crash.
What the component holds in memory would be lost: the aggregator's open windows and last
counter readings, and the windows Stream Manager has not accepted yet. So the component
keeps them in one state file in its work folder (``StateFile``, setting ``state_file``)
and follows one rule, write-ahead: **a window leaves the component only after the state
that produced it is on disk** (``CheckpointingSink``). Each loop iteration that closes
windows queues them in the sink's backlog, saves the aggregator's state and the backlog
together (temporary file, fsync, rename), and only then appends the backlog to Stream
Manager. Consequences, whatever instant the process dies at:

- dies before the save: nothing of that iteration left the component; the restored state
  is the previous one, consistent with everything sent. Readings since the last save are
  forgotten, which loses no energy: counters are cumulative, so the first reading after
  the restart measures its delta from the restored baseline and covers them (in the
  window of that reading);
- dies after the save, during or after the appends: the restored backlog still lists
  windows Stream Manager may already hold, so they are appended again, byte for byte the
  same records (same meter, window, revision and value); the ingest keeps one (idempotent
  per meter, window and revision) and the store's totals do not change.

The reverse order, send then save, is not safe: a window whose content came from the
iteration's own readings (a reading delayed past ``grace_seconds``, or a late reading
revising a sent window) would be sent, then forgotten by the restored aggregator, which
later sends that window again with the same revision but without the reading, and counts
the reading's energy a second time in the window of the next reading; the store ignores
the second copy (same revision) and keeps both countings. See
``docs/decisions/0004-edge-restart-state.md``.

The state is saved when windows close (about once per ``window_seconds``), when a save
failed earlier, and on a clean stop (SIGTERM); not on every poll, which would write the
whole reading log every second for no gain in correctness. If a save fails (disk full),
windows stay queued in memory and nothing is appended until a save succeeds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pcf.adapters.stream_manager import (
    ClientFactory,
    StreamManagerSink,
    StreamSettings,
    default_client_factory,
)
from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import dimension_of
from pcf.edge.processing import MeterSettings as ProcessingSettings
from pcf.edge.processing import WindowAggregator
from pcf.edge.readings import MeterReading, MeterSource, ReadingKind
from pcf.edge.sources.registers import RegisterEntry, RegisterType, WordOrder
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import QUANTITY_DIMENSIONS

logger = logging.getLogger("pcf.edge.component")

# the default reset threshold: what a meter counts at its maximum rate in this long
DEFAULT_RESET_SECONDS = 600


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
    # a fall of the counter to below this value, in its unit, is a reset (its new value
    # counts) or, from within this much of counter_max, a rollover; it must exceed the
    # most the meter counts between two readings and stay below counter_max / 2. 0: neither
    # is recognised, a fall is dropped as implausible (see pcf.edge.processing). None:
    # ten minutes at max_rate_per_second (a short Modbus outage is covered), kept below
    # half the rollover span
    reset_threshold: float | None = Field(default=None, ge=0)

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
    # the component's saved state (StateFile); a relative path is taken from the working
    # folder, which Greengrass sets to the component's work folder
    state_file: Path = Field(default=Path("meter-reader-state.json"))
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


def build_processor(
    config: MeterReaderConfig, saved: Mapping[str, Any] | None = None
) -> WindowAggregator:
    """The aggregator of the configured counters: fresh, or restored from ``saved`` (a
    ``WindowAggregator.to_state()``; raises ``ValueError``, ``KeyError``, ``TypeError``
    or ``IndexError`` for one that does not restore)."""
    settings = [
        _processing_settings(meter)
        for meter in config.meters
        if meter.register_map.kind is ReadingKind.COUNTER
    ]
    if saved is not None:
        return WindowAggregator.from_state(saved, settings)
    return WindowAggregator(settings, window_seconds=config.window_seconds)


def _processing_settings(meter: MeterConfig) -> ProcessingSettings:
    """A counter meter's processing settings. Its reset threshold is the configured one,
    or ten minutes at its maximum rate kept below half its rollover span (what the
    processing requires)."""
    counter_max = meter.counter_max or register_entry(meter).rollover_span
    reset_threshold = meter.reset_threshold
    if reset_threshold is None:
        reset_threshold = DEFAULT_RESET_SECONDS * meter.max_rate_per_second
        if counter_max is not None:
            reset_threshold = min(reset_threshold, counter_max / 2 * 0.99)
    return ProcessingSettings(
        meter_id=meter.meter_id,
        site_id=meter.site_id,
        machine_id=meter.machine_id,
        quantity=meter.quantity,
        unit=meter.unit,
        item_id=meter.item_id,
        counter_max=counter_max,
        max_rate_per_second=meter.max_rate_per_second,
        reset_threshold=reset_threshold,
    )


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


# --- the state kept across restarts -------------------------------------------------------

STATE_FORMAT = "pcf.edge.meter-reader-state"
STATE_FORMAT_VERSION = 1
_RESTORE_ERRORS = (KeyError, IndexError, TypeError, ValueError)


class _StateDocument(BaseModel):
    """The state file's content (JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["pcf.edge.meter-reader-state"]
    version: Literal[1]
    saved_at: datetime  # wall clock, for people reading the file
    # what the state was kept for: it is restored only into the same configuration
    window_seconds: int
    meters: list[dict[str, Any]]
    aggregator: dict[str, Any]  # WindowAggregator.to_state()
    # windows Stream Manager had not accepted, TelemetryWindowRecord JSON, oldest first
    backlog: list[str]


@dataclass(frozen=True)
class RestoredState:
    """What a start begins with: the aggregator (as saved, or fresh) and the records of
    windows not yet accepted by Stream Manager (oldest first)."""

    processor: WindowAggregator
    backlog: tuple[bytes, ...]
    restored: bool  # False: the aggregator starts fresh


class StateFile:
    """The component's state on disk: the aggregator's state and the sink's backlog, saved
    together, atomically, in one JSON file (``config.state_file``).

    ``restore()`` reads it back. A file that is not a state file (unreadable, not JSON,
    not this format, an aggregator state that does not restore) is *corrupt*; one written
    for other meters or another window length is *mismatched*: either is logged as an
    error and renamed beside itself (``<name>.corrupt-<UTC time>`` or
    ``<name>.mismatched-<UTC time>``, never deleted), and the aggregator starts fresh.
    A mismatched file's backlog is still sent: those records are finished windows whatever
    the configuration is now.
    """

    def __init__(self, config: MeterReaderConfig) -> None:
        self.config = config
        self.path = config.state_file
        self._meters = [meter.model_dump(mode="json") for meter in config.meters]

    def restore(self) -> RestoredState:
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            logger.info("no saved state at %s: starting fresh", self.path)
            return self._fresh()
        except OSError as error:
            self._set_aside("corrupt", f"it cannot be read ({error})")
            return self._fresh()
        try:
            document = _StateDocument.model_validate_json(content)
        except ValidationError as error:
            self._set_aside("corrupt", f"it is not a meter-reader state file ({error})")
            return self._fresh()
        backlog = tuple(record.encode("utf-8") for record in document.backlog)
        difference = self._difference(document)
        if difference:
            self._set_aside("mismatched", f"it was saved for {difference}")
            return self._fresh(backlog)
        try:
            processor = build_processor(self.config, document.aggregator)
        except _RESTORE_ERRORS as error:
            self._set_aside("corrupt", f"its aggregator state does not restore ({error!r})")
            return self._fresh(backlog)
        logger.info(
            "restored the state saved at %s from %s: %d windows to send first",
            document.saved_at.isoformat(),
            self.path,
            len(backlog),
        )
        return RestoredState(processor, backlog, restored=True)

    def save(self, aggregator: Mapping[str, Any], backlog: Sequence[bytes]) -> None:
        """Replace the file with this state, atomically: a temporary file beside it is
        written and fsynced, then renamed over it (and the folder fsynced), so the file
        is always either the previous state or this one. Raises ``OSError``."""
        document = {
            "format": STATE_FORMAT,
            "version": STATE_FORMAT_VERSION,
            "saved_at": datetime.now(UTC).isoformat(),
            "window_seconds": self.config.window_seconds,
            "meters": self._meters,
            "aggregator": aggregator,
            "backlog": [record.decode("utf-8") for record in backlog],
        }
        content = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            with temporary.open("wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)  # half written: the saved file is untouched
            raise
        # the rename itself is durable only once the folder is
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _difference(self, document: _StateDocument) -> str:
        """How the saved configuration differs from this one, for people ('' if not)."""
        if document.window_seconds != self.config.window_seconds:
            return (
                f"{document.window_seconds} s windows, not the configured "
                f"{self.config.window_seconds} s"
            )
        saved = {str(meter.get("meter_id")): meter for meter in document.meters}
        configured = {meter["meter_id"]: meter for meter in self._meters}
        parts = []
        if removed := sorted(saved.keys() - configured.keys()):
            parts.append(f"meters no longer configured ({', '.join(removed)})")
        if added := sorted(configured.keys() - saved.keys()):
            parts.append(f"no meters {', '.join(added)}")
        if changed := sorted(
            m for m in saved.keys() & configured.keys() if saved[m] != configured[m]
        ):
            parts.append(f"other settings of {', '.join(changed)}")
        return "; ".join(parts)

    def _fresh(self, backlog: tuple[bytes, ...] = ()) -> RestoredState:
        return RestoredState(build_processor(self.config), backlog, restored=False)

    def _set_aside(self, reason: str, why: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.{reason}-{stamp}")
        suffix = 1
        while target.exists():
            suffix += 1
            target = self.path.with_name(f"{self.path.name}.{reason}-{stamp}-{suffix}")
        self.path.rename(target)  # raises when it cannot: never overwrite what is not read
        logger.error(
            "state file %s is not used: %s. Kept as %s. The aggregator starts fresh: what "
            "the meters counted between the last window sent and their first reading now "
            "is not counted",
            self.path,
            why,
            target,
        )


class CheckpointingSink:
    """The way out when the component keeps state: windows go to Stream Manager only once
    the state that produced them is saved (write-ahead; the module docstring says why).

    ``send`` queues the windows in the stream sink's backlog; when there were windows (or
    an earlier save failed), saves the aggregator's state with the backlog; then, if
    everything queued is saved, appends the backlog to the stream. ``close`` is the clean
    stop: it saves once more (the readings since the last window closed, the backlog as it
    is now) and closes the stream client.
    """

    def __init__(
        self, stream: StreamManagerSink, processor: WindowAggregator, state_file: StateFile
    ) -> None:
        self.stream = stream
        self.processor = processor
        self.state_file = state_file
        self._unsaved = False  # windows queued whose state is not on disk yet

    def send(self, windows: Sequence[TelemetryWindow]) -> None:
        self.stream.queue(windows)
        if windows or self._unsaved:
            self._unsaved = not self.save()
        if not self._unsaved:
            self.stream.flush()

    def save(self) -> bool:
        """Save the aggregator's state and the backlog; False (logged) if that failed."""
        try:
            self.state_file.save(self.processor.to_state(), self.stream.pending_records())
        except OSError as error:
            logger.error(
                "cannot save the state to %s (%s); %d windows kept in memory and not sent "
                "until it can be saved",
                self.state_file.path,
                error,
                self.stream.backlog,
            )
            return False
        return True

    def close(self) -> None:
        saved = self.save()
        self.stream.close()
        if self.stream.backlog:
            logger.warning(
                "stopped with %d windows not yet in the stream; %s",
                self.stream.backlog,
                f"saved in {self.state_file.path}, sent first at the next start"
                if saved
                else "they could not be saved and are lost",
            )


SourceFactory = Callable[[MeterReaderConfig, Callable[[], float]], MeterSource]


def run_meter_reader(
    config: MeterReaderConfig,
    stop: threading.Event,
    *,
    source_factory: SourceFactory = build_source,
    client_factory: ClientFactory = default_client_factory,
    clock: Callable[[], float] = time.time,
    speed: float = 1.0,
) -> RestoredState:
    """The component's life as Greengrass runs it: restore what the previous run saved
    (``StateFile``), poll until ``stop`` is set (SIGTERM), then save and close (a clean
    stop). Returns what the start restored.

    An exception out of the loop is no clean stop: it propagates and nothing is saved on
    the way out; the next start restores the last state saved, which is consistent with
    everything that left the component (write-ahead, see the module docstring)."""
    state_file = StateFile(config)
    restored = state_file.restore()
    stream = StreamManagerSink(config.stream, client_factory, backlog=restored.backlog)
    sink = CheckpointingSink(stream, restored.processor, state_file)
    source = source_factory(config, clock)
    logger.info(
        "reading %d meters every %ss into %ss windows, stream %s -> Kinesis %s, state in %s",
        len(config.meters),
        config.poll_interval_seconds,
        config.window_seconds,
        config.stream.name,
        config.stream.kinesis_stream_name,
        config.state_file.resolve(),
    )
    try:
        run(source, restored.processor, sink, config, stop, clock=clock, speed=speed)
        sink.close()
    finally:
        source.close()
        stream.close()
    return restored
