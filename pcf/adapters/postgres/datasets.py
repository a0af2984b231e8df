"""Dataset versions: validated static files stored as immutable, numbered snapshots.

Each load of a file becomes version 1, 2, ... of its kind (``dataset_version``) and its
rows go to ``ds_<kind>``, whose columns are exactly the kind's format definition. Rows
travel as CSV over COPY in both directions (pyarrow writes and parses the CSV), so a
million-row file loads in seconds, and ``read_dataset`` gives back the table the
validator produced (``pcf.formats.validation.typed_schema``): same schema, same column
order, rows in key order.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, RowMapping

from pcf.adapters.postgres.connection import CopySource, dbapi_cursor, transaction, where_equal
from pcf.formats.definitions import STATIC_FORMATS, ColumnType, FileFormat
from pcf.formats.validation import typed_schema

# Two-key advisory lock namespace ("pcfd") for numbering versions of one kind.
_VERSION_LOCK_NAMESPACE = 0x70636664

# Rows per CSV chunk handed to COPY: bounds memory on large files.
_COPY_CHUNK_ROWS = 50_000

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_STATIC_KINDS: dict[str, FileFormat] = {fmt.kind: fmt for fmt in STATIC_FORMATS}

_VERSION_COLUMNS = (
    "id, kind, version, file_name, sha256, row_count, valid_from, valid_to, loaded_at"
)


class DatasetLoadError(RuntimeError):
    """The database refused a file's rows (a duplicate key, a missing required value);
    nothing of the file was stored."""


@dataclass(frozen=True)
class DatasetVersion:
    id: int
    kind: str
    version: int  # 1, 2, ... per kind, in upload order
    file_name: str
    sha256: str  # hex digest of the uploaded file
    row_count: int
    valid_from: date | None  # first day the snapshot applies to; None = always
    valid_to: date | None  # last day (inclusive); None = open-ended
    loaded_at: datetime


def dataset_table_name(kind: str) -> str:
    """The table holding the rows of every version of a static kind."""
    return f"ds_{_static_format(kind).kind}"


def load_dataset_version(
    bind: Engine | Connection,
    kind: str,
    table: pa.Table,
    *,
    file_name: str,
    sha256: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> DatasetVersion:
    """Store a validated file as the next version of its kind, in one transaction.

    ``table`` has exactly the format's columns (any order; types are cast to the
    validator's). The version row and all rows are written together: on any error
    nothing is stored. With a connection already in a transaction, the load joins it
    and the caller commits (after an error the caller must roll back). Raises
    ``ValueError`` for a table or arguments that do not fit the format,
    ``DatasetLoadError`` when the database refuses the rows.
    """
    file_format = _static_format(kind)
    typed = _conform(file_format, table)
    checksum = sha256.strip().lower()
    if not _SHA256.match(checksum):
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValueError(f"valid_to {valid_to} is before valid_from {valid_from}")

    with transaction(bind) as connection:
        # Versions of one kind are numbered in commit order; other kinds load in parallel.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:kind))"),
            {"namespace": _VERSION_LOCK_NAMESPACE, "kind": kind},
        )
        row = (
            connection.execute(
                text(
                    "INSERT INTO dataset_version "
                    "(kind, version, file_name, sha256, row_count, valid_from, valid_to) "
                    "SELECT :kind, coalesce(max(version), 0) + 1, :file_name, :sha256, "
                    ":row_count, :valid_from, :valid_to "
                    "FROM dataset_version WHERE kind = :kind "
                    f"RETURNING {_VERSION_COLUMNS}"
                ),
                {
                    "kind": kind,
                    "file_name": file_name,
                    "sha256": checksum,
                    "row_count": typed.num_rows,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                },
            )
            .mappings()
            .one()
        )
        version = _dataset_version(row)
        _copy_in(connection, dataset_table_name(kind), file_format, typed, version.id, file_name)
    return version


def current_versions(
    bind: Engine | Connection, as_of: date | None = None
) -> dict[str, DatasetVersion]:
    """The dataset version in force per kind (kinds never loaded are absent).

    With ``as_of``: the latest upload (highest version) among the versions whose
    validity covers that day (``valid_from`` <= as_of <= ``valid_to``, a missing bound
    being open), so when several cover it the later upload wins. Without: the latest
    upload of each kind, whatever its validity.
    """
    where = ""
    parameters: dict[str, date] = {}
    if as_of is not None:
        where = (
            "WHERE (valid_from IS NULL OR valid_from <= :as_of) "
            "AND (valid_to IS NULL OR valid_to >= :as_of) "
        )
        parameters["as_of"] = as_of
    with transaction(bind) as connection:
        rows = connection.execute(
            text(
                f"SELECT DISTINCT ON (kind) {_VERSION_COLUMNS} FROM dataset_version "
                f"{where}ORDER BY kind, version DESC"
            ),
            parameters,
        ).mappings()
        return {row["kind"]: _dataset_version(row) for row in rows}


def dataset_version(bind: Engine | Connection, version_id: int) -> DatasetVersion:
    """One dataset version by id; ``KeyError`` when there is none."""
    with transaction(bind) as connection:
        row = (
            connection.execute(
                text(f"SELECT {_VERSION_COLUMNS} FROM dataset_version WHERE id = :id"),
                {"id": version_id},
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise KeyError(f"no dataset version with id {version_id}")
    return _dataset_version(row)


def read_dataset(bind: Engine | Connection, version_id: int) -> pa.Table:
    """The rows of one dataset version as the validator's typed table: same schema
    (``typed_schema``, nullability included) and column order, rows sorted by the
    format's key (text keys in byte order)."""
    with transaction(bind) as connection:
        version = dataset_version(connection, version_id)
        file_format = _static_format(version.kind)
        return _copy_out(
            connection,
            dataset_table_name(version.kind),
            file_format,
            where=f"dataset_version_id = {int(version_id)}",
        )


def _static_format(kind: str) -> FileFormat:
    file_format = _STATIC_KINDS.get(kind)
    if file_format is None:
        raise ValueError(
            f'"{kind}" is not a static data set kind; known kinds: {", ".join(_STATIC_KINDS)}'
        )
    return file_format


def _conform(file_format: FileFormat, table: pa.Table) -> pa.Table:
    """The table with the format's columns in definition order, cast to the validator's
    schema (``pcf.formats.validation.typed_schema``); ``ValueError`` naming the columns
    that are missing or extra, or when a column cannot take that type (a null in a
    column the validator always fills)."""
    expected = file_format.column_names
    present = tuple(table.column_names)
    missing = [name for name in expected if name not in present]
    extra = [name for name in present if name not in expected]
    if missing or extra or len(set(present)) != len(present):
        raise ValueError(
            f"{file_format.kind}: the table's columns do not match the format "
            f"(missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'})"
        )
    schema = typed_schema(file_format)
    selected = table.select(list(expected))
    try:
        return selected.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise ValueError(
            f"{file_format.kind}: columns do not have the format's types: {error}"
        ) from error


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_in(
    connection: Connection,
    table_name: str,
    file_format: FileFormat,
    table: pa.Table,
    version_id: int,
    file_name: str,
) -> None:
    """COPY the rows into ``table_name`` tagged with ``version_id``, in CSV written by
    pyarrow: strings are always quoted, nulls are empty and unquoted, which is exactly
    how PostgreSQL's CSV format tells an empty string from NULL."""
    # in key order: the primary key index is then built by appending (COPY of a million
    # BOM lines in file order took 13.8 s, in key order 10.7 s); reads sort by key anyway
    if file_format.key:
        table = table.sort_by([(name, "ascending") for name in file_format.key])
    tagged = table.add_column(
        0, "dataset_version_id", pa.array(np.full(table.num_rows, version_id, dtype=np.int64))
    )
    columns = ", ".join(_quoted(name) for name in tagged.column_names)
    statement = f"COPY {table_name} ({columns}) FROM STDIN WITH (FORMAT csv)"
    cursor = dbapi_cursor(connection)
    try:
        cursor.copy_expert(statement, CopySource(_csv_parts(tagged)), size=1 << 20)
    except psycopg2.Error as error:
        detail = (error.pgerror or str(error)).strip()
        raise DatasetLoadError(
            f"{file_name}: the database refused the {file_format.kind} rows, nothing was "
            f"stored: {detail}"
        ) from error
    finally:
        cursor.close()


def _copy_out(
    connection: Connection, table_name: str, file_format: FileFormat, *, where: str
) -> pa.Table:
    """The rows of ``table_name`` matching ``where`` as a typed Arrow table, through COPY
    TO CSV parsed by pyarrow (a quoted empty field is an empty string, an unquoted one
    NULL: PostgreSQL writes them that way)."""
    schema = typed_schema(file_format)
    selected = ", ".join(
        _csv_expression(column.name, column.type) for column in file_format.columns
    )
    order = ", ".join(_order_expression(file_format, name) for name in file_format.key)
    statement = (
        f"COPY (SELECT {selected} FROM {table_name} WHERE {where} ORDER BY {order}) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    # Shortest text that round-trips a double exactly (the default since PostgreSQL 12,
    # pinned here in case the session changed it).
    connection.execute(text("SELECT set_config('extra_float_digits', '1', true)"))
    buffer = io.BytesIO()
    cursor = dbapi_cursor(connection)
    try:
        cursor.copy_expert(statement, buffer, size=1 << 20)
    finally:
        cursor.close()
    if buffer.tell() == 0:
        return schema.empty_table()
    buffer.seek(0)
    return pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    ).cast(schema)  # the parser's fields are all nullable; the validator's are not


def _csv_expression(name: str, column_type: ColumnType) -> str:
    """The column as text pyarrow parses back to the validator's type, whatever the
    session's DateStyle and TimeZone."""
    quoted = _quoted(name)
    if column_type is ColumnType.DATE:
        return f"to_char({quoted}, 'YYYY-MM-DD')"
    if column_type is ColumnType.DATETIME:
        return f"""to_char({quoted} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    return quoted


def _order_expression(file_format: FileFormat, name: str) -> str:
    if typed_schema(file_format).field(name).type == pa.string():
        return f'{_quoted(name)} COLLATE "C"'
    return _quoted(name)


def _dataset_version(row: RowMapping) -> DatasetVersion:
    return DatasetVersion(
        id=row["id"],
        kind=row["kind"],
        version=row["version"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        row_count=row["row_count"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        loaded_at=row["loaded_at"],
    )


def _csv_parts(table: pa.Table, chunk_rows: int = _COPY_CHUNK_ROWS) -> Iterator[bytes]:
    """The table as header-less CSV, a chunk of rows at a time."""
    for start in range(0, table.num_rows, chunk_rows):
        sink = io.BytesIO()
        pa_csv.write_csv(
            table.slice(start, chunk_rows),
            sink,
            write_options=pa_csv.WriteOptions(include_header=False),
        )
        yield sink.getvalue()


def version_in_force(bind: Engine | Connection, kind: str, as_of: date) -> DatasetVersion | None:
    """The version of ``kind`` in force on ``as_of``: the one ``current_versions`` (and so
    every calculation of a period starting that day) picks; None when no version's
    validity covers the day."""
    _static_format(kind)
    return current_versions(bind, as_of=as_of).get(kind)


def kind_versions(bind: Engine | Connection, kind: str) -> list[DatasetVersion]:
    """Every version of ``kind``, oldest first (earlier versions stay readable)."""
    _static_format(kind)
    with transaction(bind) as connection:
        rows = connection.execute(
            text(
                f"SELECT {_VERSION_COLUMNS} FROM dataset_version WHERE kind = :kind "
                "ORDER BY version"
            ),
            {"kind": kind},
        ).mappings()
        return [_dataset_version(row) for row in rows]


@dataclass(frozen=True)
class StaleFootprint:
    """A footprint whose run pinned a version of ``kind`` that is no longer the one in
    force on its period's first day (``as_of``): recalculating would read another."""

    footprint_id: int
    item_id: str
    site_id: str
    period_label: str
    run_id: int
    kind: str
    pinned_version: int | None  # None: the run had no version of the kind
    superseding_version: int
    superseding_valid_from: date | None
    superseding_valid_to: date | None
    as_of: date

    @property
    def reason(self) -> str:
        in_force = f"(in force on {self.as_of.isoformat()})"
        if self.pinned_version is None:
            return (
                f"{self.kind} version {self.superseding_version} {in_force} now applies; "
                "the calculation had none"
            )
        return (
            f"{self.kind} version {self.pinned_version} superseded by version "
            f"{self.superseding_version} {in_force}"
        )


def stale_footprints(
    bind: Engine | Connection, *, site_id: str | None = None, period_label: str | None = None
) -> list[StaleFootprint]:
    """Footprints of open periods (closed ones are published and frozen) that a dataset
    version loaded after their calculation would change, one row per footprint and kind,
    from the ``stale_footprint`` view (migration 0009); ordered by site, period, item,
    kind."""
    where, parameters = where_equal(site_id=site_id, period_label=period_label)
    with transaction(bind) as connection:
        rows = connection.execute(
            text(
                "SELECT footprint_id, item_id, site_id, period_label, run_id, kind, "
                "pinned_version, superseding_version, superseding_valid_from, "
                "superseding_valid_to, as_of FROM stale_footprint "
                f'{where}ORDER BY site_id, period_label, item_id COLLATE "C", kind'
            ),
            parameters,
        ).mappings()
        return [StaleFootprint(**row) for row in rows]
