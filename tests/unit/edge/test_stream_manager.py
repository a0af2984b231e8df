"""The Stream Manager sink against a stand-in for the Stream Manager client: the stream it
creates, what it appends, and that a full stream or a restarting daemon loses nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from stream_manager import (
    InvalidRequestException,
    Persistence,
    ServerOutOfMemoryException,
    StrategyOnFull,
    UnknownFailureException,
)

from pcf.adapters.stream_manager import StreamManagerSink, StreamSettings
from pcf.core.telemetry import TelemetryWindow
from pcf.edge import component
from pcf.edge.readings import MeterReading
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import TelemetryWindowRecord
from tests.unit.edge.stream_manager_stand_in import StreamManagerStandIn

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
COMPONENT = Path(__file__).resolve().parents[3] / "greengrass_components" / "com.pcf.MeterReader"


def window(minute: int, meter_id: str = "M1-E", revision: int = 0) -> TelemetryWindow:
    return TelemetryWindow(
        site_id="S1",
        machine_id="M1",
        meter_id=meter_id,
        quantity=MeterQuantity.ELECTRICITY,
        item_id=None,
        window_start=START + timedelta(minutes=minute),
        window_end=START + timedelta(minutes=minute + 1),
        value=1.25 + minute,
        unit="kWh",
        revision=revision,
        samples_received=60,
        samples_dropped=0,
    )


def settings(**changes: object) -> StreamSettings:
    values: dict[str, object] = {"name": "telemetry", "kinesis_stream_name": "pcf-telemetry"}
    values.update(changes)
    return StreamSettings.model_validate(values)


def exported_windows(daemon: StreamManagerStandIn) -> list[TelemetryWindow]:
    return [
        TelemetryWindowRecord.model_validate_json(data).to_window()
        for _, data in daemon.kinesis_records
    ]


def record_size() -> int:
    return len(TelemetryWindowRecord.from_window(window(0)).to_json_bytes())


# --- the stream definition -------------------------------------------------------------


def test_ensure_stream_creates_the_configured_definition() -> None:
    # Given a daemon without the stream
    daemon = StreamManagerStandIn()
    sink = StreamManagerSink(
        settings(
            max_size_bytes=64 * 1024 * 1024,
            segment_size_bytes=4 * 1024 * 1024,
            kinesis_batch_size=200,
            kinesis_batch_interval_millis=120_000,
            kinesis_priority=2,
        ),
        client_factory=daemon.connect,
    )

    # When the sink makes sure of its stream
    sink.ensure_stream()

    # Then the stream has exactly the configured definition
    definition = daemon.describe_message_stream("telemetry").definition
    assert definition.name == "telemetry"
    assert definition.max_size == 64 * 1024 * 1024
    assert definition.stream_segment_size == 4 * 1024 * 1024
    assert definition.time_to_live_millis is None
    assert definition.strategy_on_full is StrategyOnFull.RejectNewData
    assert definition.persistence is Persistence.File
    assert definition.flush_on_write is True
    export = definition.export_definition
    assert export.iot_analytics is None and export.iot_sitewise is None and export.http is None
    [kinesis] = export.kinesis
    assert kinesis.identifier == "pcf-telemetry-to-kinesis"
    assert kinesis.kinesis_stream_name == "pcf-telemetry"
    assert kinesis.batch_size == 200
    assert kinesis.batch_interval_millis == 120_000
    assert kinesis.priority == 2
    assert daemon.calls.count("create_message_stream") == 1


def test_ensure_stream_leaves_an_existing_stream() -> None:
    # Given a stream created earlier with other settings, holding a message
    daemon = StreamManagerStandIn()
    earlier = settings(max_size_bytes=2048, segment_size_bytes=1024)
    daemon.create_message_stream(earlier.message_stream_definition())
    daemon.append_message("telemetry", b"earlier")

    # When a sink with the default settings makes sure of it
    StreamManagerSink(settings(), client_factory=daemon.connect).ensure_stream()

    # Then the stream and its data are untouched
    assert daemon.describe_message_stream("telemetry").definition.max_size == 2048
    assert daemon.payloads("telemetry") == [b"earlier"]


def test_the_definition_passes_the_sdk_validation_at_its_limits() -> None:
    # The stand-in validates definitions as the SDK client does before sending them
    daemon = StreamManagerStandIn()
    StreamManagerSink(
        settings(
            max_size_bytes=1024,
            segment_size_bytes=1024,
            kinesis_batch_size=1,
            kinesis_priority=10,
            time_to_live_millis=60_000,
        ),
        client_factory=daemon.connect,
    ).ensure_stream()
    assert "telemetry" in daemon.streams


def test_overwrite_oldest_data_is_passed_on_when_chosen() -> None:
    definition = settings(strategy_on_full="OverwriteOldestData").message_stream_definition()
    assert definition.strategy_on_full is StrategyOnFull.OverwriteOldestData


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kinesis_batch_interval_millis": 59_999}, "greater than or equal to 60000"),
        ({"kinesis_batch_size": 501}, "less than or equal to 500"),
        ({"segment_size_bytes": 4096, "max_size_bytes": 2048}, "cannot exceed max_size_bytes"),
        ({"strategy_on_full": "DropEverything"}, "RejectNewData"),
        ({"name": "telemetry/windows"}, "should match pattern"),
    ],
)
def test_settings_the_stream_manager_would_refuse_fail_at_start(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings(**changes)


def test_numbers_from_the_greengrass_configuration_may_be_strings_or_floats() -> None:
    # Greengrass passes configuration as JSON; it recommends numbers as strings
    parsed = settings(max_size_bytes="268435456", kinesis_batch_size=500.0)
    assert parsed.max_size_bytes == 268435456 and parsed.kinesis_batch_size == 500


# --- appending -------------------------------------------------------------------------


def test_send_appends_each_window_as_its_json_record() -> None:
    # Given a sink on a fresh daemon
    daemon = StreamManagerStandIn()
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)
    windows = [window(0), window(0, meter_id="M2-E"), window(1)]

    # When it sends windows (creating the stream on the way)
    sink.send(windows)

    # Then each window is one message that parses back to the same window
    payloads = daemon.payloads("telemetry")
    assert [TelemetryWindowRecord.model_validate_json(p).to_window() for p in payloads] == windows
    assert sink.appended == 3 and sink.backlog == 0
    # and the exporter sends exactly those records to Kinesis
    daemon.run_exporter()
    assert [name for name, _ in daemon.kinesis_records] == ["pcf-telemetry"] * 3
    assert exported_windows(daemon) == windows


@pytest.mark.parametrize(
    "full_exception",
    [UnknownFailureException, InvalidRequestException, ServerOutOfMemoryException],
)
def test_a_full_stream_loses_nothing_and_keeps_the_order(
    full_exception: type[Exception],
) -> None:
    # Given the smallest stream Stream Manager allows and a Kinesis exporter that is offline
    daemon = StreamManagerStandIn(full_exception=full_exception)
    daemon.exporter_online = False
    sink = StreamManagerSink(
        settings(max_size_bytes=1024, segment_size_bytes=1024), client_factory=daemon.connect
    )
    room = 1024 // record_size()
    windows = [window(minute) for minute in range(room + 5)]

    # When windows keep coming after the stream is full
    for minute in range(room + 3):
        sink.send([windows[minute]])
        daemon.run_exporter()

    # Then the stream holds what fits and the sink keeps the rest
    assert len(daemon.payloads("telemetry")) == room
    assert sink.backlog == 3 and sink.dropped == 0

    # When the exporter is back and more windows come
    daemon.exporter_online = True
    for minute in range(room + 3, room + 5):
        daemon.run_exporter()
        sink.send([windows[minute]])
    daemon.run_exporter()
    sink.send([])
    daemon.run_exporter()

    # Then every window reached Kinesis once, in the order it was produced
    assert exported_windows(daemon) == windows
    assert sink.backlog == 0 and sink.appended == len(windows)


def test_a_restarting_daemon_loses_nothing_and_duplicates_nothing() -> None:
    # Given a sink that has sent a window
    daemon = StreamManagerStandIn()
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)
    windows = [window(minute) for minute in range(5)]
    sink.send(windows[:1])

    # When the daemon goes down for two sends
    daemon.daemon_up = False
    sink.send(windows[1:2])
    sink.send(windows[2:4])
    assert sink.backlog == 3

    # and comes back
    daemon.daemon_up = True
    sink.send(windows[4:])
    daemon.run_exporter()

    # Then every window was sent exactly once, in order, over a new connection
    assert exported_windows(daemon) == windows
    assert sink.backlog == 0 and sink.appended == 5
    assert daemon.connections == 2


def test_the_stream_is_created_once_the_daemon_is_up() -> None:
    # Given a daemon that is down when the component starts
    daemon = StreamManagerStandIn()
    daemon.daemon_up = False
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)

    # When windows are sent before and after it comes up
    sink.send([window(0)])
    daemon.daemon_up = True
    sink.send([window(1)])

    # Then the stream exists and holds both windows
    assert daemon.calls.count("create_message_stream") == 1
    assert len(daemon.payloads("telemetry")) == 2


def test_a_deleted_stream_is_created_again() -> None:
    # Given a sink whose stream disappears (a memory stream after a daemon restart)
    daemon = StreamManagerStandIn()
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)
    sink.send([window(0)])
    del daemon.streams["telemetry"]

    # When it sends twice
    sink.send([window(1)])
    sink.send([window(2)])

    # Then the stream was re-created and the window sent in between is not lost
    assert [
        TelemetryWindowRecord.model_validate_json(p).window_start
        for p in daemon.payloads("telemetry")
    ] == [window(1).window_start, window(2).window_start]


def test_a_backlog_overflow_drops_the_oldest_and_counts_them() -> None:
    # Given a daemon that stays down and a backlog of three windows
    daemon = StreamManagerStandIn()
    daemon.daemon_up = False
    sink = StreamManagerSink(settings(backlog_max_windows=3), client_factory=daemon.connect)

    # When five windows are sent
    sink.send([window(minute) for minute in range(5)])
    daemon.daemon_up = True
    sink.send([])
    daemon.run_exporter()

    # Then the two oldest are dropped, counted, and the others sent
    assert sink.dropped == 2
    assert exported_windows(daemon) == [window(2), window(3), window(4)]


def test_queued_windows_leave_only_when_flushed_and_a_restored_backlog_goes_first() -> None:
    # Given a sink whose previous run left two records unsent (saved, then restored)
    daemon = StreamManagerStandIn()
    earlier = StreamManagerSink(settings(), client_factory=daemon.connect)
    earlier.queue([window(0), window(1)])
    sink = StreamManagerSink(
        settings(), client_factory=daemon.connect, backlog=earlier.pending_records()
    )

    # When it queues a new window: nothing is appended yet
    sink.queue([window(2)])
    assert "telemetry" not in daemon.streams and sink.backlog == 3

    # When it flushes
    sink.flush()
    daemon.run_exporter()

    # Then the restored records went first, and the new window after them
    assert exported_windows(daemon) == [window(0), window(1), window(2)]
    assert sink.pending_records() == []


def test_a_restored_backlog_beyond_the_limit_keeps_the_newest() -> None:
    records = [TelemetryWindowRecord.from_window(window(m)).to_json_bytes() for m in range(5)]
    sink = StreamManagerSink(settings(backlog_max_windows=3), backlog=records)
    assert sink.pending_records() == records[2:] and sink.dropped == 2


def test_an_invalid_window_is_counted_and_the_others_are_sent() -> None:
    daemon = StreamManagerStandIn()
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)
    negative = TelemetryWindow(**{**window(1).__dict__, "value": -1.0})

    sink.send([window(0), negative, window(2)])

    assert sink.rejected == 1 and sink.appended == 2


# --- the component's loop ----------------------------------------------------------------


def default_configuration() -> dict[str, Any]:
    recipe = yaml.safe_load((COMPONENT / "recipe.yaml").read_text())
    configuration: dict[str, Any] = recipe["ComponentConfiguration"]["DefaultConfiguration"]
    return configuration


class ScriptedSource:
    """Answers a fixed number of polls, then asks the loop to stop."""

    def __init__(self, polls: int, stop: threading.Event) -> None:
        self.polls, self.stop, self.closed = polls, stop, False

    def read(self) -> list[MeterReading]:
        self.polls -= 1
        if self.polls == 0:
            self.stop.set()
        return [MeterReading("M1-E", time.time(), 100.0 + self.polls)]

    def close(self) -> None:
        self.closed = True


class OneWindowPerPoll:
    def __init__(self) -> None:
        self.readings: list[MeterReading] = []

    def add(self, readings: Sequence[MeterReading]) -> None:
        self.readings.extend(readings)

    def close_due(self, now: float, grace_seconds: float = 5.0) -> list[TelemetryWindow]:
        return [window(len(self.readings))]


def test_the_component_loop_sends_through_a_restarting_daemon() -> None:
    # Given the component's loop, a stand-in daemon that is down for the first polls
    daemon = StreamManagerStandIn()
    daemon.daemon_up = False
    sink = StreamManagerSink(settings(), client_factory=daemon.connect)
    stop = threading.Event()
    source = ScriptedSource(polls=4, stop=stop)

    # When it runs four polls, the daemon coming up before the last one
    class UpBeforeLastPoll(OneWindowPerPoll):
        def add(self, readings: Sequence[MeterReading]) -> None:
            super().add(readings)
            daemon.daemon_up = len(self.readings) == 4

    config = component.MeterReaderConfig.model_validate(
        {**default_configuration(), "poll_interval_seconds": 0.001}
    )
    component.run(source, UpBeforeLastPoll(), sink, config, stop)
    daemon.run_exporter()

    # Then every poll's window reached Kinesis, in order
    assert exported_windows(daemon) == [window(1), window(2), window(3), window(4)]
