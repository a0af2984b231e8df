"""Builders of small engine inputs from rows, so each test states only what it varies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pcf.core.model import (
    BomLines,
    EmissionFactors,
    FactorMapping,
    FootprintInputs,
    GridMix,
    Items,
    Machines,
    MeterTotals,
    MethodSettings,
    ProductionCounts,
    SiteSettings,
    SupplierFootprints,
)

NAN = float("nan")


def _columns(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def items(*rows: tuple[Any, ...]) -> Items:
    """(item_id, item_type, declared_unit[, mass_per_piece_kg[, standard_time_min]])"""
    padded = [(*r, *([NAN] * (5 - len(r)))) for r in rows]
    return Items(**_columns(padded, [f.name for f in dataclasses.fields(Items)]))


def bom(*rows: tuple[Any, ...]) -> BomLines:
    """(parent, child, quantity, unit[, scrap_rate])"""
    padded = [(*r, *([0.0] * (5 - len(r)))) for r in rows]
    return BomLines(**_columns(padded, [f.name for f in dataclasses.fields(BomLines)]))


def co2e_factor(
    factor_id: str, per_unit: str, co2e_kg: float, gwp_set: str = "AR6"
) -> tuple[Any, ...]:
    return (factor_id, per_unit, NAN, NAN, NAN, co2e_kg, gwp_set, "fossil", None, "test", "ef@1")


def gas_factor(
    factor_id: str,
    per_unit: str,
    co2: float,
    ch4: float,
    n2o: float,
    ch4_origin: str = "fossil",
    basis: str | None = "gross",
) -> tuple[Any, ...]:
    return (factor_id, per_unit, co2, ch4, n2o, NAN, None, ch4_origin, basis, "test", "ef@1")


def factors(*rows: tuple[Any, ...]) -> EmissionFactors:
    return EmissionFactors(**_columns(rows, [f.name for f in dataclasses.fields(EmissionFactors)]))


def mapping(*pairs: tuple[str, str]) -> FactorMapping:
    return FactorMapping(**_columns(pairs, ["item_id", "factor_id"]))


def suppliers(*rows: tuple[str, float, str, float]) -> SupplierFootprints:
    """(item_id, co2e_kg, per_unit, primary_data_share)"""
    full = [(r[0], "supplier", r[1], r[2], r[3], None, "sf@1") for r in rows]
    return SupplierFootprints(
        **_columns(full, [f.name for f in dataclasses.fields(SupplierFootprints)])
    )


def machines(*rows: tuple[str, ...]) -> Machines:
    """(machine_id[, allocation_key])"""
    full = [(r[0], "process", r[1] if len(r) > 1 else "units") for r in rows]
    return Machines(**_columns(full, ["machine_id", "process", "allocation_key"]))


def meters(*rows: tuple[Any, ...]) -> MeterTotals:
    """(meter_id, machine_id or None, quantity, unit, total)"""
    full = [(*r, 1.0, "") for r in rows]
    return MeterTotals(**_columns(full, [f.name for f in dataclasses.fields(MeterTotals)]))


def production(*rows: tuple[str, str, float]) -> ProductionCounts:
    """(machine_id, item_id, quantity)"""
    full = [(*r, "test") for r in rows]
    return ProductionCounts(**_columns(full, ["machine_id", "item_id", "quantity", "source"]))


ONE_KG_PER_KWH_GRID = GridMix(technology=["t"], share=[1.0], co2e_kg=[1.0], per_unit=["kWh"])


def inputs(**overrides: Any) -> FootprintInputs:
    """Empty inputs on a grid of exactly 1 kg CO2e/kWh, with the given tables replaced."""
    defaults: dict[str, Any] = {
        "items": Items.empty(),
        "bom": BomLines.empty(),
        "emission_factors": EmissionFactors.empty(),
        "factor_mapping": FactorMapping.empty(),
        "supplier_footprints": SupplierFootprints.empty(),
        "site": SiteSettings(site_id="S", grid_region="R"),
        "grid_mix": ONE_KG_PER_KWH_GRID,
        "machines": Machines.empty(),
        "meters": MeterTotals.empty(),
        "production": ProductionCounts.empty(),
        "settings": MethodSettings(),
    }
    defaults.update(overrides)
    return FootprintInputs(**defaults)
