"""Which footprints partners see: only closed periods' (ARCHITECTURE.md, Publishing); a
reopened and closed-again period's new footprints are Active and name the ones they
replace, which become Deprecated."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.pact.conversion import PactCompany, PactStatus, pact_ids
from pcf.pact.published import lifecycle_of, published_footprints
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.publishing import close_period, recalculate_site_period, reopen_period

pytestmark = pytest.mark.integration


def test_only_closed_periods_are_published_and_a_recalculation_supersedes(db: Engine) -> None:
    files = worked_example_files()
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry())

    # an open period's footprints are not published
    first = recalculate_site_period(db, store, "S1", "2026-01")
    assert published_footprints(db) == []

    # closing publishes them, Active
    close_period(db, "S1", "2026-01", closed_by="alice")
    published = published_footprints(db)
    first_ids = set(first.footprint_ids.values())
    assert {f.footprint_id for f in published} == first_ids
    assert {f.status for f in published} == {PactStatus.ACTIVE}

    # reopened, recalculated and closed: the new ones are Active and name the old ones
    reopen_period(db, "S1", "2026-01", reopened_by="alice", reason="corrected factor")
    second = recalculate_site_period(db, store, "S1", "2026-01")
    close_period(db, "S1", "2026-01", closed_by="alice")
    published = published_footprints(db)
    old = [f for f in published if f.footprint_id in first_ids]
    new = [f for f in published if f.footprint_id not in first_ids]
    assert {f.status for f in old} == {PactStatus.DEPRECATED}
    assert {f.status for f in new} == {PactStatus.ACTIVE}
    assert {f.footprint_id for f in new} == set(second.footprint_ids.values())
    old_of_item = {f.item_id: f.footprint_id for f in old}
    company = PactCompany("Example", ("urn:pact:example.com:company:1",), "example.com")
    for footprint in new:
        assert footprint.preceding_footprint_ids == (old_of_item[footprint.item_id],)
        lifecycle = lifecycle_of(company)(footprint)
        assert lifecycle.preceding_pf_ids == pact_ids(company, (old_of_item[footprint.item_id],))
