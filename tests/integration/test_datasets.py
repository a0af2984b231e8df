"""Dataset versions: loads are atomic numbered snapshots that read back exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pcf.adapters.postgres.datasets import (
    DatasetLoadError,
    DatasetVersion,
    _copy_in,
    _copy_out,
    current_versions,
    load_dataset_version,
    read_dataset,
)
from pcf.core.units import CANONICAL_UNIT
from pcf.formats.definitions import (
    ITEMS,
    STATIC_FORMATS,
    TELEMETRY_WINDOWS,
    Column,
    ColumnType,
    FileFormat,
)
from pcf.formats.validation import typed_schema

pytestmark = pytest.mark.integration

SHA = "ab" * 32

# Text that CSV must carry intact: separators, quotes, line breaks, non-ASCII, and an
# empty string, which must stay distinct from NULL.
AWKWARD_TEXT = ["plain", "comma, inside", 'quote " inside', "line\nbreak", "ünïcødé ✓ 工厂", ""]
AWKWARD_NUMBERS = [0.1, 1 / 3, 1e-300, 2.5e10, 123456789.12345679, 0.0, 1.7976931348623157e308]
AWKWARD_INTEGERS = [2021, 1900, 0, -5, 2**53 + 1, 9223372036854775807]


def value(column: Column, row: int, *, key: bool, nullable: bool) -> Any:
    """A value of the column's type for the given row; unique per row for key columns;
    every third value of a column the validator may leave empty is null."""
    if nullable and not key and row % 3 == 2:
        return None
    match column.type:
        case ColumnType.STRING:
            return f"{column.name}-{row:03d}" if key else AWKWARD_TEXT[row % len(AWKWARD_TEXT)]
        case ColumnType.NUMBER:
            return AWKWARD_NUMBERS[row % len(AWKWARD_NUMBERS)]
        case ColumnType.INTEGER:
            return AWKWARD_INTEGERS[row % len(AWKWARD_INTEGERS)]
        case ColumnType.DATE:
            return date(2026, 1, 1) + timedelta(days=row * 31 if key else row)
        case ColumnType.DATETIME:
            return datetime(2026, 1, 5, 6, 0, tzinfo=UTC) + timedelta(
                minutes=row, microseconds=row * 1001
            )
        case ColumnType.CHOICE:
            return column.choices[row % len(column.choices)]
        case ColumnType.UNIT:
            return CANONICAL_UNIT[column.dimensions[row % len(column.dimensions)]]
        case ColumnType.TIME_ZONE:
            return ["Europe/Berlin", "America/New_York", "UTC"][row % 3]
        case ColumnType.URN_LIST:
            return f"urn:pact:example.com:product-id:P-{row} urn:gtin:{4000000000000 + row}"
    raise AssertionError(column.type)


def sample_table(file_format: FileFormat, rows: int = 7) -> pa.Table:
    """A table as the validator produces it for this format, rows in key order."""
    schema = typed_schema(file_format)
    data = {
        column.name: [
            value(
                column,
                row,
                key=column.name in file_format.key,
                nullable=schema.field(column.name).nullable,
            )
            for row in range(rows)
        ]
        for column in file_format.columns
    }
    return pa.table(data, schema=schema)


def load(
    bind: Engine | Connection, table: pa.Table, kind: str = "items", **validity: date
) -> DatasetVersion:
    return load_dataset_version(bind, kind, table, file_name=f"{kind}.csv", sha256=SHA, **validity)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("file_format", STATIC_FORMATS, ids=lambda f: f.kind)
def test_a_loaded_dataset_reads_back_equal(db: Engine, file_format: FileFormat) -> None:
    table = sample_table(file_format)

    version = load(db, table, file_format.kind)
    read = read_dataset(db, version.id)

    assert (version.kind, version.version, version.row_count) == (file_format.kind, 1, 7)
    assert read.schema == typed_schema(file_format)
    assert read.equals(table)


def test_datetime_columns_read_back_equal(db: Engine) -> None:
    # No static kind has a datetime column yet; the telemetry window format has two.
    sql_types = {
        ColumnType.NUMBER: "double precision",
        ColumnType.INTEGER: "bigint",
        ColumnType.DATETIME: "timestamptz",
    }
    columns = ", ".join(
        f"{column.name} {sql_types.get(column.type, 'text')}"
        for column in TELEMETRY_WINDOWS.columns
    )
    table = sample_table(TELEMETRY_WINDOWS, rows=50)
    with db.begin() as connection:
        connection.execute(
            text(f"CREATE TEMP TABLE windows_copy (dataset_version_id bigint, {columns})")
        )
        # Reading must not depend on the session's time zone.
        connection.execute(text("SET LOCAL TimeZone = 'America/New_York'"))
        _copy_in(connection, "windows_copy", TELEMETRY_WINDOWS, table, 1, "windows.csv")
        read = _copy_out(
            connection, "windows_copy", TELEMETRY_WINDOWS, where="dataset_version_id = 1"
        )

    assert read.equals(table)


def test_rows_read_back_in_key_order(db: Engine) -> None:
    table = sample_table(ITEMS)
    shuffled = table.take([3, 0, 6, 1, 5, 2, 4])

    read = read_dataset(db, load(db, shuffled).id)

    assert read.equals(table)


def test_columns_in_another_order_are_stored_in_definition_order(db: Engine) -> None:
    table = sample_table(ITEMS)
    reordered = table.select(list(reversed(table.column_names)))

    read = read_dataset(db, load(db, reordered).id)

    assert read.equals(table)


def test_a_table_with_other_columns_is_refused(db: Engine) -> None:
    table = (
        sample_table(ITEMS).drop_columns(["cpc_code"]).append_column("colour", pa.array(["r"] * 7))
    )

    with pytest.raises(ValueError, match=r"missing: cpc_code; unexpected: colour"):
        load(db, table)
    assert count(db, "dataset_version") == 0


def test_versions_are_numbered_per_kind(db: Engine) -> None:
    first_items = load(db, sample_table(ITEMS))
    first_bom = load(db, sample_table(STATIC_FORMATS[1]), "bom")
    second_items = load(db, sample_table(ITEMS, rows=3))

    assert (first_items.version, first_bom.version, second_items.version) == (1, 1, 2)
    assert read_dataset(db, first_items.id).num_rows == 7
    assert read_dataset(db, second_items.id).num_rows == 3


def test_an_empty_file_is_a_version_without_rows(db: Engine) -> None:
    version = load(db, typed_schema(ITEMS).empty_table())

    assert version.row_count == 0
    assert read_dataset(db, version.id).equals(typed_schema(ITEMS).empty_table())


def items_with(rows: int, broken_row: int, broken: dict[str, Any]) -> pa.Table:
    data: dict[str, list[Any]] = {
        "item_id": [f"I-{row:06d}" for row in range(rows)],
        "name": ["Steel sheet"] * rows,
        "item_type": ["material"] * rows,
        "declared_unit": ["kg"] * rows,
        "mass_per_piece_kg": [None] * rows,
        "standard_time_min": [None] * rows,
        "product_ids": [None] * rows,
        "cpc_code": [None] * rows,
    }
    for name, replacement in broken.items():
        data[name][broken_row] = replacement
    return pa.table(data, schema=typed_schema(ITEMS))


@pytest.mark.parametrize(
    "broken",
    [{"item_id": "I-000001"}, {"name": "NUL \x00 byte"}],
    ids=["duplicate key", "text PostgreSQL cannot store"],
)
def test_a_load_refused_mid_copy_leaves_nothing(db: Engine, broken: dict[str, Any]) -> None:
    # The bad row comes after several 50,000-row chunks have been sent.
    table = items_with(rows=180_000, broken_row=170_000, broken=broken)

    with pytest.raises(DatasetLoadError, match=r"items\.csv: the database refused"):
        load(db, table)

    assert count(db, "dataset_version") == 0
    assert count(db, "ds_items") == 0
    assert load(db, sample_table(ITEMS)).version == 1


def test_a_null_the_validator_never_leaves_is_refused_before_writing(db: Engine) -> None:
    table = items_with(rows=10, broken_row=5, broken={"name": None})

    with pytest.raises(ValueError, match="null values to non-nullable"):
        load(db, table)

    assert count(db, "dataset_version") == 0


def test_a_load_joins_the_callers_transaction(db: Engine) -> None:
    with db.connect() as connection:
        connection.begin()
        load(connection, sample_table(ITEMS))
        connection.rollback()

    assert count(db, "dataset_version") == 0
    assert count(db, "ds_items") == 0


def test_current_versions_by_validity_with_the_later_upload_winning(db: Engine) -> None:
    table = sample_table(ITEMS)
    always = load(db, table)
    year_2026 = load(db, table, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    year_2025 = load(db, table, valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))
    bom_from_2027 = load(db, sample_table(STATIC_FORMATS[1]), "bom", valid_from=date(2027, 1, 1))

    def items_as_of(day: date | None) -> int:
        return current_versions(db, day)["items"].version

    assert items_as_of(None) == year_2025.version  # the latest upload
    assert items_as_of(date(2026, 6, 1)) == year_2026.version
    assert items_as_of(date(2026, 12, 31)) == year_2026.version  # valid_to is inclusive
    assert items_as_of(date(2025, 6, 1)) == year_2025.version  # covered twice: later wins
    assert items_as_of(date(2024, 6, 1)) == always.version
    assert items_as_of(date(2027, 1, 1)) == always.version
    assert "bom" not in current_versions(db, date(2026, 12, 31))
    assert current_versions(db, date(2027, 1, 1))["bom"] == bom_from_2027
    assert set(current_versions(db)) == {"items", "bom"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ds_items SET name = 'changed'",
        "UPDATE dataset_version SET file_name = 'changed.csv'",
    ],
)
def test_stored_rows_are_never_updated(db: Engine, statement: str) -> None:
    load(db, sample_table(ITEMS))

    with pytest.raises(DBAPIError, match="immutable"), db.begin() as connection:
        connection.execute(text(statement))
