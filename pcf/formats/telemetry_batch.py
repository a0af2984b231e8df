"""Telemetry windows as one Arrow table per batch: how the ingest decodes a whole Kinesis
batch at once and how the PostgreSQL store writes it.

Validating record by record with pydantic costs about 10 us a record, more than storing
it. ``decode_payloads`` is the fast path of the ingest: msgspec decodes and type-checks
each payload in C, and the rules across fields run on whole columns (Arrow compute,
numpy). It is deliberately narrower than ``TelemetryWindowRecord``: it accepts a batch
only when every payload is in the form the edge sends (one JSON object on one line,
exactly the record's fields with their JSON types, window bounds as
``YYYY-MM-DDTHH:MM:SSZ``) and every rule of the record model holds. Anything else, one
doubtful payload in 500 included, returns None and the caller validates the batch record
by record with the model, which gives each malformed record its own reason. So the fast
path never accepts what the model rejects, and gives the same values (a property test
holds the two to that).

``EdgeBatch`` is the same decoding in parts, for a store that writes while it decodes
(``EdgeBatchWriter``): the PostgreSQL store sends each part's rows to the server before
the next part is decoded, and the whole batch is checked before its write ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from operator import attrgetter
from typing import Any, Protocol, runtime_checkable

import msgspec
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pcf.core.telemetry import TelemetryWindow, WriteOutcome
from pcf.core.units import UNIT_SYMBOLS, dimension_of
from pcf.formats.definitions import MeterQuantity
from pcf.formats.telemetry_record import MAX_COUNT, QUANTITY_DIMENSIONS

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

# Windows in the store's terms: one row per TelemetryWindow, bounds in UTC.
WINDOW_TABLE_SCHEMA = pa.schema(
    [
        pa.field("site_id", pa.string(), nullable=False),
        pa.field("machine_id", pa.string()),
        pa.field("meter_id", pa.string(), nullable=False),
        pa.field("quantity", pa.string(), nullable=False),
        pa.field("item_id", pa.string()),
        pa.field("window_start", UTC_TIMESTAMP, nullable=False),
        pa.field("window_end", UTC_TIMESTAMP, nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("unit", pa.string(), nullable=False),
        pa.field("revision", pa.int64(), nullable=False),
        pa.field("samples_received", pa.int64(), nullable=False),
        pa.field("samples_dropped", pa.int64(), nullable=False),
    ]
)

# Whole seconds in UTC, written with "Z", as pydantic writes a UTC datetime. Years from
# 1000: the model's datetime starts at year 1, and this path need not.
_UTC_SECONDS_PATTERN = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


class _WireWindow(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    """The record's fields with their JSON types, checked by msgspec in C: a string is
    a string, an integer an integer (never 1.0 or true), a number a number. The bounds
    on values are checked on whole columns afterwards (cheaper than msgspec's own, per
    value)."""

    site_id: str
    machine_id: str | None = None
    meter_id: str
    quantity: str
    item_id: str | None = None
    window_start: str
    window_end: str
    value: float
    unit: str
    revision: int
    samples_received: int
    samples_dropped: int


_WIRE_DECODER = msgspec.json.Decoder(_WireWindow)
_WIRE_GETTERS = {name: attrgetter(name) for name in _WireWindow.__struct_fields__}
_COUNTS = ("revision", "samples_received", "samples_dropped")
_TEXTS = ("site_id", "machine_id", "meter_id", "quantity", "item_id", "unit")
# "quantity<separator>unit" of every allowed pair. No allowed name holds the separator,
# so a joined pair with the separator in a name has two and matches none.
_PAIR_SEPARATOR = "\n"
_QUANTITY_UNIT_PAIRS = pa.array(
    sorted(
        f"{quantity}{_PAIR_SEPARATOR}{symbol}"
        for quantity, dimensions in QUANTITY_DIMENSIONS.items()
        for symbol in UNIT_SYMBOLS
        if dimension_of(symbol) in dimensions
    ),
    pa.string(),
)


@runtime_checkable
class WindowTableWriter(Protocol):
    """A telemetry store that takes a batch as one table (``WINDOW_TABLE_SCHEMA``), with
    the same meaning as ``TelemetryStore.write_windows`` of its rows, in two steps:
    ``prepare_window_table`` works out what to write, in this process (it may raise
    ``ValueError`` as ``write_windows`` does), and returns the function that writes it."""

    def write_window_table(self, table: pa.Table) -> WriteOutcome: ...

    def prepare_window_table(self, table: pa.Table) -> Callable[[], WriteOutcome]: ...


# Records a part of an ``EdgeBatch``. Big enough that the per-call costs of decoding stay
# small, small enough that the database stores one part while the next is decoded
# (docs/decisions/0005: at 1,000 rows a part the server sat idle).
EDGE_BATCH_PART = 500


class NotInEdgeForm(ValueError):
    """A payload of the batch is not in the edge's form: the batch goes record by
    record."""


class EdgeBatch:
    """A batch of payloads for a store that writes while it decodes: ``parts()`` decodes
    the payloads part by part, as the store pulls them (raising ``NotInEdgeForm`` at the
    first part not in the edge's form), and ``table()`` checks the record model's rules
    across fields on the whole batch.

    The store sends each part on before the next is decoded, so its database stores one
    part while this process decodes the next. Until ``table()`` has returned a table,
    the batch may still be refused, so the store must commit nothing before.
    ``on_table`` is called with that table once it is known (the ingest starts the
    raw archive then)."""

    def __init__(
        self,
        payloads: Sequence[bytes],
        *,
        part_size: int = EDGE_BATCH_PART,
        on_table: Callable[[pa.Table], object] | None = None,
    ) -> None:
        if not payloads:
            raise ValueError("an edge batch holds at least one payload")
        self.payloads = payloads
        self._part_size = part_size
        self._on_table = on_table
        self._parts: list[WireColumns] = []
        self._decoded = 0  # payloads decoded into parts so far
        self._checked = False
        self._table: pa.Table | None = None

    def parts(self) -> Iterator[WireColumns]:
        """The wire records' columns, part by part, from the first not yet decoded."""
        for start in range(self._decoded, len(self.payloads), self._part_size):
            part = decode_wire(self.payloads[start : start + self._part_size])
            if part is None:
                raise NotInEdgeForm(f"a payload from position {start} on is not in the edge's form")
            self._parts.append(part)
            self._decoded = start + len(part["meter_id"])
            yield part

    def table(self) -> pa.Table | None:
        """The whole batch as a table (``WINDOW_TABLE_SCHEMA``, in payload order), as
        ``decode_payloads`` gives it, or None when it would give None. Decodes whatever
        ``parts()`` has not."""
        if not self._checked:
            self._checked = True
            try:
                for _ in self.parts():
                    pass
            except NotInEdgeForm:
                return None
            fields = {
                name: list(chain.from_iterable(part[name] for part in self._parts))
                for name in _WireWindow.__struct_fields__
            }
            self._table = wire_windows_table(fields)
            if self._table is not None and self._on_table is not None:
                self._on_table(self._table)
        return self._table


@runtime_checkable
class EdgeBatchWriter(Protocol):
    """A telemetry store that writes an ``EdgeBatch`` while it is decoded, with the
    meaning of ``TelemetryStore.write_windows`` of its windows. Returns None, having
    written nothing, when the batch is not all in the edge's form or breaks a rule
    (``EdgeBatch.table()`` is None): the caller then validates it record by record."""

    def write_edge_batch(self, batch: EdgeBatch) -> WriteOutcome | None: ...


def decode_payloads(payloads: Sequence[bytes]) -> pa.Table | None:
    """The batch's windows as a table (``WINDOW_TABLE_SCHEMA``, in payload order), or
    None when any payload is not in the edge's form or breaks a rule of the record model
    (see the module docstring)."""
    if not payloads:
        return None
    fields = decode_wire(payloads)
    return None if fields is None else wire_windows_table(fields)


# The wire records' fields as columns: one list per field of ``_WireWindow``, in order.
WireColumns = dict[str, list[Any]]


def decode_wire(payloads: Sequence[bytes]) -> WireColumns | None:
    """The payloads' fields as columns, or None when any payload is not one JSON object
    on one line with exactly the record's fields and their JSON types. The rules across
    fields are not checked here (``wire_windows_table`` checks them)."""
    joined = b"".join(payloads)
    if b"\n" in joined or b"\r" in joined:  # each payload is to be one archive line
        return None
    try:
        # one payload at a time: joined into one JSON array, a payload could end one
        # object and begin the next, shifting every later record
        wire = [_WIRE_DECODER.decode(payload) for payload in payloads]
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return {name: list(map(get, wire)) for name, get in _WIRE_GETTERS.items()}


def wire_windows_table(fields: WireColumns) -> pa.Table | None:
    """The wire records' columns as a table (``WINDOW_TABLE_SCHEMA``, in the same
    order), or None when any record breaks a rule of the record model."""
    texts = {name: pa.array(fields[name], pa.string()) for name in _TEXTS}
    numbers = _numbers(fields)
    if numbers is None or not _follows_record_rules(texts):
        return None
    starts, ends = _utc_seconds(fields["window_start"]), _utc_seconds(fields["window_end"])
    if starts is None or ends is None or not (ends > starts).all():
        return None
    columns: dict[str, Any] = {**texts, **numbers}
    columns["window_start"] = pa.array(starts * 1_000_000).cast(UTC_TIMESTAMP)
    columns["window_end"] = pa.array(ends * 1_000_000).cast(UTC_TIMESTAMP)
    return pa.Table.from_arrays(
        [columns[field.name] for field in WINDOW_TABLE_SCHEMA], schema=WINDOW_TABLE_SCHEMA
    )


def _numbers(fields: dict[str, list[Any]]) -> dict[str, npt.NDArray[Any]] | None:
    """The value and counts as arrays, if every value is a finite number >= 0 and every
    count an integer from 0 to ``MAX_COUNT`` with no more samples dropped than received;
    else None."""
    value = np.array(fields["value"], dtype=np.float64)
    try:
        counts = {name: np.array(fields[name], dtype=np.int64) for name in _COUNTS}
    except OverflowError:  # an integer beyond 64 bits
        return None
    if not (np.isfinite(value).all() and (value >= 0).all()):
        return None
    if not all(((count >= 0) & (count <= MAX_COUNT)).all() for count in counts.values()):
        return None
    if not (counts["samples_dropped"] <= counts["samples_received"]).all():
        return None
    return {"value": value, **counts}


def _follows_record_rules(texts: dict[str, pa.Array]) -> bool:
    """The record model's rules on the text fields, on every row."""
    quantity, item_id = texts["quantity"], texts["item_id"]
    pairs = pc.binary_join_element_wise(quantity, texts["unit"], _PAIR_SEPARATOR)
    return (
        _all(pc.greater(pc.binary_length(texts["site_id"]), 0))
        and _all(pc.greater(pc.binary_length(texts["meter_id"]), 0))
        # the allowed pairs name only known quantities and units
        and _all(pc.is_in(pairs, value_set=_QUANTITY_UNIT_PAIRS))
        and _all(
            pc.or_kleene(
                pc.not_equal(quantity, str(MeterQuantity.PRODUCTION_COUNT)),
                pc.greater(pc.binary_length(item_id), 0),
            )
        )
    )


def _utc_seconds(texts: list[str]) -> npt.NDArray[np.int64] | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` texts as seconds since 1970 UTC, or None if any is not
    one or not a real instant (numpy's parser refuses 30 February, 24:00:00 and leap
    seconds, as the record model does)."""
    # A batch holds few distinct bounds (every meter sends the same minutes): each
    # distinct text is checked and parsed once.
    encoded = pc.dictionary_encode(pa.array(texts, pa.string()))
    distinct = encoded.dictionary
    if not _all(pc.match_substring_regex(distinct, _UTC_SECONDS_PATTERN)):
        return None
    local = pc.utf8_slice_codeunits(distinct, 0, 19).to_numpy(zero_copy_only=False)
    try:
        seconds: npt.NDArray[np.int64] = local.astype("datetime64[s]").astype(np.int64)
    except ValueError:
        return None
    per_row: npt.NDArray[np.int64] = seconds[encoded.indices.to_numpy()]
    return per_row


def _all(mask: Any) -> bool:
    """Whether every element of a boolean array is true (null counts as false)."""
    return bool(pc.all(pc.fill_null(mask, False)).as_py())


# --- windows <-> table --------------------------------------------------------------------


def windows_table(windows: Sequence[TelemetryWindow]) -> pa.Table:
    """The windows as a table (``WINDOW_TABLE_SCHEMA``). Raises ``ValueError`` for a
    window bound without a time zone."""
    for window in windows:
        if window.window_start.tzinfo is None or window.window_end.tzinfo is None:
            raise ValueError(
                f"meter {window.meter_id}: window_start and window_end must be timezone-aware"
            )
    columns: dict[str, list[Any]] = {field.name: [] for field in WINDOW_TABLE_SCHEMA}
    for window in windows:
        for name, values in columns.items():
            values.append(getattr(window, name))
    columns["quantity"] = [str(quantity) for quantity in columns["quantity"]]
    return pa.Table.from_pydict(columns, schema=WINDOW_TABLE_SCHEMA)


def windows_from_table(table: pa.Table) -> list[TelemetryWindow]:
    """The table's rows as windows (for stores that take windows one by one)."""
    return [
        TelemetryWindow(**{**row, "quantity": MeterQuantity(row["quantity"])})
        for row in table.to_pylist()
    ]


def epoch_seconds(timestamps: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, np.dtype[np.int64]]:
    """UTC timestamps as whole seconds since 1970 (floored)."""
    micros = np.asarray(timestamps.cast(pa.int64()).to_numpy(zero_copy_only=False))
    return micros // 1_000_000
