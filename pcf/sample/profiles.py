"""Load profiles of the sample plant: what each meter reads in each window of a local day.

All per-window arithmetic is vectorised over the day's windows; Python loops run over
meters, shifts and stoppages (tens). Values are rounded to a meter's resolution:
0.1 Wh for electricity, 0.1 L (0.001 ft3) for gas, whole pieces for counters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from pcf.core.units import conversion_factor
from pcf.sample.plant import MeterRole, PlantMachine, PlantMeter, working_shifts
from pcf.sample.reference import SiteProfile

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

STARTUP_PEAK = 0.6  # extra share of running load when a shift starts ...
STARTUP_SECONDS = 300.0  # ... decaying with this time constant
OVEN_HEATUP_PEAK = 1.0  # a paint oven burns twice its running output when it heats up
OVEN_HEATUP_SECONDS = 1200.0
STOPPAGES_PER_SHIFT = 1.5  # short unplanned stops (Poisson mean) ...
STOPPAGE_MEAN_MINUTES = 12.0  # ... exponentially long, 2 to 60 minutes
OCCUPIED_MARGIN_SECONDS = 1800  # lights and ventilation run this long around shifts
HEATING_SETBACK = 0.55  # heating output outside occupied hours


def local_day_bounds(site: SiteProfile, day: date) -> tuple[datetime, datetime]:
    """The UTC instants of the local midnight starting ``day`` and the next one."""
    zone = ZoneInfo(site.time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def windows_in_day(site: SiteProfile, day: date, window_seconds: int) -> int:
    """Windows in a local day: 1440 one-minute windows, 1380 or 1500 on DST days."""
    start, end = local_day_bounds(site, day)
    return int((end - start).total_seconds()) // window_seconds


@dataclass(frozen=True)
class SiteDay:
    """The windows of one local day at one site and the shift calendar over them."""

    site: SiteProfile
    day: date
    window_seconds: int
    boundaries: tuple[datetime, ...]  # window starts then the last end, UTC, aware
    in_shift: BoolArray
    on_break: BoolArray
    since_shift_start: FloatArray  # seconds since the window's shift began; inf outside
    occupied: BoolArray
    shift_windows: tuple[tuple[int, int], ...]  # [first, last) window of each shift

    @property
    def window_count(self) -> int:
        return len(self.boundaries) - 1

    @property
    def hours_per_window(self) -> float:
        return self.window_seconds / 3600.0


def site_day(site: SiteProfile, day: date, window_seconds: int) -> SiteDay:
    start, end = local_day_bounds(site, day)
    count = int((end - start).total_seconds()) // window_seconds
    offsets = np.arange(count, dtype=np.int64) * window_seconds
    boundaries = tuple(start + timedelta(seconds=k * window_seconds) for k in range(count + 1))
    zone = ZoneInfo(site.time_zone)
    if start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset():
        wall_clock = offsets.astype(np.float64)
    else:  # a daylight-saving day: read the wall clock window by window
        local = [b.astimezone(zone) for b in boundaries[:-1]]
        wall_clock = np.array([t.hour * 3600 + t.minute * 60 + t.second for t in local], float)

    in_shift = np.zeros(count, dtype=bool)
    on_break = np.zeros(count, dtype=bool)
    occupied = np.zeros(count, dtype=bool)
    since = np.full(count, math.inf)
    spans: list[tuple[int, int]] = []
    for shift in working_shifts(site, day):
        begin, finish = shift.start_minute * 60, shift.end_minute * 60
        mask = (wall_clock >= begin) & (wall_clock < finish)
        if not mask.any():
            continue
        in_shift |= mask
        since[mask] = wall_clock[mask] - begin
        occupied |= (wall_clock >= begin - OCCUPIED_MARGIN_SECONDS) & (
            wall_clock < finish + OCCUPIED_MARGIN_SECONDS
        )
        if shift.break_after_minutes is not None:
            pause = shift.break_after_minutes * 60
            on_break |= mask & (since >= pause) & (since < pause + shift.break_minutes * 60)
        indices = np.flatnonzero(mask)
        spans.append((int(indices[0]), int(indices[-1]) + 1))
    return SiteDay(
        site, day, window_seconds, boundaries, in_shift, on_break, since, occupied, tuple(spans)
    )


def machine_running(day: SiteDay, rng: np.random.Generator) -> BoolArray:
    """Windows in which a machine produces: shift time without breaks and stoppages."""
    running = day.in_shift & ~day.on_break
    for first, last in day.shift_windows:
        for _ in range(int(rng.poisson(STOPPAGES_PER_SHIFT))):
            begin = int(rng.integers(first, last))
            minutes = float(np.clip(rng.exponential(STOPPAGE_MEAN_MINUTES), 2.0, 60.0))
            length = max(1, math.ceil(minutes * 60 / day.window_seconds))
            running[begin : min(begin + length, last)] = False
    return running


def machine_electricity_kwh(
    day: SiteDay, machine: PlantMachine, running: BoolArray, rng: np.random.Generator
) -> FloatArray:
    """Idle base load around the clock; running load with a start-up peak in shifts;
    a warm standby (1.5 x idle) during breaks and stoppages."""
    noise = rng.standard_normal(day.window_count)
    idle_kw = machine.idle_kw * (1.0 + 0.03 * noise)
    startup = 1.0 + STARTUP_PEAK * np.exp(-day.since_shift_start / STARTUP_SECONDS)
    running_kw = machine.running_kw * (1.0 + 0.05 * noise) * startup
    kw = np.where(running, running_kw, np.where(day.in_shift, 1.5 * idle_kw, idle_kw))
    return _rounded(np.maximum(kw, 0.0) * day.hours_per_window, 4)


def oven_gas_kwh(day: SiteDay, machine: PlantMachine, rng: np.random.Generator) -> FloatArray:
    """A paint oven burns through the whole shift (breaks and stoppages included), with a
    heat-up peak at the shift start, and is off outside shifts."""
    noise = rng.standard_normal(day.window_count)
    heatup = 1.0 + OVEN_HEATUP_PEAK * np.exp(-day.since_shift_start / OVEN_HEATUP_SECONDS)
    kw = np.where(day.in_shift, machine.gas_running_kw * (1.0 + 0.04 * noise) * heatup, 0.0)
    result: FloatArray = np.maximum(kw, 0.0) * day.hours_per_window
    return result


def production_pieces(
    day: SiteDay, units_per_running_minute: float, running: BoolArray, rng: np.random.Generator
) -> FloatArray:
    """Whole pieces per window: the cumulative output at the item's rate, floored, so
    pieces come at the rate on average and only while the machine runs."""
    noise = np.maximum(1.0 + 0.1 * rng.standard_normal(day.window_count), 0.0)
    expected = units_per_running_minute * day.window_seconds / 60.0 * noise * running
    # a random phase below one piece: the day does not always start on a whole piece
    cumulative = np.floor(rng.uniform() + np.cumsum(expected))
    pieces: FloatArray = np.diff(cumulative, prepend=0.0)
    return pieces


def overhead_kwh(
    day: SiteDay, meter: PlantMeter, machine_count: int, rng: np.random.Generator
) -> FloatArray:
    """Site overhead electricity, scaled with the number of machines at the site."""
    noise = rng.standard_normal(day.window_count)
    if meter.role is MeterRole.HVAC:
        kw = machine_count * (2.5 + 3.0 * day.occupied) * (1.0 + 0.05 * noise)
    elif meter.role is MeterRole.COMPRESSED_AIR:
        load = rng.uniform(0.55, 0.85, size=day.window_count)
        kw = np.where(day.in_shift, 4.0 * machine_count * load, 0.5 * machine_count)
    else:  # lighting
        kw = np.where(day.occupied, 1.2, 0.15) * machine_count * (1.0 + 0.02 * noise)
    return _rounded(np.maximum(kw, 0.0) * day.hours_per_window, 4)


def heating_gas_kwh(day: SiteDay, machine_count: int, rng: np.random.Generator) -> FloatArray:
    """Space heating, scaled with the hall (machine count): full output in occupied hours,
    set back at nights and weekends."""
    noise = rng.standard_normal(day.window_count)
    level = np.where(day.occupied, 1.0, HEATING_SETBACK)
    kw = day.site.heating_kw_per_machine * machine_count * level * (1.0 + 0.05 * noise)
    result: FloatArray = np.maximum(kw, 0.0) * day.hours_per_window
    return result


def gas_volume(kwh: FloatArray, site: SiteProfile, unit: str) -> FloatArray:
    """Metered gas volume in ``unit`` (m3 or ft3) of an energy, at the site's gross
    calorific value."""
    m3 = kwh / (site.gas_calorific_value_mj_per_m3 / 3.6)
    if unit == "m3":
        return _rounded(m3, 4)
    return _rounded(m3 / conversion_factor(unit, "m3"), 3)


def _rounded(values: FloatArray, decimals: int) -> FloatArray:
    result: FloatArray = np.round(values, decimals)
    return result
