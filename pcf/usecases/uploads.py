"""Uploads of static files: ask for an upload, put the file, have it validated and loaded.

1. ``create_upload``: the SME states the kind, file name, size and SHA-256 of a file; the
   upload is recorded (``awaiting_file``) with an object key made from its id, and the
   SME gets a pre-signed URL to PUT the file to (or sends a small file inline).
2. ``process_landed_object``: called when the file lands (the S3 event Lambda in the
   cloud, the local server right after the PUT). Checks, in order: size limit, the size
   and checksum declared, then the file itself with the existing validation
   (``pcf.formats.validation.validate_files``: encoding, delimiter, header, rows, table,
   references against the current versions of other kinds). An accepted file is loaded
   with ``load_dataset_version`` in the same transaction that marks the upload accepted;
   a rejected one loads nothing, its errors are stored, and the file moves untouched to
   the quarantine tier. Redelivered events are no-ops: the upload row is locked and
   only an upload still awaiting its file is processed.

Every accepted upload is a new version of its kind, valid from the day the upload asked
for (default: the day it was created, UTC) and open-ended unless it gave ``valid_to``.
Its typed rows are written to the processed tier as Parquet
(``processed/<kind>/version=<version id>/<kind>.parquet``) before the load commits, so a
committed version always has its Parquet (a failed commit leaves an orphan under an id
that is never handed out again). Footprints the new version would change are listed by
``stale_footprints`` (a view: see migration 0009 and decision 0008).

A PACT file (kind ``pact_footprints``, JSON: one ProductFootprint, a list, or a PACT API
response body) is the one upload that is not a table: its footprints become the supplier
footprints of the purchased items they describe (``pcf.pact.supplier_import``), and the
accepted upload is a new version of ``supplier_footprints``: the latest version's rows with
those items replaced or added (``load_pact_footprints``, which the pull from a supplier's
PACT API uses too). Decision 0013.

Excel ``.xlsx`` files are turned into CSV text, row for row (so row numbers match what
the spreadsheet shows), and then validated exactly as CSV files are.

CSV the system writes back (templates, dataset downloads, error reports) is neutralised
against spreadsheet formula injection: see ``neutralise_formulas``.

The SQL for the ``upload`` tables lives in this module for now (see the end); it belongs
in ``pcf.adapters.postgres`` beside ``datasets.py``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, RowMapping

from pcf.adapters.object_store import (
    PROCESSED_DATASETS_PREFIX,
    QUARANTINE_UPLOADS_PREFIX,
    RAW_UPLOADS_PREFIX,
    ObjectExistsError,
    ObjectStore,
    parquet_bytes,
    processed_parquet_key,
)
from pcf.adapters.postgres.connection import transaction
from pcf.adapters.postgres.datasets import (
    DatasetLoadError,
    DatasetVersion,
    StaleFootprint,
    current_versions,
    kind_versions,
    load_dataset_version,
    read_dataset,
    version_in_force,
)
from pcf.adapters.postgres.datasets import stale_footprints as _stale_footprints
from pcf.formats.definitions import STATIC_FORMATS, FileFormat
from pcf.formats.errors import RowError
from pcf.formats.rules import referenced_kinds
from pcf.formats.validation import check_references, validate_files
from pcf.pact.supplier_import import (
    DEFAULT_SUPPLIER_FIGURE,
    FootprintSource,
    ImportedFootprints,
    ImportProblem,
    SupplierFigure,
    SupplierImportError,
    footprints_in,
    supplier_footprint_rows,
    with_replaced_items,
)

STATIC_KINDS: dict[str, FileFormat] = {f.kind: f for f in STATIC_FORMATS}
# PACT ProductFootprints (JSON), loaded as a version of supplier_footprints
PACT_FOOTPRINTS_KIND = "pact_footprints"
UPLOAD_KINDS: tuple[str, ...] = (*STATIC_KINDS, PACT_FOOTPRINTS_KIND)

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A file sent inline (base64 in the JSON body) must fit API Gateway's 10 MB payload.
MAX_INLINE_BYTES = 4 * 1024 * 1024
DEFAULT_URL_EXPIRES_SECONDS = 15 * 60

_UPLOAD_KEY = re.compile(
    rf"^{RAW_UPLOADS_PREFIX}/(?P<kind>[a-z_]+)/(?P<upload_id>[0-9a-f]{{32}})\.(?P<type>csv|xlsx|json)$"
)


class FileType(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"  # PACT footprints only


class UploadStatus(StrEnum):
    AWAITING_FILE = "awaiting_file"  # created; the file has not landed (or not been seen)
    ACCEPTED = "accepted"  # valid, loaded as dataset_version
    REJECTED = "rejected"  # invalid; nothing loaded, file in quarantine, errors stored


class UploadRefused(ValueError):
    """The upload request itself cannot be accepted (unknown kind, file type, size)."""


class UploadTooLarge(UploadRefused):
    """The declared or inline file is over the size limit."""


class UploadNotFound(KeyError):
    """No upload with that id."""


class DatasetVersionNotFound(KeyError):
    """No such kind, or no such version of it."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    url_expires_seconds: int = DEFAULT_URL_EXPIRES_SECONDS


@dataclass(frozen=True)
class UploadDependencies:
    engine: Engine
    store: ObjectStore
    limits: UploadLimits = field(default_factory=UploadLimits)


@dataclass(frozen=True)
class Upload:
    id: str  # 32 hex digits
    kind: str
    file_name: str  # as the user named it: metadata, never a path or key
    file_type: FileType
    size_bytes: int
    sha256: str
    object_key: str
    status: UploadStatus
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    dataset_version: int | None  # the version number of the kind, once accepted
    errors: tuple[RowError, ...] = ()
    valid_from: date | None = None  # the validity the version gets when accepted
    valid_to: date | None = None  # inclusive; None = open-ended

    @property
    def quarantine_key(self) -> str:
        return quarantine_key(self.object_key)


@dataclass(frozen=True)
class CreatedUpload:
    upload: Upload
    upload_url: str | None  # None when the file came inline
    expires_in: int


def raw_key(kind: str, upload_id: str, file_type: FileType) -> str:
    """The raw-tier key of an upload's file: from the upload id, never the file name."""
    return f"{RAW_UPLOADS_PREFIX}/{kind}/{upload_id}.{file_type.value}"


def quarantine_key(key: str) -> str:
    """Where a rejected file's raw key moves to: the same key in the quarantine tier."""
    return QUARANTINE_UPLOADS_PREFIX + key.removeprefix(RAW_UPLOADS_PREFIX)


def dataset_export_key(kind: str, version: int) -> str:
    return f"{PROCESSED_DATASETS_PREFIX}/{kind}/{version}.csv"


def file_type_of(file_name: str, kind: str | None = None) -> FileType:
    """CSV or Excel, from the name's extension (the only thing the name decides); JSON
    for a PACT file (``kind`` pact_footprints), which is JSON only."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if kind == PACT_FOOTPRINTS_KIND:
        if suffix == "json":
            return FileType.JSON
        raise UploadRefused(f"{file_name}: a PACT footprints file is JSON (.json)")
    if suffix in ("csv", "txt", "tsv"):
        return FileType.CSV
    if suffix == "xlsx":
        return FileType.XLSX
    raise UploadRefused(
        f"{file_name}: only CSV (.csv) and Excel (.xlsx) files are accepted; "
        "an older .xls must be saved as .xlsx"
    )


def create_upload(
    dependencies: UploadDependencies,
    *,
    kind: str,
    file_name: str,
    size_bytes: int,
    sha256: str,
    created_by: str,
    content: bytes | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> CreatedUpload:
    """Record an upload and say where to put its file.

    Without ``content``: the upload awaits its file, and the result carries a pre-signed
    PUT URL. With ``content`` (a small file sent inline): the file is stored and
    validated at once, and the result has its final status. Once accepted, the file is
    the next version of ``kind``, valid from ``valid_from`` (default: today, UTC) to
    ``valid_to`` (inclusive; default open-ended). Raises ``UploadRefused``
    (``UploadTooLarge``) for an unknown kind, a file type other than CSV and xlsx, a
    size over the limit, or ``valid_to`` before ``valid_from``.
    """
    valid_from = valid_from if valid_from is not None else datetime.now(UTC).date()
    if valid_to is not None and valid_to < valid_from:
        raise UploadRefused(f"valid_to {valid_to} is before valid_from {valid_from}")
    if kind not in UPLOAD_KINDS:
        raise UploadRefused(f"unknown kind {kind!r}; expected one of {', '.join(UPLOAD_KINDS)}")
    file_type = file_type_of(file_name, kind)
    limits = dependencies.limits
    if size_bytes > limits.max_bytes:
        raise UploadTooLarge(
            f"{file_name} is {size_bytes:,} bytes; the limit is {limits.max_bytes:,} bytes"
        )
    if content is not None and len(content) > MAX_INLINE_BYTES:
        raise UploadTooLarge(
            f"a file sent inline may have at most {MAX_INLINE_BYTES:,} bytes; "
            "use the pre-signed URL for larger files"
        )
    upload_id = uuid.uuid4().hex
    key = raw_key(kind, upload_id, file_type)
    with transaction(dependencies.engine) as connection:
        _insert_upload(
            connection,
            upload_id=upload_id,
            kind=kind,
            file_name=file_name,
            file_type=file_type,
            size_bytes=size_bytes,
            sha256=sha256.lower(),
            object_key=key,
            created_by=created_by,
            valid_from=valid_from,
            valid_to=valid_to,
        )
    if content is not None:
        dependencies.store.put(key, content)
        return CreatedUpload(process_landed_object(dependencies, key), None, 0)
    url = dependencies.store.presigned_put_url(key, limits.url_expires_seconds)
    return CreatedUpload(
        read_upload(dependencies.engine, upload_id), url, limits.url_expires_seconds
    )


def upload_id_of_key(key: str) -> str | None:
    """The upload id in a raw-tier upload key (as S3 events give it, URL-encoded), or
    None when the key is not one."""
    match = _UPLOAD_KEY.match(urllib.parse.unquote_plus(key))
    return match["upload_id"] if match else None


def process_landed_object(dependencies: UploadDependencies, key: str) -> Upload:
    """Validate the file that landed under ``key`` and load it or reject it (see the
    module docstring). Idempotent: an upload already accepted or rejected is returned
    as it is (a rejected file still in the raw tier is moved to quarantine)."""
    upload_id = upload_id_of_key(key)
    if upload_id is None:
        raise UploadNotFound(f"{key} is not an upload's key")
    store = dependencies.store
    with transaction(dependencies.engine) as connection:
        upload = _lock_upload(connection, upload_id)
        if upload.status is UploadStatus.AWAITING_FILE:
            errors = _check_landed_file(dependencies, upload)
            if errors:
                _record_rejection(connection, upload.id, errors)
            else:
                errors = _load(connection, store, upload)
                if errors:
                    _record_rejection(connection, upload.id, errors)
    upload = read_upload(dependencies.engine, upload_id)
    if upload.status is UploadStatus.REJECTED and store.size(upload.object_key) is not None:
        store.move(upload.object_key, upload.quarantine_key)
    return upload


def read_upload(engine: Engine | Connection, upload_id: str) -> Upload:
    """An upload with its errors; ``UploadNotFound`` when there is none."""
    with transaction(engine) as connection:
        row = (
            connection.execute(
                text(f"{_SELECT_UPLOAD} WHERE u.id = :id"), {"id": _as_uuid(upload_id)}
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise UploadNotFound(upload_id)
        errors = connection.execute(
            text(
                "SELECT file, row_number, column_name, value, reason FROM upload_error "
                "WHERE upload_id = :id ORDER BY position"
            ),
            {"id": row["id"]},
        ).all()
    return _upload(row, tuple(RowError(*error) for error in errors))


def dataset_versions(engine: Engine) -> dict[str, list[DatasetVersion]]:
    """Every static kind (in load order) with its versions, oldest first."""
    versions: dict[str, list[DatasetVersion]] = {kind: [] for kind in STATIC_KINDS}
    with transaction(engine) as connection:
        rows = connection.execute(
            text(f"SELECT {_VERSION_COLUMNS} FROM dataset_version ORDER BY kind, version")
        ).mappings()
        for row in rows:
            versions[row["kind"]].append(DatasetVersion(**row))
    return versions


def versions_of_kind(engine: Engine, kind: str, as_of: date | None = None) -> list[DatasetVersion]:
    """Every version of ``kind``, oldest first; with ``as_of``, only the one in force on
    that day (the one a calculation of a period starting that day reads), or none."""
    if kind not in STATIC_KINDS:
        raise DatasetVersionNotFound(f"unknown kind {kind!r}")
    if as_of is None:
        return kind_versions(engine, kind)
    found = version_in_force(engine, kind, as_of)
    return [found] if found is not None else []


def stale_footprints(
    engine: Engine, *, site_id: str | None = None, period_label: str | None = None
) -> list[StaleFootprint]:
    """Footprints of open periods that a dataset version loaded since their calculation
    would change (see ``pcf.adapters.postgres.datasets.stale_footprints``)."""
    return _stale_footprints(engine, site_id=site_id, period_label=period_label)


def dataset_download_url(
    dependencies: UploadDependencies, kind: str, version: int, file_format: str = "csv"
) -> tuple[DatasetVersion, str]:
    """A version of a kind and a pre-signed GET URL to it as CSV (neutralised, written
    to the processed tier the first time it is asked for: versions never change) or as
    Parquet (the processed tier's typed rows; written now for a version loaded without
    the upload path, such as by the CLI)."""
    if file_format not in ("csv", "parquet"):
        raise DatasetVersionNotFound(f"no {file_format!r} rendition; use csv or parquet")
    if kind not in STATIC_KINDS:
        raise DatasetVersionNotFound(f"unknown kind {kind!r}")
    with transaction(dependencies.engine) as connection:
        row = (
            connection.execute(
                text(
                    f"SELECT {_VERSION_COLUMNS} FROM dataset_version "
                    "WHERE kind = :kind AND version = :version"
                ),
                {"kind": kind, "version": version},
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise DatasetVersionNotFound(f"{kind} has no version {version}")
        found = DatasetVersion(**row)
        if file_format == "parquet":
            key = processed_parquet_key(kind, found.id)
            if dependencies.store.size(key) is None:
                write_processed_parquet(connection, dependencies.store, found)
            url = dependencies.store.presigned_get_url(key, dependencies.limits.url_expires_seconds)
            return found, url
        key = dataset_export_key(kind, version)
        if dependencies.store.size(key) is None:
            content = csv_bytes(read_dataset(connection, found.id))
            # another request may have written it meanwhile: the same bytes
            with contextlib.suppress(ObjectExistsError):
                dependencies.store.put(key, content)
    url = dependencies.store.presigned_get_url(key, dependencies.limits.url_expires_seconds)
    return found, url


def write_processed_parquet(
    connection: Connection, store: ObjectStore, version: DatasetVersion
) -> str:
    """Write a version's typed rows (as ``read_dataset`` gives them: the validator's
    schema, rows in key order) to the processed tier; the key. Replaces what is there:
    the tier is derived from PostgreSQL, which is the truth."""
    key = processed_parquet_key(version.kind, version.id)
    store.put(key, parquet_bytes(read_dataset(connection, version.id)), overwrite=True)
    return key


# --- checks when the file lands ---------------------------------------------------------


def _check_landed_file(dependencies: UploadDependencies, upload: Upload) -> list[RowError]:
    """The size and checksum checks; empty when the file may be validated."""
    name = upload.file_name
    size = dependencies.store.size(upload.object_key)
    if size is None:
        return [RowError(name, None, None, None, "the file never arrived")]
    limit = dependencies.limits.max_bytes
    if size > limit:
        return [RowError(name, None, None, None, f"file is {size:,} bytes; the limit is {limit:,}")]
    if size != upload.size_bytes:
        reason = f"file is {size:,} bytes, but the upload declared {upload.size_bytes:,}"
        return [RowError(name, None, None, None, reason)]
    return []


def _load(connection: Connection, store: ObjectStore, upload: Upload) -> list[RowError]:
    """Checksum, validation, and the load; the errors when the file is rejected."""
    name = upload.file_name
    data = store.get(upload.object_key)
    digest = hashlib.sha256(data).hexdigest()
    if digest != upload.sha256:
        reason = f"SHA-256 of the file is {digest}, but the upload declared {upload.sha256}"
        return [RowError(name, None, None, None, reason)]
    if upload.kind == PACT_FOOTPRINTS_KIND:
        return _load_pact_file(connection, store, upload, data)
    if upload.file_type is FileType.XLSX:
        try:
            data = xlsx_to_csv(data)
        except ValueError as error:
            return [RowError(name, None, None, None, str(error))]
    current = current_versions(connection)
    references = {
        kind: read_dataset(connection, current[kind].id)
        for kind in referenced_kinds(STATIC_KINDS[upload.kind])
        if kind in current
    }
    result = validate_files({upload.kind: (name, data)}, references)[upload.kind]
    if result.table is None:
        return result.errors
    try:
        with connection.begin_nested():
            version = load_dataset_version(
                connection,
                upload.kind,
                result.table,
                file_name=name,
                sha256=upload.sha256,
                valid_from=upload.valid_from,
                valid_to=upload.valid_to,
            )
            # before the commit: a committed version always has its processed Parquet
            write_processed_parquet(connection, store, version)
    except DatasetLoadError as error:
        return [_refused_by_database(name, error)]
    _mark_accepted(connection, upload, version.id)
    return []


def _mark_accepted(connection: Connection, upload: Upload, version_id: int) -> None:
    connection.execute(
        text(
            "UPDATE upload SET status = 'accepted', finished_at = now(), "
            "dataset_version_id = :version WHERE id = :id"
        ),
        {"version": version_id, "id": _as_uuid(upload.id)},
    )


def _refused_by_database(file_name: str, error: Exception) -> RowError:
    return RowError(file_name, None, None, None, f"the database refused the rows: {error}")


def _load_pact_file(
    connection: Connection, store: ObjectStore, upload: Upload, data: bytes
) -> list[RowError]:
    """A PACT file's footprints as the next version of supplier_footprints; the errors
    (one per problem, the column naming the footprint and its field) when rejected."""
    name = upload.file_name
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [RowError(name, None, None, None, f"not a JSON document ({error})")]
    source = FootprintSource(f"upload {upload.id}", upload.created_at)
    try:
        footprints = [(footprint, source) for footprint in footprints_in(document)]
        version, _ = load_pact_footprints(
            connection,
            store,
            footprints,
            file_name=name,
            sha256=upload.sha256,
            valid_from=upload.valid_from,
            valid_to=upload.valid_to,
        )
    except SupplierImportError as error:
        return [
            RowError(name, None, problem.where, problem.value, problem.reason)
            for problem in error.problems
        ]
    except DatasetLoadError as error:
        return [_refused_by_database(name, error)]
    _mark_accepted(connection, upload, version.id)
    return []


def load_pact_footprints(
    connection: Connection,
    store: ObjectStore,
    footprints: Sequence[tuple[object, FootprintSource]],
    *,
    file_name: str,
    sha256: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    figure: SupplierFigure = DEFAULT_SUPPLIER_FIGURE,
) -> tuple[DatasetVersion, ImportedFootprints]:
    """Load PACT footprints (each with where it came from) as the next version of
    supplier_footprints: the latest version's rows with the items they describe
    replaced or added, checked against the latest items like any supplier_footprints
    file, written with its processed Parquet. Joins the connection's transaction.
    ``SupplierImportError`` (every problem; nothing stored) when any footprint cannot be
    imported, ``DatasetLoadError`` when the database refuses the rows."""
    current = current_versions(connection)
    if "items" not in current:
        raise SupplierImportError(
            [ImportProblem(None, None, "", None, "there are no items yet to map footprints to")]
        )
    items = read_dataset(connection, current["items"].id)
    imported = supplier_footprint_rows(footprints, items, figure)
    # the rules a supplier_footprints file obeys (item type, unit); row i+1 = footprint i
    positions = np.arange(imported.table.num_rows, dtype=np.int64)
    problems = [
        ImportProblem(
            int(error.row) if error.row is not None else None,
            None,
            error.column or "",
            error.value,
            error.reason,
        )
        for error in check_references(
            "supplier_footprints", imported.table, file_name, {"items": items}, positions
        )
    ]
    if problems:
        raise SupplierImportError(problems)
    existing = current.get("supplier_footprints")
    table = with_replaced_items(
        read_dataset(connection, existing.id) if existing is not None else None, imported.table
    )
    with connection.begin_nested():
        version = load_dataset_version(
            connection,
            "supplier_footprints",
            table,
            file_name=file_name,
            sha256=sha256,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        # before the commit: a committed version always has its processed Parquet
        write_processed_parquet(connection, store, version)
    return version, imported


# --- spreadsheets in and out --------------------------------------------------------------


def xlsx_to_csv(data: bytes) -> bytes:
    """The first sheet of an Excel workbook as CSV text, one line per sheet row (empty
    rows too, so row numbers stay those the spreadsheet shows). Numbers are written as
    Python writes them (``2``, ``0.02``), dates as ISO dates, cells of formulas as their
    last computed value. ``ValueError`` when the bytes are not an xlsx workbook."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile, KeyError, XML errors...
        raise ValueError(f"not a readable Excel .xlsx workbook ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        output = io.StringIO()
        writer = csv.writer(output, lineterminator="\n")
        for row in sheet.iter_rows(values_only=True):
            writer.writerow([_cell_text(value) for value in row])
    finally:
        workbook.close()
    return output.getvalue().encode("utf-8")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# A cell that is just a number ("-3", "+1.5", "2e-3") is not a formula.
_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# OWASP CSV injection: cells starting with these may be run as formulas.
_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text cells a spreadsheet would run as a formula, prefixed with ``'``.

    A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP's list)
    gets a leading apostrophe, unless the whole cell is a plain number such as ``-3`` or
    ``+1.5e3``: a spreadsheet reads that as the number, never as a formula, so negative
    numbers stay numbers.
    """
    risky = pc.and_(
        pc.match_substring_regex(values, _FORMULA_START),
        pc.invert(pc.match_substring_regex(values, _PLAIN_NUMBER)),
    )
    prefixed = pc.binary_join_element_wise("'", values, "")
    return pc.if_else(pc.fill_null(risky, False), prefixed, values)


def csv_bytes(table: pa.Table) -> bytes:
    """The table as UTF-8 CSV with a header, every text column neutralised
    (``neutralise_formulas``); numbers, dates and times are written as values."""
    columns = [
        neutralise_formulas(column) if pa.types.is_string(column.type) else column
        for column in table.columns
    ]
    safe = pa.Table.from_arrays(columns, names=table.column_names)
    sink = io.BytesIO()
    pa_csv.write_csv(safe, sink)
    return sink.getvalue()


def template_csv(kind: str) -> bytes:
    """A CSV template of a kind: its header and one example row from the definitions."""
    file_format = _static_format(kind)
    table = pa.table(
        {column.name: pa.array([column.example], pa.string()) for column in file_format.columns}
    )
    return csv_bytes(table)


def template_xlsx(kind: str) -> bytes:
    """An Excel template of a kind: header (bold) and one example row, every cell text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    file_format = _static_format(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = file_format.kind
    for position, column in enumerate(file_format.columns, start=1):
        header = sheet.cell(row=1, column=position, value=column.name)
        header.font = Font(bold=True)
        example = sheet.cell(row=2, column=position)
        example.value = column.example
        example.data_type = "s"  # text, never a formula
        example.number_format = "@"  # Excel keeps what is typed here as text (ids like 0042)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def error_report_csv(upload: Upload) -> bytes:
    """An upload's errors as CSV (file, row, column, value, reason), neutralised."""
    errors = upload.errors
    table = pa.table(
        {
            "file": pa.array([e.file for e in errors], pa.string()),
            "row": pa.array([e.row for e in errors], pa.int64()),
            "column": pa.array([e.column for e in errors], pa.string()),
            "value": pa.array([e.value for e in errors], pa.string()),
            "reason": pa.array([e.reason for e in errors], pa.string()),
        }
    )
    return csv_bytes(table)


def _static_format(kind: str) -> FileFormat:
    if kind not in STATIC_KINDS:
        raise DatasetVersionNotFound(f"unknown kind {kind!r}")
    return STATIC_KINDS[kind]


# --- the upload tables (SQL) --------------------------------------------------------------

_VERSION_COLUMNS = (
    "id, kind, version, file_name, sha256, row_count, valid_from, valid_to, loaded_at"
)

_SELECT_UPLOAD = (
    "SELECT u.id, u.kind, u.file_name, u.file_type, u.size_bytes, u.sha256, u.object_key, "
    "u.status, u.created_by, u.created_at, u.finished_at, u.valid_from, u.valid_to, "
    "v.version AS dataset_version "
    "FROM upload u LEFT JOIN dataset_version v ON v.id = u.dataset_version_id"
)


def _as_uuid(upload_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=upload_id)
    except ValueError as error:
        raise UploadNotFound(upload_id) from error


def _insert_upload(
    connection: Connection,
    *,
    upload_id: str,
    kind: str,
    file_name: str,
    file_type: FileType,
    size_bytes: int,
    sha256: str,
    object_key: str,
    created_by: str,
    valid_from: date | None,
    valid_to: date | None,
) -> None:
    connection.execute(
        text(
            "INSERT INTO upload (id, kind, file_name, file_type, size_bytes, sha256, "
            "object_key, created_by, valid_from, valid_to) VALUES (:id, :kind, :file_name, "
            ":file_type, :size_bytes, :sha256, :object_key, :created_by, :valid_from, "
            ":valid_to)"
        ),
        {
            "id": _as_uuid(upload_id),
            "kind": kind,
            "file_name": file_name,
            "file_type": file_type.value,
            "size_bytes": size_bytes,
            "sha256": sha256,
            "object_key": object_key,
            "created_by": created_by,
            "valid_from": valid_from,
            "valid_to": valid_to,
        },
    )


def _lock_upload(connection: Connection, upload_id: str) -> Upload:
    row = (
        connection.execute(
            text(f"{_SELECT_UPLOAD} WHERE u.id = :id FOR UPDATE OF u"),
            {"id": _as_uuid(upload_id)},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise UploadNotFound(upload_id)
    return _upload(row, ())


def _record_rejection(connection: Connection, upload_id: str, errors: Sequence[RowError]) -> None:
    connection.execute(
        text("UPDATE upload SET status = 'rejected', finished_at = now() WHERE id = :id"),
        {"id": _as_uuid(upload_id)},
    )
    connection.execute(
        text(
            "INSERT INTO upload_error "
            "(upload_id, position, file, row_number, column_name, value, reason) "
            "VALUES (:upload_id, :position, :file, :row, :column, :value, :reason)"
        ),
        [
            {
                "upload_id": _as_uuid(upload_id),
                "position": position,
                "file": error.file,
                "row": error.row,
                "column": error.column,
                "value": error.value,
                "reason": error.reason,
            }
            for position, error in enumerate(errors, start=1)
        ],
    )


def _upload(row: RowMapping, errors: tuple[RowError, ...]) -> Upload:
    return Upload(
        id=row["id"].hex,
        kind=row["kind"],
        file_name=row["file_name"],
        file_type=FileType(row["file_type"]),
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        object_key=row["object_key"],
        status=UploadStatus(row["status"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        dataset_version=row["dataset_version"],
        errors=errors,
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )
