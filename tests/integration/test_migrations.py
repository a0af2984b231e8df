"""Schema migrations: applied once, in order, safely in parallel; the static tables
match the format definitions exactly."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.migrations import MigrationError, discover, migrations_dir, upgrade
from pcf.formats.definitions import STATIC_FORMATS, ColumnType, FileFormat

pytestmark = pytest.mark.integration

ALL_MIGRATIONS = [migration.name for migration in discover(migrations_dir())]

# information_schema.columns.data_type of each format column type.
SQL_TYPES = {
    ColumnType.STRING: "text",
    ColumnType.NUMBER: "double precision",
    ColumnType.INTEGER: "bigint",
    ColumnType.DATE: "date",
    ColumnType.DATETIME: "timestamp with time zone",
    ColumnType.CHOICE: "text",
    ColumnType.UNIT: "text",
    ColumnType.TIME_ZONE: "text",
    ColumnType.URN_LIST: "text",
}


def applied(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(text("SELECT name FROM schema_migration ORDER BY name")).scalars()
        )


def test_upgrade_applies_every_migration_once_and_then_nothing(empty_database: Engine) -> None:
    first = upgrade(empty_database)
    second = upgrade(empty_database)

    assert first == ALL_MIGRATIONS
    assert second == []
    assert applied(empty_database) == ALL_MIGRATIONS


def test_two_concurrent_upgrades_apply_each_migration_exactly_once(
    empty_database: Engine,
) -> None:
    start = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(upgrade(empty_database))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # The lock holder applies everything; the other then finds nothing left to do.
    assert sorted(results, key=len) == [[], ALL_MIGRATIONS]
    assert applied(empty_database) == ALL_MIGRATIONS


def test_a_changed_applied_migration_is_refused(
    empty_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder)
    monkeypatch.setenv("PCF_SQL_DIR", str(folder))
    upgrade(empty_database)
    edited = folder / f"{ALL_MIGRATIONS[1]}.sql"
    edited.write_text(edited.read_text() + "\n-- an innocent-looking edit\n")

    with pytest.raises(MigrationError, match=f"{ALL_MIGRATIONS[1]} was changed"):
        upgrade(empty_database)


def test_a_failing_migration_is_rolled_back_and_the_ones_before_it_stay(
    empty_database: Engine, tmp_path: Path
) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id int);")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE second_table (id int);\nSELECT * FROM no_such_table;"
    )

    with pytest.raises(MigrationError, match="0002_broken failed"):
        upgrade(empty_database, tmp_path)

    assert applied(empty_database) == ["0001_first"]
    with empty_database.connect() as connection:
        tables = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
    assert "first_table" in tables
    assert "second_table" not in tables

    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE second_table (id int);")
    assert upgrade(empty_database, tmp_path) == ["0002_broken"]


def test_misnamed_migration_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_first.sql").write_text("SELECT 1;")

    with pytest.raises(MigrationError, match=r"NNNN_lowercase_name\.sql"):
        discover(tmp_path)


@pytest.mark.parametrize("file_format", STATIC_FORMATS, ids=lambda f: f.kind)
def test_static_table_has_exactly_the_definitions_columns(
    engine: Engine, file_format: FileFormat
) -> None:
    table = f"ds_{file_format.kind}"
    with engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :table "
                "ORDER BY ordinal_position"
            ),
            {"table": table},
        ).all()
        primary_key = connection.execute(
            text(
                "SELECT a.attname FROM pg_index i "
                "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                "WHERE i.indrelid = CAST(:table AS regclass) AND i.indisprimary "
                "ORDER BY k.position"
            ),
            {"table": table},
        ).scalars()
        primary_key_columns = list(primary_key)

    expected = [("dataset_version_id", "bigint", "NO")] + [
        (column.name, SQL_TYPES[column.type], "NO" if column.required else "YES")
        for column in file_format.columns
    ]
    assert [tuple(column) for column in columns] == expected
    assert primary_key_columns == ["dataset_version_id", *file_format.key]
