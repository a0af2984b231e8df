"""Telemetry windows are partitioned by UTC month (sql/migrations/0006)."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.migrations import migrations_dir, upgrade
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from tests.integration.test_telemetry_store import JANUARY, window

pytestmark = pytest.mark.integration


def _partitions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'telemetry_window'::regclass ORDER BY c.relname"
                )
            ).scalars()
        )


def test_windows_of_two_months_land_in_two_partitions(db: Engine) -> None:
    store = PostgresTelemetryStore(db)
    # the last minute of January and the first of February (UTC)
    last_of_january = (JANUARY.replace(day=31, hour=23, minute=59) - JANUARY) // timedelta(
        minutes=1
    )
    outcome = store.write_windows([window(last_of_january, 1.5), window(last_of_january + 1, 2.5)])
    assert outcome.inserted == 2
    # (other tests' partitions may exist too: the db fixture empties tables, not partitions)
    with db.connect() as connection:
        homes = connection.execute(
            text("SELECT tableoid::regclass::text FROM telemetry_window ORDER BY window_start")
        ).scalars()
        assert list(homes) == ["telemetry_window_2026m01", "telemetry_window_2026m02"]
    # a rewrite with a higher revision is counted as a replacement, in its partition
    again = store.write_windows([window(last_of_january + 1, 3.0, revision=1)])
    assert (again.inserted, again.replaced, again.ignored) == (0, 1, 0)
    with db.connect() as connection:
        assert connection.execute(
            text("SELECT sum(value) FROM telemetry_window_2026m02")
        ).scalar_one() == Decimal("3.0")


def test_the_migration_keeps_windows_written_before_it(
    empty_database: Engine, tmp_path: Path
) -> None:
    # Given a database at the schema before partitioning, holding windows
    before = tmp_path / "migrations"
    before.mkdir()
    for migration in sorted(migrations_dir().glob("*.sql")):
        if migration.name < "0006":
            shutil.copy(migration, before / migration.name)
    upgrade(empty_database, before)
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO telemetry_window (site_id, meter_id, quantity, window_start, "
                "window_end, value, unit, revision, samples_received, samples_dropped) VALUES "
                "('S1', 'M1-E', 'electricity', '2026-01-05 06:00+00', '2026-01-05 06:01+00', "
                "1.25, 'kWh', 0, 60, 0), "
                "('S1', 'M1-E', 'electricity', '2026-03-05 06:00+00', '2026-03-05 06:01+00', "
                "2.5, 'kWh', 0, 60, 0)"
            )
        )
    # When the partitioning migration runs
    assert "0006_telemetry_partitions" in upgrade(empty_database)
    # Then every window is still there, each in its month's partition
    assert _partitions(empty_database) == ["telemetry_window_2026m01", "telemetry_window_2026m03"]
    with empty_database.connect() as connection:
        assert connection.execute(
            text("SELECT sum(value) FROM telemetry_window")
        ).scalar_one() == Decimal("3.75")


def test_hourly_and_daily_rollups_follow_the_latest_revisions(db: Engine) -> None:
    store = PostgresTelemetryStore(db)
    # Given 90 minutes of 0.5 kWh windows from midnight UTC on 1 January
    store.write_windows([window(minute, 0.5) for minute in range(90)])
    assert store.refresh_rollups() == 2  # two hours pending
    # When one window of the first hour is revised to 2.0
    store.write_windows([window(10, 2.0, revision=1)])
    assert store.refresh_rollups() == 1
    with db.connect() as connection:
        hourly = connection.execute(
            text("SELECT value, windows, seconds_covered FROM telemetry_hourly ORDER BY hour_start")
        ).all()
        daily = connection.execute(text("SELECT value, windows FROM telemetry_daily")).all()
    # Then the first hour is 59 x 0.5 + 2.0 = 31.5, the second 30 x 0.5 = 15, the day 46.5
    assert [tuple(row) for row in hourly] == [
        (Decimal("31.5"), 60, 3600),
        (Decimal("15.0"), 30, 1800),
    ]
    assert [tuple(row) for row in daily] == [(Decimal("46.5"), 90)]
    assert store.refresh_rollups() == 0


AWKWARD_METER_IDS = ['M "1"', "M,2", "{M3}", "M\\4", "NULL", "m 5 ", "Zähler-6"]


def test_every_meter_id_is_marked_pending_as_it_is(db: Engine) -> None:
    """The pending pairs reach PostgreSQL as array literals: ids with quotes, commas,
    braces, backslashes or spaces, and the id NULL, come back as they are, on the
    COPY path and on the merge path."""
    store = PostgresTelemetryStore(db)
    # Given two windows in two hours for each awkward meter id, all new (COPY)
    store.write_windows([window(m, meter_id=meter) for meter in AWKWARD_METER_IDS for m in (0, 70)])
    with db.connect() as connection:
        pending = connection.execute(
            text("SELECT meter_id, count(*) FROM telemetry_rollup_pending GROUP BY meter_id")
        ).all()
    assert sorted(map(tuple, pending)) == sorted((meter, 2) for meter in AWKWARD_METER_IDS)
    assert store.refresh_rollups() == 14
    # When the first window of each is revised (stored already: the merge path)
    outcome = store.write_windows(
        [window(0, 3.0, meter_id=meter, revision=1) for meter in AWKWARD_METER_IDS]
    )
    # Then each meter's first hour alone is pending again, and its rollup is 3.0
    assert (outcome.inserted, outcome.replaced) == (0, 7)
    with db.connect() as connection:
        pending = connection.execute(
            text("SELECT meter_id, hour_start FROM telemetry_rollup_pending")
        ).all()
    assert sorted(map(tuple, pending)) == sorted((m, JANUARY) for m in AWKWARD_METER_IDS)
    assert store.refresh_rollups() == 7
    with db.connect() as connection:
        first_hours = connection.execute(
            text("SELECT meter_id, value FROM telemetry_hourly WHERE hour_start = :h"),
            {"h": JANUARY},
        ).all()
    assert sorted(map(tuple, first_hours)) == sorted(
        (meter, Decimal("3.0")) for meter in AWKWARD_METER_IDS
    )


def test_writers_racing_into_a_new_month_all_succeed(db: Engine) -> None:
    # Given four writers whose first windows fall in a month no partition exists for yet
    store = PostgresTelemetryStore(db)
    new_month = datetime(2031, 7, 1, tzinfo=UTC)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(meter: int) -> None:
        windows = [
            replace(
                window(minute, 0.25, meter_id=f"M{meter}-E"),
                window_start=new_month + timedelta(minutes=minute),
                window_end=new_month + timedelta(minutes=minute + 1),
            )
            for minute in range(30)
        ]
        barrier.wait()
        try:
            store.write_windows(windows)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(meter,)) for meter in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then none failed and every window is in the one partition of that month
    assert errors == []
    with db.connect() as connection:
        homes = connection.execute(
            text(
                "SELECT tableoid::regclass::text, count(*) FROM telemetry_window "
                "WHERE window_start >= '2031-07-01 00:00+00' GROUP BY 1"
            )
        ).all()
    assert [tuple(row) for row in homes] == [("telemetry_window_2031m07", 120)]
