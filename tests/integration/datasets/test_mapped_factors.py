"""The mapped factor set (issue 4, point 5): what a calculation uses, item by item and
site by site, with the reason for each choice; written to the curated tier."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import FolderObjectStore, UrlSigner, read_parquet
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.model import MethodSettings
from pcf.formats.definitions import GwpSet
from pcf.sample.factory import SMALL, generate_static_files
from pcf.usecases.calculate import MissingDatasetError, calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.mapping import Choice, build_mapped_factors, publish_mapped_factors

pytestmark = pytest.mark.integration

JANUARY = date(2026, 1, 1)


def test_every_factor_of_the_worked_example_is_the_one_the_calculation_used(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given January calculated
    result = calculate_site_period(db, worked_example, "S1", "2026-01")
    # When the mapped set is built as of the period's first day
    mapped = build_mapped_factors(db, result.period.first_day)
    # Then it read the same versions
    assert mapped.dataset_versions == result.dataset_versions
    # and each item's factor is what the engine multiplied P's exploded quantities by
    p = next(f for f in result.footprints if f.item_id == "P")
    used = {s.source_id: s.kg_co2e / s.amount for s in p.by_source if s.source_kind == "item"}
    by_item = {i.item_id: i for i in mapped.items}
    assert set(by_item) == set(used) == {"ALU", "C", "STEEL"}
    for item_id, factor in used.items():
        assert by_item[item_id].kg_co2e_per_declared_unit == pytest.approx(factor, rel=1e-12)
    # with METHOD.md's numbers and the reason for each choice
    assert by_item["STEEL"].kg_co2e_per_declared_unit == 1.9
    assert by_item["ALU"].kg_co2e_per_declared_unit == pytest.approx(8.6, rel=1e-15)
    assert by_item["C"].kg_co2e_per_declared_unit == 1.2
    assert by_item["C"].choice == Choice.SUPPLIER_PCF
    assert by_item["C"].primary_data_share == 0.5
    assert by_item["C"].reason == "supplier_pcf from supplier Supplier of C"
    assert by_item["STEEL"].choice == Choice.DATABASE_FACTOR
    assert by_item["STEEL"].reason == "database factor EF-STEEL via mapping (factor_mapping@1)"
    assert mapped.unmapped == ()
    # electricity and gas per site are exactly the engine's
    (electricity,) = mapped.electricity
    (gas,) = mapped.natural_gas
    assert (
        electricity.location_kg_co2e_per_kwh
        == result.energy_factors.electricity_location_kg_per_kwh
    )
    assert electricity.location_kg_co2e_per_kwh == pytest.approx(0.4783, rel=1e-15)
    assert electricity.method == "location" and electricity.market_kg_co2e_per_kwh is None
    assert electricity.grid_mix == "coal 0.4 x 0.82; natural_gas 0.3 x 0.49; wind 0.3 x 0.011"
    assert gas.kg_co2e_per_kwh == result.energy_factors.natural_gas_kg_per_kwh
    assert gas.kg_co2e_per_kwh == pytest.approx(0.200571, rel=1e-15)
    assert gas.combustion_kg_co2e_per_kwh == gas.kg_co2e_per_kwh
    assert (gas.co2_kg_per_kwh, gas.ch4_kg_per_kwh, gas.n2o_kg_per_kwh) == (0.2, 1e-05, 1e-06)
    assert gas.gwp_set == "AR6" and gas.kwh_per_m3 == 10.0
    assert gas.reason == (
        "factor EF-NG: CO2 0.2 + CH4 1e-05 x 29.8 + N2O 1e-06 x 273 (AR6) = 0.200571 kg CO2e/kWh"
    )


def test_ar5_weights_the_gases_as_a_calculation_with_ar5_does(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    settings = MethodSettings(gwp_set=GwpSet.AR5)
    result = calculate_site_period(db, worked_example, "S1", "2026-01", settings)
    (gas,) = build_mapped_factors(db, JANUARY, settings).natural_gas
    assert gas.kg_co2e_per_kwh == result.energy_factors.natural_gas_kg_per_kwh
    assert gas.kg_co2e_per_kwh == pytest.approx(0.2 + 0.00001 * 28 + 0.000001 * 265, rel=1e-15)


def test_an_item_without_supplier_data_or_mapping_is_listed_unmapped(
    db: Engine, worked_example: PostgresTelemetryStore
) -> None:
    # Given a mapping version without aluminium
    mapping = b"item_id,factor_id\nSTEEL,EF-STEEL\n"
    load_static_files(db, {"factor_mapping": ("mapping.csv", mapping)})
    mapped = build_mapped_factors(db, JANUARY)
    # Then aluminium is listed, with no factor, and the others are unchanged
    assert mapped.unmapped == ("ALU",)
    alu = next(i for i in mapped.items if i.item_id == "ALU")
    assert alu.kg_co2e_per_declared_unit is None
    assert alu.reason == "unmapped: no supplier footprint and no factor mapping"
    assert len(mapped.items) == 3


def test_the_set_is_written_to_the_curated_tier_once_per_build(
    db: Engine, worked_example: PostgresTelemetryStore, tmp_path: Path
) -> None:
    store = FolderObjectStore(tmp_path, UrlSigner(b"k"), "http://localhost")
    mapped, keys = publish_mapped_factors(db, store, JANUARY)
    assert keys == {
        part: f"curated/mapped_factors/{part}/as_of=2026-01-01/build={mapped.build_id}/"
        f"{part}.parquet"
        for part in ("items", "electricity", "natural_gas")
    }
    items = read_parquet(store.get(keys["items"]))
    assert items.column("item_id").to_pylist() == ["ALU", "C", "STEEL"]
    assert items.column("kg_co2e_per_declared_unit").to_pylist() == [
        i.kg_co2e_per_declared_unit for i in mapped.items
    ]
    assert read_parquet(store.get(keys["natural_gas"])).column("kg_co2e_per_kwh").to_pylist() == [
        mapped.natural_gas[0].kg_co2e_per_kwh
    ]
    # the same inputs give the same build and keys; another GWP set another build
    again, same_keys = publish_mapped_factors(db, store, JANUARY)
    assert (again.build_id, same_keys) == (mapped.build_id, keys)
    ar5, _ = publish_mapped_factors(db, store, JANUARY, MethodSettings(gwp_set=GwpSet.AR5))
    assert ar5.build_id != mapped.build_id


def test_the_sample_factory_sites_get_the_calculations_energy_factors(db: Engine) -> None:
    # Given the small sample factory (no telemetry: the factors do not need it)
    files = generate_static_files(SMALL)
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    mapped = build_mapped_factors(db, JANUARY)
    assert mapped.problems == ()
    assert mapped.items and len({i.choice for i in mapped.items}) >= 2
    # Then each site's factors are those a January calculation of the site uses
    for electricity, gas in zip(mapped.electricity, mapped.natural_gas, strict=True):
        energy = calculate_site_period(db, store, electricity.site_id, "2026-01").energy_factors
        assert electricity.location_kg_co2e_per_kwh == energy.electricity_location_kg_per_kwh
        assert electricity.market_kg_co2e_per_kwh == energy.electricity_market_kg_per_kwh
        assert electricity.kg_co2e_per_kwh == energy.electricity_kg_per_kwh
        assert gas.kg_co2e_per_kwh == energy.natural_gas_kg_per_kwh
        assert dataclasses.asdict(gas)["kwh_per_m3"] == energy.natural_gas_kwh_per_m3


def test_without_the_kinds_a_calculation_needs_there_is_no_set(db: Engine) -> None:
    with pytest.raises(MissingDatasetError, match="no version valid on 2026-01-01"):
        build_mapped_factors(db, JANUARY)
