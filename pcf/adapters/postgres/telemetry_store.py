"""The PostgreSQL telemetry store: the latest revision of every meter window, in the
canonical unit of its dimension, and exact per-meter period totals."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.connection import dbapi_cursor, transaction
from pcf.core.telemetry import MeterPeriodTotal, TelemetryWindow, WriteOutcome
from pcf.core.units import CANONICAL_UNIT, conversion_factors, dimension_of
from pcf.formats.definitions import MeterQuantity

_COLUMNS = (
    "site_id, machine_id, meter_id, quantity, item_id, window_start, window_end, "
    "value, unit, revision, samples_received, samples_dropped"
)
# Windows are COPYed into a staging table that lives for the transaction, then upserted
# in one statement: far cheaper per row than a VALUES list built in Python.
# Window bounds travel as epoch seconds: formatting aware datetimes costs more than the
# whole COPY.
_STAGE = """
CREATE TEMPORARY TABLE telemetry_window_stage (
    site_id text, machine_id text, meter_id text, quantity text, item_id text,
    window_start double precision, window_end double precision, value numeric, unit text,
    revision integer, samples_received integer, samples_dropped integer
) ON COMMIT DROP
"""
_COPY_STAGE = f"COPY telemetry_window_stage ({_COLUMNS}) FROM STDIN WITH (FORMAT csv)"
_STAGED_COLUMNS = _COLUMNS.replace(
    "window_start, window_end",
    "to_timestamp(window_start), to_timestamp(window_end)",
)
# the (meter, UTC hour) pairs whose rollups must be recomputed (sql/migrations/0007)
_MARK_ROLLUPS_PENDING = """
INSERT INTO telemetry_rollup_pending (meter_id, hour_start)
SELECT DISTINCT meter_id,
       date_trunc('hour', to_timestamp(window_start) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
FROM telemetry_window_stage
ON CONFLICT DO NOTHING
"""
# the month partitions of a write, made in a short transaction of their own before it:
# creating a partition locks the parent table, which must not last a whole write
_ENSURE_PARTITION = "SELECT pcf_ensure_telemetry_partition(:month)"

# Three steps, each counting exactly what it did, so the counts stay right when writers
# race (PostgreSQL cannot return xmax from a partitioned table to tell an insert from an
# update): insert the windows nobody has stored; lock the stored ones in key order (so two
# writers never deadlock); replace those stored with a lower revision. Under READ
# COMMITTED the update re-checks the revision against the latest committed row.
_INSERT_NEW = f"""
WITH inserted AS (
    INSERT INTO telemetry_window ({_COLUMNS})
    SELECT {_STAGED_COLUMNS} FROM telemetry_window_stage ORDER BY meter_id, window_start
    ON CONFLICT (meter_id, window_start) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
"""
_LOCK_STORED = """
SELECT 1 FROM telemetry_window AS stored
JOIN telemetry_window_stage AS staged
  ON stored.meter_id = staged.meter_id
 AND stored.window_start = to_timestamp(staged.window_start)
WHERE stored.revision < staged.revision
ORDER BY stored.meter_id, stored.window_start
FOR UPDATE OF stored
"""
_REPLACE_OLDER = """
WITH replaced AS (
    UPDATE telemetry_window AS stored SET
        site_id = staged.site_id,
        machine_id = staged.machine_id,
        quantity = staged.quantity,
        item_id = staged.item_id,
        window_end = to_timestamp(staged.window_end),
        value = staged.value,
        unit = staged.unit,
        revision = staged.revision,
        samples_received = staged.samples_received,
        samples_dropped = staged.samples_dropped,
        ingested_at = now()
    FROM telemetry_window_stage AS staged
    WHERE stored.meter_id = staged.meter_id
      AND stored.window_start = to_timestamp(staged.window_start)
      AND stored.revision < staged.revision
    RETURNING 1
)
SELECT count(*) FROM replaced
"""

_PERIOD_TOTALS = """
SELECT
    meter_id,
    machine_id,
    quantity,
    item_id,
    unit,
    sum(value) AS total,
    count(*) AS windows_received,
    round(sum(extract(epoch FROM window_end - window_start)))::bigint AS seconds_covered,
    encode(sha256(convert_to(string_agg(
        trim_scale(extract(epoch FROM window_start))::text || ':'
        || trim_scale(extract(epoch FROM window_end))::text || ':'
        || value::text || ':'
        || revision::text,
        ';' ORDER BY window_start
    ), 'UTF8')), 'hex') AS windows_hash
FROM telemetry_window
WHERE site_id = :site_id AND window_start >= :period_start AND window_start < :period_end
GROUP BY meter_id, machine_id, quantity, item_id, unit
ORDER BY meter_id, min(window_start)
"""


class PostgresTelemetryStore:
    """``pcf.core.telemetry.TelemetryStore`` on the ``telemetry_window`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # months whose partition this store made sure of (partitions are never dropped
        # by the application)
        self._months_with_partitions: set[datetime] = set()

    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        """Store the windows in one transaction, each value converted to the canonical
        unit of its dimension (Wh -> kWh, ft3 -> m3, g -> kg, ...; a converted value is
        rounded to 15 significant digits, see ``_canonical_value``).

        Per (meter, window start) the highest revision wins: a window replaces the
        stored one only with a higher revision. Counts add up to ``len(windows)``:
        ``inserted`` new windows, ``replaced`` stored windows overwritten, ``ignored``
        windows that changed nothing (the store had that revision or a newer one, or the
        same call carried that window again with a revision at least as high; of equal
        revisions in one call the first is kept). Raises ``ValueError`` for a naive
        datetime, a value that is not a finite number, or a unit that is not a known
        symbol.
        """
        if not windows:
            return WriteOutcome(inserted=0, replaced=0, ignored=0)
        latest = _latest_per_window(windows)
        self._ensure_partitions(latest)
        staged = io.StringIO()
        csv.writer(staged, lineterminator="\n").writerows(_canonical_rows(latest))
        staged.seek(0)
        with transaction(self._engine) as connection:
            cursor = dbapi_cursor(connection)
            try:
                cursor.execute(_STAGE)
                cursor.copy_expert(_COPY_STAGE, staged)
                cursor.execute(_INSERT_NEW)
                (inserted,) = cursor.fetchone()
                replaced = 0
                # when every window was new, nothing stored can need replacing (and the
                # join below would cost a scan of a fresh, unanalysed partition)
                if inserted < len(latest):
                    cursor.execute(_LOCK_STORED)
                    cursor.execute(_REPLACE_OLDER)
                    (replaced,) = cursor.fetchone()
                cursor.execute(_MARK_ROLLUPS_PENDING)
                cursor.execute("DROP TABLE telemetry_window_stage")
            finally:
                cursor.close()
        return WriteOutcome(
            inserted=inserted, replaced=replaced, ignored=len(windows) - inserted - replaced
        )

    def _ensure_partitions(self, windows: Sequence[TelemetryWindow]) -> None:
        months = {
            datetime(start.year, start.month, 1, tzinfo=UTC)
            for start in (w.window_start.astimezone(UTC) for w in windows)
        } - self._months_with_partitions
        if not months:
            return
        with transaction(self._engine) as connection:
            for month in sorted(months):
                connection.execute(text(_ENSURE_PARTITION), {"month": month})
        self._months_with_partitions |= months

    def refresh_rollups(self) -> int:
        """Recompute the hourly and daily rollups of every (meter, hour) written since the
        last refresh; returns how many hours were recomputed. Safe to run at any time
        and from several processes (they take turns)."""
        with transaction(self._engine) as connection:
            refreshed: int = connection.execute(
                text("SELECT pcf_refresh_telemetry_rollups()")
            ).scalar_one()
        return refreshed

    def meter_period_totals(
        self, site_id: str, period_start: datetime, period_end: datetime
    ) -> list[MeterPeriodTotal]:
        """Per-meter totals of the site's windows starting in [period_start, period_end),
        ordered by meter id. Meters without a window in the period are absent.

        ``total`` is the exact numeric sum of the stored values, in ``unit`` (canonical).
        ``seconds_covered`` is the sum of the windows' lengths, rounded to whole seconds.
        A meter normally gives one total; one whose machine, quantity, item or unit
        changed within the period gives one total per combination (ordered by their
        first window), so no sum mixes units or items.

        ``windows_hash`` is the lowercase hex sha256 of the UTF-8 text made of one entry
        per window summed, in window_start order, entries joined by ";" (no trailing
        separator), each entry being ``start:end:value:revision`` where

        - ``start`` and ``end`` are window_start and window_end in seconds since
          1970-01-01T00:00:00Z, as a decimal without trailing zeros (whole seconds have
          no decimal point): ``1767225600``, ``1767225600.5``;
        - ``value`` is the stored value in the canonical unit as PostgreSQL prints a
          numeric: plain decimal notation, no exponent, the scale as stored (``1.5``,
          ``60.0``, ``0.00001``); Python's ``format(decimal_value, "f")`` on the value read
          back gives the same text;
        - ``revision`` is the integer revision: ``0``.

        Two one-minute windows give the text
        ``1767225600:1767225660:1.5:0;1767225660:1767225720:1.25:1``.
        """
        if period_start.tzinfo is None or period_end.tzinfo is None:
            raise ValueError("period_start and period_end must be timezone-aware")
        if period_end <= period_start:
            raise ValueError(f"period_end {period_end} is not after period_start {period_start}")
        period_seconds = round((period_end - period_start).total_seconds())
        with transaction(self._engine) as connection:
            rows = connection.execute(
                text(_PERIOD_TOTALS),
                {"site_id": site_id, "period_start": period_start, "period_end": period_end},
            ).all()
        return [
            MeterPeriodTotal(
                meter_id=row.meter_id,
                machine_id=row.machine_id,
                quantity=MeterQuantity(row.quantity),
                item_id=row.item_id,
                unit=row.unit,
                total=Decimal(row.total),
                windows_received=int(row.windows_received),
                seconds_covered=int(row.seconds_covered),
                period_seconds=period_seconds,
                windows_hash=row.windows_hash,
            )
            for row in rows
        ]


def _latest_per_window(windows: Sequence[TelemetryWindow]) -> list[TelemetryWindow]:
    """One window per (meter, window start): the highest revision, the first of equal
    ones; in key order, so concurrent writers lock rows in the same order."""
    latest: dict[tuple[str, datetime], TelemetryWindow] = {}
    for window in windows:
        if window.window_start.tzinfo is None or window.window_end.tzinfo is None:
            raise ValueError(
                f"meter {window.meter_id}: window_start and window_end must be timezone-aware"
            )
        if not math.isfinite(window.value):
            raise ValueError(
                f"meter {window.meter_id} window {window.window_start.isoformat()}: "
                f"value {window.value!r} is not a finite number"
            )
        key = (window.meter_id, window.window_start)
        kept = latest.get(key)
        if kept is None or window.revision > kept.revision:
            latest[key] = window
    return [latest[key] for key in sorted(latest)]


def _canonical_rows(windows: list[TelemetryWindow]) -> list[tuple[object, ...]]:
    """The rows to store, values converted to the canonical unit of their dimension
    (pint is asked once per distinct unit)."""
    units = np.array([window.unit for window in windows], dtype=str)
    canonical = {unit: CANONICAL_UNIT[dimension_of(unit)] for unit in set(units.tolist())}
    targets = np.array([canonical[unit] for unit in units.tolist()], dtype=str)
    factors = conversion_factors(units, targets)
    return [
        (
            window.site_id,
            window.machine_id,
            window.meter_id,
            str(window.quantity),
            window.item_id,
            window.window_start.timestamp(),
            window.window_end.timestamp(),
            _canonical_value(window.value, factor),
            target,
            window.revision,
            window.samples_received,
            window.samples_dropped,
        )
        for window, factor, target in zip(windows, factors.tolist(), targets.tolist(), strict=True)
    ]
    # csv writes None as an empty unquoted field, which COPY reads as NULL, and floats
    # and Decimals with their exact repr


def _canonical_value(value: float, factor: float) -> float | Decimal:
    """The value in the canonical unit, as the exact decimal to store.

    A value already in the canonical unit is stored as sent: psycopg2 sends a float as
    its shortest round-trip repr, which PostgreSQL reads as an exact numeric literal. A
    converted value is rounded to 15 significant digits, the precision a double
    guarantees, which removes the binary noise of the product (100 ft3 is
    2.8316846592 m3, not 2.8316846591999996).
    """
    if factor == 1.0:
        return float(value)
    return Decimal(f"{float(value) * factor:.15g}")
