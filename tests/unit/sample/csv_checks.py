"""Checks of generated CSV files against the format definitions, for the sample tests.

Deliberately independent of the upload validator: the samples are checked against the
definitions themselves, so a validator bug cannot hide a sample bug (or the reverse).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pcf.core.units import UNIT_SYMBOLS, dimension_of
from pcf.formats.definitions import FORMATS, Column, ColumnType, FileFormat


def read_table(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a UTF-8, comma-separated file with a header row."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    header, *rows = list(reader)
    for number, row in enumerate(rows, start=2):
        assert len(row) == len(header), f"row {number} has {len(row)} cells, not {len(header)}"
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def cell_problem(column: Column, text: str) -> str | None:
    """Why ``text`` is not a valid cell of ``column``, or None."""
    if text == "":
        return "required but empty" if column.required else None
    kind = column.type
    if kind is ColumnType.CHOICE and text not in column.choices:
        return f"{text!r} not one of {column.choices}"
    if kind is ColumnType.UNIT:
        if text not in UNIT_SYMBOLS:
            return f"unknown unit {text!r}"
        if column.dimensions and dimension_of(text) not in column.dimensions:
            return f"unit {text!r} has the wrong dimension"
    if kind is ColumnType.TIME_ZONE:
        ZoneInfo(text)
    if kind is ColumnType.DATE:
        date.fromisoformat(text)
    if kind is ColumnType.DATETIME:
        assert datetime.fromisoformat(text).tzinfo is not None
    if kind is ColumnType.URN_LIST and not all(u.startswith("urn:") for u in text.split(" ")):
        return f"{text!r} is not a list of URNs"
    if kind in (ColumnType.NUMBER, ColumnType.INTEGER):
        if "e" in text.lower():
            return f"{text!r} uses an exponent"
        value = int(text) if kind is ColumnType.INTEGER else float(text)
        if column.minimum is not None and value < column.minimum:
            return f"{text} < {column.minimum}"
        if column.maximum is not None and value > column.maximum:
            return f"{text} > {column.maximum}"
        if column.exclusive_minimum is not None and value <= column.exclusive_minimum:
            return f"{text} <= {column.exclusive_minimum}"
        if column.exclusive_maximum is not None and value >= column.exclusive_maximum:
            return f"{text} >= {column.exclusive_maximum}"
    return None


def check_files(files: dict[str, bytes]) -> dict[str, list[dict[str, str]]]:
    """Every file: exact header, valid cells, unique keys, resolvable references.
    Returns the rows by kind."""
    tables: dict[str, list[dict[str, str]]] = {}
    for kind, data in files.items():
        file_format: FileFormat = FORMATS[kind]
        header, rows = read_table(data)
        assert header == list(file_format.column_names), kind
        assert rows, f"{kind} has no data rows"
        for number, row in enumerate(rows, start=2):
            for column in file_format.columns:
                problem = cell_problem(column, row[column.name])
                assert problem is None, f"{kind} row {number}, {column.name}: {problem}"
        keys = [tuple(row[k] for k in file_format.key) for row in rows]
        assert len(set(keys)) == len(keys), f"{kind} has duplicate keys"
        tables[kind] = rows
    for kind, rows in tables.items():
        for column in FORMATS[kind].columns:
            target = column.references
            if target is None:
                continue
            known = {row[target.column] for row in tables.get(target.kind, [])}
            missing = {row[column.name] for row in rows if row[column.name]} - known
            assert not missing, f"{kind}.{column.name} refers to unknown {sorted(missing)}"
    return tables
