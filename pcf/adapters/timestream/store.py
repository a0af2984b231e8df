"""The Timestream for LiveAnalytics telemetry store: one multi-measure record per meter
window, the window's revision carried as the record version, exact per-meter totals.

Record layout (raw table, measure name ``window``):

- dimensions ``site_id`` and ``meter_id``; time = ``window_start`` in milliseconds. A
  record's identity in Timestream is (dimensions, time, measure name), so the identity
  here is (site, meter, window start), as the PostgreSQL store's key is (meter, window
  start). ``machine_id``, ``quantity`` and ``item_id`` are deliberately measures, not
  dimensions: a later revision may change them, and as dimensions that would create a
  second record beside the old one (counted twice) instead of replacing it.
- measures (``MULTI``): ``value`` (DOUBLE, canonical unit, for SQL aggregation and the
  hourly rollup), ``value_decimal`` (VARCHAR, the exact decimal the PostgreSQL store would
  hold, for exact totals and the windows hash), ``unit``, ``machine_id``, ``quantity``,
  ``item_id`` (VARCHAR), ``window_ms``, ``revision``, ``samples_received``,
  ``samples_dropped`` (BIGINT). Timestream refuses empty VARCHAR values, so a missing
  ``machine_id`` or ``item_id`` is written as ``"-"`` (``NONE_MARKER``) and read back as
  ``None``; an id that is literally ``"-"`` is refused.
- ``Version = revision + 1`` (Timestream's default version is 1, so revision 0 is the
  version an unversioned writer would get). Timestream replaces a record when the new
  version is higher, accepts an identical record silently, and rejects a record with
  different values and an equal or lower version, reporting ``ExistingVersion``: exactly
  "highest revision wins, same revision is a no-op".

Window bounds are stored to the millisecond (Timestream's time unit here); a window whose
bounds are not whole milliseconds is refused rather than silently truncated.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from hashlib import sha256
from typing import Any

from botocore.exceptions import ClientError

from pcf.adapters.timestream.rollup import hourly_rollup_scheduled_query
from pcf.core.telemetry import MeterPeriodTotal, TelemetryWindow, WriteOutcome
from pcf.core.units import CANONICAL_UNIT, conversion_factor, dimension_of
from pcf.formats.definitions import MeterQuantity

MEASURE_NAME = "window"
NONE_MARKER = "-"
MAX_RECORDS_PER_WRITE = 100  # the WriteRecords limit
RETRYABLE_ERRORS = frozenset(
    {"ThrottlingException", "InternalServerException", "ServiceUnavailableException"}
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.\-]{3,256}$")

_WINDOWS_QUERY = """\
SELECT meter_id, machine_id, quantity, item_id, unit,
    to_milliseconds(time) AS start_ms, window_ms, value_decimal, revision
FROM "{database}"."{table}"
WHERE measure_name = '{measure}'
    AND site_id = '{site_id}'
    AND time >= from_milliseconds({start_ms})
    AND time < from_milliseconds({end_ms})
ORDER BY meter_id, time"""


@dataclass(frozen=True)
class RejectedWindow:
    """A window Timestream refused for a reason other than a newer or equal version."""

    meter_id: str
    window_start: datetime
    revision: int
    reason: str
    existing_version: int | None

    def __str__(self) -> str:
        existing = (
            "" if self.existing_version is None else f", existing version {self.existing_version}"
        )
        return (
            f"meter {self.meter_id} window {self.window_start.isoformat()} "
            f"revision {self.revision}: {self.reason}{existing}"
        )


class TimestreamWriteError(RuntimeError):
    """Timestream rejected windows (outside the memory store retention, over a limit, a
    schema conflict...). Every other window of the call was still written: ``outcome``
    says what was; resending the whole call is safe (the written ones are no-ops)."""

    def __init__(self, rejected: Sequence[RejectedWindow], outcome: WriteOutcome) -> None:
        self.rejected = list(rejected)
        self.outcome = outcome
        shown = "; ".join(str(window) for window in self.rejected[:5])
        more = f" (and {len(self.rejected) - 5} more)" if len(self.rejected) > 5 else ""
        super().__init__(f"Timestream rejected {len(self.rejected)} window(s): {shown}{more}")


class TimestreamTelemetryStore:
    """``pcf.core.telemetry.TelemetryStore`` on a Timestream for LiveAnalytics table.

    ``write_client`` and ``query_client`` are boto3 ``timestream-write`` and
    ``timestream-query`` clients. ``rollup_table`` (same database) is the target of the
    hourly scheduled query, see ``hourly_rollup_scheduled_query``. Throttling and internal
    errors are retried ``max_attempts`` times in all, with capped exponential backoff and
    jitter; ``sleep`` and ``jitter`` are injectable for tests.
    """

    def __init__(
        self,
        write_client: Any,
        query_client: Any,
        database: str,
        table: str,
        *,
        rollup_table: str | None = None,
        max_attempts: int = 5,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        for name in (database, table, *([rollup_table] if rollup_table else [])):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"not a Timestream database or table name: {name!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._write = write_client
        self._query = query_client
        self.database = database
        self.table = table
        self.rollup_table = rollup_table
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._jitter = jitter

    def write_windows(self, windows: Sequence[TelemetryWindow]) -> WriteOutcome:
        """Write one multi-measure record per (meter, window start), values converted to
        the canonical unit of their dimension exactly as the PostgreSQL store converts
        them, in WriteRecords calls of at most 100 records.

        Counts add up to ``len(windows)``. Timestream does not say whether an accepted
        record was new, replaced an older version, or repeated an identical one, so:
        ``inserted`` = records Timestream accepted (a resent identical window is counted
        here, though it changed nothing); ``replaced`` = 0 always; ``ignored`` = records
        rejected because the table already holds an equal or higher version
        (``ExistingVersion >= Version``: the same revision with other values, or an older
        revision), plus windows this same call carried again with a revision at least as
        high (of equal revisions the first is kept, as in the PostgreSQL store).

        Raises ``ValueError`` for a naive datetime, bounds that are not whole
        milliseconds, a value that is not a finite number, an unknown unit, a negative
        revision or an empty or ``"-"`` id; ``TimestreamWriteError`` (after writing every
        batch) naming each window rejected for another reason; the ``ClientError`` of a
        call still throttled after ``max_attempts``.
        """
        if not windows:
            return WriteOutcome(inserted=0, replaced=0, ignored=0)
        latest = _latest_per_window(windows)
        records = [_record(window) for window in latest]
        accepted = ignored = 0
        rejected: list[RejectedWindow] = []
        for first in range(0, len(records), MAX_RECORDS_PER_WRITE):
            batch = records[first : first + MAX_RECORDS_PER_WRITE]
            refused = self._write_batch(batch)
            accepted += len(batch) - len(refused)
            for entry in refused:
                index = int(entry["RecordIndex"])
                window = latest[first + index]
                existing = entry.get("ExistingVersion")
                if existing is not None and int(existing) >= int(batch[index]["Version"]):
                    ignored += 1
                else:
                    rejected.append(
                        RejectedWindow(
                            meter_id=window.meter_id,
                            window_start=window.window_start,
                            revision=window.revision,
                            reason=str(entry.get("Reason", "no reason given")),
                            existing_version=None if existing is None else int(existing),
                        )
                    )
        outcome = WriteOutcome(
            inserted=accepted,
            replaced=0,
            ignored=ignored + len(windows) - len(latest),
        )
        if rejected:
            raise TimestreamWriteError(rejected, outcome)
        return outcome

    def meter_period_totals(
        self, site_id: str, period_start: datetime, period_end: datetime
    ) -> list[MeterPeriodTotal]:
        """Per-meter totals of the site's windows starting in [period_start, period_end),
        ordered by meter id, with the PostgreSQL store's semantics: one total per (meter,
        machine, quantity, item, unit), ordered by meter and first window; ``total`` the
        exact decimal sum; ``seconds_covered`` the windows' lengths summed and rounded
        half up; ``windows_hash`` as defined in
        ``PostgresTelemetryStore.meter_period_totals`` (the same windows give the same hash
        in both stores).

        The per-window rows are read (paginated by ``NextToken``) and summed here, in
        Decimal: Timestream's own ``sum`` works in DOUBLE and could not give the exact
        total or the hash.
        """
        if period_start.tzinfo is None or period_end.tzinfo is None:
            raise ValueError("period_start and period_end must be timezone-aware")
        if period_end <= period_start:
            raise ValueError(f"period_end {period_end} is not after period_start {period_start}")
        period_seconds = round((period_end - period_start).total_seconds())
        query = _WINDOWS_QUERY.format(
            database=self.database,
            table=self.table,
            measure=MEASURE_NAME,
            site_id=site_id.replace("'", "''"),
            # windows start on whole milliseconds: start >= t <=> start >= ceil(t)
            start_ms=-(-_epoch_microseconds(period_start) // 1000),
            end_ms=-(-_epoch_microseconds(period_end) // 1000),
        )
        groups: dict[tuple[str, str | None, str, str | None, str], list[_Row]] = {}
        for row in self._rows(query):
            key = (row.meter_id, row.machine_id, row.quantity, row.item_id, row.unit)
            groups.setdefault(key, []).append(row)
        totals = []
        for key, rows in groups.items():
            rows.sort(key=lambda row: row.start_ms)
            totals.append((key[0], rows[0].start_ms, _period_total(key, rows, period_seconds)))
        totals.sort(key=lambda entry: (entry[0], entry[1]))
        return [total for _, _, total in totals]

    def hourly_rollup_scheduled_query(self, **parameters: Any) -> dict[str, Any]:
        """``create_scheduled_query`` parameters rolling this store's raw table up to
        ``rollup_table``; ``parameters`` are those of
        ``pcf.adapters.timestream.rollup.hourly_rollup_scheduled_query`` except the
        database and tables."""
        if self.rollup_table is None:
            raise ValueError("this store has no rollup_table")
        return hourly_rollup_scheduled_query(
            database=self.database,
            source_table=self.table,
            target_table=self.rollup_table,
            **parameters,
        )

    def _write_batch(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write one batch; the RejectedRecords entries if Timestream refused some."""
        try:
            self._call(
                self._write.write_records,
                DatabaseName=self.database,
                TableName=self.table,
                Records=records,
            )
        except ClientError as error:
            if _error_code(error) != "RejectedRecordsException":
                raise
            return list(error.response.get("RejectedRecords", []))
        return []

    def _rows(self, query: str) -> Iterator[_Row]:
        parameters: dict[str, Any] = {"QueryString": query}
        while True:
            page = self._call(self._query.query, **parameters)
            names = [column["Name"] for column in page.get("ColumnInfo", [])]
            for row in page.get("Rows", []):
                yield _Row.parse(dict(zip(names, row["Data"], strict=True)))
            token = page.get("NextToken")
            if not token:
                return
            parameters["NextToken"] = token

    def _call(self, operation: Callable[..., dict[str, Any]], **parameters: Any) -> dict[str, Any]:
        """The operation, retried on throttling and internal errors with capped
        exponential backoff and jitter (each delay in [cap / 2, cap])."""
        for attempt in range(self._max_attempts):
            try:
                return operation(**parameters)
            except ClientError as error:
                if _error_code(error) not in RETRYABLE_ERRORS or attempt + 1 == self._max_attempts:
                    raise
                cap = min(self._max_delay, self._base_delay * 2**attempt)
                self._sleep(cap * (0.5 + self._jitter() / 2))
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class _Row:
    meter_id: str
    machine_id: str | None
    quantity: str
    item_id: str | None
    unit: str
    start_ms: int
    window_ms: int
    value_text: str
    revision: int

    @classmethod
    def parse(cls, data: dict[str, dict[str, Any]]) -> _Row:
        def text(name: str) -> str | None:
            datum = data[name]
            return None if datum.get("NullValue") else str(datum["ScalarValue"])

        def required(name: str) -> str:
            value = text(name)
            if value is None:
                raise ValueError(f"Timestream returned no {name} for a telemetry window")
            return value

        def optional_id(name: str) -> str | None:
            value = text(name)
            return None if value in (None, NONE_MARKER) else value

        return cls(
            meter_id=required("meter_id"),
            machine_id=optional_id("machine_id"),
            quantity=required("quantity"),
            item_id=optional_id("item_id"),
            unit=required("unit"),
            start_ms=int(required("start_ms")),
            window_ms=int(required("window_ms")),
            value_text=required("value_decimal"),
            revision=int(required("revision")),
        )


def _period_total(
    key: tuple[str, str | None, str, str | None, str], rows: list[_Row], period_seconds: int
) -> MeterPeriodTotal:
    meter_id, machine_id, quantity, item_id, unit = key
    with localcontext() as context:
        context.prec = 1000  # exact: Inexact is trapped below
        context.traps[Inexact] = True
        total = sum((Decimal(row.value_text) for row in rows), Decimal(0))
    window_ms = sum(row.window_ms for row in rows)
    seconds_covered = int(Decimal(window_ms).scaleb(-3).quantize(Decimal(1), ROUND_HALF_UP))
    text = ";".join(
        f"{_seconds_text(row.start_ms)}:{_seconds_text(row.start_ms + row.window_ms)}"
        f":{row.value_text}:{row.revision}"
        for row in rows
    )
    return MeterPeriodTotal(
        meter_id=meter_id,
        machine_id=machine_id,
        quantity=MeterQuantity(quantity),
        item_id=item_id,
        unit=unit,
        total=total,
        windows_received=len(rows),
        seconds_covered=seconds_covered,
        period_seconds=period_seconds,
        windows_hash=sha256(text.encode("utf-8")).hexdigest(),
    )


def _seconds_text(milliseconds: int) -> str:
    """Seconds since the epoch without trailing zeros, as PostgreSQL's
    ``trim_scale(extract(epoch FROM ...))`` prints them: 1767225600, 1767225600.5."""
    return format(Decimal(milliseconds).scaleb(-3).normalize(), "f")


def _epoch_microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _epoch_milliseconds(moment: datetime, meter_id: str) -> int:
    microseconds = _epoch_microseconds(moment)
    if microseconds % 1000:
        raise ValueError(
            f"meter {meter_id}: window bound {moment.isoformat()} is not a whole millisecond"
        )
    return microseconds // 1000


def _latest_per_window(windows: Sequence[TelemetryWindow]) -> list[TelemetryWindow]:
    """One window per (site, meter, window start): the highest revision, the first of
    equal ones; in key order. Validates every window."""
    latest: dict[tuple[str, str, datetime], TelemetryWindow] = {}
    for window in windows:
        _validate(window)
        key = (window.site_id, window.meter_id, window.window_start)
        kept = latest.get(key)
        if kept is None or window.revision > kept.revision:
            latest[key] = window
    return [latest[key] for key in sorted(latest)]


def _validate(window: TelemetryWindow) -> None:
    where = f"meter {window.meter_id!r}"
    if window.window_start.tzinfo is None or window.window_end.tzinfo is None:
        raise ValueError(f"{where}: window_start and window_end must be timezone-aware")
    if not math.isfinite(window.value):
        raise ValueError(
            f"{where} window {window.window_start.isoformat()}: "
            f"value {window.value!r} is not a finite number"
        )
    if window.revision < 0:
        raise ValueError(f"{where}: revision {window.revision} is negative")
    for name in ("site_id", "meter_id"):
        if not getattr(window, name):
            raise ValueError(f"{where}: {name} is empty")
    for name in ("machine_id", "item_id"):
        if getattr(window, name) in ("", NONE_MARKER):
            raise ValueError(
                f"{where}: {name} {getattr(window, name)!r} is not a valid id "
                f"(use None for no {name.removesuffix('_id')})"
            )


def _record(window: TelemetryWindow) -> dict[str, Any]:
    start_ms = _epoch_milliseconds(window.window_start, window.meter_id)
    end_ms = _epoch_milliseconds(window.window_end, window.meter_id)
    value, unit = _canonical(window.value, window.unit)

    def measure(name: str, value: object, kind: str) -> dict[str, str]:
        return {"Name": name, "Value": str(value), "Type": kind}

    return {
        "Dimensions": [
            {"Name": "site_id", "Value": window.site_id, "DimensionValueType": "VARCHAR"},
            {"Name": "meter_id", "Value": window.meter_id, "DimensionValueType": "VARCHAR"},
        ],
        "MeasureName": MEASURE_NAME,
        "MeasureValueType": "MULTI",
        "MeasureValues": [
            measure("value", repr(float(value)), "DOUBLE"),
            measure("value_decimal", format(value, "f"), "VARCHAR"),
            measure("unit", unit, "VARCHAR"),
            measure("machine_id", window.machine_id or NONE_MARKER, "VARCHAR"),
            measure("quantity", str(window.quantity), "VARCHAR"),
            measure("item_id", window.item_id or NONE_MARKER, "VARCHAR"),
            measure("window_ms", end_ms - start_ms, "BIGINT"),
            measure("revision", window.revision, "BIGINT"),
            measure("samples_received", window.samples_received, "BIGINT"),
            measure("samples_dropped", window.samples_dropped, "BIGINT"),
        ],
        "Time": str(start_ms),
        "TimeUnit": "MILLISECONDS",
        "Version": window.revision + 1,
    }


def _canonical(value: float, unit: str) -> tuple[Decimal, str]:
    """The value in the canonical unit of its dimension, as the exact decimal the
    PostgreSQL store keeps: a value already in the canonical unit as its shortest float
    repr (what psycopg2 sends), a converted one rounded to 15 significant digits (see
    ``pcf.adapters.postgres.telemetry_store._canonical_value``). PostgreSQL's numeric has
    no negative zero, so neither has this."""
    target = CANONICAL_UNIT[dimension_of(unit)]
    factor = conversion_factor(unit, target)
    if factor == 1.0:
        exact = Decimal(repr(float(value)))
    else:
        exact = Decimal(f"{float(value) * factor:.15g}")
    return (exact.copy_abs() if exact.is_zero() else exact), target


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
