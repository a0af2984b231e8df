"""Where records the ingest cannot accept go: with the reason, the payload as received,
and the Kinesis sequence number, so a person can read why and replay it once fixed.

Three implementations of ``DeadLetterDestination``: ``SqsDeadLetters`` in the cloud (an
SQS queue), ``FolderDeadLetters`` locally (JSON lines files in a folder) and
``InMemoryDeadLetters`` (a list, for tests and embedding).

Each dead letter becomes one JSON message (``DeadLetter.to_message``)::

    {"source": "pcf.ingest.telemetry", "reason": "value: Input should be ...",
     "errors": [{"loc": "value", "msg": "...", "type": "..."}],
     "sequence_number": "4959...", "payload_text": "{...}",
     "payload_bytes": 312, "payload_sha256": "...", "payload_truncated": false}

The payload is ``payload_text`` when it is UTF-8, ``payload_base64`` otherwise. A
payload longer than ``MAX_PAYLOAD_BYTES`` (a telemetry record is a few hundred bytes, so
this is garbage, not data) is cut there and flagged ``payload_truncated``, with its full
length and sha256, so ten messages always fit one SQS batch (256 KiB).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

DEAD_LETTER_SOURCE = "pcf.ingest.telemetry"
MAX_PAYLOAD_BYTES = 16 * 1024
SQS_MAX_BATCH_ENTRIES = 10


class DeadLetterError(RuntimeError):
    """Dead letters could not be delivered; the caller should have the records
    delivered again rather than lose them."""


@dataclass(frozen=True)
class FieldError:
    """One validation error: where in the record (dotted path, empty for the whole
    record), pydantic's message, and its error type."""

    loc: str
    msg: str
    type: str


@dataclass(frozen=True)
class DeadLetter:
    """A record that was not accepted, and why."""

    reason: str
    payload: bytes
    sequence_number: str | None = None
    errors: tuple[FieldError, ...] = field(default=())

    def to_message(self) -> dict[str, Any]:
        """The JSON-ready message (see the module docstring)."""
        kept = self.payload[:MAX_PAYLOAD_BYTES]
        message: dict[str, Any] = {
            "source": DEAD_LETTER_SOURCE,
            "reason": self.reason,
            "errors": [
                {"loc": error.loc, "msg": error.msg, "type": error.type} for error in self.errors
            ],
            "sequence_number": self.sequence_number,
        }
        try:
            message["payload_text"] = kept.decode("utf-8")
        except UnicodeDecodeError:
            message["payload_base64"] = base64.b64encode(kept).decode("ascii")
        message["payload_bytes"] = len(self.payload)
        message["payload_sha256"] = hashlib.sha256(self.payload).hexdigest()
        message["payload_truncated"] = len(kept) < len(self.payload)
        return message

    def to_json(self) -> str:
        return json.dumps(self.to_message(), ensure_ascii=False)


class DeadLetterDestination(Protocol):
    def send(self, letters: Sequence[DeadLetter]) -> None:
        """Deliver all the letters or raise ``DeadLetterError`` (some may have been
        delivered before the error, so a retry can deliver a letter twice)."""
        ...


class InMemoryDeadLetters:
    """``DeadLetterDestination`` keeping the letters in ``letters``."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    def send(self, letters: Sequence[DeadLetter]) -> None:
        self.letters.extend(letters)


class FolderDeadLetters:
    """``DeadLetterDestination`` writing one JSON lines file per call into a folder,
    atomically (temporary name, then rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.jsonl"
        path = self.folder / name
        temporary = self.folder / f".{name}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as file:
                file.writelines(letter.to_json() + "\n" for letter in letters)
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(path)
        except OSError as error:
            raise DeadLetterError(f"dead letters in {self.folder}: {error}") from error

    def messages(self) -> list[dict[str, Any]]:
        """Every message in the folder, oldest file first."""
        return [
            json.loads(line)
            for path in sorted(self.folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]


class SqsDeadLetters:
    """``DeadLetterDestination`` on an SQS queue (``SendMessageBatch``, ten per call)."""

    def __init__(self, client: Any, queue_url: str, *, max_attempts: int = 3) -> None:
        """``client`` is a boto3 SQS client. Entries SQS reports as failed are sent
        again, up to ``max_attempts`` calls in all (throttling and network errors are
        retried by botocore itself)."""
        self._client = client
        self.queue_url = queue_url
        self._max_attempts = max_attempts

    def send(self, letters: Sequence[DeadLetter]) -> None:
        for start in range(0, len(letters), SQS_MAX_BATCH_ENTRIES):
            self._send_batch(letters[start : start + SQS_MAX_BATCH_ENTRIES])

    def _send_batch(self, letters: Sequence[DeadLetter]) -> None:
        pending = {str(index): letter.to_json() for index, letter in enumerate(letters)}
        failures: list[dict[str, Any]] = []
        for _ in range(self._max_attempts):
            response = self._client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": key, "MessageBody": body} for key, body in pending.items()],
            )
            failures = response.get("Failed", [])
            # A sender fault (bad request) will not succeed on a retry.
            if not failures or any(failure.get("SenderFault") for failure in failures):
                break
            pending = {failure["Id"]: pending[failure["Id"]] for failure in failures}
        if failures:
            first = failures[0]
            raise DeadLetterError(
                f"SQS queue {self.queue_url}: {len(failures)} dead letter(s) not accepted "
                f"({first.get('Code')}: {first.get('Message', '')})"
            )
