"""Errors found in an uploaded file, worded for the person who has to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# A million-row file with one bad column must not produce a million messages: each check
# reports its first rows and then one line counting the rest.
MAX_ERRORS_PER_CHECK = 100


@dataclass(frozen=True)
class RowError:
    """One problem in a file: where it is (row and column when they apply), the cell's
    text as written, and why it is wrong.

    ``row`` is the row number a spreadsheet shows: the header is row 1, the first data
    row is row 2.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        place = self.file if self.row is None else f"{self.file} row {self.row}"
        if self.column is not None:
            place = f"{place}, column {self.column}"
        return f"{place}: {self.reason}"


def quoted(value: object) -> str:
    """A cell value as messages show it: in double quotes."""
    return f'"{value}"'


def format_number(value: float) -> str:
    """A number as a person would write it: 0 not 0.0, 1e-06 not 0.000001000."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def errors_at(
    failed: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.int64],
    *,
    file: str,
    column: str | None,
    describe: Callable[[int], tuple[str | None, str]],
    limit: int = MAX_ERRORS_PER_CHECK,
) -> list[RowError]:
    """Errors for the rows where ``failed`` is true, the first ``limit`` of them in full
    and the rest counted in one line.

    ``describe(i)`` gives the cell text and the reason for the row at position ``i``;
    it is called at most ``limit`` times, so it may be slow.
    """
    positions = np.flatnonzero(failed)
    errors = []
    for position in positions[:limit].tolist():
        value, reason = describe(position)
        errors.append(RowError(file, int(rows[position]), column, value, reason))
    if len(positions) > limit:
        more = len(positions) - limit
        errors.append(RowError(file, None, column, None, f"and {more:,} more rows with errors"))
    return errors
