"""METHOD.md's worked example as files and telemetry: exact totals, exact footprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from pcf.core.engine import FootprintCalculation, machine_breakdown
from pcf.formats.definitions import STATIC_FORMATS
from pcf.sample.worked_example import (
    METER_TOTALS,
    PERIOD,
    WORKED_EXAMPLE_KINDS,
    worked_example_files,
    worked_example_telemetry,
)
from tests.unit.sample.production_path import check_files, footprint_inputs

REL = 1e-9
JANUARY_BERLIN = (datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 1, 31, 23, tzinfo=UTC))


def test_files_follow_the_formats() -> None:
    files = worked_example_files()
    # every static kind but production_counts (production comes from telemetry)
    assert list(files) == list(WORKED_EXAMPLE_KINDS)
    assert set(WORKED_EXAMPLE_KINDS) == {f.kind for f in STATIC_FORMATS} - {"production_counts"}
    check_files(files)


def test_files_state_the_worked_example() -> None:
    tables = {
        kind: table.to_pylist() for kind, table in check_files(worked_example_files()).items()
    }
    assert [
        (r["parent_item_id"], r["child_item_id"], r["quantity"], r["unit"]) for r in tables["bom"]
    ] == [
        ("P", "A", 2.0, "piece"),
        ("P", "STEEL", 0.5, "kg"),
        ("A", "ALU", 300.0, "g"),
        ("A", "C", 1.0, "piece"),
    ]
    mix = {r["technology"]: r["share"] for r in tables["grid_mixes"]}
    assert mix == {"coal": 0.4, "natural_gas": 0.3, "wind": 0.3}
    (site,) = tables["sites"]
    assert (site["time_zone"], site["gas_calorific_value_mj_per_m3"], site["gas_factor_id"]) == (
        "Europe/Berlin",
        36.0,
        "EF-NG",
    )
    meters = {(m["meter_id"], m["quantity"], m["unit"], m["item_id"]) for m in tables["meters"]}
    assert meters == {
        ("M1-E", "electricity", "kWh", None),
        ("M2-E", "electricity", "kWh", None),
        ("M2-G", "natural_gas", "m3", None),
        ("M1-P", "production_count", "piece", "P"),
        ("M2-P", "production_count", "piece", "A"),
    }


@pytest.mark.parametrize("whole_month", [False, True])
def test_telemetry_sums_to_the_meter_readings_exactly(whole_month: bool) -> None:
    # Given the worked example's windows
    windows = worked_example_telemetry(whole_month=whole_month)

    # Then every window lies in January (Berlin) on whole minutes
    start, end = JANUARY_BERLIN
    assert all(start <= w.window_start and w.window_end <= end for w in windows)
    assert all(w.window_end - w.window_start == timedelta(minutes=1) for w in windows)
    assert all(w.window_start.second == 0 for w in windows)
    # and the totals are exact, in exact arithmetic and in floating point alike
    exact: dict[str, Fraction] = {}
    floating: dict[str, float] = {}
    for w in windows:
        exact[w.meter_id] = exact.get(w.meter_id, Fraction(0)) + Fraction(w.value)
        floating[w.meter_id] = floating.get(w.meter_id, 0.0) + w.value
    assert exact == {k: Fraction(v) for k, v in METER_TOTALS.items()}
    assert floating == METER_TOTALS
    per_meter = 31 * 1440 if whole_month else 400
    assert len(windows) == 5 * per_meter


def test_files_and_telemetry_reproduce_the_footprints() -> None:
    # Given the worked example's files and telemetry
    inputs = footprint_inputs(worked_example_files(), worked_example_telemetry(), "S1", PERIOD)

    # When the engine computes the footprints
    calculation = FootprintCalculation(inputs)

    # Then they are METHOD.md's numbers
    assert calculation.footprint("A").total_kg_co2e == pytest.approx(4.1070942, rel=REL)
    p = calculation.footprint("P")
    assert p.total_kg_co2e == pytest.approx(10.1207884, rel=REL)
    assert p.by_category == pytest.approx(
        {
            "materials": 6.11,
            "purchased_parts": 2.4,
            "electricity": 1.53056,
            "natural_gas": 0.0802284,
        },
        rel=REL,
    )
    assert p.primary_data_share == pytest.approx(0.277724, rel=1e-6)
    assert machine_breakdown(p)["M1"] == {"electricity": pytest.approx(0.9566, rel=REL)}
