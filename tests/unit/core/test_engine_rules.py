"""Engine rules of METHOD.md, one hand-computed case each.

Unless a test says otherwise, electricity is 1 kg CO2e/kWh (see builders.inputs).
"""

import dataclasses
import json

import numpy as np
import pytest

from pcf.core.audit import RunAuditRecords, canonical_json, recompute_from_record
from pcf.core.bom import BomCycleError
from pcf.core.engine import EngineInputError, FootprintCalculation
from pcf.core.model import MethodSettings, SiteSettings
from pcf.formats.definitions import (
    AllocationKey,
    CalorificBasis,
    ElectricityMethod,
    GwpSet,
    TelemetryGaps,
)
from tests.unit.core.builders import (
    bom,
    co2e_factor,
    factors,
    gas_factor,
    inputs,
    items,
    machines,
    mapping,
    meters,
    production,
    suppliers,
)

REL = 1e-12
STEEL = co2e_factor("EF-STEEL", "kg", 1.9)


def test_scrap_rate_inflates_the_child_quantity() -> None:
    # Given P = 2 kg steel with 2 % scrap: 2 x 1.02 x 1.9 = 3.876
    calc = FootprintCalculation(
        inputs(
            items=items(("P", "product", "piece"), ("STEEL", "material", "kg")),
            bom=bom(("P", "STEEL", 2, "kg", 0.02)),
            emission_factors=factors(STEEL),
            factor_mapping=mapping(("STEEL", "EF-STEEL")),
        )
    )
    assert calc.footprint("P").total_kg_co2e == pytest.approx(3.876, rel=REL)


def test_mass_in_the_bom_converts_to_pieces_through_mass_per_piece() -> None:
    # Given 2 kg of bolts of 0.25 kg each = 8 pieces at 0.1 kg CO2e per piece: 0.8
    calc = FootprintCalculation(
        inputs(
            items=items(("P", "product", "piece"), ("BOLT", "purchased_part", "piece", 0.25)),
            bom=bom(("P", "BOLT", 2, "kg")),
            supplier_footprints=suppliers(("BOLT", 0.1, "piece", 0.0)),
        )
    )
    footprint = calc.footprint("P")
    assert footprint.total_kg_co2e == pytest.approx(0.8, rel=REL)
    assert footprint.exploded_items == {"BOLT": pytest.approx(8.0, rel=REL)}


def test_pieces_against_mass_without_mass_per_piece_is_an_error() -> None:
    with pytest.raises(EngineInputError, match=r"P -> BOLT \(kg to piece\)"):
        FootprintCalculation(
            inputs(
                items=items(("P", "product", "piece"), ("BOLT", "purchased_part", "piece")),
                bom=bom(("P", "BOLT", 2, "kg")),
            )
        )


def test_factor_per_kg_applies_to_an_item_counted_in_pieces() -> None:
    # Given a casting of 0.5 kg declared per piece, steel 1.9 per kg: 0.95 per piece
    calc = FootprintCalculation(
        inputs(
            items=items(("P", "product", "piece"), ("CAST", "material", "piece", 0.5)),
            bom=bom(("P", "CAST", 1, "piece")),
            emission_factors=factors(STEEL),
            factor_mapping=mapping(("CAST", "EF-STEEL")),
        )
    )
    assert calc.footprint("P").total_kg_co2e == pytest.approx(0.95, rel=REL)


def test_supplier_footprint_takes_precedence_over_a_database_factor() -> None:
    # Given both a database factor of 5 and a supplier footprint of 1.2 per piece of C
    calc = FootprintCalculation(
        inputs(
            items=items(("P", "product", "piece"), ("C", "purchased_part", "piece")),
            bom=bom(("P", "C", 1, "piece")),
            emission_factors=factors(co2e_factor("EF-C", "piece", 5.0)),
            factor_mapping=mapping(("C", "EF-C")),
            supplier_footprints=suppliers(("C", 1.2, "piece", 0.5)),
        )
    )
    footprint = calc.footprint("P")
    # Then the supplier's 1.2 counts, with half of it primary data
    assert footprint.total_kg_co2e == pytest.approx(1.2, rel=REL)
    assert footprint.primary_data_share == pytest.approx(0.5, rel=REL)


def test_an_unmapped_item_is_listed_and_makes_the_footprint_incomplete() -> None:
    # Given P = 1 kg steel + 1 piece X, X with neither supplier footprint nor factor
    calc = FootprintCalculation(
        inputs(
            items=items(
                ("P", "product", "piece"),
                ("STEEL", "material", "kg"),
                ("X", "purchased_part", "piece"),
            ),
            bom=bom(("P", "STEEL", 1, "kg"), ("P", "X", 1, "piece")),
            emission_factors=factors(STEEL),
            factor_mapping=mapping(("STEEL", "EF-STEEL")),
        )
    )
    footprint = calc.footprint("P")
    # Then X is not counted as zero silently: it is named, and the result is incomplete
    assert footprint.total_kg_co2e == pytest.approx(1.9, rel=REL)
    assert not footprint.complete
    assert footprint.notes == ("unmapped: X has no supplier footprint or emission factor",)
    assert calc.item_ids[calc.unmapped_rows].tolist() == ["X"]


def test_shared_subassembly_in_a_multi_level_bom() -> None:
    # Given S = 1 kg steel (2.0/kg); P1 = 2 S + 1 kg steel; P2 = 3 S; Q = 1 P1 + 1 P2
    calc = FootprintCalculation(
        inputs(
            items=items(
                ("Q", "product", "piece"),
                ("P1", "subassembly", "piece"),
                ("P2", "subassembly", "piece"),
                ("S", "subassembly", "piece"),
                ("STEEL", "material", "kg"),
            ),
            bom=bom(
                ("S", "STEEL", 1, "kg"),
                ("P1", "S", 2, "piece"),
                ("P1", "STEEL", 1, "kg"),
                ("P2", "S", 3, "piece"),
                ("Q", "P1", 1, "piece"),
                ("Q", "P2", 1, "piece"),
            ),
            emission_factors=factors(co2e_factor("EF-STEEL", "kg", 2.0)),
            factor_mapping=mapping(("STEEL", "EF-STEEL")),
        )
    )
    # Then S = 2, P1 = 2 x 2 + 2 = 6, P2 = 3 x 2 = 6, Q = 12 (6 kg of steel)
    totals = dict(zip(calc.item_ids.tolist(), calc.totals().tolist(), strict=True))
    assert totals["S"] == pytest.approx(2.0, rel=REL)
    assert totals["P1"] == pytest.approx(6.0, rel=REL)
    assert totals["P2"] == pytest.approx(6.0, rel=REL)
    assert totals["Q"] == pytest.approx(12.0, rel=REL)
    assert calc.footprint("Q").exploded_items["STEEL"] == pytest.approx(6.0, rel=REL)


def test_a_bom_cycle_names_its_items() -> None:
    with pytest.raises(BomCycleError, match="A -> B -> A"):
        FootprintCalculation(
            inputs(
                items=items(("A", "subassembly", "piece"), ("B", "subassembly", "piece")),
                bom=bom(("A", "B", 1, "piece"), ("B", "A", 1, "piece")),
            )
        )


def _two_item_machine(key: str) -> FootprintCalculation:
    # Machine M metered 100 kWh and made 10 X (1 kg, 2 min) and 10 Y (3 kg, 6 min)
    return FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece", 1.0, 2.0), ("Y", "product", "piece", 3.0, 6.0)),
            machines=machines(("M", key)),
            meters=meters(("M-E", "M", "electricity", "kWh", 100.0)),
            production=production(("M", "X", 10), ("M", "Y", 10)),
        )
    )


def test_allocation_by_units_gives_every_unit_the_same_energy() -> None:
    # 100 kWh / 20 units = 5 kWh each
    calc = _two_item_machine("units")
    assert calc.footprint("X").electricity_kwh == pytest.approx(5.0, rel=REL)
    assert calc.footprint("Y").electricity_kwh == pytest.approx(5.0, rel=REL)


@pytest.mark.parametrize("key", ["mass", "time"])
def test_allocation_by_mass_or_standard_time(key: str) -> None:
    # weights 10 x 1 and 10 x 3: X gets 25 kWh / 10 = 2.5, Y gets 75 kWh / 10 = 7.5
    calc = _two_item_machine(key)
    assert calc.footprint("X").total_kg_co2e == pytest.approx(2.5, rel=REL)
    assert calc.footprint("Y").total_kg_co2e == pytest.approx(7.5, rel=REL)


def test_overhead_and_idle_machines_are_shared_over_every_unit_of_the_site() -> None:
    # Given M1 makes 10 X with 40 kWh, M2 makes 20 Y with 20 kWh, M3 makes nothing but
    # metered 30 kWh, and an HVAC meter without machine metered 60 kWh
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece"), ("Y", "product", "piece")),
            machines=machines(("M1",), ("M2",), ("M3",)),
            meters=meters(
                ("M1-E", "M1", "electricity", "kWh", 40.0),
                ("M2-E", "M2", "electricity", "kWh", 20.0),
                ("M3-E", "M3", "electricity", "kWh", 30.0),
                ("HVAC", None, "electricity", "kWh", 60.0),
            ),
            production=production(("M1", "X", 10), ("M2", "Y", 20)),
        )
    )
    # Then overhead (60 + 30) / 30 units = 3 kWh on every unit:
    # X = 40/10 + 3 = 7, Y = 20/20 + 3 = 4
    x, y = calc.footprint("X"), calc.footprint("Y")
    assert x.electricity_kwh == pytest.approx(7.0, rel=REL)
    assert y.electricity_kwh == pytest.approx(4.0, rel=REL)
    overhead = [s for s in x.by_source if s.machine_id is None]
    assert sum(s.amount for s in overhead) == pytest.approx(2.0, rel=REL)  # HVAC: 60/30


def test_overhead_reaches_subassemblies_and_their_parents() -> None:
    # Given Y = 1 X; M1 makes 10 X, M2 makes 10 Y; only a 40 kWh overhead meter
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "subassembly", "piece"), ("Y", "product", "piece")),
            bom=bom(("Y", "X", 1, "piece")),
            machines=machines(("M1",), ("M2",)),
            meters=meters(("HVAC", None, "electricity", "kWh", 40.0)),
            production=production(("M1", "X", 10), ("M2", "Y", 10)),
        )
    )
    # Then each of the 20 units bears 2 kWh; Y carries its own 2 and X's 2
    assert calc.footprint("X").electricity_kwh == pytest.approx(2.0, rel=REL)
    assert calc.footprint("Y").electricity_kwh == pytest.approx(4.0, rel=REL)


def test_overhead_by_mass_uses_the_site_key() -> None:
    # Given 10 X of 1 kg and 10 Y of 3 kg, 80 kWh overhead allocated by mass:
    # X gets 80 x 10/40 / 10 = 2 kWh per unit, Y gets 80 x 30/40 / 10 = 6
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece", 1.0), ("Y", "product", "piece", 3.0)),
            site=SiteSettings(
                site_id="S", grid_region="R", overhead_allocation_key=AllocationKey.MASS
            ),
            machines=machines(("M1",)),
            meters=meters(("HVAC", None, "electricity", "kWh", 80.0)),
            production=production(("M1", "X", 10), ("M1", "Y", 10)),
        )
    )
    assert calc.footprint("X").electricity_kwh == pytest.approx(2.0, rel=REL)
    assert calc.footprint("Y").electricity_kwh == pytest.approx(6.0, rel=REL)


def test_an_in_house_item_consumed_but_not_produced_gets_no_energy() -> None:
    # Given Y = 1 X, X made in-house but not produced this period; M2 made 10 Y on 50 kWh
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "subassembly", "piece"), ("Y", "product", "piece")),
            bom=bom(("Y", "X", 1, "piece")),
            machines=machines(("M2",)),
            meters=meters(("M2-E", "M2", "electricity", "kWh", 50.0)),
            production=production(("M2", "Y", 10)),
        )
    )
    footprint = calc.footprint("Y")
    assert footprint.electricity_kwh == pytest.approx(5.0, rel=REL)
    assert not footprint.complete
    assert footprint.notes[0].startswith("not produced: X was consumed but not produced")


def test_market_based_electricity_is_used_when_the_site_says_so() -> None:
    # Given a 100 % contract at 0.2 kg/kWh on a 1 kg/kWh grid, 10 kWh per unit
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece")),
            site=SiteSettings(
                site_id="S",
                grid_region="R",
                electricity_method=ElectricityMethod.MARKET,
                contract_factor_kg_per_kwh=0.2,
                contract_covered_share=1.0,
            ),
            machines=machines(("M",)),
            meters=meters(("M-E", "M", "electricity", "kWh", 100.0)),
            production=production(("M", "X", 10)),
        )
    )
    footprint = calc.footprint("X")
    # Then the footprint uses 10 x 0.2 = 2, and reports 10 x 1 = 10 location-based beside
    assert footprint.total_kg_co2e == pytest.approx(2.0, rel=REL)
    assert footprint.electricity_market_kg_co2e == pytest.approx(2.0, rel=REL)
    assert footprint.electricity_location_kg_co2e == pytest.approx(10.0, rel=REL)


def _gas_site(unit: str, total: float, gwp_set: GwpSet = GwpSet.AR6) -> FootprintCalculation:
    return FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece")),
            emission_factors=factors(
                gas_factor("EF-NG", "MWh", 200.0, 0.01, 0.001),
                co2e_factor("EF-NG-UP", "kWh", 0.03),
            ),
            site=SiteSettings(
                site_id="S",
                grid_region="R",
                gas_calorific_value_mj_per_m3=36.0,
                gas_factor_id="EF-NG",
                gas_upstream_factor_id="EF-NG-UP",
            ),
            machines=machines(("M",)),
            meters=meters(("M-G", "M", "natural_gas", unit, total)),
            production=production(("M", "X", 10)),
            settings=MethodSettings(gwp_set=gwp_set),
        )
    )


def test_gas_by_volume_with_upstream_factor() -> None:
    # 100 m3 x 10 kWh/m3 = 1000 kWh; (0.200571 + 0.03) x 1000 / 10 units = 23.0571
    footprint = _gas_site("m3", 100.0).footprint("X")
    assert footprint.natural_gas_kwh == pytest.approx(100.0, rel=REL)
    assert footprint.by_category["natural_gas"] == pytest.approx(23.0571, rel=REL)
    assert footprint.gwp_sets == ("AR6",)


def test_gas_by_volume_in_cubic_feet() -> None:
    # 1000 ft3 = 28.316846592 m3 = 283.16846592 kWh; x 0.230571 / 10
    footprint = _gas_site("ft3", 1000.0).footprint("X")
    assert footprint.by_category["natural_gas"] == pytest.approx(
        283.16846592 * 0.230571 / 10, rel=REL
    )


def test_gas_with_ar5() -> None:
    # 0.2 + 0.00001 x 28 + 0.000001 x 265 = 0.200545; + 0.03; x 1000 kWh / 10
    footprint = _gas_site("kWh", 1000.0, GwpSet.AR5).footprint("X")
    assert footprint.by_category["natural_gas"] == pytest.approx(23.0545, rel=REL)
    assert footprint.gwp_sets == ("AR5",)


def test_gas_factor_on_another_calorific_basis_is_refused() -> None:
    with pytest.raises(EngineInputError, match="gross basis but site S states a net"):
        FootprintCalculation(
            inputs(
                emission_factors=factors(gas_factor("EF-NG", "kWh", 0.2, 0, 0, basis="gross")),
                site=SiteSettings(
                    site_id="S",
                    grid_region="R",
                    gas_factor_id="EF-NG",
                    gas_calorific_basis=CalorificBasis.NET,
                ),
            )
        )


def test_metered_gas_without_a_gas_factor_is_an_error_not_zero() -> None:
    with pytest.raises(EngineInputError, match="metered natural gas but names no gas factor"):
        FootprintCalculation(
            inputs(
                items=items(("X", "product", "piece")),
                machines=machines(("M",)),
                meters=meters(("M-G", "M", "natural_gas", "kWh", 10.0)),
                production=production(("M", "X", 1)),
            )
        )


def test_allocated_energy_adds_up_to_metered_energy() -> None:
    calc = _two_item_machine("mass")
    per_meter = np.bincount(calc.allocation.meter, weights=calc.allocation.kwh)
    assert per_meter.tolist() == pytest.approx(calc.meter_kwh.tolist(), rel=REL)


def test_an_unknown_allocation_key_is_refused_not_guessed() -> None:
    with pytest.raises(EngineInputError, match="unknown machine allocation keys unit"):
        _two_item_machine("unit")


def test_every_gwp_set_that_went_into_a_result_is_listed() -> None:
    # Given a material factor stated as CO2e with AR5, and gas weighted with the run's AR6
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece"), ("STEEL", "material", "kg")),
            bom=bom(("X", "STEEL", 1, "kg")),
            emission_factors=factors(
                co2e_factor("EF-STEEL", "kg", 1.9, gwp_set="AR5"),
                gas_factor("EF-NG", "kWh", 0.2, 0.00001, 0.000001),
            ),
            factor_mapping=mapping(("STEEL", "EF-STEEL")),
            site=SiteSettings(site_id="S", grid_region="R", gas_factor_id="EF-NG"),
            machines=machines(("M",)),
            meters=meters(("M-G", "M", "natural_gas", "kWh", 100.0)),
            production=production(("M", "X", 10)),
        )
    )
    footprint = calc.footprint("X")
    # Then both sets are recorded: 1.9 + 10 kWh x 0.200571 = 3.90571
    assert footprint.gwp_sets == ("AR5", "AR6")
    assert footprint.total_kg_co2e == pytest.approx(3.90571, rel=REL)


def test_meter_completeness_is_reported_with_the_footprint() -> None:
    # Given a meter that delivered half of its expected windows
    base = inputs(
        items=items(("X", "product", "piece")),
        machines=machines(("M",)),
        meters=meters(("M-E", "M", "electricity", "kWh", 50.0)),
        production=production(("M", "X", 10)),
    )
    half = dataclasses.replace(base, meters=dataclasses.replace(base.meters, completeness=[0.5]))
    footprint = FootprintCalculation(half).footprint("X")
    assert footprint.meter_completeness == {"M-E": 0.5}


def test_energy_of_a_site_that_produced_nothing_is_reported_unallocated() -> None:
    calc = FootprintCalculation(
        inputs(
            items=items(("X", "product", "piece")),
            machines=machines(("M",)),
            meters=meters(
                ("M-E", "M", "electricity", "kWh", 30.0), ("HVAC", None, "electricity", "kWh", 10.0)
            ),
        )
    )
    assert calc.produced_item_ids == []
    assert calc.allocation.unallocated_kwh == {"HVAC": 10.0, "M-E": 30.0}


def _half_reported(gaps: TelemetryGaps) -> FootprintCalculation:
    # a meter that sent half of the period's windows, metering 50 kWh in them; 10 units
    base = inputs(
        items=items(("X", "product", "piece")),
        machines=machines(("M",)),
        meters=meters(("M-E", "M", "electricity", "kWh", 50.0)),
        production=production(("M", "X", 10)),
        settings=MethodSettings(telemetry_gaps=gaps),
    )
    return FootprintCalculation(
        dataclasses.replace(base, meters=dataclasses.replace(base.meters, completeness=[0.5]))
    )


def test_gaps_are_left_as_gaps_by_default() -> None:
    footprint = _half_reported(TelemetryGaps.LEAVE).footprint("X")
    assert footprint.electricity_kwh == pytest.approx(5.0, rel=REL)
    assert footprint.estimated_meters == () and footprint.complete


def test_gaps_filled_from_the_mean_rate_are_flagged_as_estimated() -> None:
    # 50 kWh over half the period: 100 kWh over all of it, 10 kWh per unit
    footprint = _half_reported(TelemetryGaps.FILL_MEAN_RATE).footprint("X")
    assert footprint.electricity_kwh == pytest.approx(10.0, rel=REL)
    assert footprint.estimated_meters == ("M-E",)
    assert footprint.notes == (
        "estimated: meter M-E sent 50.0% of the period; the rest is filled from its mean rate",
    )


def test_a_filled_footprint_recomputes_from_its_audit_record() -> None:
    calc = _half_reported(TelemetryGaps.FILL_MEAN_RATE)
    run = RunAuditRecords(calc, {})
    record = json.loads(canonical_json(run.footprint_record(calc.footprint("X"))))
    site_inputs = json.loads(run.site_inputs_json)
    assert record["method"]["settings"]["telemetry_gaps"] == "fill_mean_rate"
    assert recompute_from_record(record, site_inputs)[1] == []
