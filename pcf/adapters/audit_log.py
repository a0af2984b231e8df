"""The audit log: one JSON line per footprint, kept for years, beside the audit chain in
PostgreSQL and the curated tier (ARCHITECTURE.md: audit log in RDS + S3 + CloudWatch Logs).

``CloudWatchAuditLog`` writes to a CloudWatch Logs group (KMS-encrypted, a retention of
years, created by the calculation stack), one log stream per calculation run;
``FolderAuditLog`` appends to a file, the local equivalent.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

# CloudWatch Logs' PutLogEvents limits: events per call, and bytes per call counting 26
# bytes of overhead per event; one event at most 256 KiB.
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD_BYTES = 26


class AuditLog(Protocol):
    def write(self, stream: str, lines: Sequence[Mapping[str, Any]]) -> int:
        """Append ``lines`` (JSON objects) under ``stream``; the number written."""
        ...


def audit_line(document: Mapping[str, Any]) -> str:
    """One line of the log: compact JSON, keys sorted (the same document, the same line)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)


class CloudWatchAuditLog:
    """Lines as log events of ``log_group``, through a boto3 ``logs`` client."""

    def __init__(self, client: Any, log_group: str) -> None:
        self.client = client
        self.log_group = log_group

    def write(self, stream: str, lines: Sequence[Mapping[str, Any]]) -> int:
        # a retried invocation writes to the stream it made
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_stream(logGroupName=self.log_group, logStreamName=stream)
        timestamp = int(time.time() * 1000)
        written = 0
        for batch in _batches([audit_line(line) for line in lines]):
            self.client.put_log_events(
                logGroupName=self.log_group,
                logStreamName=stream,
                logEvents=[{"timestamp": timestamp, "message": m} for m in batch],
            )
            written += len(batch)
        return written


class FolderAuditLog:
    """Lines appended to ``<folder>/<stream>.jsonl``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, stream: str, lines: Sequence[Mapping[str, Any]]) -> int:
        path = self.folder / f"{stream}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            for line in lines:
                log.write(audit_line(line) + "\n")
        return len(lines)


def _batches(messages: Sequence[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for message in messages:
        message_size = len(message.encode()) + EVENT_OVERHEAD_BYTES
        full = len(batch) == MAX_EVENTS_PER_CALL or size + message_size > MAX_BYTES_PER_CALL
        if batch and full:
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += message_size
    if batch:
        yield batch
