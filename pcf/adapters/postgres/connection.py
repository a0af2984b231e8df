"""Where the database is and how to connect to it.

``DATABASE_URL`` wins when set (RDS, Aurora, any PostgreSQL 14+); otherwise an embedded
server from the ``pgserver`` wheel runs in a local data folder, so the platform works on
one machine with nothing installed.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy
from sqlalchemy.engine import Connection, Engine, make_url

from pcf.adapters.postgres.credentials import DATABASE_SECRET_ARN_ENV, SecretCredentials

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

DATABASE_URL_ENV = "DATABASE_URL"

# The embedded servers started by this process, by data folder, so they stay referenced
# (pgserver stops a server when the last process holding a handle on it exits).
_servers: dict[Path, PostgresServer] = {}


def database_url(data_dir: Path) -> str:
    """The URL of the database to use.

    ``DATABASE_URL`` when set; else the URI of the embedded PostgreSQL whose data lives in
    ``data_dir`` (created if missing), started now or reused if a server already runs on
    that folder (in this process or another). The embedded server listens on a unix
    socket only and stops when the last process using it exits.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return _embedded_server(data_dir).get_uri()


def create_engine(url: str, *, search_path: str | None = None) -> Engine:
    """A SQLAlchemy engine on psycopg2 that checks pooled connections before use.

    ``postgresql://`` and ``postgres://`` URLs are pinned to psycopg2 (SQLAlchemy 2.1
    would otherwise pick psycopg 3, which is not installed). With ``DATABASE_SECRET_ARN``
    set (AWS), the user and password come from that secret (``credentials``).
    ``search_path`` puts every connection in that schema, so a second, independent set
    of tables (the worked example beside the demo factory) can live in the same
    database.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    connect_args = {"options": f"-c search_path={search_path}"} if search_path else {}
    engine = sqlalchemy.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    secret_arn = os.environ.get(DATABASE_SECRET_ARN_ENV, "").strip()
    if secret_arn:
        SecretCredentials(secret_arn).attach(engine)
    return engine


def _embedded_server(data_dir: Path) -> PostgresServer:
    folder = data_dir.expanduser().resolve()
    server = _servers.get(folder)
    if server is None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        # pgserver asks platformdirs for a runtime folder when imported; without
        # XDG_RUNTIME_DIR (containers, CI, cron) platformdirs warns and falls back to
        # /tmp/runtime-<uid>, which is fine for pgserver's lock file. Only that warning
        # is silenced.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import get_server

        server = get_server(folder, cleanup_mode="stop")
        _servers[folder] = server
    return server


@contextmanager
def transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection inside a transaction.

    An engine gets a new connection whose transaction commits when the block ends (rolls
    back on error). A connection already in a transaction is used as it is: the work
    joins that transaction and the caller commits it. A connection not in a transaction
    gets one that commits when the block ends.
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            yield connection
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


def dbapi_cursor(connection: Connection) -> Any:
    """A raw psycopg2 cursor on the connection's current transaction, for what SQLAlchemy
    does not wrap (COPY, execute_values, multi-statement scripts). Use it inside
    ``transaction``: SQLAlchemy must know a transaction is open, or it would not commit
    what the cursor wrote."""
    return connection.connection.cursor()


class CopySource(io.RawIOBase):
    """Byte parts, made on demand, as the file psycopg2's ``copy_expert`` reads from, so
    a large COPY never exists as one string in memory and the server can store one part
    while the next is made.

    psycopg2 cancels the COPY when a read raises and reports the cancellation
    (``QueryCanceled``) instead of the exception; ``error`` keeps the exception the
    parts raised, for the caller to raise instead."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        super().__init__()
        self._parts = parts
        self._pending = memoryview(b"")
        self.error: Exception | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                part = next(self._parts, None)
            except Exception as error:
                self.error = error
                raise
            if part is None:
                return 0
            self._pending = memoryview(part)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def where_equal(**values: str | None) -> tuple[str, dict[str, str]]:
    """A ``WHERE`` clause (with a trailing space, or empty) requiring each column named
    to equal its value, for the values given (None: no condition), and its parameters."""
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return "", {}
    return "WHERE " + " AND ".join(f"{name} = :{name}" for name in given) + " ", given
