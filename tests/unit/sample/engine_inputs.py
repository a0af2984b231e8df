"""Engine inputs of one site built straight from sample CSV files and telemetry windows.

A minimal loader for tests only, so the samples can be run through the footprint engine
without the database: telemetry is summed per meter, production counters become
production counts, and an uploaded production count replaces its counter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

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
from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import CANONICAL_UNIT, conversion_factor, dimension_of
from pcf.formats.definitions import AllocationKey, CalorificBasis, ElectricityMethod
from tests.unit.sample.csv_checks import read_table

Rows = list[dict[str, str]]


def _number(text: str) -> float:
    return math.nan if text == "" else float(text)


def _optional(text: str) -> str | None:
    return text or None


def _rows(files: Mapping[str, bytes], kind: str) -> Rows:
    return read_table(files[kind])[1] if kind in files else []


def meter_totals(windows: Iterable[TelemetryWindow]) -> dict[str, float]:
    """Each meter's total in its dimension's canonical unit (ft3 -> m3)."""
    totals: dict[str, float] = defaultdict(float)
    for window in windows:
        canonical = CANONICAL_UNIT[dimension_of(window.unit)]
        totals[window.meter_id] += window.value * conversion_factor(window.unit, canonical)
    return dict(totals)


def footprint_inputs(
    files: Mapping[str, bytes], totals: Mapping[str, float], site_id: str
) -> FootprintInputs:
    items = _rows(files, "items")
    bom = _rows(files, "bom")
    factors = _rows(files, "emission_factors")
    mapping = _rows(files, "factor_mapping")
    suppliers = _rows(files, "supplier_footprints")
    site = next(row for row in _rows(files, "sites") if row["site_id"] == site_id)
    technologies = {row["technology"]: row for row in _rows(files, "technology_factors")}
    mix = [row for row in _rows(files, "grid_mixes") if row["grid_region"] == site["grid_region"]]
    machines = [row for row in _rows(files, "machines") if row["site_id"] == site_id]
    meters = [row for row in _rows(files, "meters") if row["site_id"] == site_id]
    uploads = [row for row in _rows(files, "production_counts") if row["site_id"] == site_id]

    energy_meters = [m for m in meters if m["quantity"] != "production_count"]
    replaced = {(u["machine_id"], u["item_id"]): float(u["quantity"]) for u in uploads}
    counters = [m for m in meters if m["quantity"] == "production_count"]
    production = [
        (
            m["machine_id"],
            m["item_id"],
            replaced.get((m["machine_id"], m["item_id"]), totals.get(m["meter_id"], 0.0)),
            "upload"
            if (m["machine_id"], m["item_id"]) in replaced
            else f"telemetry:{m['meter_id']}",
        )
        for m in counters
    ]
    return FootprintInputs(
        items=Items(
            item_id=[r["item_id"] for r in items],
            item_type=[r["item_type"] for r in items],
            declared_unit=[r["declared_unit"] for r in items],
            mass_per_piece_kg=[_number(r["mass_per_piece_kg"]) for r in items],
            standard_time_min=[_number(r["standard_time_min"]) for r in items],
        ),
        bom=BomLines(
            parent_item_id=[r["parent_item_id"] for r in bom],
            child_item_id=[r["child_item_id"] for r in bom],
            quantity=[float(r["quantity"]) for r in bom],
            unit=[r["unit"] for r in bom],
            scrap_rate=[_number(r["scrap_rate"]) for r in bom],
        ),
        emission_factors=EmissionFactors(
            factor_id=[r["factor_id"] for r in factors],
            per_unit=[r["per_unit"] for r in factors],
            co2_kg=[_number(r["co2_kg"]) for r in factors],
            ch4_kg=[_number(r["ch4_kg"]) for r in factors],
            n2o_kg=[_number(r["n2o_kg"]) for r in factors],
            co2e_kg=[_number(r["co2e_kg"]) for r in factors],
            co2e_gwp_set=[_optional(r["co2e_gwp_set"]) for r in factors],
            ch4_origin=[r["ch4_origin"] or "fossil" for r in factors],
            energy_basis=[_optional(r["energy_basis"]) for r in factors],
            source=[r["source"] for r in factors],
            dataset_version=["emission_factors@test"] * len(factors),
        ),
        factor_mapping=FactorMapping(
            item_id=[r["item_id"] for r in mapping], factor_id=[r["factor_id"] for r in mapping]
        ),
        supplier_footprints=SupplierFootprints(
            item_id=[r["item_id"] for r in suppliers],
            supplier=[r["supplier"] for r in suppliers],
            co2e_kg=[float(r["co2e_kg"]) for r in suppliers],
            per_unit=[r["per_unit"] for r in suppliers],
            primary_data_share=[float(r["primary_data_share"]) for r in suppliers],
            pcf_id=[_optional(r["pcf_id"]) for r in suppliers],
            dataset_version=["supplier_footprints@test"] * len(suppliers),
        ),
        site=SiteSettings(
            site_id=site_id,
            grid_region=site["grid_region"],
            electricity_method=ElectricityMethod(site["electricity_method"] or "location"),
            contract_factor_kg_per_kwh=_float_or_none(site["contract_factor_kg_per_kwh"]),
            contract_covered_share=_float_or_none(site["contract_covered_share"]),
            residual_mix_factor_kg_per_kwh=_float_or_none(site["residual_mix_factor_kg_per_kwh"]),
            gas_calorific_value_mj_per_m3=_float_or_none(site["gas_calorific_value_mj_per_m3"]),
            gas_calorific_basis=CalorificBasis(site["gas_calorific_basis"] or "gross"),
            gas_factor_id=_optional(site["gas_factor_id"]),
            gas_upstream_factor_id=_optional(site["gas_upstream_factor_id"]),
            overhead_allocation_key=AllocationKey(site["overhead_allocation_key"] or "units"),
        ),
        grid_mix=GridMix(
            technology=[r["technology"] for r in mix],
            share=[float(r["share"]) for r in mix],
            co2e_kg=[float(technologies[r["technology"]]["co2e_kg"]) for r in mix],
            per_unit=[technologies[r["technology"]]["per_unit"] for r in mix],
        ),
        machines=Machines(
            machine_id=[r["machine_id"] for r in machines],
            process=[r["process"] for r in machines],
            allocation_key=[r["allocation_key"] or "units" for r in machines],
        ),
        meters=MeterTotals(
            meter_id=[m["meter_id"] for m in energy_meters],
            machine_id=[_optional(m["machine_id"]) for m in energy_meters],
            quantity=[m["quantity"] for m in energy_meters],
            unit=[CANONICAL_UNIT[dimension_of(m["unit"])] for m in energy_meters],
            total=[totals.get(m["meter_id"], 0.0) for m in energy_meters],
            completeness=[1.0] * len(energy_meters),
            windows_hash=[""] * len(energy_meters),
        ),
        production=ProductionCounts(
            machine_id=[p[0] for p in production],
            item_id=[p[1] for p in production],
            quantity=[p[2] for p in production],
            source=[p[3] for p in production],
        ),
    )


def _float_or_none(text: str) -> float | None:
    return None if text == "" else float(text)
