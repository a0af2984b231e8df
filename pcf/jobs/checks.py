"""The checks of a whole file in Spark: errors merged across tasks, rules across rows as
joins and aggregations, references as joins.

Spark does the work that grows with the file: grouping keys, summing shares, pruning the
BOM graph, finding which rows of a reference table the file uses. What it finds is small
(the rows that break a rule, with the rows they name), and the driver words it with the
Lambda path's own rule functions, run on just those rows, so both paths say the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from functools import partial, reduce

import pyarrow as pa
from pyspark.sql import DataFrame, Row, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from pcf.formats.definitions import BOM, FORMATS, GRID_MIXES, FileFormat
from pcf.formats.errors import MAX_ERRORS_PER_CHECK, RowError
from pcf.formats.rules import (
    GRID_SHARE_TOLERANCE,
    REFERENCE_RULES,
    TABLE_RULES,
    CheckedTable,
    check_reference_rules,
    duplicate_key_errors,
    referenced_kinds,
    rule_text,
)
from pcf.formats.validation import typed_schema
from pcf.jobs.records import (
    ERROR_FIELDS,
    READING,
    REFERENCES,
    ROW_NUMBER,
    ROWS_READ,
    WHOLE_FILE,
    ErrorRecords,
    check_key,
    error_batch,
    failed_column,
    more_rows_error,
    split_by_column,
)

_FIRST_ROW = "__first_row"
_ITEM = "__item"
_RANK = "__rank"


def merged_errors(records: list[Row], file_name: str) -> list[tuple[int, RowError]]:
    """Error records of many tasks as ``validate_file`` lists them: check by check, the
    first ``MAX_ERRORS_PER_CHECK`` rows of each and a line counting the rest.

    Each task sends at most that many rows per check and batch, so the records are few
    enough to merge on the driver."""
    listed: dict[int, list[RowError]] = {}
    totals: dict[int, tuple[str | None, int]] = {}
    for record in records:
        key, column = record["__check"], record["__error_column"]
        if key == ROWS_READ:
            continue
        if record["__error_count"] is not None:
            _, total = totals.get(key, (column, 0))
            totals[key] = (column, total + record["__error_count"])
            continue
        error = RowError(
            file_name,
            record["__error_row"],
            column,
            record["__error_value"],
            record["__error_reason"],
        )
        listed.setdefault(key, []).append(error)
    merged: list[tuple[int, RowError]] = []
    for key in sorted(totals):
        column, total = totals[key]
        errors = sorted(listed.get(key, []), key=lambda error: (error.row or 0, error.reason))
        if key == check_key(READING, WHOLE_FILE):
            merged.extend((key, error) for error in dict.fromkeys(errors))
            continue
        merged.extend((key, error) for error in errors[:MAX_ERRORS_PER_CHECK])
        if total > MAX_ERRORS_PER_CHECK:
            merged.append((key, more_rows_error(file_name, column, total - MAX_ERRORS_PER_CHECK)))
    return merged


def rows_read(records: list[Row]) -> int:
    """How many rows the tasks read (they count them in ``ROWS_READ`` records)."""
    return sum(record["__error_count"] for record in records if record["__check"] == ROWS_READ)


# Rules across rows ----------------------------------------------------------------------


def table_errors(rows: DataFrame, kind: str, file_name: str) -> list[RowError]:
    """Repeated keys and the kind's rules across rows, as ``check_table_rules`` reports
    them."""
    file_format = FORMATS[kind]
    errors = _duplicate_key_errors(rows, file_format, file_name) if file_format.key_unique else []
    for rule in TABLE_RULES.get(kind, ()):
        suspects = RULE_SUSPECTS[rule.rule](rows)
        errors.extend(rule.check(collect_checked(suspects, file_format, file_name)))
    return errors


def collect_checked(rows: DataFrame, file_format: FileFormat, file_name: str) -> CheckedTable:
    """A few rows brought to the driver, as the rule functions take a file's rows."""
    typed = typed_schema(file_format)
    names = [*typed.names, ROW_NUMBER, *(failed_column(name) for name in typed.names)]
    table = collect_arrow(rows.select(*names).orderBy(ROW_NUMBER))
    nullable = pa.schema(field.with_nullable(True) for field in typed)
    return CheckedTable(
        file_format,
        file_name,
        table.select(typed.names).cast(nullable),
        table.column(ROW_NUMBER).to_numpy(),
        {
            name: table.column(failed_column(name)).to_numpy(zero_copy_only=False)
            for name in typed.names
        },
    )


def collect_arrow(frame: DataFrame) -> pa.Table:
    """A (small) DataFrame on the driver as an Arrow table."""
    # Spark 3.5 has no public DataFrame.toArrow (4.0 has); toPandas uses this one.
    batches = frame._collect_as_arrow()
    if batches:
        return pa.Table.from_batches(batches)
    return to_arrow_schema(frame.schema).empty_table()


def _duplicate_key_errors(
    rows: DataFrame, file_format: FileFormat, file_name: str
) -> list[RowError]:
    key = list(file_format.key)
    usable = reduce(
        lambda left, right: left & right,
        [~F.col(failed_column(name)) & F.col(name).isNotNull() for name in key],
    )
    repeats = (
        rows.filter(usable)
        .withColumn(_FIRST_ROW, F.min(ROW_NUMBER).over(Window.partitionBy(*key)))
        .filter(F.col(ROW_NUMBER) != F.col(_FIRST_ROW))
    )
    count = repeats.count()
    if count == 0:
        return []
    shown = repeats.orderBy(ROW_NUMBER).limit(MAX_ERRORS_PER_CHECK).collect()
    wanted = sorted({row[ROW_NUMBER] for row in shown} | {row[_FIRST_ROW] for row in shown})
    # The repeats shown and the rows they repeat: duplicate_key_errors names the first.
    errors = duplicate_key_errors(
        collect_checked(rows.filter(F.col(ROW_NUMBER).isin(wanted)), file_format, file_name)
    )
    if count > MAX_ERRORS_PER_CHECK:
        errors.append(more_rows_error(file_name, key[0], count - MAX_ERRORS_PER_CHECK))
    return errors


def _bom_cycle_suspects(rows: DataFrame) -> DataFrame:
    """BOM lines left after repeatedly dropping lines into items that consume nothing and
    lines from items nothing consumes (what the Lambda path does before it looks for
    cycles, with the same null matching): every line of a cycle stays."""
    kept = rows
    count = kept.count()
    while count:
        parents = kept.select(F.col("parent_item_id").alias(_ITEM)).distinct()
        children = kept.select(F.col("child_item_id").alias(_ITEM)).distinct()
        narrowed = (
            kept.join(parents, F.col("child_item_id").eqNullSafe(parents[_ITEM]), "left_semi")
            .join(children, F.col("parent_item_id").eqNullSafe(children[_ITEM]), "left_semi")
            .localCheckpoint()
        )
        narrowed_count = narrowed.count()
        if narrowed_count == count:
            break
        kept, count = narrowed, narrowed_count
    return kept


def _grid_share_suspects(rows: DataFrame) -> DataFrame:
    """Every row of the grid regions whose usable shares are all numbers and add up to
    something other than 1 (within half the tolerance: the rule decides on the driver)."""
    share_failed = F.col(failed_column("share"))
    regions = (
        rows.filter(F.col("grid_region").isNotNull())
        .groupBy("grid_region")
        .agg(
            F.sum(F.when(~share_failed, F.col("share"))).alias("total"),
            F.max(share_failed.cast("int")).alias("incomplete"),
        )
        .filter((F.col("incomplete") == 0) & (F.abs(F.col("total") - 1) > GRID_SHARE_TOLERANCE / 2))
    )
    return rows.join(regions.select("grid_region"), "grid_region", "left_semi")


# The rows each rule across rows must see, found by Spark; a test checks every rule has one.
RULE_SUSPECTS: dict[str, Callable[[DataFrame], DataFrame]] = {
    rule_text(BOM, "The lines must not form a cycle"): _bom_cycle_suspects,
    rule_text(GRID_MIXES, "The shares"): _grid_share_suspects,
}


# References -----------------------------------------------------------------------------


def reference_records(
    rows: DataFrame, kind: str, file_name: str, references: Mapping[str, DataFrame]
) -> DataFrame | None:
    """Error records of the reference checks, run per task with ``check_reference_rules``
    and the kind's reference rules, on the rows of each referenced table the file uses
    (found with a join, then sent to every task)."""
    file_format = FORMATS[kind]
    kinds = [name for name in referenced_kinds(file_format) if name in references]
    if not kinds:
        return None
    tables = {name: _used_rows(rows, file_format, name, references[name]) for name in kinds}
    typed = typed_schema(file_format)
    return rows.select(*typed.names, ROW_NUMBER).mapInArrow(
        partial(_reference_checks, kind=kind, file_name=file_name, tables=tables),
        from_arrow_schema(ERROR_FIELDS),
    )


def _used_rows(
    rows: DataFrame, file_format: FileFormat, kind: str, reference: DataFrame
) -> pa.Table:
    """The rows of ``reference`` (a table of ``kind``) that the file names."""
    pairs = {
        (column.name, column.references.column)
        for column in file_format.columns
        if column.references is not None and column.references.kind == kind
    }
    referenced = typed_schema(FORMATS[kind])
    used = reference.select(*referenced.names)
    targets = {target for _, target in pairs}
    if len(targets) > 1:
        raise NotImplementedError(f"{file_format.kind} names {kind} by more than one column")
    if targets:
        (target,) = targets
        values = reduce(
            DataFrame.union, [rows.select(F.col(name).alias(_ITEM)) for name, _ in sorted(pairs)]
        ).distinct()
        used = used.join(values, used[target] == values[_ITEM], "left_semi")
    nullable = pa.schema(field.with_nullable(True) for field in referenced)
    return collect_arrow(used).select(referenced.names).cast(nullable)


def _reference_checks(
    batches: Iterator[pa.RecordBatch], kind: str, file_name: str, tables: dict[str, pa.Table]
) -> Iterator[pa.RecordBatch]:
    file_format = FORMATS[kind]
    typed = typed_schema(file_format)
    nullable = pa.schema(field.with_nullable(True) for field in typed)
    position = {name: index for index, name in enumerate(typed.names)}
    # The same format under a kind with no reference rules: check_reference_rules then
    # checks the reference columns only, and each rule runs on its own below.
    columns_only = dataclasses.replace(file_format, kind=f"{kind} reference columns")
    for batch in batches:
        table = pa.Table.from_batches([batch]).select(typed.names).cast(nullable)
        rows = batch.column(ROW_NUMBER).to_numpy()
        checked = CheckedTable(file_format, file_name, table, rows, {})
        records = ErrorRecords.empty()
        unknown = check_reference_rules(
            dataclasses.replace(checked, file_format=columns_only), tables
        )
        for column, errors in split_by_column(unknown):
            records.add_check(check_key(REFERENCES, 0, position[column or ""]), column, errors)
        for index, rule in enumerate(REFERENCE_RULES.get(kind, ()), start=1):
            if all(name in tables for name in rule.needs):
                for column, errors in split_by_column(rule.check(checked, tables)):
                    key = check_key(REFERENCES, index, position[column or ""])
                    records.add_check(key, column, errors)
        if len(records):
            yield error_batch(records, ERROR_FIELDS)
