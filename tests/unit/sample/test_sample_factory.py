"""The seeded sample factory: files that follow the formats, a plausible plant, and
telemetry that is complete, aligned and deterministic."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pcf.core.engine import FootprintCalculation
from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import CANONICAL_UNIT, conversion_factor, dimension_of
from pcf.formats.definitions import STATIC_FORMATS
from pcf.sample.factory import (
    DEFAULT,
    SMALL,
    FactorySpec,
    generate_static_files,
    generate_telemetry,
    telemetry_window_count,
)
from pcf.sample.plant import AVAILABILITY, build_plant, planned_shift_minutes
from pcf.sample.reference import NATURAL_GAS_CO2_KG_PER_KWH
from tests.unit.sample.production_path import check_files, footprint_inputs

Tables = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def small_windows() -> list[list[TelemetryWindow]]:
    return list(generate_telemetry(SMALL))


@pytest.fixture(scope="module")
def default_tables() -> Tables:
    tables = check_files(generate_static_files(DEFAULT))
    return {kind: table.to_pylist() for kind, table in tables.items()}


def _windows_digest(batches: list[list[TelemetryWindow]]) -> str:
    digest = hashlib.sha256()
    for batch in batches:
        for w in batch:
            record = (
                w.site_id, w.machine_id, w.meter_id, w.quantity.value, w.item_id,
                w.window_start.timestamp(), w.window_end.timestamp(), w.value, w.unit,
                w.revision, w.samples_received, w.samples_dropped,
            )  # fmt: skip
            digest.update(repr(record).encode())
    return digest.hexdigest()


def _heights(tables: Tables) -> dict[str, int]:
    children: dict[str, list[str]] = defaultdict(list)
    for line in tables["bom"]:
        children[line["parent_item_id"]].append(line["child_item_id"])

    def height(item_id: str) -> int:
        below = children.get(item_id, [])
        return 1 + max(height(child) for child in below) if below else 0

    return {row["item_id"]: height(row["item_id"]) for row in tables["items"]}


# -- static files -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [SMALL, DEFAULT], ids=["small", "default"])
def test_every_static_kind_follows_its_format(spec: FactorySpec) -> None:
    # Given a spec, When the static files are generated
    files = generate_static_files(spec)

    # Then there is one file per static kind, in load order, and each has exactly the
    # format's columns, valid cells, unique keys and references that resolve
    assert list(files) == [f.kind for f in STATIC_FORMATS]
    check_files(files)


def test_static_files_are_deterministic() -> None:
    # Given the same spec twice (with the plant rebuilt, not cached)
    first = generate_static_files(SMALL)
    build_plant.cache_clear()

    # When generated again, Then the bytes are identical; another seed differs
    assert generate_static_files(SMALL) == first
    assert generate_static_files(dataclasses.replace(SMALL, seed=8)) != first


def test_default_plant_meets_the_minimum(default_tables: Tables) -> None:
    tables = default_tables
    sites = tables["sites"]
    assert {s["time_zone"] for s in sites} == {"Europe/Berlin", "America/Chicago"}
    assert len({s["grid_region"] for s in sites}) == 2
    assert len(tables["machines"]) >= 20
    products = [i for i in tables["items"] if i["item_type"] == "product"]
    assert len(products) >= 10
    assert all(p["product_ids"].startswith("urn:pact:sample.example:product-id:") for p in products)
    assert all(p["cpc_code"] for p in products)


def test_sites_use_both_electricity_methods(default_tables: Tables) -> None:
    by_method = {s["electricity_method"]: s for s in default_tables["sites"]}
    assert set(by_method) == {"location", "market"}
    market = by_method["market"]
    assert market["contract_factor_kg_per_kwh"] is not None
    assert market["contract_covered_share"] is not None
    assert market["residual_mix_factor_kg_per_kwh"] is not None


def test_grid_mixes_add_up_to_one_and_berlin_is_coal_heavy(default_tables: Tables) -> None:
    shares: dict[str, list[float]] = defaultdict(list)
    for row in default_tables["grid_mixes"]:
        shares[row["grid_region"]].append(row["share"])
    assert all(abs(math.fsum(s) - 1.0) < 1e-12 for s in shares.values())
    coal = {
        r["grid_region"]: r["share"]
        for r in default_tables["grid_mixes"]
        if r["technology"] == "coal"
    }
    berlin = next(s for s in default_tables["sites"] if s["time_zone"] == "Europe/Berlin")
    assert coal[berlin["grid_region"]] == max(coal.values())


def test_natural_gas_factor_is_epa_per_kwh_gross(default_tables: Tables) -> None:
    factors = {f["factor_id"]: f for f in default_tables["emission_factors"]}
    gas_ids = {s["gas_factor_id"] for s in default_tables["sites"]}
    assert len(gas_ids) == 1
    gas = factors[gas_ids.pop()]
    assert gas["per_unit"] == "kWh" and gas["energy_basis"] == "gross"
    # 53.06 kg CO2, 1.0 g CH4, 0.10 g N2O per MMBtu (293.07 kWh)
    assert gas["co2_kg"] == pytest.approx(53.06 / 293.0711, rel=1e-5)
    assert gas["ch4_kg"] == pytest.approx(0.001 / 293.0711, rel=1e-5)
    assert gas["n2o_kg"] == pytest.approx(0.0001 / 293.0711, rel=1e-5)
    assert gas["co2_kg"] == NATURAL_GAS_CO2_KG_PER_KWH
    with_co2e = [f for f in factors.values() if f["co2e_kg"] is not None]
    assert with_co2e
    assert all(f["co2e_gwp_set"] and f["source"] and f["year"] is not None for f in with_co2e)


def test_boms_have_three_levels_and_shared_subassemblies(default_tables: Tables) -> None:
    tables = default_tables
    heights = _heights(tables)
    types = {i["item_id"]: i["item_type"] for i in tables["items"]}
    assert {heights[i] for i, t in types.items() if t == "product"} == {3}
    parents: dict[str, set[str]] = defaultdict(set)
    for line in tables["bom"]:
        parents[line["child_item_id"]].add(line["parent_item_id"])
    shared = [
        c
        for c, p in parents.items()
        if types[c] == "subassembly" and heights[c] == 2 and len(p) > 1
    ]
    assert shared
    assert {"g", "kg", "piece"} <= {line["unit"] for line in tables["bom"]}
    assert any(line["scrap_rate"] > 0 for line in tables["bom"])


def test_pieces_of_items_declared_by_mass_have_a_mass_per_piece(default_tables: Tables) -> None:
    items = {i["item_id"]: i for i in default_tables["items"]}
    crossings = [
        line
        for line in default_tables["bom"]
        if line["unit"] == "piece" and items[line["child_item_id"]]["declared_unit"] != "piece"
    ]
    assert crossings
    assert all(items[line["child_item_id"]]["mass_per_piece_kg"] is not None for line in crossings)


def test_every_inhouse_item_is_made_at_the_site_that_consumes_it(default_tables: Tables) -> None:
    tables = default_tables
    site_of_machine = {m["machine_id"]: m["site_id"] for m in tables["machines"]}
    counters = [m for m in tables["meters"] if m["quantity"] == "production_count"]
    made_at: dict[str, list[str]] = defaultdict(list)
    for counter in counters:
        made_at[counter["item_id"]].append(site_of_machine[counter["machine_id"]])
    in_house = [
        i["item_id"] for i in tables["items"] if i["item_type"] in ("product", "subassembly")
    ]
    # each in-house item is made by exactly one machine, each machine makes 1 to 3 items
    assert sorted(made_at) == sorted(in_house)
    assert all(len(sites) == 1 for sites in made_at.values())
    per_machine: dict[str, int] = defaultdict(int)
    for counter in counters:
        per_machine[counter["machine_id"]] += 1
    assert set(per_machine) == set(site_of_machine)
    assert all(1 <= n <= 3 for n in per_machine.values())
    # every sub-assembly is consumed, and only at the site that makes it
    consumed_at: dict[str, set[str]] = defaultdict(set)
    for line in tables["bom"]:
        if line["child_item_id"] in made_at:
            consumed_at[line["child_item_id"]].add(made_at[line["parent_item_id"]][0])
    products = {i["item_id"] for i in tables["items"] if i["item_type"] == "product"}
    for item_id, sites in made_at.items():
        if item_id not in products:
            assert consumed_at[item_id] == set(sites), item_id


def test_meters_cover_machines_ovens_and_overhead(default_tables: Tables) -> None:
    tables = default_tables
    meters = tables["meters"]
    electricity: dict[str, int] = defaultdict(int)
    for meter in meters:
        if meter["quantity"] == "electricity" and meter["machine_id"]:
            electricity[meter["machine_id"]] += 1
    assert electricity == {m["machine_id"]: 1 for m in tables["machines"]}
    process = {m["machine_id"]: m["process"] for m in tables["machines"]}
    gas_machines = {
        m["machine_id"] for m in meters if m["quantity"] == "natural_gas" and m["machine_id"]
    }
    assert gas_machines and {process[m] for m in gas_machines} == {"painting"}
    for site in tables["sites"]:
        overhead = [m for m in meters if m["site_id"] == site["site_id"] and not m["machine_id"]]
        assert {m["quantity"] for m in overhead} == {"electricity", "natural_gas"}
        assert len(overhead) >= 3
    assert {p for p in process.values()} >= {
        "cutting",
        "machining",
        "moulding",
        "welding",
        "painting",
        "assembly",
    }


def test_uploaded_production_count_names_a_counted_item(default_tables: Tables) -> None:
    (upload,) = default_tables["production_counts"]
    counted = {
        (m["machine_id"], m["item_id"])
        for m in default_tables["meters"]
        if m["quantity"] == "production_count"
    }
    assert (upload["machine_id"], upload["item_id"]) in counted
    assert (upload["period_start"], upload["period_end"]) == (date(2026, 1, 1), date(2026, 2, 1))


# -- telemetry ----------------------------------------------------------------------------


def test_window_count_matches_generated_windows(small_windows: list[list[TelemetryWindow]]) -> None:
    assert sum(len(batch) for batch in small_windows) == telemetry_window_count(SMALL)


def test_default_window_count_is_every_meter_every_minute_of_january() -> None:
    plant = build_plant(DEFAULT)
    assert telemetry_window_count(DEFAULT) == len(plant.meters) * 31 * 1440


def test_telemetry_is_deterministic(small_windows: list[list[TelemetryWindow]]) -> None:
    build_plant.cache_clear()
    assert _windows_digest(list(generate_telemetry(SMALL))) == _windows_digest(small_windows)
    other = list(generate_telemetry(dataclasses.replace(SMALL, seed=8)))
    assert _windows_digest(other) != _windows_digest(small_windows)


def test_windows_are_aligned_utc_minutes_covering_each_local_day(
    small_windows: list[list[TelemetryWindow]],
) -> None:
    plant = build_plant(SMALL)
    # Berlin is UTC+1 and Chicago UTC-6 in January; SMALL covers 5 and 6 January
    local_midnight = {"S-BER": timedelta(hours=-1), "S-CHI": timedelta(hours=6)}
    starts: dict[str, set[datetime]] = defaultdict(set)
    for batch in small_windows:
        assert len({w.site_id for w in batch}) == 1
        for w in batch:
            assert w.window_start.utcoffset() == timedelta(0)
            assert w.window_start.second == 0 and w.window_start.microsecond == 0
            assert w.window_end - w.window_start == timedelta(minutes=1)
            assert (w.revision, w.samples_received, w.samples_dropped) == (0, 60, 0)
            starts[w.meter_id].add(w.window_start)
    for meter in plant.meters:
        first = datetime(2026, 1, 5, tzinfo=UTC) + local_midnight[meter.site_id]
        expected = {first + timedelta(minutes=k) for k in range(2 * 1440)}
        assert starts[meter.meter_id] == expected, meter.meter_id


def test_counters_count_whole_pieces_only_in_shifts(
    small_windows: list[list[TelemetryWindow]],
) -> None:
    windows = [w for batch in small_windows for w in batch]
    counts = [w for w in windows if w.quantity == "production_count"]
    assert all(w.value >= 0 and w.value == int(w.value) for w in counts)
    assert sum(w.value for w in counts) > 0
    # Berlin's shifts run 06:00-22:00 local (05:00-21:00 UTC): nothing counted at night
    night = [w for w in counts if w.site_id == "S-BER" and not 5 <= w.window_start.hour < 21]
    assert night and all(w.value == 0 for w in night)


def test_machines_draw_base_load_around_the_clock_and_ovens_burn_in_shifts(
    small_windows: list[list[TelemetryWindow]],
) -> None:
    windows = [w for batch in small_windows for w in batch]
    machine_power = [w for w in windows if w.quantity == "electricity" and w.machine_id]
    assert all(w.value > 0 for w in machine_power)
    oven = [w for w in windows if w.quantity == "natural_gas" and w.machine_id]
    night = [w for w in oven if w.site_id == "S-BER" and not 5 <= w.window_start.hour < 21]
    assert oven and night and all(w.value == 0 for w in night)
    assert any(w.value > 0 for w in oven)
    # start-up peak: the first minutes of a shift draw more than the shift's median
    berlin_cutter = sorted(
        (w for w in machine_power if w.meter_id == "BER-M01-E"), key=lambda w: w.window_start
    )
    shift_start = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
    in_shift = [
        w.value
        for w in berlin_cutter
        if shift_start <= w.window_start < shift_start + timedelta(hours=4)
    ]
    assert max(in_shift[:3]) > sorted(in_shift)[len(in_shift) // 2] * 1.2


def test_production_follows_the_planned_volumes(
    small_windows: list[list[TelemetryWindow]],
) -> None:
    # Given the plan for the month and two days of telemetry
    plant = build_plant(SMALL)
    counted_by_meter: dict[str, float] = defaultdict(float)
    for w in (w for batch in small_windows for w in batch):
        canonical = CANONICAL_UNIT[dimension_of(w.unit)]
        counted_by_meter[w.meter_id] += w.value * conversion_factor(w.unit, canonical)

    # Then each item's count is near its planned units prorated to the two days
    for machine in plant.machines:
        site = next(s for s in plant.sites if s.site_id == machine.site_id)
        minutes = planned_shift_minutes(site, SMALL.telemetry_days) * AVAILABILITY
        for item_id, rate in zip(machine.item_ids, machine.units_per_running_minute, strict=True):
            counted = counted_by_meter[f"{machine.machine_id}-P-{item_id}"]
            assert counted == pytest.approx(rate * minutes, rel=0.2, abs=3), item_id


def test_small_sample_gives_complete_footprints(
    small_windows: list[list[TelemetryWindow]],
) -> None:
    # Given the small sample's files and telemetry
    files = generate_static_files(SMALL)
    windows = [w for batch in small_windows for w in batch]

    for site_id in ("S-BER", "S-CHI"):
        # When the engine computes the site's footprints
        inputs = footprint_inputs(files, windows, site_id, SMALL.month)
        calculation = FootprintCalculation(inputs)
        products = [i for i in calculation.produced_item_ids if i.startswith("P-")]
        assert products
        for product in products:
            footprint = calculation.footprint(product)
            # Then they are complete, with every category and a breakdown that adds up
            assert footprint.complete, footprint.notes
            assert all(v > 0 for v in footprint.by_category.values()), footprint.by_category
            assert math.fsum(footprint.by_category.values()) == pytest.approx(
                footprint.total_kg_co2e, rel=1e-12
            )


def test_daylight_saving_days_have_23_and_25_hours() -> None:
    # Given Berlin's spring-forward day (29 March 2026) and autumn-back day (25 October)
    spring = FactorySpec(sites=1, machines=3, products=1, month="2026-03", first_day=29, days=1)
    autumn = dataclasses.replace(spring, month="2026-10", first_day=25)
    meters = len(build_plant(spring).meters)

    for spec, minutes in ((spring, 23 * 60), (autumn, 25 * 60)):
        # When the day's telemetry is generated
        (batch,) = list(generate_telemetry(spec))
        # Then every meter has one window per minute of the local day, contiguous
        assert telemetry_window_count(spec) == len(batch) == meters * minutes
        starts = sorted({w.window_start for w in batch})
        assert len(starts) == minutes
        assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(
    "changes",
    [
        {"sites": 3},
        {"machines": 5},
        {"products": 1},
        {"window_seconds": 7},
        {"month": "2026-13"},
        {"first_day": 32},
        {"days": 40},
    ],
)
def test_spec_rejects_impossible_factories(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(DEFAULT, **changes)  # type: ignore[arg-type]
