"""What sample factory to generate: the knobs of ``pcf.sample.factory``, and two presets."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True)
class FactorySpec:
    """A seeded synthetic factory. The same spec always gives the same files and windows.

    ``first_day`` and ``days`` limit the telemetry to part of the month (local days of
    each site); the static files always describe the whole month.
    """

    seed: int = 7
    sites: int = 2  # 1 or 2: Berlin (coal-heavy grid), then Chicago
    machines: int = 24  # over all sites, at least 3 per site
    products: int = 12  # finished products, at least 1 per site
    month: str = "2026-01"  # the reference period, YYYY-MM
    window_seconds: int = 60  # telemetry window length; divides 3600
    first_day: int = 1  # first day of the month with telemetry
    days: int | None = None  # days of telemetry from first_day; None: to the month's end
    namespace: str = "sample.example"  # the domain in product URNs

    def __post_init__(self) -> None:
        if self.sites not in (1, 2):
            raise ValueError(f"sites must be 1 or 2, not {self.sites}")
        if self.machines < 3 * self.sites:
            raise ValueError(
                f"machines must be at least 3 per site ({3 * self.sites}), not {self.machines}"
            )
        if self.products < self.sites:
            raise ValueError(f"products must be at least 1 per site, not {self.products}")
        if self.window_seconds <= 0 or 3600 % self.window_seconds:
            raise ValueError(f"window_seconds must divide 3600, not {self.window_seconds}")
        year, month = self.year_month
        last_day = calendar.monthrange(year, month)[1]
        if not 1 <= self.first_day <= last_day:
            raise ValueError(f"first_day must be within {self.month}, not {self.first_day}")
        if self.days is not None and not 1 <= self.days <= last_day - self.first_day + 1:
            raise ValueError(f"days must be 1 to {last_day - self.first_day + 1}, not {self.days}")

    @property
    def year_month(self) -> tuple[int, int]:
        try:
            year_text, month_text = self.month.split("-")
            year, month = int(year_text), int(month_text)
            date(year, month, 1)
        except ValueError as error:
            raise ValueError(f'month must be "YYYY-MM", not "{self.month}"') from error
        return year, month

    @property
    def period_start(self) -> date:
        """First day of the reference month."""
        year, month = self.year_month
        return date(year, month, 1)

    @property
    def period_end(self) -> date:
        """Day after the reference month's last day (exclusive)."""
        year, month = self.year_month
        return date(year + month // 12, month % 12 + 1, 1)

    @property
    def telemetry_days(self) -> tuple[date, ...]:
        """The local calendar days (in every site's time zone) that get telemetry."""
        year, month = self.year_month
        last_day = calendar.monthrange(year, month)[1]
        end = last_day if self.days is None else self.first_day + self.days - 1
        return tuple(date(year, month, day) for day in range(self.first_day, end + 1))


DEFAULT = FactorySpec()
# For tests: one machine per stage at each site, a Monday and Tuesday of telemetry.
SMALL = replace(DEFAULT, machines=6, products=3, first_day=5, days=2)

# A bigger month: about 2.5 times the default's machines and products.
LARGE = replace(DEFAULT, machines=60, products=30)

PRESETS: dict[str, FactorySpec] = {"small": SMALL, "default": DEFAULT, "large": LARGE}
