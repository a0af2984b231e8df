"""Reading an uploaded CSV file with Spark, every row keeping its spreadsheet row number.

Spark splits a large file into blocks of bytes and reads each block's lines in a task of
its own; a line belongs to the block it starts in, so no line is lost or read twice. Rows
are numbered in two passes over the lines:

1. ``survey_file``: each task counts the lines (and bytes) of its blocks, keyed by the
   block's start in the file (``input_file_block_start``). On the driver, the counts of
   the blocks before a block give the number of its first line.
2. ``checked_rows``: each task numbers its lines from there and checks them with the
   Lambda path's own code: ``read_csv`` on the header plus the task's lines, then
   ``check_rows``.

A row is a line, unless a quoted cell holds a line break (or a line ends in a bare
carriage return). The survey finds such lines; such a file is then read whole in one
task, as Spark's own multi-line CSV reader does, with ``read_csv`` on the whole file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.fs as pa_fs
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from pcf.formats.columns import to_bool
from pcf.formats.definitions import FORMATS
from pcf.formats.errors import MAX_ERRORS_PER_CHECK, RowError
from pcf.formats.reading import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    UnreadableFileError,
    check_header,
    detect_delimiter,
    first_invalid_utf8,
    read_csv,
)
from pcf.formats.rules import ROW_RULES
from pcf.formats.validation import RowCheck, check_rows, typed_schema
from pcf.jobs.records import (
    RAGGED_ROWS,
    READING,
    ROWS,
    ROWS_READ,
    WHOLE_FILE,
    ErrorRecords,
    check_key,
    checked_schema,
    error_batch,
    more_rows,
    row_batch,
)

NO_DATA_ROWS = "no data rows"  # read_csv's reason when a file has a header and no rows

_NON_BLANK = re.compile(rb"\S")
_BOM = b"\xef\xbb\xbf"
_HEADER_CHUNK = 1 << 16

_SURVEY_SCHEMA = pa.schema(
    [
        pa.field("block", pa.int64()),
        pa.field("lines", pa.int64()),
        pa.field("bytes", pa.int64()),
        pa.field("multi_line", pa.int64()),
        pa.field("non_blank", pa.bool_()),
        pa.field("invalid_at", pa.int64()),
        pa.field("invalid_byte", pa.int64()),
    ]
)


@dataclass(frozen=True)
class FileSurvey:
    """What the driver knows of a file before its rows are checked."""

    header_line: bytes  # the first line as bytes, byte order mark included
    first_lines: dict[int, int]  # block start -> row number of the block's first line
    rows_span_lines: bool  # a quoted cell holds a line break: read the file whole
    has_rows: bool  # something other than blanks after the header line
    invalid_utf8: tuple[int, int] | None  # (byte offset, byte) of the first bad byte

    def reading_errors(self, kind: str, file_name: str) -> list[RowError]:
        """What ``read_csv`` rejects before the rows: empty, not UTF-8, bad header,
        no rows. Empty when the rows are worth reading."""
        header = self.header_line.removeprefix(_BOM)
        if not _NON_BLANK.search(header) and not self.has_rows:
            return [RowError(file_name, None, None, None, "file is empty")]
        if self.invalid_utf8 is not None:
            offset, byte = self.invalid_utf8
            # Worded as read_csv words it.
            reason = (
                f"not UTF-8 text (invalid byte 0x{byte:02X} at byte {offset}); save it as UTF-8"
            )
            return [RowError(file_name, None, None, None, reason)]
        try:
            check_header(header.decode("utf-8"), FORMATS[kind], file_name)
        except UnreadableFileError as unreadable:
            return unreadable.errors
        if not self.has_rows:
            return [RowError(file_name, None, None, None, NO_DATA_ROWS)]
        return []


def survey_file(spark: SparkSession, uri: str) -> FileSurvey:
    """Count the lines of each block of the file at ``uri`` (one pass, in parallel) and
    look for what makes its rows unreadable."""
    header_line = read_first_line(uri)
    delimiter = detect_delimiter(header_line.removeprefix(_BOM).decode("utf-8", "replace"))
    surveys = (
        _lines(spark, uri)
        .mapInArrow(partial(_survey_blocks, delimiter=delimiter), from_arrow_schema(_SURVEY_SCHEMA))
        .collect()
    )
    surveys.sort(key=lambda survey: survey["block"])
    first_lines: dict[int, int] = {}
    next_line, offset = HEADER_ROW, 0
    invalid_utf8: tuple[int, int] | None = None
    for survey in surveys:
        first_lines[survey["block"]] = next_line
        if invalid_utf8 is None and survey["invalid_at"] is not None:
            invalid_utf8 = (offset + survey["invalid_at"], survey["invalid_byte"])
        next_line += survey["lines"]
        offset += survey["bytes"]
    return FileSurvey(
        header_line=header_line,
        first_lines=first_lines,
        rows_span_lines=any(survey["multi_line"] for survey in surveys),
        has_rows=any(survey["non_blank"] for survey in surveys),
        invalid_utf8=invalid_utf8,
    )


def read_first_line(uri: str) -> bytes:
    """The file's first line, without its line feed (read on the driver, in chunks)."""
    filesystem, path = pa_fs.FileSystem.from_uri(uri)
    line = b""
    with filesystem.open_input_stream(path) as stream:
        while True:
            chunk = stream.read(_HEADER_CHUNK)
            end = chunk.find(b"\n")
            if end >= 0:
                return bytes(line + chunk[:end])
            line += chunk
            if not chunk:
                return bytes(line)


def checked_rows(
    spark: SparkSession, uri: str, kind: str, file_name: str, survey: FileSurvey
) -> DataFrame:
    """The file's rows, typed and numbered, and the errors of reading and checking them,
    as records of ``checked_schema`` (a row or an error each)."""
    file_format = FORMATS[kind]
    schema = checked_schema(typed_schema(file_format))
    spark_schema = from_arrow_schema(schema)
    if survey.rows_span_lines:
        whole = spark.read.text(uri, wholetext=True).select(F.col("value").cast("binary"))
        return whole.mapInArrow(
            partial(_check_whole_file, kind=kind, file_name=file_name, schema=schema),
            spark_schema,
        )
    return _lines(spark, uri).mapInArrow(
        partial(
            _check_lines,
            kind=kind,
            file_name=file_name,
            header_line=survey.header_line,
            first_lines=survey.first_lines,
            schema=schema,
        ),
        spark_schema,
    )


def _lines(spark: SparkSession, uri: str) -> DataFrame:
    # Split at line feeds only, so a line's bytes are exactly the file's ("\r" stays):
    # lines joined with "\n" are the file again. Bytes, not text: no decoding on the way.
    return spark.read.text(uri, lineSep="\n").select(
        F.col("value").cast("binary"), F.input_file_block_start().alias("block")
    )


def _block_runs(batch: pa.RecordBatch) -> Iterator[tuple[int, list[bytes]]]:
    """The lines of a batch, block by block (a task may read several blocks)."""
    blocks = batch.column(1).to_numpy()
    lines = batch.column(0)
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    ends = np.r_[starts[1:], len(blocks)]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield int(blocks[start]), lines.slice(start, end - start).to_pylist()


@dataclass
class _BlockSurvey:
    block: int
    line_count: int = 0
    byte_count: int = 0
    multi_line: int = 0
    non_blank: bool = False
    invalid_at: int | None = None
    invalid_byte: int | None = None

    def add(self, lines: list[bytes], delimiter: str) -> None:
        starts_file = self.block == 0 and self.line_count == 0
        data = b"\n".join(lines)
        if self.invalid_at is None:
            invalid_at = first_invalid_utf8(data)
            if invalid_at is not None:
                self.invalid_at, self.invalid_byte = self.byte_count + invalid_at, data[invalid_at]
        after_header = data[len(lines[0]) + 1 :] if starts_file else data
        self.non_blank = self.non_blank or bool(_NON_BLANK.search(after_header))
        self.multi_line += sum(_row_may_span_lines(line, delimiter) for line in lines)
        self.line_count += len(lines)
        self.byte_count += len(data) + 1

    def as_row(self) -> dict[str, object]:
        return {
            "block": self.block,
            "lines": self.line_count,
            "bytes": self.byte_count,
            "multi_line": self.multi_line,
            "non_blank": self.non_blank,
            "invalid_at": self.invalid_at,
            "invalid_byte": self.invalid_byte,
        }


def _row_may_span_lines(line: bytes, delimiter: str) -> bool:
    """Whether the row of this line may go on in the next line: a quoted cell left open,
    or a carriage return inside the line (a line break to the CSV reader)."""
    if b"\r" in line.rstrip(b"\r"):
        return True
    if b'"' not in line:
        return False
    try:
        text = line.decode("utf-8", "replace").rstrip("\r")
        for _ in csv.reader([text], delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return True
    return False


def _survey_blocks(batches: Iterator[pa.RecordBatch], delimiter: str) -> Iterator[pa.RecordBatch]:
    surveys: dict[int, _BlockSurvey] = {}
    for batch in batches:
        for block, lines in _block_runs(batch):
            surveys.setdefault(block, _BlockSurvey(block)).add(lines, delimiter)
    if surveys:
        rows = [survey.as_row() for survey in surveys.values()]
        yield pa.RecordBatch.from_pylist(rows, schema=_SURVEY_SCHEMA)


def _check_lines(
    batches: Iterator[pa.RecordBatch],
    kind: str,
    file_name: str,
    header_line: bytes,
    first_lines: dict[int, int],
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """Check a task's lines: each line is a row, numbered from its block's first row."""
    seen: dict[int, int] = {}
    for batch in batches:
        for block, lines in _block_runs(batch):
            first = first_lines[block] + seen.get(block, 0)
            seen[block] = seen.get(block, 0) + len(lines)
            numbers = np.arange(first, first + len(lines), dtype=np.int64)
            if first == HEADER_ROW:
                lines, numbers = lines[1:], numbers[1:]
            if lines:
                # The header, then the lines: a file read_csv reads as the Lambda does.
                data = header_line + b"\n" + b"\n".join(lines) + b"\n"
                yield from _check_rows(data, numbers, kind, file_name, schema)


def _check_whole_file(
    batches: Iterator[pa.RecordBatch], kind: str, file_name: str, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        for data in batch.column(0).to_pylist():
            yield from _check_rows(data, None, kind, file_name, schema)


def _check_rows(
    data: bytes,
    numbers: npt.NDArray[np.int64] | None,
    kind: str,
    file_name: str,
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """Read ``data`` (a header and rows) with ``read_csv``, check the rows with
    ``check_rows``. ``numbers`` are the row numbers of the rows after the header (None:
    ``data`` is the whole file, numbered as read_csv numbers it)."""
    file_format = FORMATS[kind]

    def numbered(row: int) -> int:
        return row if numbers is None else int(numbers[row - FIRST_DATA_ROW])

    try:
        content = read_csv(data, file_name, file_format)
    except UnreadableFileError as unreadable:
        records = ErrorRecords.empty()
        ragged = [error for error in unreadable.errors if error.row is not None]
        renumbered = [
            RowError(file_name, numbered(error.row), error.column, error.value, error.reason)
            for error in ragged
            if error.row is not None
        ]
        others = [error for error in unreadable.errors if error.row is None]
        records.add_check(
            check_key(READING, RAGGED_ROWS),
            None,
            [*renumbered, *[error for error in others if more_rows(error) is not None]],
        )
        for error in others:
            if more_rows(error) is None and error.reason != NO_DATA_ROWS:
                records.add_file_error(check_key(READING, WHOLE_FILE), error)
        if len(records):
            yield error_batch(records, schema)
        return
    rows = content.rows if numbers is None else numbers[content.rows - FIRST_DATA_ROW]
    cells = pa.RecordBatch.from_arrays(
        [column.combine_chunks() for column in content.table.columns],
        names=content.table.column_names,
    )
    row_check = check_rows(cells, file_format, file_name, rows)
    yield row_batch(row_check.batch, rows, row_check.failed, file_format, schema)
    records = row_check_records(row_check, kind)
    records.add_count(ROWS_READ, len(rows))
    yield error_batch(records, schema)


def row_check_records(row_check: RowCheck, kind: str) -> ErrorRecords:
    """The errors of ``check_rows``, check by check.

    ``check_rows`` lists the cell checks column by column, then the row rules in order,
    each cut at ``MAX_ERRORS_PER_CHECK`` rows with an "and N more" line. Two row rules
    may report on the same column, so the list is cut by how many rows failed each check:
    ``RowCheck.failed`` for the cells, each rule's own test for the rules.
    """
    file_format = FORMATS[kind]
    failing = [int(row_check.failed[column.name].sum()) for column in file_format.columns]
    columns: list[str] = [column.name for column in file_format.columns]
    for rule in ROW_RULES.get(kind, ()):
        violated = to_bool(rule.violated(row_check.batch))
        for name in rule.uses:
            violated &= ~row_check.failed[name]
        failing.append(int(violated.sum()))
        columns.append(rule.column)
    records = ErrorRecords.empty()
    position = 0
    for check, (count, column) in enumerate(zip(failing, columns, strict=True)):
        listed = min(count, MAX_ERRORS_PER_CHECK) + (count > MAX_ERRORS_PER_CHECK)
        records.add_check(
            check_key(ROWS, check), column, row_check.errors[position : position + listed]
        )
        position += listed
    if position != len(row_check.errors):
        raise RuntimeError("check_rows reported errors in an order the job does not know")
    return records
