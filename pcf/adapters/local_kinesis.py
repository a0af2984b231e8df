"""Locally, the edge hands its windows to the ingest handler as Kinesis-shaped events,
standing in for Stream Manager -> Kinesis -> Lambda (ARCHITECTURE.md, "one codebase, two
ways to run"). Records the handler reports failed are delivered again, as Lambda does."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pcf.core.telemetry import TelemetryWindow
from pcf.formats.telemetry_record import TelemetryWindowRecord

logger = logging.getLogger(__name__)

KinesisHandler = Callable[[dict[str, Any]], dict[str, Any]]


class LocalKinesisSink:
    """A ``pcf.edge.component.WindowSink`` that invokes a Kinesis handler directly."""

    def __init__(
        self, handler: KinesisHandler, *, batch_size: int = 500, max_attempts: int = 5
    ) -> None:
        self._handler = handler
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._sequence = 0
        self.delivered = 0

    def send(self, windows: Sequence[TelemetryWindow]) -> None:
        for start in range(0, len(windows), self._batch_size):
            self._deliver([self._record(w) for w in windows[start : start + self._batch_size]])

    def close(self) -> None:
        pass

    def _record(self, window: TelemetryWindow) -> dict[str, Any]:
        self._sequence += 1
        data = TelemetryWindowRecord.from_window(window).to_json_bytes()
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": window.meter_id,
                "sequenceNumber": f"{self._sequence:056d}",
                "data": base64.b64encode(data).decode("ascii"),
                "approximateArrivalTimestamp": window.window_end.timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"local:{self._sequence:056d}",
            "eventName": "aws:kinesis:record",
        }

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        for attempt in range(1, self._max_attempts + 1):
            response = self._handler({"Records": records})
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
            if not failed:
                self.delivered += len(records)
                return
            # Lambda redelivers from the first failed record of the shard on
            first = min(failed)
            delivered = [r for r in records if r["kinesis"]["sequenceNumber"] < first]
            self.delivered += len(delivered)
            records = [r for r in records if r["kinesis"]["sequenceNumber"] >= first]
            logger.warning("ingest reported %d failed records; attempt %d", len(failed), attempt)
        raise RuntimeError(
            f"{len(records)} records still failing after {self._max_attempts} attempts"
        )
