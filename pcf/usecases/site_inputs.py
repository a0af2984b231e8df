"""Assemble the engine's inputs for one site and period from dataset tables and telemetry.

Dataset tables are the typed pyarrow tables of the current dataset versions (the same
shape the validator produces and the store returns). Telemetry arrives as per-meter
period totals from the telemetry store.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pcf.core.engine import EngineInputError
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
    Table,
)
from pcf.core.period import ReferencePeriod
from pcf.core.telemetry import MeterPeriodTotal
from pcf.core.units import quantity_factors
from pcf.formats.definitions import (
    AllocationKey,
    CalorificBasis,
    ElectricityMethod,
    MeterQuantity,
)

_T = TypeVar("_T", bound=Table)


@dataclass(frozen=True)
class SiteInputs:
    inputs: FootprintInputs
    time_zone: str
    meter_totals: tuple[MeterPeriodTotal, ...]
    warnings: tuple[str, ...] = field(default=())


def _column(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist()  # type: ignore[no-any-return]


def _floats(table: pa.Table, name: str) -> list[float]:
    return [math.nan if v is None else float(v) for v in _column(table, name)]


def _engine_table(kind: type[_T], table: pa.Table, **overrides: Sequence[Any]) -> _T:
    """An engine table from the typed dataset table whose columns carry the same names
    (``overrides`` for the columns the dataset does not have)."""
    columns = {
        f.name: overrides[f.name]
        if f.name in overrides
        else (_floats(table, f.name) if f.name in kind.FLOAT_COLUMNS else _column(table, f.name))
        for f in dataclasses.fields(kind)  # type: ignore[arg-type]
    }
    return kind(**columns)


def _rows_where(table: pa.Table, column: str, values: Sequence[Any]) -> pa.Table:
    return table.filter(pc.is_in(table.column(column), value_set=pa.array(values)))


def supplier_provenance(suppliers: pa.Table, version_label: str) -> list[str]:
    """Each supplier footprint's label for the audit trail: its dataset version, and for
    a footprint imported from PACT where it came from (docs/decisions/0013), e.g.
    ``supplier_footprints@4 (PACT 3.0.3 Active, pcfExcludingBiogenicUptake, from upload
    5c1e..., retrieved 2026-11-23T01:02:03Z)``. The engine reads only the numbers."""
    if "source" not in suppliers.column_names:
        return [version_label] * suppliers.num_rows
    labels = []
    for row in suppliers.select(
        [
            "source",
            "retrieved_at",
            "pact_spec_version",
            "pact_status",
            "pact_version",
            "pact_figure",
        ]
    ).to_pylist():
        if row["source"] is None:
            labels.append(version_label)
            continue
        pact = " ".join(
            str(part) for part in (row["pact_spec_version"], row["pact_status"]) if part is not None
        )
        if row["pact_version"] is not None:
            pact += f" version {row['pact_version']}"
        retrieved = (
            f", retrieved {row['retrieved_at'].strftime('%Y-%m-%dT%H:%M:%SZ')}"
            if row["retrieved_at"] is not None
            else ""
        )
        labels.append(
            f"{version_label} (PACT {pact}, {row['pact_figure']}, from {row['source']}{retrieved})"
        )
    return labels


def site_row(sites: pa.Table, site_id: str) -> dict[str, Any]:
    rows = _rows_where(sites, "site_id", [site_id]).to_pylist()
    if not rows:
        raise EngineInputError(f"unknown site {site_id}")
    return rows[0]  # type: ignore[no-any-return]


def assemble_site_inputs(
    tables: Mapping[str, pa.Table],
    versions: Mapping[str, str],
    site_id: str,
    period: ReferencePeriod,
    meter_totals: Sequence[MeterPeriodTotal],
    settings: MethodSettings,
) -> SiteInputs:
    """The engine inputs of ``site_id`` in ``period``.

    ``versions`` labels each kind's dataset version (``items@3``) for the audit trail.
    Production counts come from the production counters; an uploaded count for the same
    machine, item and period replaces the counter's (METHOD.md, Allocation).
    """
    site = site_row(tables["sites"], site_id)
    warnings: list[str] = []

    items = _engine_table(Items, tables["items"])
    bom = _engine_table(BomLines, tables["bom"])

    mapping_table = tables["factor_mapping"]
    needed_factors = set(_column(mapping_table, "factor_id"))
    needed_factors.update(
        f for f in (site["gas_factor_id"], site["gas_upstream_factor_id"]) if f is not None
    )
    factor_table = _rows_where(tables["emission_factors"], "factor_id", sorted(needed_factors))
    emission_factors = _engine_table(
        EmissionFactors,
        factor_table,
        dataset_version=[versions["emission_factors"]] * factor_table.num_rows,
    )
    factor_mapping = _engine_table(FactorMapping, mapping_table)
    supplier_table = tables["supplier_footprints"]
    supplier_footprints = _engine_table(
        SupplierFootprints,
        supplier_table,
        dataset_version=supplier_provenance(supplier_table, versions["supplier_footprints"]),
    )

    mix = _rows_where(tables["grid_mixes"], "grid_region", [site["grid_region"]])
    technologies = tables["technology_factors"]
    technology_factor = dict(
        zip(
            _column(technologies, "technology"),
            zip(_floats(technologies, "co2e_kg"), _column(technologies, "per_unit"), strict=True),
            strict=True,
        )
    )
    grid_mix = GridMix(
        technology=_column(mix, "technology"),
        share=_floats(mix, "share"),
        co2e_kg=[technology_factor[t][0] for t in _column(mix, "technology")],
        per_unit=[technology_factor[t][1] for t in _column(mix, "technology")],
    )

    machine_table = _rows_where(tables["machines"], "site_id", [site_id])
    machines = _engine_table(Machines, machine_table)

    meter_table = _rows_where(tables["meters"], "site_id", [site_id])
    meter_rows = {row["meter_id"]: row for row in meter_table.to_pylist()}
    totals = {total.meter_id: total for total in meter_totals}
    unknown = sorted(set(totals) - set(meter_rows))
    if unknown:
        warnings.append(
            f"telemetry from meters not in the meters data set was not used: {', '.join(unknown)}"
        )
    energy_meters = [
        row for row in meter_rows.values() if row["quantity"] != MeterQuantity.PRODUCTION_COUNT
    ]
    silent = sorted(row["meter_id"] for row in meter_rows.values() if row["meter_id"] not in totals)
    if silent:
        warnings.append(f"no telemetry in the period from meters: {', '.join(silent)}")
    meters = MeterTotals(
        meter_id=[row["meter_id"] for row in energy_meters],
        machine_id=[row["machine_id"] for row in energy_meters],
        quantity=[row["quantity"] for row in energy_meters],
        unit=[_meter_unit(row, totals) for row in energy_meters],
        total=[_meter_total(row["meter_id"], totals) for row in energy_meters],
        completeness=[
            totals[row["meter_id"]].completeness if row["meter_id"] in totals else 0.0
            for row in energy_meters
        ],
        windows_hash=[
            totals[row["meter_id"]].windows_hash if row["meter_id"] in totals else None
            for row in energy_meters
        ],
    )

    production = _production_counts(
        items, meter_rows, totals, tables["production_counts"], versions, site_id, period
    )
    site_settings = SiteSettings(
        site_id=site_id,
        grid_region=site["grid_region"],
        electricity_method=ElectricityMethod(site["electricity_method"]),
        contract_factor_kg_per_kwh=site["contract_factor_kg_per_kwh"],
        contract_covered_share=site["contract_covered_share"],
        residual_mix_factor_kg_per_kwh=site["residual_mix_factor_kg_per_kwh"],
        gas_calorific_value_mj_per_m3=site["gas_calorific_value_mj_per_m3"],
        gas_calorific_basis=CalorificBasis(site["gas_calorific_basis"]),
        gas_factor_id=site["gas_factor_id"],
        gas_upstream_factor_id=site["gas_upstream_factor_id"],
        overhead_allocation_key=AllocationKey(site["overhead_allocation_key"]),
    )
    inputs = FootprintInputs(
        items=items,
        bom=bom,
        emission_factors=emission_factors,
        factor_mapping=factor_mapping,
        supplier_footprints=supplier_footprints,
        site=site_settings,
        grid_mix=grid_mix,
        machines=machines,
        meters=meters,
        production=production,
        settings=settings,
    )
    return SiteInputs(
        inputs, site["time_zone"], tuple(totals[m] for m in sorted(totals)), tuple(warnings)
    )


def _meter_unit(row: Mapping[str, Any], totals: Mapping[str, MeterPeriodTotal]) -> str:
    total = totals.get(row["meter_id"])
    if total is not None:
        return total.unit
    return "m3" if row["unit"] in ("m3", "ft3", "L") else "kWh"


def _meter_total(meter_id: str, totals: Mapping[str, MeterPeriodTotal]) -> float:
    total = totals.get(meter_id)
    return float(total.total) if total is not None else 0.0


def _production_counts(
    items: Items,
    meter_rows: Mapping[str, Mapping[str, Any]],
    totals: Mapping[str, MeterPeriodTotal],
    uploaded: pa.Table,
    versions: Mapping[str, str],
    site_id: str,
    period: ReferencePeriod,
) -> ProductionCounts:
    counted: dict[tuple[str, str], tuple[float, str]] = {}
    counters = [
        row
        for row in meter_rows.values()
        if row["quantity"] == MeterQuantity.PRODUCTION_COUNT and row["meter_id"] in totals
    ]
    if counters:
        item_position = {item: i for i, item in enumerate(items.item_id)}
        item_rows = np.array([item_position[row["item_id"]] for row in counters])
        # counters report pieces or mass; footprints are per the item's declared unit
        factors, bad = quantity_factors(
            [totals[row["meter_id"]].unit for row in counters],
            items.declared_unit[item_rows],
            items.mass_per_piece_kg[item_rows],
        )
        if bad.any():
            names = [row["meter_id"] for row, b in zip(counters, bad, strict=True) if b]
            raise EngineInputError(
                f"production counters whose unit does not fit their item: {', '.join(names)}"
            )
        for row, factor in zip(counters, factors, strict=True):
            key = (row["machine_id"], row["item_id"])
            previous = counted.get(key, (0.0, ""))[0]
            quantity = previous + float(totals[row["meter_id"]].total) * float(factor)
            counted[key] = (quantity, f"telemetry:{row['meter_id']}")

    uploads = uploaded.filter(
        pc.and_(
            pc.equal(uploaded.column("site_id"), site_id),
            pc.and_(
                pc.equal(uploaded.column("period_start"), pa.scalar(period.first_day)),
                pc.equal(uploaded.column("period_end"), pa.scalar(period.day_after)),
            ),
        )
    )
    for row in uploads.to_pylist():
        counted[(row["machine_id"], row["item_id"])] = (
            float(row["quantity"]),
            f"upload:{versions['production_counts']}",
        )
    keys = sorted(counted)
    return ProductionCounts(
        machine_id=[k[0] for k in keys],
        item_id=[k[1] for k in keys],
        quantity=[counted[k][0] for k in keys],
        source=[counted[k][1] for k in keys],
    )
