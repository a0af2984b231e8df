"""The Glue job's work: validate an uploaded file with Spark, and write its typed rows
to the processed tier, or its errors to the quarantine tier.

Keys under the output root (an S3 prefix, or a folder locally):

- ``processed/<kind>/version=<version id>/part-*.parquet``: the typed rows of a valid
  file, schema ``typed_schema(FORMATS[kind])``, in the file's row order (part files in
  name order, rows in order within each);
- ``quarantine/<kind>/version=<version id>/errors/part-*.json``: the errors of a
  rejected file, one JSON object per line (``position``, ``file``, ``row``, ``column``,
  ``value``, ``reason``), in the order ``validate_file`` lists them.

A file with any error writes no processed rows. A version is written once: writing to a
version that exists fails.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.fs as pa_fs
import pyarrow.parquet as pq
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.errors import RowError
from pcf.formats.rules import referenced_kinds
from pcf.formats.validation import typed_schema
from pcf.jobs.checks import merged_errors, reference_records, rows_read, table_errors
from pcf.jobs.lines import NO_DATA_ROWS, checked_rows, survey_file
from pcf.jobs.records import ERROR_FIELDS, ROW_NUMBER, ROWS, check_key
from pcf.jobs.spark import configure

_ERROR_SCHEMA = "position long, file string, row long, column string, value string, reason string"


@dataclass(frozen=True)
class SparkValidation:
    """The typed rows of a valid file (a DataFrame in row order), or None and why not."""

    rows: DataFrame | None
    errors: list[RowError]
    _cached: list[DataFrame] = field(default_factory=list, repr=False)

    def release(self) -> None:
        """Free what the validation kept in memory for writing the rows."""
        for frame in self._cached:
            frame.unpersist()


@dataclass(frozen=True)
class JobResult:
    kind: str
    errors: list[RowError]
    processed_uri: str | None  # where the typed rows are, when the file is valid
    errors_uri: str | None  # where the errors are, when it is not

    @property
    def ok(self) -> bool:
        return not self.errors


def processed_uri(output_root: str, kind: str, version: str) -> str:
    return posixpath.join(output_root, "processed", kind, f"version={version}")


def errors_uri(output_root: str, kind: str, version: str) -> str:
    return posixpath.join(output_root, "quarantine", kind, f"version={version}", "errors")


def validate_upload(
    spark: SparkSession,
    uri: str,
    kind: str,
    file_name: str,
    references: Mapping[str, DataFrame],
) -> SparkValidation:
    """Validate the file at ``uri`` as ``validate_file`` does, in Spark.

    ``references`` holds the current tables of other kinds (as DataFrames, typed like
    ``typed_schema``); kinds missing from it are not checked. Call ``release`` on the
    result when done with its rows.
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown file kind {kind!r}; expected one of {', '.join(FORMATS)}")
    configure(spark)
    survey = survey_file(spark, uri)
    reading = survey.reading_errors(kind, file_name)
    if reading:
        return SparkValidation(None, reading)
    checked = checked_rows(spark, uri, kind, file_name, survey).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    rows = checked.filter(F.col("__check").isNull())
    records = checked.filter(F.col("__check").isNotNull()).select(*ERROR_FIELDS.names).collect()
    merged = merged_errors(records, file_name)
    first_row_check = check_key(ROWS, 0)
    reading = [error for key, error in merged if key < first_row_check]
    if not reading and rows_read(records) == 0:
        reading = [RowError(file_name, None, None, None, NO_DATA_ROWS)]
    if reading:
        checked.unpersist()
        return SparkValidation(None, reading)
    errors = [error for _, error in merged]
    errors.extend(table_errors(rows, kind, file_name))
    references_checked = reference_records(rows, kind, file_name, references)
    if references_checked is not None:
        errors.extend(error for _, error in merged_errors(references_checked.collect(), file_name))
    if errors:
        checked.unpersist()
        return SparkValidation(None, errors)
    typed = rows.orderBy(ROW_NUMBER).select(*typed_schema(FORMATS[kind]).names)
    return SparkValidation(typed, [], [checked])


def validate_and_transform(
    spark: SparkSession,
    uri: str,
    kind: str,
    *,
    version: str,
    output_root: str,
    file_name: str | None = None,
    references: Mapping[str, DataFrame] | None = None,
    quarantine_root: str | None = None,
) -> JobResult:
    """Validate one uploaded file and write its typed rows (valid) under
    ``output_root`` or its errors (rejected) under ``quarantine_root`` (default:
    ``output_root``; keys: see the module)."""
    name = file_name or posixpath.basename(uri)
    validation = validate_upload(spark, uri, kind, name, references or {})
    try:
        return _publish(spark, validation, kind, version, output_root, quarantine_root)
    finally:
        validation.release()


def validate_and_transform_files(
    spark: SparkSession,
    files: Mapping[str, str],
    *,
    version: str,
    output_root: str,
    references: Mapping[str, DataFrame] | None = None,
) -> dict[str, JobResult]:
    """Validate a set of static files (kind -> URI) as ``validate_files`` does: in load
    order, each valid file a reference for the kinds after it, a file that refers to a
    rejected file rejected too."""
    static_kinds = [file_format.kind for file_format in STATIC_FORMATS]
    unknown = sorted(set(files) - set(static_kinds))
    if unknown:
        raise ValueError(
            f"not static file kinds: {', '.join(unknown)}; expected {', '.join(static_kinds)}"
        )
    known: dict[str, DataFrame] = dict(references or {})
    results: dict[str, JobResult] = {}
    for file_format in STATIC_FORMATS:
        kind = file_format.kind
        if kind not in files:
            continue
        name = posixpath.basename(files[kind])
        rejected = [
            other
            for other in referenced_kinds(file_format)
            if other in results and not results[other].ok
        ]
        available = {other: table for other, table in known.items() if other not in rejected}
        validation = validate_upload(spark, files[kind], kind, name, available)
        if rejected:
            rejected_files = ", ".join(posixpath.basename(files[other]) for other in rejected)
            reason = f"references not checked: {rejected_files} was rejected"
            validation.release()
            validation = SparkValidation(
                None, [*validation.errors, RowError(name, None, None, None, reason)]
            )
        try:
            results[kind] = _publish(spark, validation, kind, version, output_root)
        finally:
            validation.release()
        processed = results[kind].processed_uri
        if processed is not None:
            known[kind] = spark.read.parquet(processed)
    return results


def _publish(
    spark: SparkSession,
    validation: SparkValidation,
    kind: str,
    version: str,
    output_root: str,
    quarantine_root: str | None = None,
) -> JobResult:
    if validation.rows is not None:
        target = processed_uri(output_root, kind, version)
        validation.rows.write.mode("errorifexists").parquet(target)
        return JobResult(kind, [], target, None)
    target = errors_uri(quarantine_root or output_root, kind, version)
    write_errors(spark, validation.errors, target)
    return JobResult(kind, validation.errors, None, target)


def write_errors(spark: SparkSession, errors: list[RowError], uri: str) -> None:
    """Errors as JSON lines, in one part file under ``uri``."""
    records = [
        (position, error.file, error.row, error.column, error.value, error.reason)
        for position, error in enumerate(errors)
    ]
    frame = spark.createDataFrame(records, _ERROR_SCHEMA)
    frame.coalesce(1).write.mode("errorifexists").json(uri)


def read_errors(spark: SparkSession, uri: str) -> list[RowError]:
    """The errors ``write_errors`` wrote, in their order."""
    records = spark.read.schema(_ERROR_SCHEMA).json(uri).orderBy("position").collect()
    return [
        RowError(record["file"], record["row"], record["column"], record["value"], record["reason"])
        for record in records
    ]


def read_processed(uri: str, kind: str) -> pa.Table:
    """The typed rows under a processed key, in the file's row order (no Spark needed)."""
    filesystem, path = pa_fs.FileSystem.from_uri(uri)
    parts = sorted(
        info.path
        for info in filesystem.get_file_info(pa_fs.FileSelector(path))
        if posixpath.basename(info.path).startswith("part-") and info.path.endswith(".parquet")
    )
    schema = typed_schema(FORMATS[kind])
    tables = [pq.read_table(part, filesystem=filesystem) for part in parts]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).select(schema.names).cast(schema)
