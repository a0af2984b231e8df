"""The Stream Manager adapter: how the edge component hands telemetry windows to the
Greengrass V2 Stream Manager, which keeps them on disk and exports them to Kinesis.

One message per window: the ``TelemetryWindowRecord`` JSON bytes, appended in the order the
windows were produced. Nothing is lost while the way out is blocked:

- the exporter cannot reach Kinesis (site offline): Stream Manager keeps appended
  windows in its file-persisted stream, up to ``max_size_bytes``;
- the stream is full (offline for long enough): with ``RejectNewData``, the default, Stream
  Manager refuses the append and the window stays in this adapter's in-memory backlog,
  retried oldest first on every later ``send``; ``OverwriteOldestData`` accepts the new
  window by deleting the oldest segment of the stream, so it loses data and is for
  deployers who prefer recent data to complete data;
- the Stream Manager daemon is restarting (connection refused, time-outs): same backlog.

Sizes, for a feel: one window record is about 350 bytes, so the default 256 MiB stream holds
about 750,000 windows: five days of 100 meters at one window per minute. The backlog holds
``backlog_max_windows`` more (50,000 by default, about 20 MB of memory); past that the oldest
windows are dropped, logged and counted, the only place this adapter loses data.

The backlog lives in memory; the component saves it with its own state
(``pcf.edge.component.StateFile``), so it survives a restart of the component. For that,
``send`` is also available in its two halves: ``queue`` (into the backlog, nothing leaves)
and ``flush`` (the backlog into the stream); ``pending_records`` is what to save and the
``backlog`` argument of the constructor what to restore.

A window whose append failed ambiguously (a time-out after the request was written) is
sent again and may reach Kinesis twice; the ingest is idempotent per meter, window and
revision, so it still counts once.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pcf.core.telemetry import TelemetryWindow
from pcf.formats.telemetry_record import TelemetryWindowRecord

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# Stream and export identifiers: what Stream Manager accepts (its SDK validates the same).
_IDENTIFIER_PATTERN = r"^[\w ,.\-]+$"


class StrategyOnFull(StrEnum):
    """What Stream Manager does with an append once the stream has reached its maximum size.
    Values are the SDK's ``StrategyOnFull`` member names."""

    # the append is refused; the sink keeps the window and retries: nothing is lost
    REJECT_NEW_DATA = "RejectNewData"
    # the oldest segment is deleted to make room: windows not yet exported are lost
    OVERWRITE_OLDEST_DATA = "OverwriteOldestData"


class Persistence(StrEnum):
    """Where the stream lives. Values are the SDK's ``Persistence`` member names."""

    FILE = "File"  # on disk: survives restarts of the component, the daemon and the device
    MEMORY = "Memory"  # lost on any restart; for tests and demos only


class StreamSettings(BaseModel):
    """The message stream and its Kinesis export, as configured in the component recipe
    (``stream`` in the default configuration). Numbers may arrive as strings or floats:
    Greengrass passes configuration as JSON and recommends strings for numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="pcf-telemetry-windows", max_length=255, pattern=_IDENTIFIER_PATTERN)
    kinesis_stream_name: str = Field(min_length=1)
    # the whole stream on disk, bytes (the SDK's default: 256 MiB)
    max_size_bytes: int = Field(default=256 * MIB, ge=1024)
    # Stream Manager deletes data a segment at a time, bytes (the SDK's default: 16 MiB)
    segment_size_bytes: int = Field(default=16 * MIB, ge=1024, le=2**31 - 1)
    strategy_on_full: StrategyOnFull = StrategyOnFull.REJECT_NEW_DATA
    persistence: Persistence = Persistence.FILE
    # fsync every append: a power cut loses no acknowledged window (cheap at a few
    # appends per second)
    flush_on_write: bool = True
    # None: no time-to-live, data stays until exported and its space is needed
    time_to_live_millis: int | None = Field(default=None, ge=60_000)
    kinesis_export_identifier: str = Field(
        default="pcf-telemetry-to-kinesis", max_length=255, pattern=_IDENTIFIER_PATTERN
    )
    # records per Kinesis PutRecords call (the SDK allows 1 to 500)
    kinesis_batch_size: int = Field(default=500, ge=1, le=500)
    # longest wait before a partial batch is exported, ms (the SDK's minimum: 60,000)
    kinesis_batch_interval_millis: int = Field(default=60_000, ge=60_000)
    # export priority among the device's streams, 1 (highest) to 10
    kinesis_priority: int = Field(default=1, ge=1, le=10)
    # windows kept in memory while the stream refuses them; oldest dropped beyond this
    backlog_max_windows: int = Field(default=50_000, ge=1)

    @model_validator(mode="after")
    def _segment_fits(self) -> Self:
        if self.segment_size_bytes > self.max_size_bytes:
            raise ValueError(
                f"segment_size_bytes ({self.segment_size_bytes}) cannot exceed "
                f"max_size_bytes ({self.max_size_bytes})"
            )
        return self

    def message_stream_definition(self) -> Any:
        """The SDK's ``MessageStreamDefinition`` for these settings."""
        from stream_manager import (
            ExportDefinition,
            KinesisConfig,
            MessageStreamDefinition,
        )
        from stream_manager import Persistence as SdkPersistence
        from stream_manager import StrategyOnFull as SdkStrategyOnFull

        kinesis = KinesisConfig(
            identifier=self.kinesis_export_identifier,
            kinesis_stream_name=self.kinesis_stream_name,
            batch_size=self.kinesis_batch_size,
            batch_interval_millis=self.kinesis_batch_interval_millis,
            priority=self.kinesis_priority,
        )
        return MessageStreamDefinition(
            name=self.name,
            max_size=self.max_size_bytes,
            stream_segment_size=self.segment_size_bytes,
            time_to_live_millis=self.time_to_live_millis,
            strategy_on_full=SdkStrategyOnFull[self.strategy_on_full.value],
            persistence=SdkPersistence[self.persistence.value],
            flush_on_write=self.flush_on_write,
            export_definition=ExportDefinition(kinesis=[kinesis]),
        )


class StreamManagerClientLike(Protocol):
    """The part of ``stream_manager.StreamManagerClient`` the sink uses."""

    def create_message_stream(self, definition: Any) -> None: ...

    def describe_message_stream(self, stream_name: str) -> Any: ...

    def append_message(self, stream_name: str, data: bytes) -> int: ...

    def close(self) -> None: ...


ClientFactory = Callable[[], StreamManagerClientLike]


def default_client_factory() -> StreamManagerClientLike:
    """The real client. It connects on construction (port from
    ``STREAM_MANAGER_SERVER_PORT``, token from ``AWS_CONTAINER_AUTHORIZATION_TOKEN``, both
    set by Greengrass) and raises ``ConnectionError`` while the daemon is down."""
    from stream_manager import StreamManagerClient

    client: StreamManagerClientLike = StreamManagerClient()
    return client


class StreamManagerSink:
    """Appends telemetry windows to a Stream Manager message stream, keeping in memory,
    oldest first, whatever the stream cannot take yet."""

    def __init__(
        self,
        settings: StreamSettings,
        client_factory: ClientFactory = default_client_factory,
        backlog: Sequence[bytes] = (),
    ) -> None:
        """``backlog``: records a previous run could not append (``pending_records()``
        saved before a restart), appended first, oldest first."""
        self.settings = settings
        self._client_factory = client_factory
        self._client: StreamManagerClientLike | None = None
        self._stream_ready = False
        self._backlog: deque[bytes] = deque(backlog)
        self._blocked_reason: str | None = None
        self.appended = 0  # windows accepted by Stream Manager
        self.dropped = 0  # windows dropped because the backlog overflowed
        self.rejected = 0  # windows that can never be sent (invalid, or refused for good)
        self._trim_backlog()  # a restored backlog under a smaller backlog_max_windows

    @property
    def backlog(self) -> int:
        """Windows waiting in memory for the stream to take them."""
        return len(self._backlog)

    def ensure_stream(self) -> None:
        """Create the message stream from the settings, or leave an existing stream as it
        is. Raises what the client raises (``ConnectionError`` while the daemon is down)."""
        from stream_manager import InvalidRequestException, ResourceNotFoundException

        client = self._connected_client()
        try:
            existing = client.describe_message_stream(self.settings.name)
        except ResourceNotFoundException:
            try:
                client.create_message_stream(self.settings.message_stream_definition())
            except InvalidRequestException:
                # created by another client between describe and create
                client.describe_message_stream(self.settings.name)
            else:
                logger.info("created message stream %s", self.settings.name)
        else:
            wanted = self.settings.message_stream_definition().as_dict()
            if existing.definition is not None and existing.definition.as_dict() != wanted:
                logger.warning(
                    "message stream %s exists with another definition; it is kept as it is "
                    "(delete it to apply the configured one)",
                    self.settings.name,
                )
        self._stream_ready = True

    def send(self, windows: Sequence[TelemetryWindow]) -> None:
        """Append the windows after any backlog, oldest first. Windows the stream cannot
        take now (full, daemon down) stay in the backlog for the next call; this never
        raises for those. The same as ``queue(windows)`` then ``flush()``."""
        self.queue(windows)
        self.flush()

    def queue(self, windows: Sequence[TelemetryWindow]) -> None:
        """Put the windows at the end of the backlog as records, appending nothing yet
        (beyond ``backlog_max_windows`` the oldest are dropped, as in ``send``)."""
        for window in windows:
            payload = self._encode(window)
            if payload is not None:
                self._backlog.append(payload)
        self._trim_backlog()

    def flush(self) -> None:
        """Append the backlog to the stream, oldest first, as far as the stream takes
        it; what it cannot take now stays for the next call. Never raises for a full
        stream or a daemon that is down."""
        self._drain()

    def pending_records(self) -> list[bytes]:
        """The backlog as ``TelemetryWindowRecord`` JSON bytes, oldest first: what to
        save so a restarted component sends it (the ``backlog`` argument)."""
        return list(self._backlog)

    def close(self) -> None:
        if self._client is not None:
            self._drop_client()

    def _encode(self, window: TelemetryWindow) -> bytes | None:
        try:
            return TelemetryWindowRecord.from_window(window).to_json_bytes()
        except ValidationError as error:
            # a bug upstream: say which window, keep the others flowing
            self.rejected += 1
            logger.error(
                "window of meter %s starting %s is not a valid telemetry record and is not "
                "sent: %s",
                window.meter_id,
                window.window_start.isoformat(),
                error,
            )
            return None

    def _trim_backlog(self) -> None:
        overflow = len(self._backlog) - self.settings.backlog_max_windows
        if overflow <= 0:
            return
        for _ in range(overflow):
            self._backlog.popleft()
        self.dropped += overflow
        logger.error(
            "backlog full (%d windows): dropped the %d oldest; %d dropped so far",
            self.settings.backlog_max_windows,
            overflow,
            self.dropped,
        )

    def _drain(self) -> None:
        from stream_manager import (
            ConnectFailedException,
            RequestPayloadTooLargeException,
            ResourceNotFoundException,
            StreamManagerException,
            ValidationException,
        )

        try:
            if not self._stream_ready:
                self.ensure_stream()
            client = self._connected_client()
            while self._backlog:
                try:
                    client.append_message(self.settings.name, self._backlog[0])
                except (ValidationException, RequestPayloadTooLargeException) as error:
                    # this window can never be appended: retrying would block all others
                    self._backlog.popleft()
                    self.rejected += 1
                    logger.error("window refused for good by Stream Manager: %s", error)
                    continue
                self._backlog.popleft()
                self.appended += 1
        except (ConnectionError, ConnectFailedException, OSError, TimeoutError) as error:
            # the daemon is down or restarting: reconnect on the next call
            self._drop_client()
            self._blocked(f"Stream Manager unreachable ({type(error).__name__}: {error})")
        except ResourceNotFoundException:
            # the stream went away (deleted, or a memory stream after a restart)
            self._stream_ready = False
            self._blocked(f"message stream {self.settings.name} not found; re-creating it")
        except StreamManagerException as error:
            # the SDK has no exception type of its own for a full stream: a full stream,
            # like any other refusal of the server, is retried later
            self._blocked(f"Stream Manager refused the append ({type(error).__name__}: {error})")
        else:
            if self._blocked_reason is not None:
                logger.info("Stream Manager takes windows again; backlog sent")
                self._blocked_reason = None

    def _blocked(self, reason: str) -> None:
        if reason != self._blocked_reason:
            logger.warning("%s; %d windows kept in memory for later", reason, self.backlog)
            self._blocked_reason = reason

    def _connected_client(self) -> StreamManagerClientLike:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.close()
        except Exception:  # a client that failed mid-connection may not close cleanly
            logger.debug("closing the Stream Manager client failed", exc_info=True)
