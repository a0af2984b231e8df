"""The PostgreSQL telemetry store: the latest revision of every meter window, in the
canonical unit of its dimension, and exact per-meter period totals."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, Protocol

import msgspec
import numpy as np
import numpy.typing as npt
import psycopg2.errors
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.connection import CopySource, dbapi_cursor, transaction
from pcf.core.telemetry import MeterPeriodTotal, TelemetryWindow, WriteOutcome
from pcf.core.units import CANONICAL_UNIT, UnitError, conversion_factors, dimension_of
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_batch import (
    EdgeBatch,
    NotInEdgeForm,
    WireColumns,
    epoch_seconds,
    windows_table,
)

_COLUMNS = (
    "site_id, machine_id, meter_id, quantity, item_id, window_start, window_end, "
    "value, unit, revision, samples_received, samples_dropped"
)
# A batch is written as CSV through COPY, far cheaper per row than any INSERT built in
# Python. The first attempt COPYs straight into the table: a batch of new windows, what
# the ingest sees almost always, costs one COPY and one commit. When a window is stored
# already (a redelivery, a late revision, a writer racing on the same window), the COPY
# fails on the primary key and its transaction is rolled back: the batch is then COPYed
# into a staging table and merged by the three steps below, in a new transaction. (No
# savepoint: its two round trips and subtransaction cost every batch, the rollback only
# the rare batch with a stored window.)
_COPY_NEW = f"COPY telemetry_window ({_COLUMNS}) FROM STDIN WITH (FORMAT csv)"
_STAGE = """
CREATE TEMPORARY TABLE telemetry_window_stage (
    site_id text, machine_id text, meter_id text, quantity text, item_id text,
    window_start timestamptz, window_end timestamptz, value numeric, unit text,
    revision integer, samples_received integer, samples_dropped integer
) ON COMMIT DROP
"""
_COPY_STAGE = f"COPY telemetry_window_stage ({_COLUMNS}) FROM STDIN WITH (FORMAT csv)"
# the (meter, UTC hour) pairs whose rollups must be recomputed (sql/migrations/0007),
# given as two array literals (``_array_literal``): a list parameter would be sent as
# ARRAY[...] of one constant per pair, which the server parses and plans for about as
# long as the insert takes
_MARK_ROLLUPS_PENDING = """
INSERT INTO telemetry_rollup_pending (meter_id, hour_start)
SELECT meter_id, to_timestamp(hour_start)
FROM unnest(%s::text[], %s::bigint[]) AS pending (meter_id, hour_start)
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
    SELECT {_COLUMNS} FROM telemetry_window_stage ORDER BY meter_id, window_start
    ON CONFLICT (meter_id, window_start) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
"""
_LOCK_STORED = """
SELECT 1 FROM telemetry_window AS stored
JOIN telemetry_window_stage AS staged
  ON stored.meter_id = staged.meter_id AND stored.window_start = staged.window_start
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
        window_end = staged.window_end,
        value = staged.value,
        unit = staged.unit,
        revision = staged.revision,
        samples_received = staged.samples_received,
        samples_dropped = staged.samples_dropped,
        ingested_at = now()
    FROM telemetry_window_stage AS staged
    WHERE stored.meter_id = staged.meter_id
      AND stored.window_start = staged.window_start
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


class _TableWrite(Protocol):
    def __call__(self, *, stored_before: bool = False) -> WriteOutcome: ...


class _NotWritten(Exception):
    """Raised in an edge batch's rows to cancel its COPY (see ``write_edge_batch``)."""


# what an edge batch's rows raise for the batch itself (``EdgeBatch.table()`` then tells
# whether it is refused or goes the table's way)
_BATCH_REFUSALS = (NotInEdgeForm, _NotWritten, UnitError)

# psycopg2 reads a COPY's source in pieces of this size, each one send: big enough for
# few calls, small enough that a part's rows reach the server as they are made
_COPY_READ_SIZE = 1 << 16


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
        return self.write_window_table(windows_table(windows))

    def write_window_table(self, table: pa.Table) -> WriteOutcome:
        """``write_windows`` for a table of windows (``WINDOW_TABLE_SCHEMA``)."""
        return self.prepare_window_table(table)()

    def prepare_window_table(self, table: pa.Table) -> Callable[[], WriteOutcome]:
        """``write_window_table`` in two steps: the rows to write are worked out now, in
        this process (one per window, canonical units, the COPY text; raises
        ``ValueError`` as ``write_windows`` does), and the function returned writes them
        (the month partitions, then one transaction)."""
        if table.num_rows == 0:
            return lambda: WriteOutcome(inserted=0, replaced=0, ignored=0)
        return self._prepare(table)

    def _prepare(self, table: pa.Table) -> _TableWrite:
        """``prepare_window_table`` of a table with rows; the write takes
        ``stored_before=True`` when a window of the table is known to be stored, to go
        straight to the merge."""
        latest = _latest_per_window(table)
        starts = epoch_seconds(latest.column("window_start"))
        rows = _copy_csv(latest)
        meters, hours = _pending_rollup_hours(latest.column("meter_id"), starts)
        pending = (_array_literal(meters), _array_literal(map(str, hours)))

        def write(*, stored_before: bool = False) -> WriteOutcome:
            self._ensure_partitions(starts)
            if not stored_before:
                try:
                    with self._cursor() as cursor:
                        _copy_new(cursor, rows)
                        cursor.execute(_MARK_ROLLUPS_PENDING, pending)
                    ignored = table.num_rows - latest.num_rows
                    return WriteOutcome(inserted=latest.num_rows, replaced=0, ignored=ignored)
                except psycopg2.errors.UniqueViolation:  # rolled back: merge instead
                    pass
            with self._cursor() as cursor:
                inserted, replaced = _merge(cursor, rows, latest.num_rows)
                cursor.execute(_MARK_ROLLUPS_PENDING, pending)
            ignored = table.num_rows - inserted - replaced
            return WriteOutcome(inserted=inserted, replaced=replaced, ignored=ignored)

        return write

    def write_edge_batch(self, batch: EdgeBatch) -> WriteOutcome | None:
        """``write_window_table`` of ``batch.table()``, written while it is decoded: one
        COPY fed part by part, so the server stores a part while this process decodes
        the next (``docs/decisions/0005``), rows in arrival order. Returns None, having
        written nothing, when ``batch.table()`` is None.

        The COPY is an attempt, for the usual batch: new windows, each once, in months
        that have a partition. The whole batch is checked after its last part is sent
        and before the COPY ends, so a batch refused there is cancelled with its COPY.
        Anything else (a window stored before or twice in the batch, a new month, an
        error of the server) rolls the attempt back and the batch is written as
        ``write_window_table`` writes it: in key order, through the merge when needed.
        """
        texts = _WireRowTexts()
        pending: list[tuple[str, str]] = []

        def rows() -> Iterator[bytes]:
            for wire in batch.parts():
                yield texts.rows(wire)
            table = batch.table()
            if table is None:
                raise _NotWritten("the batch breaks a rule of the record model")
            latest = _latest_per_window(table)
            if latest.num_rows < table.num_rows:
                raise _NotWritten("a window is in the batch twice")
            starts = epoch_seconds(latest.column("window_start"))
            meters, hours = _pending_rollup_hours(latest.column("meter_id"), starts)
            pending.append((_array_literal(meters), _array_literal(map(str, hours))))

        source = CopySource(rows())
        try:
            with self._cursor() as cursor:
                # Only once the last part is checked do the rows end. Until then every
                # text field went quoted and every number from msgspec, so a bound or a
                # text breaking the CSV could only fail or cancel the COPY.
                cursor.copy_expert(_COPY_NEW, source, _COPY_READ_SIZE)
                cursor.execute(_MARK_ROLLUPS_PENDING, pending[0])
        except psycopg2.Error as error:  # rolled back: the table's way
            if source.error is not None and not isinstance(source.error, _BATCH_REFUSALS):
                raise source.error from error  # not the batch's doing: a fault here
            table = batch.table()
            if table is None:
                return None
            stored_before = isinstance(error, psycopg2.errors.UniqueViolation)
            return self._prepare(table)(stored_before=stored_before)
        return WriteOutcome(inserted=len(batch.payloads), replaced=0, ignored=0)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A psycopg2 cursor in a new transaction, committed when the block ends."""
        with transaction(self._engine) as connection, closing(dbapi_cursor(connection)) as c:
            yield c

    def _ensure_partitions(self, starts: npt.NDArray[np.int64]) -> None:
        months = _months(starts) - self._months_with_partitions
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


def _months(starts: npt.NDArray[np.int64]) -> set[datetime]:
    """The UTC months (their first instants) of epoch seconds."""
    return {
        datetime(day.year, day.month, 1, tzinfo=UTC)
        for day in np.unique(starts.astype("datetime64[s]").astype("datetime64[M]"))
        .astype("datetime64[D]")
        .tolist()
    }


def _copy_new(cursor: Any, rows: bytes) -> None:
    """COPY the CSV rows into the table; raises ``UniqueViolation`` if a window is
    stored already."""
    # one read of the whole text: psycopg2 takes the GIL back at every read, and the
    # archive thread is working meanwhile (8 KiB reads cost one hand-over each)
    cursor.copy_expert(_COPY_NEW, io.BytesIO(rows), max(len(rows), 1))


def _merge(cursor: Any, rows: bytes, windows: int) -> tuple[int, int]:
    """Merge the CSV rows (one per window, unique keys, in key order) through the staging
    table. Returns (inserted, replaced)."""
    size = max(len(rows), 1)
    cursor.execute(_STAGE)
    cursor.copy_expert(_COPY_STAGE, io.BytesIO(rows), size)
    cursor.execute(_INSERT_NEW)
    (inserted,) = cursor.fetchone()
    replaced = 0
    if inserted < windows:
        cursor.execute(_LOCK_STORED)
        cursor.execute(_REPLACE_OLDER)
        (replaced,) = cursor.fetchone()
    cursor.execute("DROP TABLE telemetry_window_stage")
    return inserted, replaced


def _latest_per_window(table: pa.Table) -> pa.Table:
    """One row per (meter, window start): the highest revision, the first of equal ones;
    in key order, so concurrent writers lock rows in the same order."""
    meters = pc.dictionary_encode(table.column("meter_id").combine_chunks())
    # each row's meter as the rank of its id among the batch's few distinct ids, so the
    # sort is numpy's on integers (stable: the first of equal revisions stays first)
    ranks = pc.rank(meters.dictionary, sort_keys="ascending", tiebreaker="first")
    meter_ranks = np.asarray(ranks.to_numpy())[meters.indices.to_numpy()]
    starts = np.asarray(table.column("window_start").cast(pa.int64()).to_numpy())
    revisions = np.asarray(table.column("revision").to_numpy())
    order = np.lexsort((-revisions, starts, meter_ranks))
    ordered_meters, ordered_starts = meter_ranks[order], starts[order]
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = (ordered_meters[1:] != ordered_meters[:-1]) | (
        ordered_starts[1:] != ordered_starts[:-1]
    )
    return table.take(pa.array(order[first]))


def _copy_csv(windows: pa.Table) -> bytes:
    """The rows to COPY, values converted to the canonical unit of their dimension,
    bounds as ISO 8601 UTC text. Raises ``ValueError`` for a value that is not a finite
    number or an unknown unit."""
    values = np.asarray(windows.column("value").to_numpy(), dtype=np.float64)
    if not np.isfinite(values).all():
        position = int(np.flatnonzero(~np.isfinite(values))[0])
        row = windows.slice(position, 1).to_pylist()[0]
        raise ValueError(
            f"meter {row['meter_id']} window {row['window_start'].isoformat()}: "
            f"value {row['value']!r} is not a finite number"
        )
    # pint is asked once per distinct unit
    units = pc.dictionary_encode(windows.column("unit")).combine_chunks()
    symbols = units.dictionary.to_pylist()
    unit_targets = [CANONICAL_UNIT[dimension_of(symbol)] for symbol in symbols]
    unit_factors = conversion_factors(np.array(symbols), np.array(unit_targets))
    factors = unit_factors[units.indices.to_numpy()]
    targets = pa.array(unit_targets, pa.string()).take(units.indices)
    text_columns = {
        name: windows.column(name)
        for name in ("site_id", "machine_id", "meter_id", "quantity", "item_id")
    }
    for bound in ("window_start", "window_end"):
        text_columns[bound] = _utc_texts(windows.column(bound))
    value_texts = _shortest_texts(values)
    converted = np.flatnonzero(factors != 1.0)
    with np.errstate(over="ignore"):  # an overflow is inf, as in _canonical_value
        products = (values[converted] * factors[converted]).tolist()
    for position, product in zip(converted.tolist(), products, strict=True):
        value_texts[position] = _converted_text(product).encode()
    text_columns["value"] = pa.array(value_texts, pa.string())
    text_columns["unit"] = targets
    for count in ("revision", "samples_received", "samples_dropped"):
        text_columns[count] = windows.column(count)
    sink = io.BytesIO()
    pa_csv.write_csv(
        pa.table(text_columns),
        sink,
        # texts quoted and nulls left empty: COPY reads "" as an empty text and an empty
        # unquoted field as NULL
        pa_csv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return sink.getvalue()


# the fields that make a row's first five texts and its unit: the same for every window
# of a meter
_METER_FIELDS = ("site_id", "machine_id", "meter_id", "quantity", "item_id", "unit")
_HEAD, _UNIT, _FACTOR = itemgetter(0), itemgetter(1), itemgetter(2)
# head (the first five fields, each followed by its comma), bounds, value, unit, counts
_ROW = "%s%s,%s,%s,%s,%s,%s,%s\n".__mod__


class _MeterTexts(dict[tuple[Any, ...], tuple[str, str, float]]):
    """A meter's fields (``_METER_FIELDS``) -> the row's first five texts, quoted and
    each followed by its comma; the canonical unit, quoted; the factor to it. Each made
    once, on first use."""

    def __missing__(self, key: tuple[Any, ...]) -> tuple[str, str, float]:
        *names, unit = key
        head = "".join(f"{_csv_text(name)}," for name in names)
        texts = self[key] = (head, *_canonical_unit_text(unit))
        return texts


@cache
def _canonical_unit_text(unit: str) -> tuple[str, float]:
    """The canonical unit of a unit's dimension as a quoted CSV field, and the factor to
    it, as ``_copy_csv`` converts. Raises ``UnitError`` for an unknown unit (so only
    known units are kept)."""
    target = CANONICAL_UNIT[dimension_of(unit)]
    factor = float(conversion_factors(np.array([unit]), np.array([target]))[0])
    return _csv_text(target), factor


class _WireRowTexts:
    """Wire records' columns as COPY CSV rows with ``_copy_csv``'s values, made a row at
    a time by C calls (``map``), with no batch-wide step: the texts of a meter's fields
    once per batch (``_MeterTexts``), the bounds as sent (whole seconds with "Z",
    checked on the whole batch before the COPY ends), the values as ``_copy_csv``
    writes them."""

    def __init__(self) -> None:
        self._meters = _MeterTexts()

    def rows(self, part: WireColumns) -> bytes:
        keys = zip(*map(part.__getitem__, _METER_FIELDS), strict=True)
        meters = list(map(self._meters.__getitem__, keys))
        values = part["value"]
        value_texts = msgspec.json.encode(values).decode()[1:-1].split(",")
        factors = list(map(_FACTOR, meters))
        converted = np.flatnonzero(np.array(factors) != 1.0).tolist()
        for position in converted:
            value_texts[position] = _converted_text(values[position] * factors[position])
        rows = zip(
            map(_HEAD, meters),
            part["window_start"],
            part["window_end"],
            value_texts,
            map(_UNIT, meters),
            part["revision"],
            part["samples_received"],
            part["samples_dropped"],
            strict=True,
        )
        return "".join(map(_ROW, rows)).encode()


def _csv_text(text: str | None) -> str:
    """A text as a quoted CSV field (COPY reads "" as an empty text), None as NULL."""
    return "" if text is None else '"' + text.replace('"', '""') + '"'


def _converted_text(product: float) -> str:
    """A converted value's text to store: ``_canonical_value``'s, faster."""
    rounded = f"{product:.15g}"
    # Decimal changes only an exponent, a sign or inf
    plain = rounded.replace(".", "", 1).isdigit()
    return rounded if plain else str(Decimal(rounded))


def _shortest_texts(values: npt.NDArray[np.float64]) -> list[bytes]:
    """Finite values as the shortest decimal text that reads back as the same double:
    the digits of ``repr``, which ``_canonical_value`` stores. msgspec writes a list of
    them in one call, ten times faster than ``repr`` one at a time; it writes an
    exponent differently (``1e16`` for ``1e+16``, ``0.00001`` for ``1e-05``), which
    PostgreSQL reads as the same numeric, value and scale alike."""
    return msgspec.json.encode(values.tolist())[1:-1].split(b",")


def _utc_texts(timestamps: pa.ChunkedArray) -> pa.Array:
    """UTC timestamps as ISO 8601 text, in whole seconds when all are whole (as the edge
    sends: shorter, and faster for PostgreSQL to read). A batch holds few distinct
    instants (every meter sends the same minutes), so each is formatted once."""
    encoded = pc.dictionary_encode(timestamps.combine_chunks())
    micros = encoded.dictionary.cast(pa.int64()).to_numpy()
    instants = micros.astype("datetime64[us]")
    if (micros % 1_000_000).any():
        texts = np.datetime_as_string(instants, "us", timezone="UTC")
    else:
        texts = np.datetime_as_string(instants, "s", timezone="UTC")
    return pa.array(texts, pa.string()).take(encoded.indices)


def _pending_rollup_hours(
    meters: pa.ChunkedArray, starts: npt.NDArray[np.int64]
) -> tuple[list[str], list[int]]:
    """The distinct (meter, UTC hour start in epoch seconds) pairs of windows given in
    key order (meter, then start), in that order: a pair's windows are one run of rows,
    so a pair starts wherever the meter or the hour changes."""
    meter_ids = meters.combine_chunks()
    hours = starts - starts % 3600
    first = np.ones(len(hours), dtype=np.bool_)
    if len(hours) > 1:
        new_meter = pc.not_equal(meter_ids[1:], meter_ids[:-1]).to_numpy(zero_copy_only=False)
        first[1:] = new_meter | (hours[1:] != hours[:-1])
    runs = np.flatnonzero(first)
    return meter_ids.take(pa.array(runs)).to_pylist(), hours[runs].tolist()


def _array_literal(texts: Iterable[str]) -> str:
    """The texts as one PostgreSQL array literal (``{"a","b \\"c\\""}``), each element
    quoted, so any text (commas, braces, quotes, backslashes, NULL) reads back as it is."""
    escaped = (element.replace("\\", "\\\\").replace('"', '\\"') for element in texts)
    return "{" + ",".join(f'"{element}"' for element in escaped) + "}"


def _canonical_value(value: float, factor: float) -> str:
    """The value in the canonical unit, as the exact decimal text to store.

    A value already in the canonical unit is stored as sent: its shortest round-trip
    repr, which PostgreSQL reads as an exact numeric literal. A converted value is
    rounded to 15 significant digits, the precision a double guarantees, which removes
    the binary noise of the product (100 ft3 is 2.8316846592 m3, not
    2.8316846591999996).
    """
    if factor == 1.0:
        return repr(float(value))
    return str(Decimal(f"{float(value) * factor:.15g}"))
