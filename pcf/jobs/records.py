"""What the Spark tasks hand back: typed rows and error records, in one Arrow schema.

A task checks a batch of rows with the Lambda path's own functions, which word each
error and stop after ``MAX_ERRORS_PER_CHECK`` per check with an "and N more" line. A
file is checked in many batches, so a task sends each error with the check it belongs
to (``check``: a number that sorts checks in the order ``validate_file`` reports them)
and, per check, how many rows failed it (``count``). The driver keeps the first rows
of each check across batches and counts the rest, which gives ``validate_file``'s list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pcf.formats.definitions import FileFormat
from pcf.formats.errors import RowError

# Stages, in the order validate_file reports them.
READING = 0  # the file as a file; when it has errors, nothing else is reported
ROWS = 1  # cells and row rules (check_rows)
TABLE = 2  # unique keys and rules across rows
REFERENCES = 3  # references to other kinds

# Within READING: rows with the wrong number of cells, and problems of the whole file.
RAGGED_ROWS = 0
WHOLE_FILE = 1

# Not a check: each task counts the rows it read under this key.
ROWS_READ = -1

ROW_NUMBER = "__row"
FAILED_PREFIX = "__failed__"

ERROR_FIELDS = pa.schema(
    [
        pa.field("__check", pa.int64()),
        pa.field("__error_row", pa.int64()),
        pa.field("__error_column", pa.string()),
        pa.field("__error_value", pa.string()),
        pa.field("__error_reason", pa.string()),
        pa.field("__error_count", pa.int64()),
    ]
)

_MORE_ROWS = re.compile(r"^and ([\d,]+) more rows with errors$")


def check_key(stage: int, group: int, sub: int = 0) -> int:
    """One sortable number for a check: stage, then group within it, then sub-check."""
    return stage * 1_000_000 + group * 1_000 + sub


def failed_column(name: str) -> str:
    return f"{FAILED_PREFIX}{name}"


def more_rows(error: RowError) -> int | None:
    """The count in an "and N more rows with errors" line, None for any other error."""
    if error.row is not None:
        return None
    match = _MORE_ROWS.match(error.reason)
    return int(match.group(1).replace(",", "")) if match else None


def checked_schema(typed: pa.Schema) -> pa.Schema:
    """Typed columns (all nullable), the row number, per column whether its cell failed
    its column checks, then the error fields: a record is a row or an error."""
    return pa.schema(
        [
            *(field.with_nullable(True) for field in typed),
            pa.field(ROW_NUMBER, pa.int64()),
            *(pa.field(failed_column(field.name), pa.bool_()) for field in typed),
            *ERROR_FIELDS,
        ]
    )


@dataclass
class ErrorRecords:
    """Error records of one batch, built check by check."""

    keys: list[int]
    rows: list[int | None]
    columns: list[str | None]
    values: list[str | None]
    reasons: list[str | None]
    counts: list[int | None]

    @classmethod
    def empty(cls) -> ErrorRecords:
        return cls([], [], [], [], [], [])

    def add_check(self, key: int, column: str | None, errors: Sequence[RowError]) -> None:
        """The errors one ``errors_at`` call gave (maybe ending in "and N more"): each
        listed row, and how many rows failed the check in all."""
        count = 0
        for error in errors:
            more = more_rows(error)
            if more is not None:
                count += more
                continue
            count += 1
            self._add(key, error.row, error.column, error.value, error.reason, None)
        if count:
            self._add(key, None, column, None, None, count)

    def add_count(self, key: int, count: int) -> None:
        self._add(key, None, None, None, None, count)

    def add_file_error(self, key: int, error: RowError) -> None:
        self._add(key, error.row, error.column, error.value, error.reason, None)
        self._add(key, None, error.column, None, None, 1)

    def _add(
        self,
        key: int,
        row: int | None,
        column: str | None,
        value: str | None,
        reason: str | None,
        count: int | None,
    ) -> None:
        self.keys.append(key)
        self.rows.append(row)
        self.columns.append(column)
        self.values.append(value)
        self.reasons.append(reason)
        self.counts.append(count)

    def __len__(self) -> int:
        return len(self.keys)

    def arrays(self) -> list[pa.Array]:
        return [
            pa.array(self.keys, pa.int64()),
            pa.array(self.rows, pa.int64()),
            pa.array(self.columns, pa.string()),
            pa.array(self.values, pa.string()),
            pa.array(self.reasons, pa.string()),
            pa.array(self.counts, pa.int64()),
        ]


def error_batch(records: ErrorRecords, schema: pa.Schema) -> pa.RecordBatch:
    """Error records in ``schema`` (whose last fields are ``ERROR_FIELDS``)."""
    leading = [pa.nulls(len(records), field.type) for field in schema][: -len(ERROR_FIELDS)]
    return pa.RecordBatch.from_arrays([*leading, *records.arrays()], schema=schema)


def row_batch(
    typed: pa.RecordBatch,
    rows: npt.NDArray[np.int64],
    failed: dict[str, npt.NDArray[np.bool_]],
    file_format: FileFormat,
    schema: pa.Schema,
) -> pa.RecordBatch:
    """Typed rows in the checked schema, error fields null."""
    arrays: list[pa.Array] = [
        *typed.columns,
        pa.array(rows, pa.int64()),
        *(pa.array(failed[column.name]) for column in file_format.columns),
        *(pa.nulls(typed.num_rows, field.type) for field in ERROR_FIELDS),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def split_by_column(errors: Iterable[RowError]) -> list[tuple[str | None, list[RowError]]]:
    """Errors of consecutive ``errors_at`` calls with different columns, call by call."""
    segments: list[tuple[str | None, list[RowError]]] = []
    for error in errors:
        if segments and segments[-1][0] == error.column and more_rows(segments[-1][1][-1]) is None:
            segments[-1][1].append(error)
        else:
            segments.append((error.column, [error]))
    return segments


def more_rows_error(file_name: str, column: str | None, more: int) -> RowError:
    """The line that counts the rows of a check past the first ones (as ``errors_at``
    words it)."""
    return RowError(file_name, None, column, None, f"and {more:,} more rows with errors")
