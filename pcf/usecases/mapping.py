"""The mapped factor set: which emission factor applies to what the factory consumes, as
of a day (ARCHITECTURE.md, data flow step 5; METHOD.md, sources of emissions).

- **Items** (materials and purchased parts): the supplier-specific footprint first
  (primary data), else the database factor the mapping names, else unmapped. Unmapped
  items are listed with the reason, never dropped.
- **Electricity per site**: location-based from the grid mix, market-based from the
  contract (the uncovered share at the residual mix, else location-based), and which one
  the site's setting uses.
- **Natural gas per site**: CO2, CH4 and N2O per kWh weighted with the GWP set (AR6 by
  default) into kg CO2e per kWh, plus the upstream factor when the site names one.

The rules are not written again here: the set is read from the engine
(``pcf.core.engine.FootprintCalculation``) built on the same dataset versions and the
same assembled inputs as ``pcf.usecases.calculate`` (``current_versions`` as of the day,
``assemble_site_inputs``), with the telemetry and production left out because factors
do not depend on them. So the factor the set gives for an item or a site is the one a
calculation of a period starting that day uses. Only the split of the gas factor into
its gases is computed here, with the core's ``co2e_from_gases``; its total is the
engine's.

The set is written to the curated tier as Parquet, one file per part
(``curated/mapped_factors/<part>/as_of=<day>/build=<build id>/<part>.parquet``; see
``pcf.adapters.object_store``). The build id is a digest of the day, the GWP set and the
dataset version ids, so the same inputs give the same keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from pcf.adapters.object_store import (
    ObjectExistsError,
    ObjectStore,
    mapped_factors_key,
    parquet_bytes,
)
from pcf.adapters.postgres.datasets import DatasetVersion, current_versions, read_dataset
from pcf.core.engine import EngineInputError, FootprintCalculation
from pcf.core.factors import GWP_SETS, co2e_from_gases
from pcf.core.model import MeterTotals, MethodSettings, ProductionCounts
from pcf.core.period import month_period
from pcf.core.units import conversion_factor
from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.validation import typed_schema
from pcf.usecases.calculate import REQUIRED_KINDS, MissingDatasetError
from pcf.usecases.site_inputs import assemble_site_inputs

PARTS = ("items", "electricity", "natural_gas")


class Choice:
    """How an item's factor was chosen (METHOD.md, factor choice per item)."""

    SUPPLIER_PCF = "supplier_pcf"
    DATABASE_FACTOR = "database_factor"
    UNMAPPED = "unmapped"


@dataclass(frozen=True)
class MappedItemFactor:
    """The factor of one material or purchased part, per its declared unit."""

    item_id: str
    item_type: str
    declared_unit: str
    choice: str  # Choice.*
    kg_co2e_per_declared_unit: float | None  # None when unmapped
    supplier: str | None
    factor_id: str | None
    primary_data_share: float | None  # fraction; 0 for a database factor
    gwp_set: str | None  # the GWP set behind the value, when the factor states one
    dataset_version: str | None  # "supplier_footprints@2", "emission_factors@1"
    reason: str


@dataclass(frozen=True)
class SiteElectricityFactor:
    """kg CO2e per kWh of electricity at one site, by both methods."""

    site_id: str
    grid_region: str
    method: str  # the one the site's footprints use: location | market
    kg_co2e_per_kwh: float  # by that method
    location_kg_co2e_per_kwh: float
    market_kg_co2e_per_kwh: float | None  # None without a contract
    grid_mix: str  # "coal 0.4 x 0.82; ..." (share x lifecycle kg CO2e per kWh)
    reason: str


@dataclass(frozen=True)
class SiteNaturalGasFactor:
    """kg CO2e per kWh of natural gas burnt at one site."""

    site_id: str
    factor_id: str | None  # None: the site names no gas factor
    co2_kg_per_kwh: float | None
    ch4_kg_per_kwh: float | None
    n2o_kg_per_kwh: float | None
    ch4_origin: str | None
    gwp_set: str  # used for the gases; a factor given as CO2e states its own
    combustion_kg_co2e_per_kwh: float | None
    upstream_factor_id: str | None
    upstream_kg_co2e_per_kwh: float | None
    kg_co2e_per_kwh: float | None  # combustion + upstream, as the calculation uses it
    kwh_per_m3: float | None  # from the site's calorific value
    calorific_basis: str
    reason: str


@dataclass(frozen=True)
class MappedFactorSet:
    as_of: date
    gwp_set: str
    build_id: str
    dataset_versions: dict[str, DatasetVersion]
    items: tuple[MappedItemFactor, ...]
    electricity: tuple[SiteElectricityFactor, ...]
    natural_gas: tuple[SiteNaturalGasFactor, ...]
    # sites whose factors the engine refused (the calculation would refuse them too)
    problems: tuple[str, ...] = field(default=())

    @property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(i.item_id for i in self.items if i.choice == Choice.UNMAPPED)

    def tables(self) -> dict[str, pa.Table]:
        """Each part as an Arrow table (the curated tier's columns)."""
        parts: dict[str, tuple[Any, ...]] = {
            "items": self.items,
            "electricity": self.electricity,
            "natural_gas": self.natural_gas,
        }
        kinds = {
            "items": MappedItemFactor,
            "electricity": SiteElectricityFactor,
            "natural_gas": SiteNaturalGasFactor,
        }
        tables: dict[str, pa.Table] = {}
        for part, rows in parts.items():
            columns = [f.name for f in dataclasses.fields(kinds[part])]
            table = pa.Table.from_pylist(
                [dataclasses.asdict(row) for row in rows],
                schema=_schema(kinds[part]),
            ).select(columns)
            tables[part] = table.append_column(
                pa.field("as_of", pa.date32(), nullable=False),
                pa.array([self.as_of] * table.num_rows, pa.date32()),
            ).append_column(
                pa.field("build_id", pa.string(), nullable=False),
                pa.array([self.build_id] * table.num_rows, pa.string()),
            )
        return tables


def build_mapped_factors(
    engine: Engine, as_of: date, settings: MethodSettings | None = None
) -> MappedFactorSet:
    """The mapped factor set from the dataset versions in force on ``as_of`` (the ones a
    calculation of a period starting that day pins). Raises ``MissingDatasetError`` when
    a kind the calculation needs has no version valid that day."""
    settings = settings or MethodSettings()
    versions = current_versions(engine, as_of=as_of)
    missing = [kind for kind in REQUIRED_KINDS if kind not in versions]
    if missing:
        raise MissingDatasetError(f"no version valid on {as_of} of: {', '.join(missing)}")
    tables = {
        f.kind: read_dataset(engine, versions[f.kind].id)
        if f.kind in versions
        else typed_schema(FORMATS[f.kind]).empty_table()
        for f in STATIC_FORMATS
    }
    return mapped_factors_from_tables(tables, versions, as_of, settings)


def mapped_factors_from_tables(
    tables: Mapping[str, pa.Table],
    versions: Mapping[str, DatasetVersion],
    as_of: date,
    settings: MethodSettings,
) -> MappedFactorSet:
    """The mapped factor set of typed dataset tables (every static kind) whose versions
    are ``versions``."""
    labels = {
        kind: f"{kind}@{versions[kind].version}" if kind in versions else f"{kind}@none"
        for kind in tables
    }
    electricity: list[SiteElectricityFactor] = []
    natural_gas: list[SiteNaturalGasFactor] = []
    problems: list[str] = []
    items: tuple[MappedItemFactor, ...] | None = None
    for site in tables["sites"].to_pylist():
        site_id = site["site_id"]
        try:
            calculation = _factor_calculation(tables, labels, site, as_of, settings)
        except EngineInputError as error:
            problems.append(f"site {site_id}: {error}")
            continue
        if items is None:  # the items' factors do not depend on the site
            items = _item_factors(calculation, tables["factor_mapping"], labels)
        electricity.append(_electricity(calculation))
        natural_gas.append(_natural_gas(calculation, tables["emission_factors"], settings))
    return MappedFactorSet(
        as_of=as_of,
        gwp_set=settings.gwp_set.value,
        build_id=_build_id(as_of, settings, versions),
        dataset_versions=dict(sorted(versions.items())),
        items=items or (),
        electricity=tuple(sorted(electricity, key=lambda e: e.site_id)),
        natural_gas=tuple(sorted(natural_gas, key=lambda g: g.site_id)),
        problems=tuple(problems),
    )


def write_mapped_factors(store: ObjectStore, mapped: MappedFactorSet) -> dict[str, str]:
    """Write each part of the set to the curated tier; its key by part. A build already
    written (same day, GWP set and versions) is left as it is."""
    keys: dict[str, str] = {}
    for part, table in mapped.tables().items():
        key = mapped_factors_key(part, mapped.as_of, mapped.build_id)
        if store.size(key) is None:
            with contextlib.suppress(ObjectExistsError):  # written meanwhile: same rows
                store.put(key, parquet_bytes(table))
        keys[part] = key
    return keys


def publish_mapped_factors(
    engine: Engine, store: ObjectStore, as_of: date, settings: MethodSettings | None = None
) -> tuple[MappedFactorSet, dict[str, str]]:
    """Build the set as of ``as_of`` and write it to the curated tier: the set and its
    keys by part."""
    mapped = build_mapped_factors(engine, as_of, settings)
    return mapped, write_mapped_factors(store, mapped)


# --- reading the engine ------------------------------------------------------------------


def _factor_calculation(
    tables: Mapping[str, pa.Table],
    labels: Mapping[str, str],
    site: Mapping[str, Any],
    as_of: date,
    settings: MethodSettings,
) -> FootprintCalculation:
    """The engine on the site's inputs as calculate assembles them, without telemetry
    and production (the factors do not depend on them)."""
    period = month_period(f"{as_of:%Y-%m}", site["time_zone"])
    inputs = assemble_site_inputs(tables, labels, site["site_id"], period, (), settings).inputs
    factors_only = dataclasses.replace(
        inputs, meters=MeterTotals.empty(), production=ProductionCounts.empty()
    )
    return FootprintCalculation(factors_only)


def _item_factors(
    calculation: FootprintCalculation, mapping: pa.Table, labels: Mapping[str, str]
) -> tuple[MappedItemFactor, ...]:
    mapped_to = dict(
        zip(
            mapping.column("item_id").to_pylist(),
            mapping.column("factor_id").to_pylist(),
            strict=True,
        )
    )
    leaf = calculation.leaf_factors
    out: list[MappedItemFactor] = []
    for row in sorted(calculation.leaf_rows.tolist(), key=lambda r: str(calculation.item_ids[r])):
        item_id = str(calculation.item_ids[row])
        value = float(leaf.kg_per_declared_unit[row])
        source = leaf.source_id[row]
        common = {
            "item_id": item_id,
            "item_type": str(calculation.item_type[row]),
            "declared_unit": str(calculation.declared_unit[row]),
        }
        gwp = None if leaf.gwp_set[row] is None else str(leaf.gwp_set[row])
        if math.isnan(value) or source is None:
            out.append(
                MappedItemFactor(
                    **common,
                    choice=Choice.UNMAPPED,
                    kg_co2e_per_declared_unit=None,
                    supplier=None,
                    factor_id=None,
                    primary_data_share=None,
                    gwp_set=None,
                    dataset_version=None,
                    reason="unmapped: no supplier footprint and no factor mapping",
                )
            )
        elif str(source).startswith("supplier:"):
            supplier = str(source).removeprefix("supplier:")
            reason = f"supplier_pcf from supplier {supplier}"
            if item_id in mapped_to:
                reason += f" (takes precedence over database factor {mapped_to[item_id]})"
            out.append(
                MappedItemFactor(
                    **common,
                    choice=Choice.SUPPLIER_PCF,
                    kg_co2e_per_declared_unit=value,
                    supplier=supplier,
                    factor_id=None,
                    primary_data_share=float(leaf.primary_share[row]),
                    gwp_set=gwp,
                    dataset_version=labels["supplier_footprints"],
                    reason=reason,
                )
            )
        else:
            factor_id = str(source).removeprefix("factor:")
            out.append(
                MappedItemFactor(
                    **common,
                    choice=Choice.DATABASE_FACTOR,
                    kg_co2e_per_declared_unit=value,
                    supplier=None,
                    factor_id=factor_id,
                    primary_data_share=0.0,
                    gwp_set=gwp,
                    dataset_version=labels["emission_factors"],
                    reason=f"database factor {factor_id} via mapping ({labels['factor_mapping']})",
                )
            )
    return tuple(out)


def _electricity(calculation: FootprintCalculation) -> SiteElectricityFactor:
    site = calculation.inputs.site
    energy = calculation.energy_factors
    mix = calculation.inputs.grid_mix
    parts = [
        f"{mix.technology[i]} {float(mix.share[i]):g} x "
        f"{float(mix.co2e_kg[i]) * conversion_factor('kWh', str(mix.per_unit[i])):g}"
        for i in sorted(range(len(mix)), key=lambda i: str(mix.technology[i]))
    ]
    location = (
        f"location-based {energy.electricity_location_kg_per_kwh:g} "
        f"from grid mix {site.grid_region}"
    )
    if energy.electricity_market_kg_per_kwh is None:
        market = "no market-based factor (no contract)"
    else:
        share = site.contract_covered_share if site.contract_covered_share is not None else 1.0
        rest = (
            f"residual mix {site.residual_mix_factor_kg_per_kwh:g}"
            if site.residual_mix_factor_kg_per_kwh is not None
            else "the location-based factor"
        )
        market = (
            f"market-based {energy.electricity_market_kg_per_kwh:g}: contract "
            f"{site.contract_factor_kg_per_kwh:g} for {share:g} of the kWh, the rest at {rest}"
        )
    return SiteElectricityFactor(
        site_id=site.site_id,
        grid_region=site.grid_region,
        method=energy.electricity_method.value,
        kg_co2e_per_kwh=energy.electricity_kg_per_kwh,
        location_kg_co2e_per_kwh=energy.electricity_location_kg_per_kwh,
        market_kg_co2e_per_kwh=energy.electricity_market_kg_per_kwh,
        grid_mix="; ".join(parts),
        reason=f"{energy.electricity_method.value}-based used; {location}; {market}",
    )


def _natural_gas(
    calculation: FootprintCalculation, factors: pa.Table, settings: MethodSettings
) -> SiteNaturalGasFactor:
    site = calculation.inputs.site
    energy = calculation.energy_factors
    gwp = GWP_SETS[settings.gwp_set]
    without_factor = SiteNaturalGasFactor(
        site_id=site.site_id,
        factor_id=None,
        co2_kg_per_kwh=None,
        ch4_kg_per_kwh=None,
        n2o_kg_per_kwh=None,
        ch4_origin=None,
        gwp_set=gwp.name.value,
        combustion_kg_co2e_per_kwh=None,
        upstream_factor_id=site.gas_upstream_factor_id,
        upstream_kg_co2e_per_kwh=None,
        kg_co2e_per_kwh=None,
        kwh_per_m3=energy.natural_gas_kwh_per_m3,
        calorific_basis=site.gas_calorific_basis.value,
        reason="the site names no natural gas factor",
    )
    if site.gas_factor_id is None:
        return without_factor
    row = _factor_row(factors, site.gas_factor_id)
    to_kwh = conversion_factor("kWh", row["per_unit"])
    gases = [None if row[g] is None else row[g] * to_kwh for g in ("co2_kg", "ch4_kg", "n2o_kg")]
    if row["co2e_kg"] is not None:
        combustion = row["co2e_kg"] * to_kwh
        how = f"given as CO2e ({row['co2e_gwp_set'] or 'GWP set not stated'})"
    else:
        combustion = float(
            co2e_from_gases(
                [row["co2_kg"]], [row["ch4_kg"]], [row["n2o_kg"]], [row["ch4_origin"]], gwp
            )[0]
            * to_kwh
        )
        how = (
            f"CO2 {_g(gases[0])} + CH4 {_g(gases[1])} x "
            f"{gwp.ch4_non_fossil if row['ch4_origin'] == 'non_fossil' else gwp.ch4_fossil:g} + "
            f"N2O {_g(gases[2])} x {gwp.n2o:g} ({gwp.name.value})"
        )
    upstream = None
    reason = f"factor {site.gas_factor_id}: {how} = {combustion:g} kg CO2e/kWh"
    if energy.natural_gas_kg_per_kwh is not None and site.gas_upstream_factor_id is not None:
        upstream = energy.natural_gas_kg_per_kwh - combustion
        reason += f"; upstream {site.gas_upstream_factor_id} {upstream:g}"
    return dataclasses.replace(
        without_factor,
        factor_id=site.gas_factor_id,
        co2_kg_per_kwh=gases[0],
        ch4_kg_per_kwh=gases[1],
        n2o_kg_per_kwh=gases[2],
        ch4_origin=row["ch4_origin"],
        combustion_kg_co2e_per_kwh=combustion,
        upstream_kg_co2e_per_kwh=upstream,
        kg_co2e_per_kwh=energy.natural_gas_kg_per_kwh,
        reason=reason,
    )


def _factor_row(factors: pa.Table, factor_id: str) -> dict[str, Any]:
    for row in factors.to_pylist():
        if row["factor_id"] == factor_id:
            return row  # type: ignore[no-any-return]
    raise EngineInputError(f"natural gas factor {factor_id} not found")  # engine checked it


def _g(value: float | None) -> str:
    return "0" if value is None else f"{value:g}"


def _build_id(
    as_of: date,
    settings: MethodSettings,
    versions: Mapping[str, DatasetVersion],
) -> str:
    document = {
        "as_of": as_of.isoformat(),
        "gwp_set": settings.gwp_set.value,
        "dataset_versions": {kind: v.id for kind, v in sorted(versions.items())},
    }
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return digest[:16]


def _schema(kind: type[Any]) -> pa.Schema:
    types = {
        "str": pa.string(),
        "str | None": pa.string(),
        "float": pa.float64(),
        "float | None": pa.float64(),
    }
    return pa.schema(
        [
            pa.field(f.name, types[str(f.type)], nullable="None" in str(f.type))
            for f in dataclasses.fields(kind)
        ]
    )
