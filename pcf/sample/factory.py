"""A seeded, realistic sample factory: the static CSV files and a month of telemetry.

Two pump plants (Berlin on a coal-heavy grid, location-based; Chicago, market-based with
a wind contract), each with component machines (cutting, machining, moulding),
sub-assembly machines (painting with a gas-fired oven, welding, assembly) and final
assembly lines; three-level BOMs with shared sub-assemblies; one-minute windows for every
meter: machine electricity (idle base load, running load in shifts, start-up peaks), oven
and space-heating gas, production counters, and site overhead (HVAC, compressed air,
lighting). Shifts: two on weekdays at both sites, plus a Saturday morning in Berlin;
no production on weekends and public holidays.

Usage::

    files = generate_static_files(SMALL)            # {"items": b"item_id,...", ...}
    for batch in generate_telemetry(SMALL):         # one local day of one site a batch
        store.write_windows(batch)

The same spec always gives the same bytes and the same windows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import date

import numpy as np
import numpy.typing as npt

from pcf.core.telemetry import TelemetryWindow
from pcf.formats.definitions import STATIC_FORMATS, ItemType
from pcf.sample.csv_files import Cell, csv_bytes
from pcf.sample.plant import MeterRole, Plant, PlantMachine, PlantMeter, build_plant
from pcf.sample.profiles import (
    SiteDay,
    gas_volume,
    heating_gas_kwh,
    machine_electricity_kwh,
    machine_running,
    oven_gas_kwh,
    overhead_kwh,
    production_pieces,
    site_day,
    windows_in_day,
)
from pcf.sample.reference import (
    FACTORS,
    GAS_FACTOR_ID,
    GRID_MIX_SOURCE,
    GRID_MIX_YEAR,
    GRID_MIXES_PER_MILLE,
    MATERIALS,
    PURCHASED_PARTS,
    TECHNOLOGIES,
    SiteProfile,
)
from pcf.sample.spec import DEFAULT, PRESETS, SMALL, FactorySpec

__all__ = [
    "DEFAULT",
    "PRESETS",
    "SMALL",
    "FactorySpec",
    "generate_static_files",
    "generate_telemetry",
    "telemetry_window_count",
]

Rows = list[dict[str, Cell]]

# Random streams, one per purpose, so adding a meter does not change the others' data.
_STREAM_METER = 2
_STREAM_MACHINE_RUNNING = 3


# -- static files ------------------------------------------------------------------------


def generate_static_files(spec: FactorySpec = DEFAULT) -> dict[str, bytes]:
    """Every static kind (``STATIC_FORMATS``, in load order) as CSV file content."""
    plant = build_plant(spec)
    rows: Mapping[str, Rows] = {
        "items": _items(plant),
        "bom": _bom(plant),
        "emission_factors": _emission_factors(),
        "factor_mapping": _factor_mapping(plant),
        "supplier_footprints": _supplier_footprints(plant),
        "technology_factors": _technology_factors(),
        "grid_mixes": _grid_mixes(plant),
        "sites": _sites(plant),
        "machines": _machines(plant),
        "meters": _meters(plant),
        "production_counts": _production_counts(plant),
    }
    return {f.kind: csv_bytes(f, rows[f.kind]) for f in STATIC_FORMATS}


def _items(plant: Plant) -> Rows:
    return [
        {
            "item_id": item.item_id,
            "name": item.name,
            "item_type": item.item_type.value,
            "declared_unit": item.declared_unit,
            "mass_per_piece_kg": item.mass_per_piece_kg,
            "standard_time_min": item.standard_time_min,
            "product_ids": item.product_ids,
            "cpc_code": item.cpc_code,
        }
        for item in plant.items
    ]


def _bom(plant: Plant) -> Rows:
    return [
        {
            "parent_item_id": line.parent_item_id,
            "child_item_id": line.child_item_id,
            "quantity": line.quantity,
            "unit": line.unit,
            "scrap_rate": line.scrap_rate,
        }
        for line in plant.bom
    ]


def _emission_factors() -> Rows:
    return [
        {
            "factor_id": f.factor_id,
            "name": f.name,
            "per_unit": f.per_unit,
            "co2_kg": f.co2_kg,
            "ch4_kg": f.ch4_kg,
            "n2o_kg": f.n2o_kg,
            "co2e_kg": f.co2e_kg,
            "co2e_gwp_set": f.co2e_gwp_set,
            "ch4_origin": "fossil" if f.ch4_kg is not None else None,
            "energy_basis": f.energy_basis,
            "source": f.source,
            "year": f.year,
        }
        for f in FACTORS
    ]


def _bought(plant: Plant) -> list[str]:
    return [
        item.item_id
        for item in plant.items
        if item.item_type in (ItemType.MATERIAL, ItemType.PURCHASED_PART)
    ]


def _factor_mapping(plant: Plant) -> Rows:
    rows: Rows = []
    for item_id in _bought(plant):
        factor_id = (
            MATERIALS[item_id].factor_id
            if item_id in MATERIALS
            else PURCHASED_PARTS[item_id].factor_id
        )
        if factor_id is not None:
            rows.append({"item_id": item_id, "factor_id": factor_id})
    return rows


def _supplier_footprints(plant: Plant) -> Rows:
    # The suppliers' footprints refer to the calendar year before the sample's month.
    year = plant.spec.period_start.year - 1
    rows: Rows = []
    for item_id in _bought(plant):
        part = PURCHASED_PARTS.get(item_id)
        if part is None or part.supplier is None:
            continue
        pcf_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:pact:{plant.spec.namespace}:pcf:{item_id}")
        rows.append(
            {
                "item_id": item_id,
                "supplier": part.supplier,
                "co2e_kg": part.supplier_co2e_kg,
                "per_unit": part.supplier_per_unit,
                "primary_data_share": part.primary_data_share,
                "period_start": date(year, 1, 1),
                "period_end": date(year, 12, 31),
                "pcf_id": str(pcf_id),
            }
        )
    return rows


def _technology_factors() -> Rows:
    return [
        {
            "technology": technology,
            "co2e_kg": kg_per_mwh,
            "per_unit": "MWh",
            "source": source,
            "year": year,
        }
        for technology, (kg_per_mwh, source, year) in TECHNOLOGIES.items()
    ]


def _grid_mixes(plant: Plant) -> Rows:
    return [
        {
            "grid_region": site.grid_region,
            "technology": technology,
            "share": per_mille / 1000,
            "source": GRID_MIX_SOURCE,
            "year": GRID_MIX_YEAR,
        }
        for site in plant.sites
        for technology, per_mille in GRID_MIXES_PER_MILLE[site.grid_region].items()
    ]


def _sites(plant: Plant) -> Rows:
    return [
        {
            "site_id": site.site_id,
            "name": site.name,
            "time_zone": site.time_zone,
            "grid_region": site.grid_region,
            "electricity_method": site.electricity_method,
            "contract_factor_kg_per_kwh": site.contract_factor_kg_per_kwh,
            "contract_covered_share": site.contract_covered_share,
            "residual_mix_factor_kg_per_kwh": site.residual_mix_factor_kg_per_kwh,
            "gas_calorific_value_mj_per_m3": site.gas_calorific_value_mj_per_m3,
            "gas_calorific_basis": "gross",
            "gas_factor_id": GAS_FACTOR_ID,
            "overhead_allocation_key": site.overhead_allocation_key,
        }
        for site in plant.sites
    ]


def _machines(plant: Plant) -> Rows:
    return [
        {
            "machine_id": machine.machine_id,
            "site_id": machine.site_id,
            "name": machine.name,
            "process": machine.process,
            "allocation_key": machine.allocation_key,
        }
        for machine in plant.machines
    ]


def _meters(plant: Plant) -> Rows:
    return [
        {
            "meter_id": meter.meter_id,
            "site_id": meter.site_id,
            "machine_id": meter.machine_id,
            "quantity": meter.quantity.value,
            "unit": meter.unit,
            "item_id": meter.item_id,
            "window_seconds": plant.spec.window_seconds,
        }
        for meter in plant.meters
    ]


def _production_counts(plant: Plant) -> Rows:
    count = plant.uploaded_count
    return [
        {
            "site_id": count.site_id,
            "machine_id": count.machine_id,
            "item_id": count.item_id,
            "period_start": plant.spec.period_start,
            "period_end": plant.spec.period_end,
            "quantity": count.quantity,
        }
    ]


# -- telemetry ----------------------------------------------------------------------------


def telemetry_window_count(spec: FactorySpec = DEFAULT) -> int:
    """How many windows ``generate_telemetry(spec)`` yields in all, for progress bars."""
    plant = build_plant(spec)
    return sum(
        windows_in_day(site, day, spec.window_seconds) * len(plant.meters_at(site.site_id))
        for site in plant.sites
        for day in spec.telemetry_days
    )


def generate_telemetry(spec: FactorySpec = DEFAULT) -> Iterator[list[TelemetryWindow]]:
    """Windows of every meter, one batch per local day and site (days in order, sites in
    order within a day); in a batch, meter by meter in meter-id order, then by time.

    Revision 0, ``samples_received`` = one sample a second, nothing dropped.
    """
    plant = build_plant(spec)
    for day in spec.telemetry_days:
        for site_index, site in enumerate(plant.sites):
            yield _site_day_windows(plant, site_index, site, day)


def _site_day_windows(
    plant: Plant, site_index: int, site: SiteProfile, day: date
) -> list[TelemetryWindow]:
    spec = plant.spec
    grid = site_day(site, day, spec.window_seconds)
    machines = {machine.machine_id: machine for machine in plant.machines_at(site.site_id)}
    running = {
        machine_id: machine_running(
            grid,
            np.random.default_rng(
                [spec.seed, _STREAM_MACHINE_RUNNING, site_index, day.toordinal(), index]
            ),
        )
        for index, machine_id in enumerate(machines)
    }
    starts, ends = grid.boundaries[:-1], grid.boundaries[1:]
    windows: list[TelemetryWindow] = []
    for meter_index, meter in enumerate(plant.meters_at(site.site_id)):
        rng = np.random.default_rng(
            [spec.seed, _STREAM_METER, site_index, day.toordinal(), meter_index]
        )
        values = _meter_values(grid, meter, machines, running, rng)
        windows.extend(
            TelemetryWindow(
                site_id=meter.site_id,
                machine_id=meter.machine_id,
                meter_id=meter.meter_id,
                quantity=meter.quantity,
                item_id=meter.item_id,
                window_start=start,
                window_end=end,
                value=value,
                unit=meter.unit,
                revision=0,
                samples_received=spec.window_seconds,
                samples_dropped=0,
            )
            for start, end, value in zip(starts, ends, values.tolist(), strict=True)
        )
    return windows


def _meter_values(
    grid: SiteDay,
    meter: PlantMeter,
    machines: Mapping[str, PlantMachine],
    running: Mapping[str, npt.NDArray[np.bool_]],
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """The meter's reading in each window of the site-day."""
    if meter.machine_id is None:
        if meter.role is MeterRole.HEATING:
            return gas_volume(heating_gas_kwh(grid, len(machines), rng), grid.site, meter.unit)
        return overhead_kwh(grid, meter, len(machines), rng)
    machine = machines[meter.machine_id]
    if meter.role is MeterRole.MACHINE_ELECTRICITY:
        return machine_electricity_kwh(grid, machine, running[machine.machine_id], rng)
    if meter.role is MeterRole.MACHINE_GAS:
        return gas_volume(oven_gas_kwh(grid, machine, rng), grid.site, meter.unit)
    rate = machine.units_per_running_minute[machine.item_ids.index(str(meter.item_id))]
    return production_pieces(grid, rate, running[machine.machine_id], rng)
