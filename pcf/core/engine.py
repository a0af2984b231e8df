"""The footprint engine: every item of one site and period in one pass over the BOM.

The computation follows METHOD.md in named steps:

1. ``_index_items``: items in canonical order (BOM height, then id), so children come
   before parents and an item's position relative to its descendants never depends on
   what else is in the BOM (this is what makes recomputation from an audit record,
   which holds only the item's own sub-graph, bit-identical).
2. ``_build_technosphere``: the BOM as a sparse matrix A, A[parent, child] = quantity x
   (1 + scrap) in the child's declared unit.
3. ``_map_leaf_factors``: each material or purchased part gets its kg CO2e per declared
   unit: the supplier footprint first, else the mapped database factor, else unmapped.
4. ``_site_energy_factors``: electricity (location- and market-based) and natural gas.
5. ``_allocate_energy``: each meter's energy to the units produced at the site.
6. ``_direct_emissions``: matrix D (items x sources): what one declared unit of an item
   emits itself, per source (a leaf item's factor, or a meter's allocated energy).
7. ``_solve``: F = D + A F level by level (F = (I - A)^-1 D), for the categories and the
   auxiliary columns (primary data, embodied kWh, incompleteness) at once.
8. ``footprint``: reads one item's result, with the breakdown by source computed from its
   exploded quantities on request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pcf.core.arrays import KeyIndex, concatenated_ranges
from pcf.core.bom import item_heights
from pcf.core.factors import (
    GWP_SETS,
    co2e_from_gases,
    gas_kwh_per_m3,
    location_based_grid_factor,
    market_based_electricity_factor,
)
from pcf.core.model import FootprintInputs
from pcf.core.units import (
    Dimension,
    conversion_factor,
    conversion_factors,
    dimension_of,
    dimensions_of,
    quantity_factors,
)
from pcf.formats.definitions import (
    IN_HOUSE_ITEM_TYPES,
    AllocationKey,
    ElectricityMethod,
    ItemType,
    MeterQuantity,
    TelemetryGaps,
)


class Category(StrEnum):
    MATERIALS = "materials"
    PURCHASED_PARTS = "purchased_parts"
    ELECTRICITY = "electricity"
    NATURAL_GAS = "natural_gas"


CATEGORIES: tuple[Category, ...] = tuple(Category)

# Columns of the right-hand side solved in one pass: the four categories, then the
# auxiliary quantities that propagate through the BOM exactly like emissions do.
_PRIMARY = len(CATEGORIES)  # kg CO2e from primary data
_ELECTRICITY_KWH = _PRIMARY + 1  # embodied metered electricity, kWh
_GAS_KWH = _PRIMARY + 2  # embodied metered natural gas, kWh
_GAPS = _PRIMARY + 3  # > 0 when an unmapped or unproduced item lies below
_COLUMNS = _PRIMARY + 4


class EngineInputError(ValueError):
    """The inputs cannot give a footprint (unit mismatch, missing factor, ...)."""


@dataclass(frozen=True)
class SiteEnergyFactors:
    """kg CO2e per kWh of each carrier at the site, with how each was obtained."""

    electricity_location_kg_per_kwh: float
    electricity_market_kg_per_kwh: float | None
    electricity_method: ElectricityMethod
    natural_gas_kg_per_kwh: float | None
    natural_gas_kwh_per_m3: float | None

    @property
    def electricity_kg_per_kwh(self) -> float:
        if self.electricity_method is ElectricityMethod.MARKET:
            assert self.electricity_market_kg_per_kwh is not None
            return self.electricity_market_kg_per_kwh
        return self.electricity_location_kg_per_kwh


@dataclass(frozen=True)
class SourceContribution:
    """What one source adds to one declared unit of an item."""

    category: Category
    source_kind: str  # "item" (a material or purchased part) or "meter"
    source_id: str
    machine_id: str | None  # the meter's machine; None for items and site overhead
    amount: float  # exploded quantity of the item (its declared unit) or kWh of the meter
    amount_unit: str
    kg_co2e: float


@dataclass(frozen=True)
class ItemFootprint:
    """The footprint of one declared unit of one item at the site in the period."""

    item_id: str
    item_type: str
    declared_unit: str
    units_produced: float
    total_kg_co2e: float
    by_category: dict[str, float]
    primary_data_share: float | None  # None when the total is zero
    electricity_kwh: float
    natural_gas_kwh: float
    electricity_location_kg_co2e: float
    electricity_market_kg_co2e: float | None
    complete: bool
    notes: tuple[str, ...]
    gwp_sets: tuple[str, ...]
    by_source: tuple[SourceContribution, ...] = field(default=())
    exploded_items: dict[str, float] = field(default_factory=dict)
    # windows received over windows expected in the period, for each meter whose
    # energy reaches the item (METHOD.md, Results: completeness)
    meter_completeness: dict[str, float] = field(default_factory=dict)
    # meters whose gaps were filled from their mean rate: the result is partly estimated
    estimated_meters: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _LeafFactors:
    kg_per_declared_unit: npt.NDArray[np.float64]  # NaN where unmapped
    primary_share: npt.NDArray[np.float64]
    source_id: npt.NDArray[np.object_]  # "supplier:<name>" or "factor:<id>"
    gwp_set: npt.NDArray[np.object_]  # GWP set behind the value, None if not stated


@dataclass(frozen=True)
class _EnergyAllocation:
    """Allocated energy as coordinates: meter m gives kwh_per_unit to one unit of item."""

    meter: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    kwh: npt.NDArray[np.float64]  # energy of the meter allocated to the item, kWh
    kwh_per_unit: npt.NDArray[np.float64]
    unallocated_kwh: dict[str, float]  # per meter id, when nothing was produced at the site


class FootprintCalculation:
    """Footprints of every item of one site and period. Build once, then read."""

    def __init__(self, inputs: FootprintInputs) -> None:
        self.inputs = inputs
        self._index_items()
        self._build_technosphere()
        self.leaf_factors = self._map_leaf_factors()
        self.energy_factors = self._site_energy_factors()
        self.allocation = self._allocate_energy()
        self._direct_emissions()
        self.solution = self._solve()

    # -- 1. items ------------------------------------------------------------------

    def _index_items(self) -> None:
        items = self.inputs.items
        bom = self.inputs.bom
        index = KeyIndex(items.item_id)
        if index.has_duplicates:
            raise EngineInputError("duplicate item ids in the items table")
        by_id = index.sorting_permutation(items.item_id, len(items))
        parents, missing_parent = index.positions(bom.parent_item_id, len(bom))
        children, missing_child = index.positions(bom.child_item_id, len(bom))
        unknown = sorted(
            set(bom.parent_item_id[missing_parent]) | set(bom.child_item_id[missing_child])
        )
        if unknown:
            raise EngineInputError(f"BOM refers to unknown items: {', '.join(unknown)}")
        heights = item_heights(parents, children, index.keys)
        # canonical order: by height, then id (positions in the index are by id)
        order = np.argsort(heights, kind="stable")
        self.item_ids = np.asarray(index.keys, dtype=object)[order]
        self.heights = heights[order]
        self._row_of_sorted = np.empty(len(order), dtype=np.int64)
        self._row_of_sorted[order] = np.arange(len(order))
        self._edge_parent = self._row_of_sorted[parents]
        self._edge_child = self._row_of_sorted[children]
        permutation = by_id[order]
        self.item_type = np.asarray(items.item_type, dtype=object)[permutation]
        self.declared_unit = np.asarray(items.declared_unit, dtype=str)[permutation]
        self.mass_per_piece_kg = items.mass_per_piece_kg[permutation]
        self.standard_time_min = items.standard_time_min[permutation]
        self._item_index = index

    def row_of(self, item_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Canonical rows of item ids; raises for an unknown id."""
        wanted = np.asarray(item_ids, dtype=object)
        positions, missing = self._item_index.positions(wanted, len(wanted))
        if missing.any():
            unknown = sorted({str(i) for i in wanted[missing]})
            raise EngineInputError(f"unknown items: {', '.join(unknown)}")
        rows: npt.NDArray[np.int64] = self._row_of_sorted[positions]
        return rows

    # -- 2. BOM --------------------------------------------------------------------

    def _build_technosphere(self) -> None:
        bom = self.inputs.bom
        child = self._edge_child
        factors, unconvertible = quantity_factors(
            bom.unit, self.declared_unit[child], self.mass_per_piece_kg[child]
        )
        if unconvertible.any():
            lines = [
                f"{bom.parent_item_id[i]} -> {bom.child_item_id[i]} ({bom.unit[i]} to "
                f"{self.declared_unit[child[i]]})"
                for i in np.flatnonzero(unconvertible)[:10]
            ]
            raise EngineInputError(
                "BOM quantities that cannot be converted to the child's declared unit "
                f"(pieces and mass need the child's mass per piece): {'; '.join(lines)}"
            )
        coefficient = bom.quantity * (1.0 + np.nan_to_num(bom.scrap_rate)) * factors
        n = len(self.item_ids)
        self.technosphere = sparse.csr_array(
            (coefficient, (self._edge_parent, self._edge_child)), shape=(n, n)
        )
        self.technosphere.sum_duplicates()
        self.technosphere.sort_indices()
        # rows [level_starts[h], level_starts[h+1]) have height h
        self._level_starts = np.searchsorted(
            self.heights, np.arange(int(self.heights.max(initial=0)) + 2)
        )

    # -- 3. factors of materials and purchased parts ---------------------------------

    def _map_leaf_factors(self) -> _LeafFactors:
        inputs = self.inputs
        n = len(self.item_ids)
        gwp = GWP_SETS[inputs.settings.gwp_set]
        value = np.full(n, np.nan)
        primary_share = np.zeros(n)
        source_id = np.full(n, None, dtype=object)
        gwp_set = np.full(n, None, dtype=object)

        # database factors through the mapping
        factors = inputs.emission_factors
        if len(inputs.factor_mapping):
            factor_index = KeyIndex(factors.factor_id)
            if factor_index.has_duplicates:
                raise EngineInputError("duplicate factor ids in the emission factors")
            by_factor = factor_index.sorting_permutation(factors.factor_id, len(factors))
            mapped_ids = inputs.factor_mapping.factor_id
            positions, missing = factor_index.positions(mapped_ids, len(mapped_ids))
            if missing.any():
                absent = sorted({str(f) for f in mapped_ids[missing]})
                raise EngineInputError(f"mapping names unknown factors: {', '.join(absent)}")
            factor_rows = by_factor[positions]
            rows = self.row_of(inputs.factor_mapping.item_id)
            per_unit = np.asarray(factors.per_unit, dtype=str)[factor_rows]
            co2e_given = ~np.isnan(factors.co2e_kg[factor_rows])
            co2e = np.where(
                co2e_given,
                factors.co2e_kg[factor_rows],
                co2e_from_gases(
                    factors.co2_kg[factor_rows],
                    factors.ch4_kg[factor_rows],
                    factors.n2o_kg[factor_rows],
                    factors.ch4_origin[factor_rows],
                    gwp,
                ),
            )
            value[rows] = co2e * self._per_declared_unit(rows, per_unit, "emission factor")
            source_id[rows] = np.char.add("factor:", factors.factor_id[factor_rows].astype(str))
            gwp_set[rows] = np.where(co2e_given, factors.co2e_gwp_set[factor_rows], gwp.name.value)

        # supplier footprints take precedence (primary data)
        suppliers = inputs.supplier_footprints
        if len(suppliers):
            rows = self.row_of(suppliers.item_id)
            per_unit = np.asarray(suppliers.per_unit, dtype=str)
            value[rows] = suppliers.co2e_kg * self._per_declared_unit(
                rows, per_unit, "supplier footprint"
            )
            primary_share[rows] = suppliers.primary_data_share
            source_id[rows] = np.char.add("supplier:", suppliers.supplier.astype(str))
            gwp_set[rows] = None
        return _LeafFactors(value, primary_share, source_id, gwp_set)

    def _per_declared_unit(
        self, rows: npt.NDArray[np.int64], per_unit: npt.NDArray[np.str_], what: str
    ) -> npt.NDArray[np.float64]:
        """How many ``per_unit`` one declared unit of each item is."""
        factors, unconvertible = quantity_factors(
            self.declared_unit[rows], per_unit, self.mass_per_piece_kg[rows]
        )
        if unconvertible.any():
            bad = [
                f"{self.item_ids[r]} (declared in {self.declared_unit[r]}, {what} per {u})"
                for r, u in zip(rows[unconvertible][:10], per_unit[unconvertible][:10], strict=True)
            ]
            raise EngineInputError(f"{what} unit does not fit the item: {'; '.join(bad)}")
        return factors

    @cached_property
    def leaf_rows(self) -> npt.NDArray[np.int64]:
        """Rows of materials and purchased parts."""
        return np.flatnonzero(
            np.isin(self.item_type, [ItemType.MATERIAL.value, ItemType.PURCHASED_PART.value])
        )

    @cached_property
    def unmapped_rows(self) -> npt.NDArray[np.int64]:
        """Materials and purchased parts with neither a supplier footprint nor a factor."""
        leaves = self.leaf_rows
        return leaves[np.isnan(self.leaf_factors.kg_per_declared_unit[leaves])]

    # -- 4. energy factors -----------------------------------------------------------

    def _site_energy_factors(self) -> SiteEnergyFactors:
        site = self.inputs.site
        mix = self.inputs.grid_mix
        by_technology = np.argsort(np.asarray(mix.technology, dtype=str), kind="stable")
        per_kwh = [
            float(mix.co2e_kg[i]) * conversion_factor("kWh", str(mix.per_unit[i]))
            for i in by_technology
        ]
        location = location_based_grid_factor([float(mix.share[i]) for i in by_technology], per_kwh)
        market = None
        if site.contract_factor_kg_per_kwh is not None:
            market = market_based_electricity_factor(
                site.contract_factor_kg_per_kwh,
                site.contract_covered_share if site.contract_covered_share is not None else 1.0,
                site.residual_mix_factor_kg_per_kwh,
                location,
            )
        if site.electricity_method is ElectricityMethod.MARKET and market is None:
            raise EngineInputError(
                f"site {site.site_id} uses market-based electricity but has no contract factor"
            )
        gas = None
        if site.gas_factor_id is not None:
            gas = self._gas_factor_per_kwh(site.gas_factor_id)
            if site.gas_upstream_factor_id is not None:
                gas += self._gas_factor_per_kwh(site.gas_upstream_factor_id)
        kwh_per_m3 = (
            gas_kwh_per_m3(site.gas_calorific_value_mj_per_m3)
            if site.gas_calorific_value_mj_per_m3 is not None
            else None
        )
        return SiteEnergyFactors(location, market, site.electricity_method, gas, kwh_per_m3)

    def _gas_factor_per_kwh(self, factor_id: str) -> float:
        factors = self.inputs.emission_factors
        matches = np.flatnonzero(np.asarray(factors.factor_id, dtype=object) == factor_id)
        if len(matches) != 1:
            raise EngineInputError(f"natural gas factor {factor_id} not found")
        row = int(matches[0])
        per_unit = str(factors.per_unit[row])
        if dimension_of(per_unit) is not Dimension.ENERGY:
            raise EngineInputError(f"natural gas factor {factor_id} is not per unit of energy")
        basis = factors.energy_basis[row]
        if basis is not None and basis != self.inputs.site.gas_calorific_basis.value:
            raise EngineInputError(
                f"natural gas factor {factor_id} is on a {basis} basis but site "
                f"{self.inputs.site.site_id} states a {self.inputs.site.gas_calorific_basis} "
                "calorific value"
            )
        if not math.isnan(factors.co2e_kg[row]):
            per_activity = float(factors.co2e_kg[row])
        else:
            per_activity = float(
                co2e_from_gases(
                    factors.co2_kg[row : row + 1],
                    factors.ch4_kg[row : row + 1],
                    factors.n2o_kg[row : row + 1],
                    factors.ch4_origin[row : row + 1],
                    GWP_SETS[self.inputs.settings.gwp_set],
                )[0]
            )
        return per_activity * conversion_factor("kWh", per_unit)

    # -- 5. allocation ---------------------------------------------------------------

    @cached_property
    def estimated_meters(self) -> frozenset[str]:
        """Meters whose gaps were filled from their mean rate (setting telemetry_gaps)."""
        if self.inputs.settings.telemetry_gaps is not TelemetryGaps.FILL_MEAN_RATE:
            return frozenset()
        meters = self.inputs.meters
        partial = (meters.completeness > 0) & (meters.completeness < 1)
        return frozenset(str(m) for m in meters.meter_id[partial])

    @cached_property
    def meter_kwh(self) -> npt.NDArray[np.float64]:
        """Each meter's period energy in kWh (gas volume through the calorific value); with
        gaps filled, what it metered divided by the share of the period it covered."""
        meters = self.inputs.meters
        kwh = np.array(meters.total, dtype=np.float64)
        if self.estimated_meters:
            filled = np.isin(meters.meter_id.astype(str), sorted(self.estimated_meters))
            kwh[filled] = kwh[filled] / meters.completeness[filled]
        volume = np.array([dimension_of(str(u)) is Dimension.VOLUME for u in meters.unit], bool)
        if volume.any():
            kwh_per_m3 = self.energy_factors.natural_gas_kwh_per_m3
            if kwh_per_m3 is None:
                raise EngineInputError(
                    f"site {self.inputs.site.site_id} meters gas by volume but states no "
                    "calorific value"
                )
            to_m3 = np.array([conversion_factor(str(u), "m3") for u in meters.unit[volume]])
            kwh[volume] = kwh[volume] * to_m3 * kwh_per_m3
        energy = ~volume
        to_kwh = np.array([conversion_factor(str(u), "kWh") for u in meters.unit[energy]])
        kwh[energy] = kwh[energy] * to_kwh
        return kwh

    def _allocation_weights(self, key: AllocationKey) -> npt.NDArray[np.float64]:
        """Weight of one declared unit of each item under an allocation key."""
        if key is AllocationKey.UNITS:
            return np.ones(len(self.item_ids))
        if key is AllocationKey.TIME:
            return np.asarray(self.standard_time_min, dtype=np.float64)
        mass_units = dimensions_of(self.declared_unit) == Dimension.MASS
        weights = np.where(self.declared_unit == "piece", self.mass_per_piece_kg, np.nan).astype(
            np.float64
        )
        if mass_units.any():
            weights[mass_units] = conversion_factors(
                self.declared_unit[mass_units], np.full(int(mass_units.sum()), "kg")
            )
        return weights

    def _allocate_energy(self) -> _EnergyAllocation:
        """Each meter's energy to the units produced at the site (METHOD.md, Allocation).

        A machine's meters go to the items the machine produced, by the machine's key;
        overhead meters, and meters of machines that produced nothing, go to every unit
        produced at the site, by the site's overhead key.
        """
        production = self.inputs.production
        machines = self.inputs.machines
        meters = self.inputs.meters
        # Production rows in (machine, item) order: every sum below runs in this order,
        # which does not depend on the BOM, so an audit record's sub-graph sums the same.
        order = np.lexsort(
            (np.asarray(production.item_id, dtype=str), np.asarray(production.machine_id, str))
        )
        prod_machine = np.asarray(production.machine_id, dtype=str)[order]
        prod_item = self.row_of(production.item_id[order]) if len(order) else np.empty(0, np.int64)
        units = production.quantity[order]
        self.units_produced = np.bincount(prod_item, weights=units, minlength=len(self.item_ids))

        machine_keys = np.asarray(machines.allocation_key, dtype=object)
        known_keys = {key.value for key in AllocationKey}
        bad_keys = sorted({str(k) for k in machine_keys if k not in known_keys})
        if bad_keys:
            raise EngineInputError(
                f"unknown machine allocation keys {', '.join(bad_keys)}; "
                f"use one of {', '.join(sorted(known_keys))}"
            )
        machine_index = KeyIndex(machines.machine_id)
        by_machine = machine_index.sorting_permutation(machines.machine_id, len(machines))
        position, unknown = machine_index.positions(prod_machine, len(units))
        if unknown.any():
            names = sorted(set(prod_machine[unknown].tolist()))
            raise EngineInputError(f"production on unknown machines: {', '.join(names)}")
        row_key = machine_keys[by_machine][position]
        weight = np.full(len(units), np.nan)
        for key in AllocationKey:
            uses_key = row_key == key.value
            if uses_key.any():
                weight[uses_key] = self._allocation_weights(key)[prod_item[uses_key]]
        self._check_weights(weight, prod_item, "machine allocation key")
        weighted = units * weight

        # per machine: its production rows [start, end) and their weighted sum
        distinct_machines, starts = np.unique(prod_machine, return_index=True)
        ends = np.append(starts[1:], len(prod_machine)).astype(np.int64)
        machine_sum = np.add.reduceat(weighted, starts) if len(starts) else np.empty(0)

        kwh = self.meter_kwh
        meter_ids = np.asarray(meters.meter_id, dtype=str)
        meter_machine = np.array(
            ["" if m is None else str(m) for m in meters.machine_id], dtype=str
        )
        position, not_producing = KeyIndex(distinct_machines).positions(
            meter_machine, len(meter_machine)
        )
        if len(distinct_machines):
            not_producing |= machine_sum[position] <= 0
        out_meter: list[npt.NDArray[np.int64]] = []
        out_item: list[npt.NDArray[np.int64]] = []
        out_share: list[npt.NDArray[np.float64]] = []

        machine_meters = np.flatnonzero(~not_producing)
        if len(machine_meters):
            m = position[machine_meters]
            lengths = ends[m] - starts[m]
            rows = concatenated_ranges(starts[m].astype(np.int64), ends[m])
            out_meter.append(np.repeat(machine_meters, lengths))
            out_item.append(prod_item[rows])
            out_share.append(weighted[rows] / np.repeat(machine_sum[m], lengths))

        unallocated: dict[str, float] = {}
        overhead_meters = np.flatnonzero(not_producing)
        if len(overhead_meters):
            site_weight = self._allocation_weights(self.inputs.site.overhead_allocation_key)
            produced = np.flatnonzero(self.units_produced > 0)
            # the site's weighted units, summed over production rows in their fixed order
            row_weight = units * site_weight[prod_item]
            self._check_weights(row_weight, prod_item, "site overhead allocation key")
            site_total = float(np.sum(row_weight))
            if site_total > 0:
                item_weight = np.bincount(
                    prod_item, weights=row_weight, minlength=len(self.item_ids)
                )[produced]
                out_meter.append(np.repeat(overhead_meters, len(produced)))
                out_item.append(np.tile(produced, len(overhead_meters)))
                out_share.append(np.tile(item_weight / site_total, len(overhead_meters)))
            else:
                unallocated = {
                    str(meter_ids[k]): float(kwh[k]) for k in overhead_meters if kwh[k] != 0
                }

        meter = np.concatenate(out_meter) if out_meter else np.empty(0, np.int64)
        item = np.concatenate(out_item) if out_item else np.empty(0, np.int64)
        share = np.concatenate(out_share) if out_share else np.empty(0)
        allocated = kwh[meter] * share
        return _EnergyAllocation(
            meter, item, allocated, allocated / self.units_produced[item], unallocated
        )

    def _check_weights(
        self, weight: npt.NDArray[np.float64], rows: npt.NDArray[np.int64], what: str
    ) -> None:
        missing = ~np.isfinite(weight)
        if missing.any():
            names = sorted(set(self.item_ids[rows[missing]].tolist()))
            raise EngineInputError(
                f"{what} needs a mass or standard time for: {', '.join(names[:10])}"
            )

    # -- 6. direct emissions ---------------------------------------------------------

    def _direct_emissions(self) -> None:
        """D (items x sources): kg CO2e one declared unit of an item emits itself.

        Sources are the mapped materials and purchased parts (in item order), then the
        meters (in meter-id order).
        """
        n = len(self.item_ids)
        leaves = self.leaf_rows
        mapped = leaves[~np.isnan(self.leaf_factors.kg_per_declared_unit[leaves])]
        meters = self.inputs.meters
        meter_order = np.argsort(np.asarray(meters.meter_id, dtype=str), kind="stable")
        meter_column = np.empty(len(meter_order), dtype=np.int64)
        meter_column[meter_order] = len(mapped) + np.arange(len(meter_order))

        is_gas = np.asarray(meters.quantity, dtype=object) == MeterQuantity.NATURAL_GAS.value
        gas_factor = self.energy_factors.natural_gas_kg_per_kwh
        if gas_factor is None and np.any(is_gas & (self.meter_kwh != 0)):
            raise EngineInputError(
                f"site {self.inputs.site.site_id} metered natural gas but names no gas factor"
            )
        meter_factor = np.where(
            is_gas, gas_factor or 0.0, self.energy_factors.electricity_kg_per_kwh
        )
        allocation = self.allocation
        item_category = np.where(
            self.item_type[mapped] == ItemType.MATERIAL.value,
            CATEGORIES.index(Category.MATERIALS),
            CATEGORIES.index(Category.PURCHASED_PARTS),
        )
        self.source_category = np.concatenate(
            (
                item_category,
                np.where(
                    is_gas[meter_order],
                    CATEGORIES.index(Category.NATURAL_GAS),
                    CATEGORIES.index(Category.ELECTRICITY),
                ),
            )
        ).astype(np.int64)
        self.source_primary_share = np.concatenate(
            (self.leaf_factors.primary_share[mapped], np.ones(len(meter_order)))
        )
        self.source_rows = mapped
        self.source_meter_order = meter_order
        self.direct = sparse.csr_array(
            (
                np.concatenate(
                    (
                        self.leaf_factors.kg_per_declared_unit[mapped],
                        allocation.kwh_per_unit * meter_factor[allocation.meter],
                    )
                ),
                (
                    np.concatenate((mapped, allocation.item)),
                    np.concatenate((np.arange(len(mapped)), meter_column[allocation.meter])),
                ),
            ),
            shape=(n, len(mapped) + len(meter_order)),
        )
        self.direct.sum_duplicates()
        self.direct.sort_indices()
        self.direct_kwh = sparse.csr_array(
            (allocation.kwh_per_unit, (allocation.item, meter_column[allocation.meter])),
            shape=self.direct.shape,
        )
        self.direct_kwh.sum_duplicates()
        self.direct_kwh.sort_indices()

    # -- 7. solve ------------------------------------------------------------------

    def _right_hand_side(self) -> npt.NDArray[np.float64]:
        sources = self.direct.shape[1]
        indicator = np.zeros((sources, _COLUMNS))
        indicator[np.arange(sources), self.source_category] = 1.0
        indicator[:, _PRIMARY] = self.source_primary_share
        rhs: npt.NDArray[np.float64] = np.asarray(self.direct @ indicator)
        is_gas_source = self.source_category == CATEGORIES.index(Category.NATURAL_GAS)
        is_meter_source = np.arange(sources) >= len(self.source_rows)
        kwh_indicator = np.zeros((sources, 2))
        kwh_indicator[is_meter_source & ~is_gas_source, 0] = 1.0
        kwh_indicator[is_gas_source, 1] = 1.0
        rhs[:, [_ELECTRICITY_KWH, _GAS_KWH]] = self.direct_kwh @ kwh_indicator
        rhs[self.gap_rows, _GAPS] = 1.0
        return rhs

    @cached_property
    def gap_rows(self) -> npt.NDArray[np.int64]:
        """Items that make a footprint incomplete: unmapped leaves, and in-house items
        consumed but not produced at the site in the period (they get no energy)."""
        in_house = np.isin(self.item_type, [t.value for t in IN_HOUSE_ITEM_TYPES])
        consumed = np.zeros(len(self.item_ids), dtype=bool)
        consumed[self._edge_child] = True
        unproduced = np.flatnonzero(in_house & consumed & (self.units_produced <= 0))
        return np.union1d(self.unmapped_rows, unproduced)

    def _solve(self) -> npt.NDArray[np.float64]:
        """F = D + A F, one BOM level at a time: level h needs only levels below it."""
        solution = self._right_hand_side()
        a = self.technosphere
        starts = self._level_starts
        for level in range(1, len(starts) - 1):
            begin, end = int(starts[level]), int(starts[level + 1])
            if begin == end:
                continue
            block = a[begin:end, :begin]
            solution[begin:end] += block @ solution[:begin]
        return solution

    # -- 8. results ------------------------------------------------------------------

    def totals(self) -> npt.NDArray[np.float64]:
        """kg CO2e per declared unit of every item (canonical order): the categories
        summed in the order of CATEGORIES, so a breakdown adds up to its total."""
        total = self.solution[:, 0].copy()
        for column in range(1, len(CATEGORIES)):
            total += self.solution[:, column]
        return total

    @cached_property
    def produced_item_ids(self) -> list[str]:
        """Items produced at the site in the period, by id."""
        return sorted(self.item_ids[self.units_produced > 0].tolist())

    def footprint(self, item_id: str, *, with_sources: bool = True) -> ItemFootprint:
        row = int(self.row_of([item_id])[0])
        values = self.solution[row]
        total = float(self.totals()[row])
        factors = self.energy_factors
        notes: list[str] = []
        exploded: dict[str, float] = {}
        contributions: tuple[SourceContribution, ...] = ()
        gwp_sets: set[str] = set()
        exploded_row = self._exploded_quantities(np.array([row]))
        below = exploded_row.indices
        for gap in np.intersect1d(below, self.gap_rows):
            gap_id = str(self.item_ids[gap])
            if gap in self.unmapped_rows:
                notes.append(f"unmapped: {gap_id} has no supplier footprint or emission factor")
            else:
                notes.append(
                    f"not produced: {gap_id} was consumed but not produced at the site in "
                    "the period, so it carries no energy"
                )
        gwp_sets.update(str(g) for g in self.leaf_factors.gwp_set[below] if g is not None)
        if values[_GAS_KWH] > 0:
            gwp_sets.add(self.inputs.settings.gwp_set.value)
        if with_sources:
            exploded = {
                str(self.item_ids[j]): float(q)
                for j, q in zip(exploded_row.indices, exploded_row.data, strict=True)
                if j != row
            }
            contributions = self._contributions(exploded_row)
        completeness = dict(
            zip(
                self.inputs.meters.meter_id.tolist(),
                self.inputs.meters.completeness.tolist(),
                strict=True,
            )
        )
        meter_completeness = {
            s.source_id: float(completeness[s.source_id])
            for s in contributions
            if s.source_kind == "meter"
        }
        estimated = tuple(sorted(set(meter_completeness) & self.estimated_meters))
        notes.extend(
            f"estimated: meter {meter} sent {meter_completeness[meter]:.1%} of the period; "
            "the rest is filled from its mean rate"
            for meter in estimated
        )
        electricity_kwh = float(values[_ELECTRICITY_KWH])
        return ItemFootprint(
            item_id=item_id,
            item_type=str(self.item_type[row]),
            declared_unit=str(self.declared_unit[row]),
            units_produced=float(self.units_produced[row]),
            total_kg_co2e=total,
            by_category={c.value: float(values[i]) for i, c in enumerate(CATEGORIES)},
            primary_data_share=float(values[_PRIMARY] / total) if total else None,
            electricity_kwh=electricity_kwh,
            natural_gas_kwh=float(values[_GAS_KWH]),
            electricity_location_kg_co2e=electricity_kwh * factors.electricity_location_kg_per_kwh,
            electricity_market_kg_co2e=(
                electricity_kwh * factors.electricity_market_kg_per_kwh
                if factors.electricity_market_kg_per_kwh is not None
                else None
            ),
            complete=not any(not note.startswith("estimated:") for note in notes),
            notes=tuple(notes),
            gwp_sets=tuple(sorted(gwp_sets)),
            by_source=contributions,
            exploded_items=exploded,
            meter_completeness=dict(sorted(meter_completeness.items())),
            estimated_meters=estimated,
        )

    def _exploded_quantities(self, rows: npt.NDArray[np.int64]) -> sparse.csr_array:
        """X[rows] = E (I + A + A^2 + ...): declared units of every item one declared
        unit of each requested item contains, itself included (A is nilpotent)."""
        selector = sparse.csr_array(
            (np.ones(len(rows)), (np.arange(len(rows)), rows)),
            shape=(len(rows), len(self.item_ids)),
        )
        exploded = selector.copy()
        term = selector
        while term.nnz:
            term = term @ self.technosphere
            term.sort_indices()
            exploded = exploded + term
            exploded.sort_indices()
        return exploded

    def _contributions(self, exploded_row: sparse.csr_array) -> tuple[SourceContribution, ...]:
        per_source = (exploded_row @ self.direct).tocsr()
        kwh_per_source = (exploded_row @ self.direct_kwh).tocsr()
        amounts = dict(zip(exploded_row.indices.tolist(), exploded_row.data.tolist(), strict=True))
        kwh = dict(zip(kwh_per_source.indices.tolist(), kwh_per_source.data.tolist(), strict=True))
        meters = self.inputs.meters
        out: list[SourceContribution] = []
        for column, kg in zip(per_source.indices.tolist(), per_source.data.tolist(), strict=True):
            category = CATEGORIES[int(self.source_category[column])]
            if column < len(self.source_rows):
                leaf = int(self.source_rows[column])
                out.append(
                    SourceContribution(
                        category,
                        "item",
                        str(self.item_ids[leaf]),
                        None,
                        amounts[leaf],
                        str(self.declared_unit[leaf]),
                        kg,
                    )
                )
            else:
                meter = int(self.source_meter_order[column - len(self.source_rows)])
                machine = meters.machine_id[meter]
                out.append(
                    SourceContribution(
                        category,
                        "meter",
                        str(meters.meter_id[meter]),
                        None if machine is None else str(machine),
                        kwh.get(column, 0.0),
                        "kWh",
                        kg,
                    )
                )
        return tuple(out)


def machine_breakdown(footprint: ItemFootprint) -> dict[str, dict[str, float]]:
    """kg CO2e per machine and energy category ("site overhead" for meters without one)."""
    result: dict[str, dict[str, float]] = {}
    for contribution in footprint.by_source:
        if contribution.source_kind != "meter":
            continue
        machine = contribution.machine_id or "site overhead"
        per_category = result.setdefault(machine, {})
        per_category[contribution.category.value] = (
            per_category.get(contribution.category.value, 0.0) + contribution.kg_co2e
        )
    return result
