"""Finding the database: DATABASE_URL, else the embedded server in a data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from pcf.adapters.postgres.connection import create_engine, database_url

pytestmark = pytest.mark.integration


def test_database_url_wins_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://pcf@db.example.com/pcf")

    assert database_url(tmp_path / "unused") == "postgresql://pcf@db.example.com/pcf"
    assert not (tmp_path / "unused").exists()


def test_the_embedded_server_starts_once_per_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "nested" / "pgdata"

    first = database_url(folder)
    second = database_url(folder)
    engine = create_engine(first)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version_num")).scalar_one()
    finally:
        engine.dispose()

    assert first == second
    assert int(version) >= 140000
    assert engine.dialect.driver == "psycopg2"
