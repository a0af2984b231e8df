"""Typed values from text cells, with the checks each ``Column`` definition implies.

Nothing here knows a particular file: every check comes from a column's type, whether it
is required, its default, bounds, choices and unit dimensions. All of it is vectorised
with pyarrow.compute and numpy; Python runs per column, and per row only to word the
messages of the first rows that fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pcf.core.units import UNIT_SYMBOLS, Dimension, dimension_of
from pcf.formats.definitions import Column, ColumnType
from pcf.formats.errors import format_number, quoted

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.NUMBER: pa.float64(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DATE: pa.date32(),
    ColumnType.DATETIME: pa.timestamp("us", tz="UTC"),
    ColumnType.CHOICE: pa.string(),
    ColumnType.UNIT: pa.string(),
    ColumnType.TIME_ZONE: pa.string(),
    ColumnType.URN_LIST: pa.string(),
}

NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# At most 18 digits, so every match fits an int64.
INTEGER_PATTERN = r"^[+-]?\d{1,18}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_PATTERN = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<fraction>\.\d{1,6})?(?P<offset>Z|[+-]\d{2}:?\d{2})$"
)
URN_LIST_PATTERN = r"^urn:\S+(\s+urn:\S+)*$"

_DATETIME_WITHOUT_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class CellCheck:
    """Cells that fail one check, and how to say why for one cell's text."""

    failed: npt.NDArray[np.bool_]
    reason: Callable[[str], str]


@dataclass(frozen=True)
class ParsedColumn:
    """A column's typed values (null where a cell is empty or wrong) and its checks, in
    the order they apply: a cell is reported for the first check it fails."""

    values: pa.Array
    checks: tuple[CellCheck, ...]
    failed: npt.NDArray[np.bool_]  # cells that fail any check
    cells: pa.Array  # the text, defaults filled in, as messages quote it

    def reason_at(self, position: int) -> str:
        text = str(self.cells[position].as_py())
        for check in self.checks:
            if check.failed[position]:
                return check.reason(text)
        raise ValueError(f"no check failed at position {position}")


def parse_column(column: Column, cells: pa.Array) -> ParsedColumn:
    """Typed values of one column from its trimmed text cells ("" when empty)."""
    if column.default is not None:
        cells = pc.if_else(pc.equal(cells, ""), column.default, cells)
    empty = to_bool(pc.equal(cells, ""))
    values, type_checks = _PARSERS[column.type](column, cells)
    checks = [CellCheck(empty, lambda _: "a value is required")] if column.required else []
    checks.extend(CellCheck(check.failed & ~empty, check.reason) for check in type_checks)
    failed = np.zeros(len(cells), dtype=np.bool_)
    for check in checks:
        failed |= check.failed
    null = pa.scalar(None, ARROW_TYPES[column.type])
    typed = pc.if_else(pa.array(failed | empty), null, values)
    return ParsedColumn(typed, tuple(checks), failed, cells)


def to_bool(mask: Any) -> npt.NDArray[np.bool_]:
    """A pyarrow boolean array as numpy, null counting as false."""
    filled = pc.fill_null(mask, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def unit_symbols(dimensions: tuple[Dimension, ...]) -> tuple[str, ...]:
    """The unit symbols of the given dimensions, in the order of UNIT_SYMBOLS."""
    return tuple(symbol for symbol in UNIT_SYMBOLS if dimension_of(symbol) in dimensions)


@lru_cache(maxsize=1)
def time_zone_names() -> pa.Array:
    """The IANA time zone names this Python knows (from tzdata)."""
    return pa.array(sorted(available_timezones()), pa.string())


def did_you_mean(text: str, options: tuple[str, ...]) -> str:
    """A hint when ``text`` differs from an option only in letter case."""
    for option in options:
        if option.lower() == text.lower():
            return f'; did you mean "{option}"?'
    return ""


Parser = Callable[[Column, pa.Array], tuple[pa.Array, list[CellCheck]]]


def _parse_string(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    return cells, []


def _parse_number(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    matches = pc.match_substring_regex(cells, NUMBER_PATTERN)
    numbers = pc.cast(pc.if_else(matches, cells, "0"), pa.float64()).to_numpy()
    parsed = to_bool(matches) & np.isfinite(numbers)
    checks = [CellCheck(~parsed, _not_a_number), *_bound_checks(column, numbers, parsed)]
    return pa.array(numbers, pa.float64(), mask=~parsed), checks


def _not_a_number(text: str) -> str:
    if "," in text:
        return (
            f"{quoted(text)} is not a number; write it with a point as the decimal "
            "separator and no thousands separator"
        )
    return f"{quoted(text)} is not a number"


def _parse_integer(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    matches = pc.match_substring_regex(cells, INTEGER_PATTERN)
    unsigned = pc.replace_substring_regex(cells, r"^\+", "")
    numbers = pc.cast(pc.if_else(matches, unsigned, "0"), pa.int64()).to_numpy()
    parsed = to_bool(matches)
    checks = [
        CellCheck(~parsed, lambda text: f"{quoted(text)} is not a whole number"),
        *_bound_checks(column, numbers, parsed),
    ]
    return pa.array(numbers, pa.int64(), mask=~parsed), checks


def _bound_checks(
    column: Column, numbers: npt.NDArray[Any], parsed: npt.NDArray[np.bool_]
) -> list[CellCheck]:
    bounds: list[tuple[float | None, Callable[[Any, float], Any], str]] = [
        (column.minimum, np.greater_equal, ">="),
        (column.exclusive_minimum, np.greater, ">"),
        (column.maximum, np.less_equal, "<="),
        (column.exclusive_maximum, np.less, "<"),
    ]
    checks = []
    for bound, holds, symbol in bounds:
        if bound is None:
            continue
        failed = parsed & ~holds(numbers, bound)
        checks.append(CellCheck(failed, _bound_reason(f"must be {symbol} {format_number(bound)}")))
    return checks


def _bound_reason(requirement: str) -> Callable[[str], str]:
    return lambda text: f"{quoted(text)} {requirement}"


def _parse_date(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    matches = pc.match_substring_regex(cells, DATE_PATTERN)
    candidates = pc.if_else(matches, cells, "1970-01-01")
    message = "is not a date in the form YYYY-MM-DD, like 2026-01-31"
    try:
        # Arrow's cast rejects impossible days (2026-02-30), but for the whole column at once.
        values = pc.cast(candidates, pa.date32())
        parsed = to_bool(matches)
    except pa.ArrowInvalid:
        instants = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2026-02-30 over to March; printing it back catches that.
        round_trips = pc.equal(pc.strftime(instants, format="%Y-%m-%d"), cells)
        parsed = to_bool(matches) & to_bool(round_trips)
        values = pc.cast(instants, pa.date32())
    return values, [CellCheck(~parsed, lambda text: f"{quoted(text)} {message}")]


def _parse_datetime(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    matches = pc.match_substring_regex(cells, DATETIME_PATTERN)
    candidates = pc.if_else(matches, cells, "1970-01-01T00:00:00Z")
    try:
        # Fast when every cell is a real instant; the cast fails whole otherwise.
        values = pc.cast(candidates, ARROW_TYPES[column.type])
        return values, [CellCheck(~to_bool(matches), _not_a_datetime)]
    except pa.ArrowInvalid:
        return _parse_datetime_cell_by_cell(column, cells)


def _parse_datetime_cell_by_cell(
    column: Column, cells: pa.Array
) -> tuple[pa.Array, list[CellCheck]]:
    """The slow way, for a column with an impossible date or time (2026-02-30T25:00:00Z):
    the parts of each cell are parsed separately, so each cell gets its own verdict."""
    parts = pc.extract_regex(cells, DATETIME_PATTERN)
    matches = to_bool(pc.is_valid(parts))

    def part(name: str, missing: str) -> pa.Array:
        return pc.fill_null(pc.struct_field(parts, name), missing)

    wall_clock = pc.binary_join_element_wise(
        part("date", "1970-01-01"), part("time", "00:00:00"), "T"
    )
    instants = pc.strptime(wall_clock, format=_SECONDS_FORMAT, unit="s", error_is_null=True)
    round_trips = to_bool(pc.equal(pc.strftime(instants, format=_SECONDS_FORMAT), wall_clock))
    seconds = pc.fill_null(pc.cast(instants, pa.int64()), 0).to_numpy()

    fraction_digits = pc.utf8_slice_codeunits(part("fraction", ""), 1)
    microseconds = pc.cast(pc.utf8_rpad(fraction_digits, 6, "0"), pa.int64()).to_numpy()

    offset = pc.replace_substring(part("offset", "Z"), ":", "")
    offset = pc.if_else(pc.equal(offset, "Z"), "+0000", offset)
    sign = np.where(to_bool(pc.starts_with(offset, "-")), -1, 1)
    offset_hours = pc.cast(pc.utf8_slice_codeunits(offset, 1, 3), pa.int64()).to_numpy()
    offset_minutes = pc.cast(pc.utf8_slice_codeunits(offset, 3, 5), pa.int64()).to_numpy()
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60)

    parsed = matches & round_trips & (offset_hours <= 23) & (offset_minutes <= 59)
    utc_microseconds = (seconds - offset_seconds) * 1_000_000 + microseconds
    values = pa.array(utc_microseconds, pa.int64(), mask=~parsed).cast(ARROW_TYPES[column.type])
    return values, [CellCheck(~parsed, _not_a_datetime)]


def _not_a_datetime(text: str) -> str:
    if _DATETIME_WITHOUT_OFFSET.match(text):
        return (
            f"{quoted(text)} has no UTC offset; write it like 2026-01-05T06:00:00+01:00 "
            "(or Z for UTC)"
        )
    return (
        f"{quoted(text)} is not a date and time with a UTC offset, like 2026-01-05T06:00:00+01:00"
    )


def _parse_choice(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    allowed = to_bool(pc.is_in(cells, value_set=pa.array(column.choices, pa.string())))

    def reason(text: str) -> str:
        options = ", ".join(column.choices)
        return f"{quoted(text)} is not one of {options}{did_you_mean(text, column.choices)}"

    return cells, [CellCheck(~allowed, reason)]


def _parse_unit(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    symbols = unit_symbols(column.dimensions)
    known = to_bool(pc.is_in(cells, value_set=pa.array(list(UNIT_SYMBOLS), pa.string())))
    allowed = to_bool(pc.is_in(cells, value_set=pa.array(symbols, pa.string())))

    def unknown(text: str) -> str:
        return (
            f"unknown unit {quoted(text)}; known units: {', '.join(symbols)}"
            f"{did_you_mean(text, symbols)}"
        )

    def wrong_dimension(text: str) -> str:
        dimensions = [str(dimension) for dimension in column.dimensions]
        expected = dimensions[0] if len(dimensions) == 1 else "one of " + ", ".join(dimensions)
        return f"unit {quoted(text)} is {dimension_of(text)}; expected {expected}"

    return cells, [CellCheck(~known, unknown), CellCheck(known & ~allowed, wrong_dimension)]


def _parse_time_zone(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    known = to_bool(pc.is_in(cells, value_set=time_zone_names()))

    def reason(text: str) -> str:
        hint = did_you_mean(text, tuple(time_zone_names().to_pylist()))
        return f"{quoted(text)} is not an IANA time zone name, like Europe/Berlin{hint}"

    return cells, [CellCheck(~known, reason)]


def _parse_urn_list(column: Column, cells: pa.Array) -> tuple[pa.Array, list[CellCheck]]:
    valid = to_bool(pc.match_substring_regex(cells, URN_LIST_PATTERN))

    def reason(text: str) -> str:
        tokens = text.split()
        bad = next((token for token in tokens if not re.match(r"^urn:\S+$", token)), text)
        where = "" if bad == text else f" in {quoted(text)}"
        return f'{quoted(bad)}{where} is not a URN; each identifier starts with "urn:"'

    return cells, [CellCheck(~valid, reason)]


_PARSERS: dict[ColumnType, Parser] = {
    ColumnType.STRING: _parse_string,
    ColumnType.NUMBER: _parse_number,
    ColumnType.INTEGER: _parse_integer,
    ColumnType.DATE: _parse_date,
    ColumnType.DATETIME: _parse_datetime,
    ColumnType.CHOICE: _parse_choice,
    ColumnType.UNIT: _parse_unit,
    ColumnType.TIME_ZONE: _parse_time_zone,
    ColumnType.URN_LIST: _parse_urn_list,
}
