"""Publishing (ARCHITECTURE.md): closing freezes a period's footprints and publishes
them; a closed period refuses recalculation by any path until reopened; the
recalculation's footprints name the published ones as preceding, which become Deprecated
when the period closes again; stale footprints of closed periods are not listed."""

from __future__ import annotations

import psycopg2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from pcf.adapters.postgres.results import save_footprints, start_calculation_run
from pcf.sample.worked_example import PERIOD, worked_example_files
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.publishing import (
    NothingToPublishError,
    PeriodClosedError,
    PeriodNotClosedError,
    close_period,
    period_status,
    published_footprints,
    recalculate_site_period,
    reopen_period,
)
from pcf.usecases.uploads import stale_footprints
from tests.integration.footprints.conftest import TwoSites

pytestmark = pytest.mark.integration


def test_close_publishes_the_latest_run_and_freezes_it(db: Engine, two_sites: TwoSites) -> None:
    # Given S1 January calculated twice: the second run is the latest
    latest = calculate_site_period(db, two_sites.store, "S1", PERIOD)
    # When it is closed
    status = close_period(db, "S1", PERIOD, "admin-1")
    # Then the latest run is published, Active, with no predecessors
    assert status.closed and status.published_run_id == latest.run_id
    published = published_footprints(db, site_id="S1")
    assert [
        (p.item_id, p.footprint_id, p.status, p.preceding_footprint_ids) for p in published
    ] == [
        ("A", latest.footprint_ids["A"], "Active", ()),
        ("P", latest.footprint_ids["P"], "Active", ()),
    ]
    # and neither its footprints nor its run can be changed or removed
    for statement in (
        "UPDATE footprint SET total_kg_co2e = 0 WHERE run_id = :run",
        "DELETE FROM footprint WHERE run_id = :run",
        "UPDATE calculation_run SET period_label = 'x' WHERE id = :run",
    ):
        with pytest.raises(DBAPIError, match="published by closing"), db.begin() as connection:
            connection.execute(text(statement), {"run": latest.run_id})
    # S2 is untouched: still open, nothing published
    assert not period_status(db, "S2", PERIOD).closed
    assert published_footprints(db, site_id="S2") == []


def test_a_closed_period_refuses_recalculation_by_every_path(
    db: Engine, two_sites: TwoSites
) -> None:
    close_period(db, "S1", PERIOD, "admin-1")
    with pytest.raises(PeriodClosedError, match="reopen it"):
        recalculate_site_period(db, two_sites.store, "S1", PERIOD)
    # the database refuses the run itself, whoever writes it (CLI, demo, ...)
    with pytest.raises(DBAPIError, match="S1 period 2026-01 is closed"):
        calculate_site_period(db, two_sites.store, "S1", PERIOD)
    with db.connect() as connection:
        runs = connection.execute(
            text("SELECT count(*) FROM calculation_run WHERE site_id = 'S1'")
        ).scalar_one()
    assert runs == 1
    # closing twice, reopening an open period, closing an uncalculated one: refused
    with pytest.raises(PeriodClosedError):
        close_period(db, "S1", PERIOD, "admin-1")
    with pytest.raises(PeriodNotClosedError):
        reopen_period(db, "S2", PERIOD, "admin-1", "why")
    with pytest.raises(NothingToPublishError):
        close_period(db, "S1", "2026-02", "admin-1")


def test_reopen_recalculate_close_supersedes_the_published_footprints(
    db: Engine, two_sites: TwoSites
) -> None:
    first = two_sites.s1
    close_period(db, "S1", PERIOD, "admin-1")
    # When the period is reopened and recalculated
    reopened = reopen_period(db, "S1", PERIOD, "admin-2", "supplier corrected C")
    assert not reopened.closed and reopened.reopened_by == "admin-2"
    second = recalculate_site_period(db, two_sites.store, "S1", PERIOD)
    # Then until it closes again the first footprints are still the published ones
    assert {p.footprint_id: p.status for p in published_footprints(db, site_id="S1")} == {
        first.footprint_ids["A"]: "Active",
        first.footprint_ids["P"]: "Active",
    }
    # and after closing, the new ones are Active, naming the old ones, now Deprecated
    close_period(db, "S1", PERIOD, "admin-2")
    published = {
        (p.item_id, p.footprint_id): (p.status, p.preceding_footprint_ids)
        for p in published_footprints(db, site_id="S1", period_label=PERIOD)
    }
    assert published == {
        ("A", first.footprint_ids["A"]): ("Deprecated", ()),
        ("P", first.footprint_ids["P"]): ("Deprecated", ()),
        ("A", second.footprint_ids["A"]): ("Active", (first.footprint_ids["A"],)),
        ("P", second.footprint_ids["P"]): ("Active", (first.footprint_ids["P"],)),
    }


def test_stale_footprints_of_closed_periods_are_not_listed(db: Engine, two_sites: TwoSites) -> None:
    # Given a newer steel factor after both sites were calculated
    files = worked_example_files()
    steel = files["emission_factors"].replace(b",1.9,", b",2.5,")
    load_static_files(db, {"emission_factors": ("ef.csv", steel)})
    assert {s.site_id for s in stale_footprints(db)} == {"S1", "S2"}
    # When S1's period is closed, its footprints are published, not stale
    close_period(db, "S1", PERIOD, "admin-1")
    assert {s.site_id for s in stale_footprints(db)} == {"S2"}
    # and once reopened they are stale again
    reopen_period(db, "S1", PERIOD, "admin-1", "new steel factor")
    assert {s.site_id for s in stale_footprints(db)} == {"S1", "S2"}


def test_a_run_started_before_the_closing_cannot_add_footprints_after_it(
    db: Engine, two_sites: TwoSites
) -> None:
    # Given a run started while S1's period was open
    run = two_sites.s1
    started = start_calculation_run(
        db,
        site_id="S1",
        period_start=run.period.start,
        period_end=run.period.end,
        period_label=PERIOD,
        settings={},
        dataset_versions={},
    )
    # When the period closes before the run writes its footprints
    close_period(db, "S1", PERIOD, "admin-1")
    # Then the footprints are refused
    footprint = {
        "item_id": "P",
        "declared_unit": "piece",
        "total_kg_co2e": 1.0,
        "by_category": {},
        "by_source": [],
        "primary_data_share": 0.0,
        "complete": True,
    }
    # (the footprints are written through the driver's cursor: its error, unwrapped)
    with pytest.raises(psycopg2.Error, match="is closed"):
        save_footprints(db, started, [footprint])


def test_the_databases_refusal_is_a_period_closed_error(
    db: Engine, two_sites: TwoSites, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the period closes between the check and the write (the check sees it open)
    open_status = period_status(db, "S1", PERIOD)
    close_period(db, "S1", PERIOD, "admin-1")
    monkeypatch.setattr("pcf.usecases.publishing.period_status", lambda *_: open_status)
    # Then the database's refusal arrives as PeriodClosedError
    with pytest.raises(PeriodClosedError, match="S1 period 2026-01 is closed"):
        recalculate_site_period(db, two_sites.store, "S1", PERIOD)
