"""Reference periods: calendar months in the site's time zone (METHOD.md, Scope)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ReferencePeriod:
    label: str  # "2026-01"
    time_zone: str
    # In UTC: Python subtracts and compares datetimes sharing one tzinfo by wall time,
    # which is wrong across a clock change.
    start: datetime  # inclusive: local midnight of the first day
    end: datetime  # exclusive: local midnight of the first day of the next month

    @property
    def first_day(self) -> date:
        return self.start.astimezone(ZoneInfo(self.time_zone)).date()

    @property
    def day_after(self) -> date:
        return self.end.astimezone(ZoneInfo(self.time_zone)).date()

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def month_period(label: str, time_zone: str) -> ReferencePeriod:
    """The calendar month ``YYYY-MM`` in ``time_zone`` (DST-aware: a month with a clock
    change is an hour shorter or longer)."""
    match = _MONTH.match(label)
    if not match:
        raise ValueError(f'period "{label}" is not a month like 2026-01')
    year, month = int(match.group(1)), int(match.group(2))
    zone = ZoneInfo(time_zone)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return ReferencePeriod(label, time_zone, start.astimezone(UTC), end.astimezone(UTC))
