"""Edge processing: raw meter readings in, one telemetry window per meter and wall-clock
window out (ARCHITECTURE.md, data flow step 1).

``WindowAggregator`` holds one component's meters. ``add()`` takes a poll (or any batch) of
``MeterReading``; ``close_due(now, grace_seconds)`` returns the windows to send. The rules,
stated exactly:

Windows
    A window is ``[k * W, (k + 1) * W)`` seconds since the epoch (UTC), ``W`` =
    ``window_seconds`` dividing 3600, so windows align to the wall clock. A reading belongs
    to the window holding its timestamp. A window is due once ``end + grace_seconds <= now``.
    A meter with no reading in a window gets no window (a gap, never a zero window).

Counters become deltas
    Per meter, readings are taken in timestamp order (whatever order they arrive in). The
    *baseline* is the last accepted reading. A reading's delta is measured against the
    baseline and attributed whole to the window of the reading (no pro-rating), so the sum
    of a meter's window values equals its counter difference exactly (up to the float
    arithmetic of the deltas themselves). With ``v0`` the baseline, ``v`` the new value,
    ``dt`` the seconds since the baseline, ``M`` = ``counter_max``, ``R`` =
    ``reset_threshold``:

    * first reading of a meter (no baseline): delta 0, it becomes the baseline;
    * ``v >= v0``: delta ``v - v0``;
    * rollover: ``v < v0`` and ``M`` is set and ``v0 >= M - R`` and ``v < R``:
      delta ``(M - v0) + v`` (the register wrapped from near ``M`` to near 0);
    * reset: ``v < v0`` and ``v < R`` and not a rollover: delta ``v`` (the energy since
      the reset; the energy between the baseline and the reset itself is unknown and not
      counted);
    * any other decrease is implausible: dropped;
    * a delta above ``max_rate_per_second * dt`` is implausible: dropped;
    * a non-finite or negative value is dropped.

    ``R`` must exceed the most a meter can advance between two polls and be far below
    ``M``; ``R = 0`` (the default) recognises neither resets nor rollovers.

Dropped readings
    A dropped reading counts in its window's ``samples_received`` and ``samples_dropped``,
    adds nothing, and does not move the baseline, so a one-off glitch loses no energy: the
    next good reading's delta covers the whole interval. After ``rebaseline_after_drops``
    consecutive drops the latest dropped reading becomes the baseline (the counter really
    jumped, e.g. a replaced meter that does not start near 0); the energy across the jump
    is not counted.

Late and out-of-order readings
    A reading older than the meter's newest reading is inserted in timestamp order and the
    meter's deltas from that point on are recomputed. A window already sent whose values
    change (or which gains a meter) is sent again by the next ``close_due`` with
    ``revision + 1`` (a meter's first window there has revision 0); stores keep the highest
    revision, so nothing is counted twice or lost. Readings are kept for
    ``revision_horizon_seconds``; a reading older than that horizon is refused and counted
    in ``counters.readings_too_late``: its energy is not lost, the meter's next reading's
    delta covers it. A second reading of the same meter with the same timestamp is a
    duplicate and ignored.

Rate readings
    ``ReadingKind.RATE`` readings (instantaneous power) are never summed into energy; they
    are ignored here and counted in ``counters.rate_readings_ignored``.

Restart
    ``to_state()`` returns a JSON-able dict of everything (per-meter baselines, the readings
    within the revision horizon, open windows, sent revisions); ``from_state()`` restores it,
    so a component saving its state after each ``add()``/``close_due()`` and restarted
    mid-window neither loses nor double counts.

Speed: per-meter state lives in numpy arrays indexed by meter position; a batch is
processed in rounds, round ``k`` handling the ``k``-th reading of every meter in the batch
at once (a poll is one round), so the cost per reading is a few vector operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from pcf.core.telemetry import TelemetryWindow
from pcf.edge.readings import MeterReading, ReadingKind
from pcf.formats.definitions import MeterQuantity

STATE_VERSION = 1

_METER_ID = attrgetter("meter_id")
_TIMESTAMP = attrgetter("timestamp")
_VALUE = attrgetter("value")
_KIND = attrgetter("kind")

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class MeterSettings:
    """How one meter's readings become window values.

    ``unit`` is the symbol of the unit the readings are in (kWh, m3, piece ...);
    ``counter_max`` is the register value at which it rolls over to 0 (None: never);
    ``max_rate_per_second`` is the most the counter can plausibly advance per second, in
    ``unit`` per second (None: no limit); ``reset_threshold`` tells rollovers and resets
    from glitches (see the module docstring); ``machine_id`` None is a site overhead meter.
    """

    meter_id: str
    site_id: str
    machine_id: str | None
    quantity: MeterQuantity
    unit: str
    item_id: str | None = None
    counter_max: float | None = None
    max_rate_per_second: float | None = None
    reset_threshold: float = 0.0
    rebaseline_after_drops: int = 3

    def __post_init__(self) -> None:
        where = f'meter "{self.meter_id}"'
        if not self.meter_id:
            raise ValueError("a meter needs a meter_id")
        if self.counter_max is not None and not self.counter_max > 0:
            raise ValueError(f"{where}: counter_max {self.counter_max} must be > 0")
        if self.max_rate_per_second is not None and not self.max_rate_per_second > 0:
            raise ValueError(f"{where}: max_rate_per_second {self.max_rate_per_second} must be > 0")
        if not self.reset_threshold >= 0:
            raise ValueError(f"{where}: reset_threshold {self.reset_threshold} must be >= 0")
        if self.counter_max is not None and not self.reset_threshold < self.counter_max / 2:
            raise ValueError(
                f"{where}: reset_threshold {self.reset_threshold} must be below half of "
                f"counter_max {self.counter_max}"
            )
        if self.rebaseline_after_drops < 1:
            raise ValueError(f"{where}: rebaseline_after_drops must be >= 1")
        if self.quantity is MeterQuantity.PRODUCTION_COUNT and not self.item_id:
            raise ValueError(f"{where}: a production_count meter names the item it counts")


@dataclass
class AggregatorCounters:
    """Readings that reached no window, by reason (for logs and metrics)."""

    rate_readings_ignored: int = 0
    readings_unknown_meter: int = 0
    readings_bad_timestamp: int = 0
    readings_too_late: int = 0
    readings_duplicate: int = 0


# The reading log: every accepted-for-processing reading within the revision horizon, with
# its outcome and the meter state before it (so a late reading can replay from there).
_LOG_COLUMNS: dict[str, type[np.generic]] = {
    "meter": np.int64,
    "ts": np.float64,
    "value": np.float64,
    "window": np.int64,
    "delta": np.float64,
    "dropped": np.bool_,
    "before_value": np.float64,
    "before_ts": np.float64,  # NaN: no baseline yet
    "before_drops": np.int64,
}


class _ReadingLog:
    def __init__(self) -> None:
        self.size = 0
        self._data: dict[str, npt.NDArray[Any]] = {
            name: np.empty(1024, dtype) for name, dtype in _LOG_COLUMNS.items()
        }

    def column(self, name: str) -> npt.NDArray[Any]:
        return self._data[name][: self.size]

    def append(self, columns: Mapping[str, npt.NDArray[Any]]) -> None:
        n = len(columns["meter"])
        needed = self.size + n
        capacity = len(self._data["meter"])
        if needed > capacity:
            capacity = max(needed, 2 * capacity)
            for name, array in self._data.items():
                grown = np.empty(capacity, array.dtype)
                grown[: self.size] = array[: self.size]
                self._data[name] = grown
        for name in _LOG_COLUMNS:
            self._data[name][self.size : needed] = columns[name]
        self.size = needed

    def update(self, rows: Ints, columns: Mapping[str, npt.NDArray[Any]]) -> None:
        for name, values in columns.items():
            self._data[name][rows] = values

    def keep(self, mask: Bools) -> None:
        kept = {name: self.column(name)[mask] for name in _LOG_COLUMNS}
        self.size = 0
        self.append(kept)


@dataclass
class _SentWindow:
    """What was last sent for one window, per meter position (revision -1: nothing)."""

    revision: Ints
    value: Floats
    received: Ints
    dropped: Ints

    @classmethod
    def empty(cls, n_meters: int) -> _SentWindow:
        return cls(
            np.full(n_meters, -1, np.int64),
            np.zeros(n_meters),
            np.zeros(n_meters, np.int64),
            np.zeros(n_meters, np.int64),
        )


@dataclass
class _Outcome:
    delta: Floats
    dropped: Bools
    before_value: Floats
    before_ts: Floats
    before_drops: Ints


@dataclass
class WindowAggregator:
    """Turns one component's meter readings into per-meter wall-clock windows."""

    meters: Sequence[MeterSettings]
    window_seconds: int = 60
    revision_horizon_seconds: float = 900.0
    counters: AggregatorCounters = field(default_factory=AggregatorCounters)

    def __post_init__(self) -> None:
        if self.window_seconds <= 0 or 3600 % self.window_seconds:
            raise ValueError(f"window_seconds {self.window_seconds} must divide 3600")
        if self.revision_horizon_seconds < self.window_seconds:
            raise ValueError("revision_horizon_seconds must be at least one window")
        self.meters = tuple(self.meters)
        self._position = {meter.meter_id: i for i, meter in enumerate(self.meters)}
        if len(self._position) != len(self.meters):
            raise ValueError("meter ids must be unique")
        n = len(self.meters)
        inf = math.inf
        self._counter_max = np.array([m.counter_max or inf for m in self.meters], np.float64)
        self._max_rate = np.array([m.max_rate_per_second or inf for m in self.meters])
        self._reset_threshold = np.array([m.reset_threshold for m in self.meters], np.float64)
        self._rebaseline_after = np.array([m.rebaseline_after_drops for m in self.meters], np.int64)
        # per-meter state: the baseline (last accepted reading), consecutive drops since it,
        # and the newest timestamp seen
        self._base_value = np.zeros(n)
        self._base_ts = np.full(n, np.nan)
        self._drops = np.zeros(n, np.int64)
        self._last_seen = np.full(n, -inf)
        self._log = _ReadingLog()
        self._open: set[int] = set()  # windows with readings, not sent yet
        self._dirty: set[int] = set()  # sent windows that got readings since
        self._sent: dict[int, _SentWindow] = {}
        self._horizon_start = -inf  # readings before this are refused

    # -- adding readings ------------------------------------------------------------------

    def add(self, readings: Sequence[MeterReading]) -> None:
        """Process a batch of readings (any order, any meters, any number per meter)."""
        n = len(readings)
        if n == 0:
            return
        # map() over attrgetters: the per-reading Python work is this extraction alone
        ids = map(_METER_ID, readings)
        meter = np.fromiter(map(self._position.get, ids, repeat(-1)), np.int64, n)
        ts = np.fromiter(map(_TIMESTAMP, readings), np.float64, n)
        value = np.fromiter(map(_VALUE, readings), np.float64, n)
        kinds = list(map(_KIND, readings))
        if ReadingKind.RATE in kinds:
            rate = np.fromiter((k == ReadingKind.RATE for k in kinds), np.bool_, n)
        else:
            rate = np.zeros(n, np.bool_)
        self._add_arrays(meter, ts, value, rate)

    def _add_arrays(self, meter: Ints, ts: Floats, value: Floats, rate: Bools) -> None:
        counters = self.counters
        counters.rate_readings_ignored += int(rate.sum())
        unknown = ~rate & (meter < 0)
        counters.readings_unknown_meter += int(unknown.sum())
        keep = ~rate & ~unknown
        bad_ts = keep & ~np.isfinite(ts)
        counters.readings_bad_timestamp += int(bad_ts.sum())
        keep &= ~bad_ts
        too_late = keep & (ts < self._horizon_start)
        counters.readings_too_late += int(too_late.sum())
        keep &= ~too_late
        if not keep.all():
            meter, ts, value = meter[keep], ts[keep], value[keep]
        if len(meter) == 0:
            return
        if len(meter) > 1:
            order = np.lexsort((ts, meter))
            meter, ts, value = meter[order], ts[order], value[order]
            repeated = np.zeros(len(meter), np.bool_)
            repeated[1:] = (meter[1:] == meter[:-1]) & (ts[1:] == ts[:-1])
            if repeated.any():
                counters.readings_duplicate += int(repeated.sum())
                meter, ts, value = meter[~repeated], ts[~repeated], value[~repeated]
        late = ts <= self._last_seen[meter]
        if late.any():
            self._replay(meter, ts, value, late)
        else:
            outcome = self._process(meter, ts, value)
            self._log.append(self._log_columns(meter, ts, value, outcome))
            self._mark_touched(ts)
        np.maximum.at(self._last_seen, meter, ts)

    def _replay(self, meter: Ints, ts: Floats, value: Floats, late: Bools) -> None:
        """Merge a batch holding late readings with the logged readings they precede, and
        recompute those meters from the state before the earliest late reading."""
        earliest = np.full(len(self.meters), np.inf)
        np.minimum.at(earliest, meter[late], ts[late])
        log = self._log
        log_meter, log_ts = log.column("meter"), log.column("ts")
        # every logged reading of a replayed meter from its earliest late reading on; the
        # meter's newest reading is always among them (it is never older than the horizon)
        rows = np.flatnonzero(log_ts >= earliest[log_meter])
        all_meter = np.concatenate([log_meter[rows], meter])
        all_ts = np.concatenate([log_ts[rows], ts])
        all_value = np.concatenate([log.column("value")[rows], value])
        row_id = np.concatenate([rows, np.full(len(meter), -1, np.int64)])
        is_new = row_id < 0
        order = np.lexsort((is_new, all_ts, all_meter))
        all_meter, all_ts, all_value = all_meter[order], all_ts[order], all_value[order]
        row_id, is_new = row_id[order], is_new[order]
        repeated = np.zeros(len(order), np.bool_)
        repeated[1:] = (all_meter[1:] == all_meter[:-1]) & (all_ts[1:] == all_ts[:-1])
        repeated &= is_new  # a logged reading sorts first, so the new copy is the duplicate
        if repeated.any():
            self.counters.readings_duplicate += int(repeated.sum())
            keep = ~repeated
            all_meter, all_ts, all_value = all_meter[keep], all_ts[keep], all_value[keep]
            row_id, is_new = row_id[keep], is_new[keep]
        # rewind each replayed meter to the state before its earliest logged reading in play
        logged = np.flatnonzero(~is_new)
        replayed, first = np.unique(all_meter[logged], return_index=True)
        first_rows = row_id[logged[first]]
        self._base_value[replayed] = log.column("before_value")[first_rows]
        self._base_ts[replayed] = log.column("before_ts")[first_rows]
        self._drops[replayed] = log.column("before_drops")[first_rows]
        outcome = self._process(all_meter, all_ts, all_value)
        columns = self._log_columns(all_meter, all_ts, all_value, outcome)
        old = ~is_new
        log.update(row_id[old], {name: columns[name][old] for name in _LOG_COLUMNS})
        log.append({name: columns[name][is_new] for name in _LOG_COLUMNS})
        self._mark_touched(all_ts)

    def _process(self, meter: Ints, ts: Floats, value: Floats) -> _Outcome:
        """Classify readings sorted by (meter, timestamp), starting from the current
        per-meter state, in rounds: round k takes each meter's k-th reading."""
        n = len(meter)
        outcome = _Outcome(
            np.empty(n), np.empty(n, np.bool_), np.empty(n), np.empty(n), np.empty(n, np.int64)
        )
        starts = np.flatnonzero(np.concatenate([[True], meter[1:] != meter[:-1]]))
        sizes = np.diff(np.append(starts, n))
        if sizes.max() == 1:
            rounds: Iterable[Ints] = [np.arange(n)]
        else:
            rank = np.arange(n) - np.repeat(starts, sizes)
            by_rank = np.argsort(rank, kind="stable")
            rounds = np.split(by_rank, np.cumsum(np.bincount(rank))[:-1])
        for at in rounds:
            self._classify_round(meter[at], ts[at], value[at], at, outcome)
        return outcome

    def _classify_round(self, m: Ints, t: Floats, v: Floats, at: Ints, outcome: _Outcome) -> None:
        """Apply the delta rules (module docstring) to readings of distinct meters."""
        v0, t0, drops0 = self._base_value[m], self._base_ts[m], self._drops[m]
        outcome.before_value[at], outcome.before_ts[at], outcome.before_drops[at] = v0, t0, drops0
        counter_max, threshold = self._counter_max[m], self._reset_threshold[m]
        has_base = ~np.isnan(t0)
        valid = np.isfinite(v) & (v >= 0)
        with np.errstate(invalid="ignore", over="ignore"):
            falling = v < v0
            rollover = falling & (v0 >= counter_max - threshold) & (v < threshold)
            reset = falling & ~rollover & (v < threshold)
            delta = np.where(rollover, (counter_max - v0) + v, np.where(reset, v, v - v0))
            accepted = has_base & valid & (delta >= 0) & (delta <= self._max_rate[m] * (t - t0))
        first = ~has_base & valid
        dropped = ~accepted & ~first
        drops = np.where(dropped, drops0 + 1, 0)
        rebaseline = dropped & valid & (drops >= self._rebaseline_after[m])
        new_base = accepted | first | rebaseline
        self._base_value[m] = np.where(new_base, v, v0)
        self._base_ts[m] = np.where(new_base, t, t0)
        self._drops[m] = np.where(rebaseline, 0, drops)
        outcome.delta[at] = np.where(accepted, delta, 0.0)
        outcome.dropped[at] = dropped

    def _log_columns(
        self, meter: Ints, ts: Floats, value: Floats, outcome: _Outcome
    ) -> dict[str, npt.NDArray[Any]]:
        return {
            "meter": meter,
            "ts": ts,
            "value": value,
            "window": np.floor(ts / self.window_seconds).astype(np.int64),
            "delta": outcome.delta,
            "dropped": outcome.dropped,
            "before_value": outcome.before_value,
            "before_ts": outcome.before_ts,
            "before_drops": outcome.before_drops,
        }

    def _mark_touched(self, ts: Floats) -> None:
        lo = math.floor(float(ts.min()) / self.window_seconds)
        hi = math.floor(float(ts.max()) / self.window_seconds)
        keys = range(lo, hi + 1) if hi == lo else self._window_keys(ts)
        for key in keys:
            (self._dirty if key in self._sent else self._open).add(key)

    def _window_keys(self, ts: Floats) -> list[int]:
        keys: list[int] = np.unique(np.floor(ts / self.window_seconds)).astype(int).tolist()
        return keys

    # -- closing windows ------------------------------------------------------------------

    def close_due(self, now: float, grace_seconds: float = 5.0) -> list[TelemetryWindow]:
        """Windows to send: every window whose end + grace_seconds <= now (revision 0 for a
        meter's first), and sent windows changed by late readings (revision + 1). Ordered by
        window start, then meter order."""
        width = self.window_seconds
        due = {key for key in self._open if (key + 1) * width + grace_seconds <= now}
        windows: list[TelemetryWindow] = []
        for key in sorted(due | self._dirty):
            windows.extend(self._send_changes(key))
        self._open -= due
        self._dirty.clear()
        self._prune(now)
        return windows

    def _send_changes(self, key: int) -> list[TelemetryWindow]:
        log = self._log
        rows = np.flatnonzero(log.column("window") == key)
        meter = log.column("meter")[rows]
        # sum each meter's deltas in timestamp order: the same readings give the same bits
        order = np.lexsort((log.column("ts")[rows], meter))
        rows, meter = rows[order], meter[order]
        n = len(self.meters)
        value = np.bincount(meter, weights=log.column("delta")[rows], minlength=n)
        received = np.bincount(meter, minlength=n).astype(np.int64)
        dropped = np.bincount(meter, weights=log.column("dropped")[rows], minlength=n)
        dropped = dropped.astype(np.int64)
        sent = self._sent.setdefault(key, _SentWindow.empty(n))
        changed = (received > 0) & (
            (sent.revision < 0)
            | (value != sent.value)
            | (received != sent.received)
            | (dropped != sent.dropped)
        )
        positions = np.flatnonzero(changed)
        sent.revision[positions] += 1
        sent.value[positions] = value[positions]
        sent.received[positions] = received[positions]
        sent.dropped[positions] = dropped[positions]
        start = datetime.fromtimestamp(key * self.window_seconds, UTC)
        end = datetime.fromtimestamp((key + 1) * self.window_seconds, UTC)
        windows = []
        for i, revision, amount, got, lost in zip(
            positions.tolist(),
            sent.revision[positions].tolist(),
            value[positions].tolist(),
            received[positions].tolist(),
            dropped[positions].tolist(),
            strict=True,
        ):
            meter_settings = self.meters[i]
            windows.append(
                TelemetryWindow(
                    site_id=meter_settings.site_id,
                    machine_id=meter_settings.machine_id,
                    meter_id=meter_settings.meter_id,
                    quantity=meter_settings.quantity,
                    item_id=meter_settings.item_id,
                    window_start=start,
                    window_end=end,
                    value=amount,
                    unit=meter_settings.unit,
                    revision=revision,
                    samples_received=got,
                    samples_dropped=lost,
                )
            )
        return windows

    def _prune(self, now: float) -> None:
        """Forget readings and sent windows older than the revision horizon (never a window
        not sent yet)."""
        key = math.floor((now - self.revision_horizon_seconds) / self.window_seconds)
        if self._open:
            key = min(key, min(self._open))
        start = float(key * self.window_seconds)
        if start <= self._horizon_start:
            return
        self._horizon_start = start
        self._log.keep(self._log.column("window") >= key)
        for old in [k for k in self._sent if k < key]:
            del self._sent[old]

    # -- saving and restoring -------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to carry on after a restart, as plain JSON-able values (no NaN
        or infinity: those are written as null)."""
        log = self._log
        return {
            "version": STATE_VERSION,
            "window_seconds": self.window_seconds,
            "meter_ids": [meter.meter_id for meter in self.meters],
            "base_value": _to_json(self._base_value),
            "base_ts": _to_json(self._base_ts),
            "drops": self._drops.tolist(),
            "last_seen": _to_json(self._last_seen),
            "log": {name: _to_json(log.column(name)) for name in _LOG_COLUMNS},
            "open": sorted(self._open),
            "dirty": sorted(self._dirty),
            "sent": {
                str(key): {
                    "revision": sent.revision.tolist(),
                    "value": sent.value.tolist(),
                    "received": sent.received.tolist(),
                    "dropped": sent.dropped.tolist(),
                }
                for key, sent in sorted(self._sent.items())
            },
            "horizon_start": _scalar_to_json(self._horizon_start),
            "counters": asdict(self.counters),
        }

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        meters: Sequence[MeterSettings],
        *,
        revision_horizon_seconds: float = 900.0,
    ) -> WindowAggregator:
        """Restore an aggregator saved by ``to_state()``. ``meters`` may differ from the
        saved ones: meters no longer configured are forgotten, new ones start fresh."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"edge state version {state.get('version')} is not supported")
        aggregator = cls(
            meters,
            window_seconds=int(state["window_seconds"]),
            revision_horizon_seconds=revision_horizon_seconds,
            counters=AggregatorCounters(**state["counters"]),
        )
        saved_ids: list[str] = state["meter_ids"]
        # saved position -> current position (-1: no longer configured)
        now_at = np.array([aggregator._position.get(mid, -1) for mid in saved_ids], np.int64)
        known = now_at >= 0
        to = now_at[known]

        def restore(target: npt.NDArray[Any], saved: list[Any], missing: float) -> None:
            target[to] = _from_json(saved, missing)[known]

        restore(aggregator._base_value, state["base_value"], 0.0)
        restore(aggregator._base_ts, state["base_ts"], math.nan)
        restore(aggregator._drops, state["drops"], 0)
        restore(aggregator._last_seen, state["last_seen"], -math.inf)
        saved_log = {name: _from_json(state["log"][name], math.nan) for name in _LOG_COLUMNS}
        log_meter = now_at[saved_log["meter"].astype(np.int64)]
        keep = log_meter >= 0
        columns = {
            name: saved_log[name][keep].astype(dtype) for name, dtype in _LOG_COLUMNS.items()
        }
        columns["meter"] = log_meter[keep]
        aggregator._log.append(columns)
        aggregator._open = set(state["open"])
        aggregator._dirty = set(state["dirty"])
        for key, saved in state["sent"].items():
            sent = _SentWindow.empty(len(aggregator.meters))
            sent.revision[to] = np.asarray(saved["revision"], np.int64)[known]
            sent.value[to] = np.asarray(saved["value"], np.float64)[known]
            sent.received[to] = np.asarray(saved["received"], np.int64)[known]
            sent.dropped[to] = np.asarray(saved["dropped"], np.int64)[known]
            aggregator._sent[int(key)] = sent
        horizon = state["horizon_start"]
        aggregator._horizon_start = -math.inf if horizon is None else float(horizon)
        return aggregator


def _scalar_to_json(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _to_json(array: npt.NDArray[Any]) -> list[Any]:
    values: list[Any] = array.tolist()
    if array.dtype.kind == "f":
        return [x if math.isfinite(x) else None for x in values]
    return values


def _from_json(values: list[Any], missing: float) -> npt.NDArray[Any]:
    if any(x is None for x in values):
        return np.array([missing if x is None else x for x in values], np.float64)
    return np.array(values) if values else np.zeros(0)
