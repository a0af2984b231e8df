"""Integration fixtures: one real PostgreSQL for the whole session, a clean slate per test.

The server is the embedded one from the ``pgserver`` wheel, started in a temporary
folder and stopped when the session ends. With ``DATABASE_URL`` set the tests use that
database instead; every test empties all its tables (everything except
``schema_migration``), so point it at a disposable database only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.connection import create_engine, database_url
from pcf.adapters.postgres.migrations import upgrade


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on the session's database, migrated to the latest schema."""
    url = database_url(tmp_path_factory.mktemp("postgres") / "data")
    session_engine = create_engine(url)
    upgrade(session_engine)
    yield session_engine
    session_engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The session's engine on empty tables (identities restarted), so tests neither see
    nor disturb each other's rows. Emptied before the test, so a crashed test leaves
    nothing behind for the next one."""
    empty_tables(engine)
    return engine


def empty_tables(engine: Engine) -> None:
    """Every table of the current schema but the migration record emptied, identities
    restarted."""
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'schema_migration'"
            )
        ).scalars()
        # audit_record is append-only; emptying it is the one sanctioned exception.
        connection.execute(text("SET LOCAL pcf.allow_audit_tamper = on"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def empty_database(engine: Engine) -> Iterator[Engine]:
    """An engine on a new, empty database on the same server, dropped afterwards: for
    tests of the migrations themselves."""
    name = f"pcf_test_{uuid.uuid4().hex[:12]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = create_engine(engine.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield fresh
    finally:
        fresh.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
