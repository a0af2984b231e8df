"""Schema migrations: the numbered SQL files in ``sql/migrations``, applied in order.

Each file ``NNNN_name.sql`` is applied once, in its own transaction, and recorded in
``schema_migration`` with the sha256 of its bytes. An applied file must never change:
``upgrade`` refuses to run when one has (or when the database has a migration this
code does not know), because the database would no longer match the files. A session
advisory lock serialises concurrent upgrades (two Lambdas, two CLI runs, parallel tests):
the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from pcf.adapters.postgres.connection import dbapi_cursor

MIGRATIONS_DIR_ENV = "PCF_SQL_DIR"

# pg_advisory_lock key held while upgrading ("pcf_mig" in ASCII).
UPGRADE_LOCK_KEY = 0x7063665F6D6967

_FILE_NAME = re.compile(r"^(?P<number>\d{4})_[a-z0-9_]+\.sql$")

_CREATE_SCHEMA_MIGRATION = """
CREATE TABLE IF NOT EXISTS schema_migration (
    name       text        PRIMARY KEY,
    checksum   char(64)    NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The migration files and the database disagree, or a file is misnamed."""


@dataclass(frozen=True)
class Migration:
    name: str  # file name without .sql: 0001_dataset_version
    sql: str
    checksum: str  # sha256 hex of the file's bytes


def migrations_dir() -> Path:
    """The folder of migration files: ``PCF_SQL_DIR`` when set (it names the folder that
    holds the ``NNNN_name.sql`` files), else ``sql/migrations`` at the repository root."""
    configured = os.environ.get(MIGRATIONS_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "sql" / "migrations"


def discover(directory: Path) -> list[Migration]:
    """The migrations in ``directory``, in number order."""
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    migrations: list[Migration] = []
    seen_numbers: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"{path}: migration files are named NNNN_lowercase_name.sql "
                "(four digits, then letters, digits and underscores)"
            )
        number = match["number"]
        if number in seen_numbers:
            raise MigrationError(
                f"{path.name} and {seen_numbers[number]} share the number {number}"
            )
        seen_numbers[number] = path.name
        content = path.read_bytes()
        migrations.append(
            Migration(
                name=path.stem,
                sql=content.decode("utf-8"),
                checksum=hashlib.sha256(content).hexdigest(),
            )
        )
    return migrations


def upgrade(engine: Engine, directory: Path | None = None) -> list[str]:
    """Apply the migrations not applied yet, in order; return their names (empty when the
    database is up to date).

    Safe to call from several processes at once. Raises ``MigrationError``, before
    applying anything, when an applied migration's file changed or is missing; a
    migration that fails is rolled back and the ones before it stay applied.
    """
    migrations = discover(directory if directory is not None else migrations_dir())
    applied_now: list[str] = []
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
        connection.commit()
        try:
            with connection.begin():
                connection.execute(text(_CREATE_SCHEMA_MIGRATION))
                applied = {
                    name: checksum
                    for name, checksum in connection.execute(
                        text("SELECT name, checksum FROM schema_migration")
                    )
                }
            _check_applied(migrations, applied)
            for migration in migrations:
                if migration.name in applied:
                    continue
                with connection.begin():
                    _apply(connection, migration)
                applied_now.append(migration.name)
        finally:
            if not connection.invalidated:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY}
                )
                connection.commit()
    return applied_now


def _check_applied(migrations: list[Migration], applied: dict[str, str]) -> None:
    known = {migration.name: migration for migration in migrations}
    for name, checksum in sorted(applied.items()):
        migration = known.get(name)
        if migration is None:
            raise MigrationError(
                f"the database has migration {name}, which is not among the files: "
                "this code is older than the database"
            )
        if migration.checksum != checksum.strip():
            raise MigrationError(
                f"migration {name} was changed after it was applied (sha256 {checksum} in "
                f"the database, {migration.checksum} on disk): add a new migration instead "
                "of editing an applied one"
            )


def _apply(connection: Connection, migration: Migration) -> None:
    # The raw cursor runs the whole file as one script (no parameter interpolation, so
    # "%" in PL/pgSQL is safe), inside the transaction the caller opened.
    cursor = dbapi_cursor(connection)
    try:
        cursor.execute(migration.sql)
    except Exception as error:
        raise MigrationError(f"migration {migration.name} failed: {error}") from error
    finally:
        cursor.close()
    connection.execute(
        text("INSERT INTO schema_migration (name, checksum) VALUES (:name, :checksum)"),
        {"name": migration.name, "checksum": migration.checksum},
    )
