"""Reading an uploaded CSV file into a table of text cells, one column per format column.

Everything about the file as a file is checked here: that it has content, is UTF-8, has a
header naming the format's columns, and rows as long as the header. What the cells mean is
checked by ``pcf.formats.validation``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from pcf.formats.columns import to_bool
from pcf.formats.definitions import FileFormat
from pcf.formats.errors import MAX_ERRORS_PER_CHECK, RowError

# Comma first: it wins a tie. Semicolons come from European spreadsheet exports (where the
# comma is the decimal separator), tabs from "text (tab-delimited)" exports.
DELIMITERS = (",", ";", "\t")
HEADER_ROW = 1
FIRST_DATA_ROW = 2

_NON_BLANK = re.compile(rb"\S")
_UTF8_CHUNK = 1 << 20


class UnreadableFileError(ValueError):
    """The file cannot be read as a table of the expected columns."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class CsvContent:
    """The cells of a file: ``table`` has one string column per column of the format, in
    the format's order, cells trimmed of surrounding whitespace, "" where a cell is empty
    (and for optional columns the file leaves out). ``rows`` holds the spreadsheet row
    number of each table row: rows with nothing in them are skipped, not renumbered."""

    table: pa.Table
    rows: npt.NDArray[np.int64]
    delimiter: str


def read_csv(data: bytes, file_name: str, file_format: FileFormat) -> CsvContent:
    """Read an uploaded file of ``file_format`` into text cells.

    Raises ``UnreadableFileError`` naming every problem found with the file as a whole:
    empty, not UTF-8, a header with missing, unknown, unnamed or repeated columns, or rows
    with more or fewer cells than the header.
    """
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not _NON_BLANK.search(data, start):
        raise UnreadableFileError([RowError(file_name, None, None, None, "file is empty")])
    invalid_at = first_invalid_utf8(data)
    if invalid_at is not None:
        reason = (
            f"not UTF-8 text (invalid byte 0x{data[invalid_at]:02X} at byte {invalid_at}); "
            "save it as UTF-8"
        )
        raise UnreadableFileError([RowError(file_name, None, None, None, reason)])

    header_end = data.find(b"\n", start)
    header_line = data[start : len(data) if header_end < 0 else header_end].decode("utf-8")
    delimiter = detect_delimiter(header_line)
    header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
    _check_header(header, file_format, file_name)
    if header_end < 0 or not _NON_BLANK.search(data, header_end):
        raise UnreadableFileError([RowError(file_name, None, None, None, "no data rows")])

    table = _parse_body(data, start, header, delimiter, file_name)
    cells = {
        name: pc.utf8_trim_whitespace(column)
        for name, column in zip(header, table.columns, strict=True)
    }
    blank = np.ones(table.num_rows, dtype=np.bool_)
    for column in cells.values():
        blank &= to_bool(pc.equal(column, ""))
    keep = ~blank
    if not keep.any():
        raise UnreadableFileError([RowError(file_name, None, None, None, "no data rows")])
    rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows, dtype=np.int64)
    if blank.any():
        rows = rows[keep]
        cells = {name: pc.filter(column, pa.array(keep)) for name, column in cells.items()}
    columns = [
        cells[name]
        if name in cells
        else pa.chunked_array([pa.array(np.full(len(rows), "", dtype=object), pa.string())])
        for name in file_format.column_names
    ]
    return CsvContent(
        table=pa.Table.from_arrays(columns, names=list(file_format.column_names)),
        rows=rows,
        delimiter=delimiter,
    )


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab (comma if none)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def first_invalid_utf8(data: bytes) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, or None if all of it is.

    Decodes in chunks so a large file is never held twice in memory; a character split by
    a chunk boundary is decoded with the next chunk.
    """
    position = 0
    while position < len(data):
        chunk = data[position : position + _UTF8_CHUNK]
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            is_last_chunk = position + len(chunk) >= len(data)
            if error.reason == "unexpected end of data" and not is_last_chunk and error.start:
                position += error.start
                continue
            return position + error.start
        position += len(chunk)
    return None


def _check_header(header: list[str], file_format: FileFormat, file_name: str) -> None:
    errors: list[RowError] = []

    def header_error(reason: str) -> None:
        errors.append(RowError(file_name, HEADER_ROW, None, None, reason))

    for position, name in enumerate(header, start=1):
        if not name:
            header_error(f"column {position} of the header has no name")
    for name, count in Counter(header).items():
        if name and count > 1:
            header_error(f"column {name} appears {count} times in the header")
    expected = file_format.column_names
    unknown = [name for name in dict.fromkeys(header) if name and name not in expected]
    if unknown:
        header_error(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"expected columns: {', '.join(expected)}"
        )
    for column in file_format.columns:
        if column.required and column.name not in header:
            header_error(f"missing column {column.name}")
    if errors:
        raise UnreadableFileError(errors)


def _parse_body(
    data: bytes, start: int, header: list[str], delimiter: str, file_name: str
) -> pa.Table:
    positional_names = [f"column_{position}" for position in range(len(header))]
    ragged_rows: list[Any] = []

    def note_ragged_row(row: Any) -> str:
        ragged_rows.append(row)
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pa_csv.ReadOptions(column_names=positional_names, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                # A quoted cell may hold a line break; an empty line is kept as a row of
                # empty cells, so table rows stay in step with spreadsheet rows.
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=note_ragged_row,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(positional_names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        reason = f"not a readable CSV file ({error})"
        raise UnreadableFileError([RowError(file_name, None, None, None, reason)]) from error
    if ragged_rows:
        raise UnreadableFileError(
            _ragged_row_errors(data[start:], delimiter, len(header), file_name)
        )
    return table


def _ragged_row_errors(
    data: bytes, delimiter: str, expected: int, file_name: str
) -> list[RowError]:
    """Which rows have more or fewer cells than the header. The CSV reader does not say
    where a row is, so the file is read again with the csv module; this loop over rows
    runs only for a file that is already rejected."""
    errors: list[RowError] = []
    count = 0
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
        for row_number, cells in enumerate(reader, start=HEADER_ROW):
            if len(cells) in (0, expected):
                continue
            count += 1
            if count <= MAX_ERRORS_PER_CHECK:
                reason = (
                    f"has {len(cells)} cell{'s' if len(cells) != 1 else ''}; "
                    f"the header has {expected}"
                )
                if any("\n" in cell for cell in cells):
                    reason += ' (is a quote (") not closed?)'

                errors.append(RowError(file_name, row_number, None, None, reason))
    except csv.Error as error:
        errors.append(RowError(file_name, None, None, None, f"not a readable CSV file ({error})"))
    if count > MAX_ERRORS_PER_CHECK:
        more = count - MAX_ERRORS_PER_CHECK
        errors.append(RowError(file_name, None, None, None, f"and {more:,} more rows with errors"))
    if not errors:  # pragma: no cover - the two readers disagree on where a row ends
        errors.append(RowError(file_name, None, None, None, "some rows do not match the header"))
    return errors


def check_header(
    header_line: str, file_format: FileFormat, file_name: str
) -> tuple[str, list[str]]:
    """The delimiter and column names of a file's first line (without its line break),
    checked as ``read_csv`` checks them: raises ``UnreadableFileError`` with every problem
    of the header. For readers that see the header apart from the rows (the Spark job)."""
    delimiter = detect_delimiter(header_line)
    header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
    _check_header(header, file_format, file_name)
    return delimiter, header
