"""Dataset versions as of a day (the same answer calculate gets) and stale footprints:
the footprints of an open period that a version loaded after their calculation would
change (issue 4, point 4)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.datasets import (
    current_versions,
    kind_versions,
    stale_footprints,
    version_in_force,
)
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.formats.definitions import STATIC_FORMATS
from pcf.sample.worked_example import worked_example_files
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files

pytestmark = pytest.mark.integration

STEEL_2_5 = worked_example_files()["emission_factors"].replace(b",1.9,", b",2.5,")


def load_factors(db: Engine, data: bytes, **validity: date) -> None:
    load_static_files(db, {"emission_factors": ("emission_factors.csv", data)}, **validity)


def test_the_version_in_force_is_the_one_calculate_pins(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given factors version 2 valid from February, version 3 valid in March only
    load_factors(db, STEEL_2_5, valid_from=date(2026, 2, 1))
    load_factors(
        db,
        STEEL_2_5.replace(b",2.5,", b",2.6,"),
        valid_from=date(2026, 3, 1),
        valid_to=date(2026, 3, 31),
    )
    # When January, February and March are calculated
    for period, expected in (("2026-01", 1), ("2026-02", 2), ("2026-03", 3)):
        result = calculate_site_period(db, worked_example, "S1", period)
        # Then each run pinned, for every kind, the version in force on its first day
        first_day = result.period.first_day
        for f in STATIC_FORMATS:
            in_force = version_in_force(db, f.kind, first_day)
            pinned = result.dataset_versions.get(f.kind)
            assert (in_force and in_force.id) == (pinned and pinned.id), (period, f.kind)
        assert result.dataset_versions["emission_factors"].version == expected
    # April: version 3 has ended, so the later upload valid then is version 2
    assert version_in_force(db, "emission_factors", date(2026, 4, 1)).version == 2  # type: ignore[union-attr]
    # and every version stays readable, oldest first
    assert [v.version for v in kind_versions(db, "emission_factors")] == [1, 2, 3]
    # nothing is stale right after calculating: the view applies the same rule
    assert stale_footprints(db) == []


def test_a_tie_goes_to_the_later_upload(db: Engine) -> None:
    load_factors(db, worked_example_files()["emission_factors"], valid_from=date(2026, 1, 1))
    load_factors(db, STEEL_2_5, valid_from=date(2026, 1, 1))
    assert version_in_force(db, "emission_factors", date(2026, 1, 15)).version == 2  # type: ignore[union-attr]
    assert version_in_force(db, "emission_factors", date(2025, 12, 31)) is None
    assert current_versions(db, as_of=date(2026, 1, 15))["emission_factors"].version == 2


def test_a_version_valid_in_the_period_makes_its_footprints_stale(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given January calculated with factors version 1
    result = calculate_site_period(db, worked_example, "S1", "2026-01")
    # When a version 2 valid for January is loaded
    load_factors(db, STEEL_2_5, valid_from=date(2026, 1, 1))
    # Then every footprint of the run is listed stale, naming what superseded what
    stale = stale_footprints(db)
    assert sorted((s.item_id, s.footprint_id) for s in stale) == sorted(
        result.footprint_ids.items()
    )
    assert {(s.kind, s.pinned_version, s.superseding_version) for s in stale} == {
        ("emission_factors", 1, 2)
    }
    assert stale[0].reason == (
        "emission_factors version 1 superseded by version 2 (in force on 2026-01-01)"
    )
    assert stale_footprints(db, site_id="S1", period_label="2026-02") == []
    # When January is recalculated, its latest footprints are current again
    calculate_site_period(db, worked_example, "S1", "2026-01")
    assert stale_footprints(db) == []


def test_a_version_valid_only_after_the_period_makes_nothing_stale(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    calculate_site_period(db, worked_example, "S1", "2026-01")
    load_factors(db, STEEL_2_5, valid_from=date(2026, 2, 1))
    assert stale_footprints(db) == []


def test_the_same_file_again_makes_nothing_stale(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    calculate_site_period(db, worked_example, "S1", "2026-01")
    load_factors(db, worked_example_files()["emission_factors"], valid_from=date(2026, 1, 1))
    assert stale_footprints(db) == []


def test_a_first_version_of_a_kind_the_run_lacked_is_stale(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given January calculated without production counts (the counters gave them)
    calculate_site_period(db, worked_example, "S1", "2026-01")
    # When production counts for January arrive
    counts = (
        b"site_id,machine_id,item_id,period_start,period_end,quantity\n"
        b"S1,M1,P,2026-01-01,2026-02-01,400\n"
    )
    load_static_files(db, {"production_counts": ("counts.csv", counts)})
    # Then the footprints are stale: the run had no version of the kind
    stale = stale_footprints(db)
    assert stale and {(s.kind, s.pinned_version) for s in stale} == {("production_counts", None)}
    assert stale[0].reason == (
        "production_counts version 1 (in force on 2026-01-01) now applies; the calculation had none"
    )


def test_the_period_follows_the_time_zone_of_the_sites_version_in_force(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given a later sites version, valid from March only, moving S1 to Chicago
    chicago = worked_example_files()["sites"].replace(b"Europe/Berlin", b"America/Chicago")
    load_static_files(db, {"sites": ("sites.csv", chicago)}, valid_from=date(2026, 3, 1))

    # When January is calculated, the site is still in Berlin; March is in Chicago
    january = calculate_site_period(db, worked_example, "S1", "2026-01")
    march = calculate_site_period(db, worked_example, "S1", "2026-03")

    assert january.period.time_zone == "Europe/Berlin"
    assert january.dataset_versions["sites"].version == 1
    assert march.period.time_zone == "America/Chicago"
    assert march.dataset_versions["sites"].version == 2
