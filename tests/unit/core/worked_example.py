"""METHOD.md's worked example as engine inputs, for the unit tests."""

from __future__ import annotations

from pcf.core.model import (
    BomLines,
    EmissionFactors,
    FactorMapping,
    FootprintInputs,
    GridMix,
    Items,
    Machines,
    MeterTotals,
    ProductionCounts,
    SiteSettings,
    SupplierFootprints,
)

NAN = float("nan")


def worked_example_inputs() -> FootprintInputs:
    return FootprintInputs(
        items=Items(
            item_id=["P", "A", "STEEL", "ALU", "C"],
            item_type=["product", "subassembly", "material", "material", "purchased_part"],
            declared_unit=["piece", "piece", "kg", "kg", "piece"],
            mass_per_piece_kg=[NAN] * 5,
            standard_time_min=[NAN] * 5,
        ),
        bom=BomLines(
            parent_item_id=["P", "P", "A", "A"],
            child_item_id=["A", "STEEL", "ALU", "C"],
            quantity=[2, 0.5, 300, 1],
            unit=["piece", "kg", "g", "piece"],
            scrap_rate=[0, 0, 0, 0],
        ),
        emission_factors=EmissionFactors(
            factor_id=["EF-STEEL", "EF-ALU", "EF-NG"],
            per_unit=["kg", "t", "kWh"],
            co2_kg=[NAN, NAN, 0.2],
            ch4_kg=[NAN, NAN, 0.00001],
            n2o_kg=[NAN, NAN, 0.000001],
            co2e_kg=[1.9, 8600, NAN],
            co2e_gwp_set=["AR6", "AR6", None],
            ch4_origin=["fossil", "fossil", "fossil"],
            energy_basis=[None, None, "gross"],
            source=["example", "example", "example"],
            dataset_version=["emission_factors@1"] * 3,
        ),
        factor_mapping=FactorMapping(item_id=["STEEL", "ALU"], factor_id=["EF-STEEL", "EF-ALU"]),
        supplier_footprints=SupplierFootprints(
            item_id=["C"],
            supplier=["Supplier of C"],
            co2e_kg=[1.2],
            per_unit=["piece"],
            primary_data_share=[0.5],
            pcf_id=[None],
            dataset_version=["supplier_footprints@1"],
        ),
        site=SiteSettings(
            site_id="S1",
            grid_region="R1",
            gas_calorific_value_mj_per_m3=36.0,
            gas_factor_id="EF-NG",
        ),
        grid_mix=GridMix(
            technology=["coal", "natural_gas", "wind"],
            share=[0.4, 0.3, 0.3],
            co2e_kg=[820, 490, 11],
            per_unit=["MWh", "MWh", "MWh"],
        ),
        machines=Machines(
            machine_id=["M1", "M2"], process=["assembly", "machining"], allocation_key=["units"] * 2
        ),
        meters=MeterTotals(
            meter_id=["M1-E", "M2-E", "M2-G"],
            machine_id=["M1", "M2", "M2"],
            quantity=["electricity", "electricity", "natural_gas"],
            unit=["kWh", "kWh", "m3"],
            total=[1000, 600, 20],
            completeness=[1.0, 1.0, 1.0],
            windows_hash=["", "", ""],
        ),
        production=ProductionCounts(
            machine_id=["M1", "M2"],
            item_id=["P", "A"],
            quantity=[500, 1000],
            source=["telemetry:M1-P", "telemetry:M2-P"],
        ),
    )
