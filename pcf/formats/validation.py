"""Validating uploaded files against their format definitions.

A file is checked in four steps, each reporting every problem it finds:

1. reading (``pcf.formats.reading``): the file as a file: UTF-8, header, row lengths;
2. rows (``check_rows``): each cell against its column definition, then the kind's rules
   within a row. Works on one ``pyarrow.RecordBatch``, so a distributed job can run it per
   partition;
3. the table: unique keys and the kind's rules across rows (BOM cycles, grid shares);
4. references: values that must exist in, or agree with, other kinds' validated tables.

A file with any error loads nothing: ``ValidationResult.table`` is then None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pcf.formats.columns import ARROW_TYPES, ParsedColumn, parse_column
from pcf.formats.definitions import FORMATS, STATIC_FORMATS, FileFormat
from pcf.formats.errors import RowError, errors_at
from pcf.formats.reading import FIRST_DATA_ROW, UnreadableFileError, read_csv
from pcf.formats.rules import (
    CheckedTable,
    as_array,
    check_reference_rules,
    check_row_rules,
    check_table_rules,
    referenced_kinds,
)

__all__ = [
    "RowCheck",
    "RowError",
    "ValidationResult",
    "check_references",
    "check_rows",
    "typed_schema",
    "validate_file",
    "validate_files",
]


@dataclass(frozen=True)
class ValidationResult:
    """The typed table of a valid file, or None and the reasons it was rejected."""

    table: pa.Table | None
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class RowCheck:
    """Typed values of a batch of rows and what is wrong in them.

    ``failed`` says, per column, which cells failed their column checks; those cells are
    null in ``batch``.
    """

    batch: pa.RecordBatch
    errors: list[RowError]
    failed: dict[str, npt.NDArray[np.bool_]]


def typed_schema(file_format: FileFormat) -> pa.Schema:
    """The schema of a validated table: the format's columns in order, typed; a column
    may hold nulls only if it is optional and has no default."""
    return pa.schema(
        pa.field(
            column.name,
            ARROW_TYPES[column.type],
            nullable=not column.required and column.default is None,
        )
        for column in file_format.columns
    )


def check_rows(
    batch: pa.RecordBatch,
    file_format: FileFormat,
    file_name: str,
    rows: npt.NDArray[np.int64] | None = None,
) -> RowCheck:
    """Check and type a batch of text cells: every column against its definition, then
    the kind's rules within a row.

    ``batch`` has the format's columns as strings, trimmed, "" for an empty cell (what
    ``read_csv`` gives). ``rows`` are the spreadsheet row numbers of its rows; by default
    the batch is taken to start at the first data row.
    """
    if rows is None:
        rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + batch.num_rows, dtype=np.int64)
    arrays: list[pa.Array] = []
    failed: dict[str, npt.NDArray[np.bool_]] = {}
    errors: list[RowError] = []
    for column in file_format.columns:
        parsed = parse_column(column, as_array(batch.column(column.name)))
        arrays.append(parsed.values)
        failed[column.name] = parsed.failed
        errors.extend(
            errors_at(
                parsed.failed,
                rows,
                file=file_name,
                column=column.name,
                describe=_cell_describer(parsed),
            )
        )
    nullable_schema = pa.schema(field.with_nullable(True) for field in typed_schema(file_format))
    typed = pa.RecordBatch.from_arrays(arrays, schema=nullable_schema)
    errors.extend(check_row_rules(typed, file_format, file_name, rows, failed))
    return RowCheck(typed, errors, failed)


def _cell_describer(parsed: ParsedColumn) -> Callable[[int], tuple[str | None, str]]:
    def describe(position: int) -> tuple[str | None, str]:
        return str(parsed.cells[position].as_py()), parsed.reason_at(position)

    return describe


def check_references(
    kind: str,
    table: pa.Table,
    file_name: str,
    references: Mapping[str, pa.Table],
    rows: npt.NDArray[np.int64] | None = None,
) -> list[RowError]:
    """Check a typed table's references against validated tables of other kinds.

    Reference columns must name values that exist in the referenced kind
    (``bom.csv row 5, column child_item_id: unknown item "X-9" (not in items)``), and the
    rules that look across kinds must hold (a BOM parent is made in-house, a meter's
    machine stands at its site, ...). Checks whose kinds ``references`` lacks are skipped.
    """
    file_format = FORMATS[kind]
    if rows is None:
        rows = np.arange(FIRST_DATA_ROW, FIRST_DATA_ROW + table.num_rows, dtype=np.int64)
    checked = CheckedTable(file_format, file_name, table, rows, {})
    return check_reference_rules(checked, references)


def validate_file(
    kind: str, data: bytes, file_name: str, references: Mapping[str, pa.Table]
) -> ValidationResult:
    """Validate one uploaded file of ``kind`` (a key of ``FORMATS``).

    ``references`` holds validated tables of other kinds, by kind, to check references
    against; kinds missing from it are not checked. Returns the typed table (schema
    ``typed_schema``) when the file has no error, else None and every error found.
    """
    file_format = _format_of(kind)
    try:
        content = read_csv(data, file_name, file_format)
    except UnreadableFileError as unreadable:
        return ValidationResult(None, unreadable.errors)
    batch = pa.RecordBatch.from_arrays(
        [as_array(column) for column in content.table.columns],
        names=content.table.column_names,
    )
    row_check = check_rows(batch, file_format, file_name, content.rows)
    checked = CheckedTable(
        file_format,
        file_name,
        pa.Table.from_batches([row_check.batch]),
        content.rows,
        row_check.failed,
    )
    errors = [
        *row_check.errors,
        *check_table_rules(checked),
        *check_reference_rules(checked, references),
    ]
    if errors:
        return ValidationResult(None, errors)
    return ValidationResult(checked.table.cast(typed_schema(file_format)), [])


def validate_files(
    files: Mapping[str, tuple[str, bytes]],
    references: Mapping[str, pa.Table] | None = None,
) -> dict[str, ValidationResult]:
    """Validate a set of static files, given as kind -> (file name, content).

    Kinds are validated in the load order of ``STATIC_FORMATS``; each valid table is a
    reference for the kinds after it. ``references`` supplies already loaded tables of
    kinds not in ``files``. A file that refers to a kind whose file in this set was
    rejected is rejected too, since its references could not be checked.
    """
    static_kinds = [file_format.kind for file_format in STATIC_FORMATS]
    unknown = sorted(set(files) - set(static_kinds))
    if unknown:
        raise ValueError(
            f"not static file kinds: {', '.join(unknown)}; expected {', '.join(static_kinds)}"
        )
    known: dict[str, pa.Table] = dict(references or {})
    results: dict[str, ValidationResult] = {}
    for file_format in STATIC_FORMATS:
        if file_format.kind not in files:
            continue
        file_name, data = files[file_format.kind]
        rejected = [
            kind
            for kind in referenced_kinds(file_format)
            if kind in results and results[kind].table is None
        ]
        available = {kind: table for kind, table in known.items() if kind not in rejected}
        result = validate_file(file_format.kind, data, file_name, available)
        if rejected:
            rejected_files = ", ".join(files[kind][0] for kind in rejected)
            reason = f"references not checked: {rejected_files} was rejected"
            result = ValidationResult(
                None, [*result.errors, RowError(file_name, None, None, None, reason)]
            )
        results[file_format.kind] = result
        if result.table is not None:
            known[file_format.kind] = result.table
    return results


def _format_of(kind: str) -> FileFormat:
    if kind not in FORMATS:
        raise ValueError(f"unknown file kind {kind!r}; expected one of {', '.join(FORMATS)}")
    return FORMATS[kind]
