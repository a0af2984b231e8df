"""Running a stream's records through the ingest handler as Lambda would, and a store
that fails part way through a write: shared by the ingest and the edge fault tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pcf.core.telemetry import TelemetryStore, TelemetryWindow, WriteOutcome
from pcf.usecases.ingest import IngestDependencies, handle_kinesis_batch
from tests.integration.ingest.kinesis_events import (
    Event,
    FakeLambdaContext,
    KinesisStream,
    deliver_like_lambda,
)


class PartWayFailingStore:
    """A store whose write fails on the given calls after storing the first half of the
    windows: the worst case, a store that is not one transaction (a lost connection
    between two batches of a Timestream write)."""

    def __init__(self, inner: TelemetryStore, failing_calls: set[int]) -> None:
        self.inner = inner
        self.failing_calls = failing_calls
        self.calls = 0

    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        self.calls += 1
        if self.calls in self.failing_calls:
            self.inner.write_windows(windows[: len(windows) // 2])
            raise ConnectionError("connection to the store lost mid-write")
        return self.inner.write_windows(windows)

    def meter_period_totals(self, *args: Any) -> Any:
        return self.inner.meter_period_totals(*args)


def deliver_stream(
    stream: KinesisStream, dependencies: IngestDependencies
) -> list[tuple[Event, dict[str, Any]]]:
    """Every event of the stream through the handler, retried as Lambda would; returns
    every invocation's event and response."""
    invocations: list[tuple[Event, dict[str, Any]]] = []

    def invoke(event: Event) -> Any:
        response = handle_kinesis_batch(event, FakeLambdaContext(), dependencies)  # type: ignore[arg-type]
        invocations.append((event, dict(response)))
        return response

    for event in stream.lambda_events(batch_size=100):
        deliver_like_lambda(event, invoke)
    return invocations
