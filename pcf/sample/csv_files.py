"""Writing sample data as the CSV files users upload: UTF-8, a header row, commas.

The header is exactly the format's columns in the format's order
(``pcf.formats.definitions``); a row naming a column the format does not have is an error,
so the samples cannot drift from the formats.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np

from pcf.formats.definitions import FileFormat

Cell = str | int | float | date | None


def format_cell(value: Cell) -> str:
    """A cell as text: numbers in plain decimal notation (shortest round-trip digits,
    never an exponent), dates in ISO 8601, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("booleans have no cell format")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to a CSV file")
        return np.format_float_positional(value, trim="-")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_bytes(file_format: FileFormat, rows: Iterable[Mapping[str, Cell]]) -> bytes:
    """The rows as a CSV file of ``file_format``; columns a row leaves out are empty."""
    columns = file_format.column_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for number, row in enumerate(rows, start=2):
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise ValueError(
                f"{file_format.kind} row {number}: unknown columns {', '.join(unknown)}"
            )
        writer.writerow([format_cell(row.get(column)) for column in columns])
    return buffer.getvalue().encode("utf-8")
