"""A stand-in for ``stream_manager.StreamManagerClient`` at its API boundary.

It takes and returns the SDK's own data types and raises the SDK's own exceptions, so the
code under test runs unchanged against it. It keeps messages per stream and plays the
parts of the daemon the tests need:

- a stream refuses appends once it holds ``max_size`` bytes and its strategy is
  ``RejectNewData`` (``OverwriteOldestData`` deletes the oldest messages instead);
- the Kinesis exporter can be offline; ``run_exporter()`` exports what it can, in order,
  into ``kinesis_records`` and frees the exported messages' space (the daemon frees whole
  segments; here one message is one segment);
- the daemon can be down: connecting and every call raise ``ConnectionError``, as the real
  client does when its socket is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from stream_manager import (
    InvalidRequestException,
    MessageStreamDefinition,
    NotEnoughMessagesException,
    ReadMessagesOptions,
    ResourceNotFoundException,
    StrategyOnFull,
    StreamManagerException,
    UnknownFailureException,
    ValidationException,
)
from stream_manager.data import Message, MessageStreamInfo
from stream_manager.utilinternal import UtilInternal


@dataclass
class _Stream:
    definition: Any  # MessageStreamDefinition
    messages: list[Any] = field(default_factory=list)  # Message, oldest first
    next_sequence_number: int = 0
    exported_up_to: int = -1  # sequence number of the last message exported

    @property
    def total_bytes(self) -> int:
        return sum(len(message.payload) for message in self.messages)


class StreamManagerStandIn:
    """One Stream Manager daemon. Pass ``stand_in.connect`` as the client factory."""

    def __init__(self, full_exception: type[Exception] = UnknownFailureException) -> None:
        self.streams: dict[str, _Stream] = {}
        self.daemon_up = True
        self.exporter_online = True
        # the SDK has no exception of its own for a full stream; tests choose which one
        self.full_exception = full_exception
        self.kinesis_records: list[tuple[str, bytes]] = []  # (Kinesis stream, data)
        self.calls: list[str] = []
        self.connections = 0
        self.closed = False

    # --- the StreamManagerClient API -----------------------------------------------------

    def connect(self) -> StreamManagerStandIn:
        """What constructing a ``StreamManagerClient`` does: connect, or fail."""
        self._require_daemon()
        self.connections += 1
        self.closed = False
        return self

    def create_message_stream(self, definition: Any) -> None:
        self._call("create_message_stream")
        if not isinstance(definition, MessageStreamDefinition):
            raise ValidationException("definition must be a MessageStreamDefinition object")
        problem = UtilInternal.is_invalid(definition)
        if problem:
            raise ValidationException(problem)
        if definition.name in self.streams:
            raise InvalidRequestException(f"stream {definition.name} already exists")
        self.streams[definition.name] = _Stream(definition)

    def describe_message_stream(self, stream_name: str) -> Any:
        self._call("describe_message_stream")
        stream = self._stream(stream_name)
        storage = MessageStreamInfo.storageStatus(
            oldest_sequence_number=stream.messages[0].sequence_number if stream.messages else 0,
            newest_sequence_number=stream.next_sequence_number - 1,
            total_bytes=stream.total_bytes,
        )
        return MessageStreamInfo(
            definition=stream.definition, storage_status=storage, export_statuses=[]
        )

    def append_message(self, stream_name: str, data: bytes) -> int:
        self._call("append_message")
        stream = self._stream(stream_name)
        if not isinstance(data, bytes):
            raise ValidationException("data must be bytes")
        while stream.total_bytes + len(data) > stream.definition.max_size:
            if stream.definition.strategy_on_full is StrategyOnFull.RejectNewData:
                raise self.full_exception(f"stream {stream_name} is full")
            stream.messages.pop(0)  # OverwriteOldestData: exported or not
        sequence_number = stream.next_sequence_number
        stream.next_sequence_number += 1
        stream.messages.append(
            Message(
                stream_name=stream_name,
                sequence_number=sequence_number,
                ingest_time=int(time.time() * 1000),
                payload=data,
            )
        )
        return sequence_number

    def read_messages(self, stream_name: str, options: Any = None) -> list[Any]:
        self._call("read_messages")
        stream = self._stream(stream_name)
        options = options or ReadMessagesOptions()
        start = options.desired_start_sequence_number or 0
        wanted_min = options.min_message_count or 1
        wanted_max = options.max_message_count or wanted_min
        available = [m for m in stream.messages if m.sequence_number >= start]
        if len(available) < wanted_min:
            raise NotEnoughMessagesException(
                f"{len(available)} messages available, {wanted_min} wanted"
            )
        return available[:wanted_max]

    def close(self) -> None:
        self.closed = True

    # --- what the tests control and observe --------------------------------------------

    def run_exporter(self) -> None:
        """Export every message not yet exported, in order, to its Kinesis streams, and
        free the space it took."""
        if not self.exporter_online:
            return
        for stream in self.streams.values():
            kinesis = stream.definition.export_definition.kinesis or []
            still_held = []
            for message in stream.messages:
                if message.sequence_number > stream.exported_up_to:
                    for config in kinesis:
                        self.kinesis_records.append((config.kinesis_stream_name, message.payload))
                    stream.exported_up_to = message.sequence_number
                if not kinesis:
                    still_held.append(message)
            stream.messages = still_held

    def payloads(self, stream_name: str) -> list[bytes]:
        return [message.payload for message in self._stream(stream_name).messages]

    # --- internals -------------------------------------------------------------------

    def _require_daemon(self) -> None:
        if not self.daemon_up:
            raise ConnectionRefusedError(111, "Connection refused")

    def _call(self, operation: str) -> None:
        self._require_daemon()
        if self.closed:
            raise StreamManagerException("Client is closed. Create a new client first.")
        self.calls.append(operation)

    def _stream(self, stream_name: str) -> _Stream:
        try:
            return self.streams[stream_name]
        except KeyError:
            raise ResourceNotFoundException(f"stream {stream_name} not found") from None
