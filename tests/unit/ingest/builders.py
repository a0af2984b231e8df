"""Telemetry window records and test doubles for the ingest use case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from pcf.adapters.archive import archive_day
from pcf.core.telemetry import TelemetryWindow, WriteOutcome
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import TelemetryWindowRecord

MIDNIGHT = datetime(2026, 1, 2, tzinfo=UTC)


def record(
    minute: int = 0,
    value: float = 0.5,
    *,
    meter_id: str = "M1-E",
    machine_id: str | None = "M1",
    quantity: MeterQuantity = MeterQuantity.ELECTRICITY,
    item_id: str | None = None,
    unit: str = "kWh",
    revision: int = 0,
    site_id: str = "S1",
) -> TelemetryWindowRecord:
    """One one-minute window starting ``minute`` minutes after 2026-01-02T00:00Z."""
    start = MIDNIGHT + timedelta(minutes=minute)
    return TelemetryWindowRecord(
        site_id=site_id,
        machine_id=machine_id,
        meter_id=meter_id,
        quantity=quantity,
        item_id=item_id,
        window_start=start,
        window_end=start + timedelta(minutes=1),
        value=value,
        unit=unit,
        revision=revision,
        samples_received=60,
        samples_dropped=0,
    )


class InMemoryStore:
    """A ``TelemetryStore`` keeping the highest revision per (meter, window start)."""

    def __init__(self) -> None:
        self.windows: dict[tuple[str, datetime], TelemetryWindow] = {}
        self.calls = 0

    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        self.calls += 1
        inserted = replaced = 0
        for window in windows:
            key = (window.meter_id, window.window_start)
            stored = self.windows.get(key)
            if stored is None:
                inserted += 1
            elif window.revision > stored.revision:
                replaced += 1
            else:
                continue
            self.windows[key] = window
        return WriteOutcome(inserted, replaced, len(windows) - inserted - replaced)

    def meter_period_totals(self, *_: object) -> list[object]:
        raise NotImplementedError


class BrokenStore(InMemoryStore):
    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        raise ConnectionError("server closed the connection unexpectedly")


class ListArchive:
    """A ``RawArchive`` keeping what it was given; raises when ``broken``."""

    def __init__(self, *, broken: bool = False) -> None:
        self.lines: list[bytes] = []
        self.broken = broken

    def append_lines(self, lines_by_day: Mapping[date, Sequence[bytes]]) -> None:
        if self.broken:
            raise OSError("No space left on device")
        for day, lines in lines_by_day.items():
            for line in lines:
                assert line.endswith(b"\n")
                assert archive_day(TelemetryWindowRecord.model_validate_json(line)) == day
            self.lines.extend(lines)

    @property
    def records(self) -> list[TelemetryWindowRecord]:
        """The archived records, in the order they were archived."""
        return [TelemetryWindowRecord.model_validate_json(line) for line in self.lines]
