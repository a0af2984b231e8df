"""The telemetry window record and the telemetry store interface.

The edge sends one ``TelemetryWindow`` per meter and wall-clock window. Stores keep the
latest revision of each (meter, window start) and answer per-meter period totals. The
calculator reads telemetry only through ``TelemetryStore``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from pcf.formats.definitions import MeterQuantity


@dataclass(frozen=True)
class TelemetryWindow:
    """One meter's amount in one window: a delta, never a cumulative counter value."""

    site_id: str
    machine_id: str | None
    meter_id: str
    quantity: MeterQuantity
    item_id: str | None
    window_start: datetime  # inclusive, timezone-aware
    window_end: datetime  # exclusive, timezone-aware
    value: float
    unit: str  # a symbol of pcf.core.units.UNIT_SYMBOLS
    revision: int
    samples_received: int
    samples_dropped: int


@dataclass(frozen=True)
class WriteOutcome:
    """What a write did: new windows, windows replaced by a higher revision, and
    windows ignored because the store already had that revision or a newer one."""

    inserted: int
    replaced: int
    ignored: int


@dataclass(frozen=True)
class MeterPeriodTotal:
    """A meter's total over a period, as the calculator and the audit record see it."""

    meter_id: str
    machine_id: str | None
    quantity: MeterQuantity
    item_id: str | None
    unit: str  # canonical unit of the meter's dimension (kWh, m3, piece, kg)
    total: Decimal  # exact sum of the stored window values
    windows_received: int
    seconds_covered: int  # sum of the received windows' lengths
    period_seconds: int
    windows_hash: str  # sha256 over the windows summed, in window order

    @property
    def completeness(self) -> float:
        """Share of the period covered by received windows (1.0 = nothing missing)."""
        return self.seconds_covered / self.period_seconds if self.period_seconds else 0.0


class TelemetryStore(Protocol):
    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        """Store windows idempotently: a higher revision of the same meter and window
        start replaces the stored one; the same or a lower revision is a no-op."""
        ...

    def meter_period_totals(
        self, site_id: str, period_start: datetime, period_end: datetime
    ) -> list[MeterPeriodTotal]:
        """Per-meter totals of the site's windows starting in [period_start, period_end),
        ordered by meter id."""
        ...
