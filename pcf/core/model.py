"""What the engine reads: the inputs of one site and one reference period.

Tables are columnar (one numpy array per column) so the engine works on whole columns;
``Table.to_columns`` / ``from_columns`` turn them into plain JSON lists and back for the
audit record, exactly (floats round-trip through their repr).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from pcf.formats.definitions import (
    AllocationKey,
    CalorificBasis,
    ElectricityMethod,
    GwpSet,
    TelemetryGaps,
)


class Table:
    """A dataclass whose fields are equal-length numpy columns.

    Subclasses declare ``FLOAT_COLUMNS``; every other column holds strings, with None
    for a missing optional value. Missing floats are NaN.
    """

    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for column in dataclasses.fields(self):  # type: ignore[arg-type]
            values = getattr(self, column.name)
            if column.name in self.FLOAT_COLUMNS:
                array = np.asarray(values, dtype=np.float64)
            else:
                array = np.asarray(values, dtype=object)
            object.__setattr__(self, column.name, array)

    def __len__(self) -> int:
        first = dataclasses.fields(self)[0]  # type: ignore[arg-type]
        return len(getattr(self, first.name))

    @classmethod
    def empty(cls) -> Self:
        return cls(**{f.name: [] for f in dataclasses.fields(cls)})  # type: ignore[arg-type]

    def take(self, positions: npt.ArrayLike) -> Self:
        """The rows at ``positions`` (an index array or a boolean mask), in that order."""
        return type(self)(
            **{f.name: getattr(self, f.name)[positions] for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        )

    def to_columns(self) -> dict[str, list[Any]]:
        """Plain lists for JSON: NaN becomes None."""
        columns: dict[str, list[Any]] = {}
        for column in dataclasses.fields(self):  # type: ignore[arg-type]
            values = getattr(self, column.name)
            if column.name in self.FLOAT_COLUMNS:
                columns[column.name] = [None if math.isnan(v) else float(v) for v in values]
            else:
                columns[column.name] = [None if v is None else str(v) for v in values]
        return columns

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]]) -> Self:
        values: dict[str, Any] = {}
        for column in dataclasses.fields(cls):  # type: ignore[arg-type]
            raw = columns[column.name]
            if column.name in cls.FLOAT_COLUMNS:
                values[column.name] = [math.nan if v is None else float(v) for v in raw]
            else:
                values[column.name] = list(raw)
        return cls(**values)


@dataclass(frozen=True, eq=False)
class Items(Table):
    FLOAT_COLUMNS = ("mass_per_piece_kg", "standard_time_min")
    item_id: Any
    item_type: Any
    declared_unit: Any
    mass_per_piece_kg: Any
    standard_time_min: Any


@dataclass(frozen=True, eq=False)
class BomLines(Table):
    FLOAT_COLUMNS = ("quantity", "scrap_rate")
    parent_item_id: Any
    child_item_id: Any
    quantity: Any
    unit: Any
    scrap_rate: Any


@dataclass(frozen=True, eq=False)
class EmissionFactors(Table):
    FLOAT_COLUMNS = ("co2_kg", "ch4_kg", "n2o_kg", "co2e_kg")
    factor_id: Any
    per_unit: Any
    co2_kg: Any
    ch4_kg: Any
    n2o_kg: Any
    co2e_kg: Any
    co2e_gwp_set: Any
    ch4_origin: Any
    energy_basis: Any
    source: Any
    dataset_version: Any  # "emission_factors@<version id>" for the audit trail


@dataclass(frozen=True, eq=False)
class FactorMapping(Table):
    item_id: Any
    factor_id: Any


@dataclass(frozen=True, eq=False)
class SupplierFootprints(Table):
    FLOAT_COLUMNS = ("co2e_kg", "primary_data_share")
    item_id: Any
    supplier: Any
    co2e_kg: Any
    per_unit: Any
    primary_data_share: Any
    pcf_id: Any
    dataset_version: Any


@dataclass(frozen=True, eq=False)
class GridMix(Table):
    """The site's grid region mix joined with each technology's lifecycle factor."""

    FLOAT_COLUMNS = ("share", "co2e_kg")
    technology: Any
    share: Any
    co2e_kg: Any  # kg CO2e per per_unit generated
    per_unit: Any


@dataclass(frozen=True, eq=False)
class Machines(Table):
    machine_id: Any
    process: Any
    allocation_key: Any


@dataclass(frozen=True, eq=False)
class MeterTotals(Table):
    """Each meter's total over the period, from the telemetry store."""

    FLOAT_COLUMNS = ("total", "completeness")
    meter_id: Any
    machine_id: Any  # None: site overhead
    quantity: Any  # electricity | natural_gas
    unit: Any  # canonical unit: kWh or m3
    total: Any
    completeness: Any
    windows_hash: Any


@dataclass(frozen=True, eq=False)
class ProductionCounts(Table):
    """Units produced per machine and item in the period, in the item's declared unit."""

    FLOAT_COLUMNS = ("quantity",)
    machine_id: Any
    item_id: Any
    quantity: Any
    source: Any  # "telemetry:<meter id>" or "upload:production_counts@<version id>"


@dataclass(frozen=True)
class SiteSettings:
    site_id: str
    grid_region: str
    electricity_method: ElectricityMethod = ElectricityMethod.LOCATION
    contract_factor_kg_per_kwh: float | None = None
    contract_covered_share: float | None = None
    residual_mix_factor_kg_per_kwh: float | None = None
    gas_calorific_value_mj_per_m3: float | None = None
    gas_calorific_basis: CalorificBasis = CalorificBasis.GROSS
    gas_factor_id: str | None = None
    gas_upstream_factor_id: str | None = None
    overhead_allocation_key: AllocationKey = AllocationKey.UNITS


@dataclass(frozen=True)
class MethodSettings:
    """Choices the method leaves open; recorded in every result."""

    gwp_set: GwpSet = GwpSet.AR6
    telemetry_gaps: TelemetryGaps = TelemetryGaps.LEAVE


@dataclass(frozen=True, eq=False)
class FootprintInputs:
    """Everything one site-period calculation reads. Nothing else affects the numbers."""

    items: Items
    bom: BomLines
    emission_factors: EmissionFactors
    factor_mapping: FactorMapping
    supplier_footprints: SupplierFootprints
    site: SiteSettings
    grid_mix: GridMix
    machines: Machines
    meters: MeterTotals
    production: ProductionCounts
    settings: MethodSettings = field(default_factory=MethodSettings)

    _TABLES: ClassVar[dict[str, type[Table]]] = {
        "items": Items,
        "bom": BomLines,
        "emission_factors": EmissionFactors,
        "factor_mapping": FactorMapping,
        "supplier_footprints": SupplierFootprints,
        "grid_mix": GridMix,
        "machines": Machines,
        "meters": MeterTotals,
        "production": ProductionCounts,
    }

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready document from which ``from_record`` rebuilds equal inputs."""
        record: dict[str, Any] = {name: getattr(self, name).to_columns() for name in self._TABLES}
        record["site"] = dataclasses.asdict(self.site)
        record["settings"] = dataclasses.asdict(self.settings)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> FootprintInputs:
        tables = {name: table.from_columns(record[name]) for name, table in cls._TABLES.items()}
        site = dict(record["site"])
        site["electricity_method"] = ElectricityMethod(site["electricity_method"])
        site["gas_calorific_basis"] = CalorificBasis(site["gas_calorific_basis"])
        site["overhead_allocation_key"] = AllocationKey(site["overhead_allocation_key"])
        settings = dict(record["settings"])
        settings["gwp_set"] = GwpSet(settings["gwp_set"])
        settings["telemetry_gaps"] = TelemetryGaps(settings.get("telemetry_gaps", "leave"))
        return cls(
            site=SiteSettings(**site),
            settings=MethodSettings(**settings),
            **tables,  # type: ignore[arg-type]
        )
