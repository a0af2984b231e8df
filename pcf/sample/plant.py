"""The sample plant: sites, machines, items, BOM, meters and planned volumes of a spec.

``build_plant`` draws the structure from the spec's seed; the static files and the
telemetry are both read off the one ``Plant`` it returns, so they always agree: every
in-house item is made by one machine at the site that consumes it, and machines run at
the rates that produce the planned monthly volumes.

Three BOM levels below each product: sub-assemblies (painting, welding, assembly),
components (cutting, machining, moulding), then materials and purchased parts. Products
share sub-assemblies, sub-assemblies share components, within a site.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from pcf.core.units import conversion_factor
from pcf.formats.definitions import ItemType, MeterQuantity
from pcf.sample.reference import (
    BOLTED_PROCESSES,
    COMPONENT_CYCLE,
    COMPONENT_PROCESSES,
    FINAL_ASSEMBLY,
    MATERIALS,
    PACKAGING,
    PREFERRED_COMPONENTS,
    PRODUCT_CPC_CODE,
    PRODUCT_NAMES,
    PRODUCT_PURCHASES,
    PURCHASED_PARTS,
    SITE_PROFILES,
    SUBASSEMBLY_CYCLE,
    SUBASSEMBLY_PROCESSES,
    SUBASSEMBLY_PURCHASES,
    WELDING_WIRE_G,
    ProcessProfile,
    Shift,
    SiteProfile,
)
from pcf.sample.spec import FactorySpec

# Share of planned shift time a machine actually runs (short stoppages take the rest);
# production rates are set so the planned monthly volumes come out at this availability.
AVAILABILITY = 0.96


class Stage(StrEnum):
    COMPONENT = "component"
    SUBASSEMBLY = "subassembly"
    PRODUCT = "product"


class MeterRole(StrEnum):
    MACHINE_ELECTRICITY = "machine_electricity"
    MACHINE_GAS = "machine_gas"
    PRODUCTION_COUNTER = "production_counter"
    HVAC = "hvac"
    COMPRESSED_AIR = "compressed_air"
    LIGHTING = "lighting"
    HEATING = "heating"


@dataclass(frozen=True)
class PlantItem:
    item_id: str
    name: str
    item_type: ItemType
    declared_unit: str
    mass_per_piece_kg: float | None = None
    standard_time_min: float | None = None
    product_ids: str | None = None
    cpc_code: str | None = None
    site_id: str | None = None  # where an in-house item is made


@dataclass(frozen=True)
class PlantBomLine:
    parent_item_id: str
    child_item_id: str
    quantity: float
    unit: str
    scrap_rate: float


@dataclass(frozen=True)
class PlantMachine:
    machine_id: str
    site_id: str
    name: str
    stage: Stage
    process: str
    allocation_key: str
    running_kw: float
    idle_kw: float
    gas_running_kw: float
    item_ids: tuple[str, ...]
    units_per_running_minute: tuple[float, ...]  # per item of item_ids


@dataclass(frozen=True)
class PlantMeter:
    meter_id: str
    site_id: str
    machine_id: str | None
    quantity: MeterQuantity
    unit: str
    role: MeterRole
    item_id: str | None = None


@dataclass(frozen=True)
class UploadedCount:
    """A production count typed in from the shift log, replacing one counter's telemetry."""

    site_id: str
    machine_id: str
    item_id: str
    quantity: float


@dataclass(frozen=True)
class Plant:
    spec: FactorySpec
    sites: tuple[SiteProfile, ...]
    items: tuple[PlantItem, ...]
    bom: tuple[PlantBomLine, ...]
    machines: tuple[PlantMachine, ...]
    meters: tuple[PlantMeter, ...]  # by site, then meter id
    planned_units: Mapping[str, float]  # units per in-house item in the month
    uploaded_count: UploadedCount

    def meters_at(self, site_id: str) -> tuple[PlantMeter, ...]:
        return tuple(meter for meter in self.meters if meter.site_id == site_id)

    def machines_at(self, site_id: str) -> tuple[PlantMachine, ...]:
        return tuple(machine for machine in self.machines if machine.site_id == site_id)


def planned_shift_minutes(site: SiteProfile, days: Iterable[date]) -> float:
    """Minutes of shift time without breaks on ``days`` (local days at ``site``)."""
    total = 0.0
    for day in days:
        for shift in working_shifts(site, day):
            total += shift.end_minute - shift.start_minute
            if shift.break_after_minutes is not None:
                total -= shift.break_minutes
    return total


def working_shifts(site: SiteProfile, day: date) -> tuple[Shift, ...]:
    """The site's shifts on a local day: none on holidays."""
    if (day.month, day.day) in site.holidays:
        return ()
    return tuple(shift for shift in site.shifts if day.weekday() in shift.weekdays)


def _month_days(spec: FactorySpec) -> list[date]:
    start, end = spec.period_start, spec.period_end
    return [start + timedelta(days=k) for k in range((end - start).days)]


def _split(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal counts, larger ones first."""
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def _significant(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class _MachinePlan:
    stage: Stage
    profile: ProcessProfile
    item_ids: list[str]


class _Builder:
    """Draws the plant one site at a time, from one generator, in a fixed order."""

    def __init__(self, spec: FactorySpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng([spec.seed, 1])
        self.sites = SITE_PROFILES[: spec.sites]
        self.items: dict[str, PlantItem] = {}
        self.bom: list[PlantBomLine] = []
        self.children: dict[str, list[PlantBomLine]] = {}
        self.machines: list[PlantMachine] = []
        self.next_number = {Stage.PRODUCT: 1001, Stage.SUBASSEMBLY: 2001, Stage.COMPONENT: 3001}
        self.demand: dict[str, float] = {}
        self.parts_made: dict[tuple[str, str], int] = {}
        self.month_minutes = {
            site.site_id: planned_shift_minutes(site, _month_days(spec)) for site in self.sites
        }

    # -- helpers ------------------------------------------------------------------------

    def _new_id(self, stage: Stage) -> str:
        prefix = {Stage.PRODUCT: "P", Stage.SUBASSEMBLY: "SA", Stage.COMPONENT: "CP"}[stage]
        number = self.next_number[stage]
        self.next_number[stage] += 1
        return f"{prefix}-{number}"

    def _add_line(
        self, parent: str, child: str, quantity: float, unit: str, scrap_rate: float = 0.0
    ) -> None:
        line = PlantBomLine(parent, child, quantity, unit, scrap_rate)
        self.bom.append(line)
        self.children.setdefault(parent, []).append(line)

    def _pick(self, count: int, population: int) -> list[int]:
        count = min(count, population)
        return sorted(int(i) for i in self.rng.choice(population, size=count, replace=False))

    def _material_line(self, parent: str, material_id: str, kg: float, scrap: float) -> None:
        # Small quantities in grams, the rest in kg: BOMs mix units like real ones do.
        if kg < 1.0:
            self._add_line(parent, material_id, float(round(kg * 1000)), "g", scrap)
        else:
            self._add_line(parent, material_id, round(kg, 2), "kg", scrap)

    def _line_mass_kg(self, line: PlantBomLine) -> float:
        if line.unit == "piece":
            mass = self.items[line.child_item_id].mass_per_piece_kg
            assert mass is not None
            return line.quantity * mass
        return line.quantity * conversion_factor(line.unit, "kg")

    def _set_mass(self, item_id: str) -> None:
        mass = sum(self._line_mass_kg(line) for line in self.children[item_id])
        self.items[item_id] = replace(self.items[item_id], mass_per_piece_kg=_significant(mass))

    def _use_leaf(self, item_id: str) -> None:
        if item_id in self.items:
            return
        if item_id in MATERIALS:
            material = MATERIALS[item_id]
            self.items[item_id] = PlantItem(
                item_id, material.name, ItemType.MATERIAL, material.declared_unit
            )
        else:
            part = PURCHASED_PARTS[item_id]
            self.items[item_id] = PlantItem(
                item_id,
                part.name,
                ItemType.PURCHASED_PART,
                part.declared_unit,
                mass_per_piece_kg=part.mass_per_piece_kg,
            )

    # -- structure ----------------------------------------------------------------------

    def build(self) -> Plant:
        spec = self.spec
        machine_counts = _split(spec.machines, len(self.sites))
        product_counts = _split(spec.products, len(self.sites))
        product_names = iter(PRODUCT_NAMES)
        for site, machine_count, product_count in zip(
            self.sites, machine_counts, product_counts, strict=True
        ):
            self._build_site(site, machine_count, product_count, product_names)
        return self._finish()

    def _build_site(
        self,
        site: SiteProfile,
        machine_count: int,
        product_count: int,
        product_names: Iterator[str],
    ) -> None:
        final_count = min(product_count, max(1, round(machine_count * 0.2)))
        sub_count = max(1, round(machine_count * 0.3))
        component_count = machine_count - final_count - sub_count

        # machines of each stage, each with the one to three items it makes
        component_machines: list[_MachinePlan] = []
        for k in range(component_count):
            profile = COMPONENT_PROCESSES[COMPONENT_CYCLE[k % len(COMPONENT_CYCLE)]]
            made = [self._new_component(site, profile) for _ in range(self.rng.integers(1, 4))]
            component_machines.append(_MachinePlan(Stage.COMPONENT, profile, made))
        sub_machines: list[_MachinePlan] = []
        for k in range(sub_count):
            profile = SUBASSEMBLY_PROCESSES[SUBASSEMBLY_CYCLE[k % len(SUBASSEMBLY_CYCLE)]]
            made = [self._new_subassembly(site, profile) for _ in range(self.rng.integers(1, 4))]
            sub_machines.append(_MachinePlan(Stage.SUBASSEMBLY, profile, made))
        self._consume_components(sub_machines, component_machines)
        subassemblies = [item for plan in sub_machines for item in plan.item_ids]
        for item_id in subassemblies:
            self._set_mass(item_id)

        products = [
            self._new_product(site, next(product_names, None)) for _ in range(product_count)
        ]
        self._consume_subassemblies(products, subassemblies)
        for item_id in products:
            self._set_mass(item_id)
        final_machines = [
            _MachinePlan(Stage.PRODUCT, FINAL_ASSEMBLY, products[k::final_count])
            for k in range(final_count)
        ]

        per_name: dict[str, int] = {}
        plans = [*component_machines, *sub_machines, *final_machines]
        for number, plan in enumerate(plans, start=1):
            profile = plan.profile
            per_name[profile.machine_name] = per_name.get(profile.machine_name, 0) + 1
            self.machines.append(
                PlantMachine(
                    machine_id=f"{site.code}-M{number:02d}",
                    site_id=site.site_id,
                    name=f"{profile.machine_name} {per_name[profile.machine_name]}",
                    stage=plan.stage,
                    process=profile.process,
                    allocation_key=profile.allocation_key,
                    running_kw=round(profile.running_kw * self.rng.uniform(0.8, 1.25), 1),
                    idle_kw=round(profile.idle_kw * self.rng.uniform(0.8, 1.25), 1),
                    gas_running_kw=round(profile.gas_running_kw * self.rng.uniform(0.85, 1.15)),
                    item_ids=tuple(plan.item_ids),
                    units_per_running_minute=(),
                )
            )

    def _next_part(self, site: SiteProfile, profile: ProcessProfile) -> tuple[str, str, str]:
        """The next part a process makes at a site: its name, catalogue name, material."""
        key = (site.site_id, profile.process)
        made = self.parts_made.get(key, 0)
        self.parts_made[key] = made + 1
        base_name, material_id = profile.parts[made % len(profile.parts)]
        name = base_name
        if made >= len(profile.parts):
            name = f"{base_name}, variant {made // len(profile.parts) + 1}"
        return name, base_name, material_id

    def _new_component(self, site: SiteProfile, profile: ProcessProfile) -> str:
        item_id = self._new_id(Stage.COMPONENT)
        name, _, material_id = self._next_part(site, profile)
        kg = float(self.rng.uniform(*profile.material_kg))
        scrap = round(float(self.rng.uniform(*profile.scrap_rate)), 3)
        self._use_leaf(material_id)
        self._material_line(item_id, material_id, kg, scrap)
        self.items[item_id] = PlantItem(
            item_id,
            name,
            ItemType.SUBASSEMBLY,
            "piece",
            mass_per_piece_kg=_significant(self._line_mass_kg(self.children[item_id][0])),
            site_id=site.site_id,
        )
        return item_id

    def _new_subassembly(self, site: SiteProfile, profile: ProcessProfile) -> str:
        item_id = self._new_id(Stage.SUBASSEMBLY)
        name, base_name, _ = self._next_part(site, profile)
        self.items[item_id] = PlantItem(
            item_id, name, ItemType.SUBASSEMBLY, "piece", site_id=site.site_id
        )
        for alternatives, pieces in SUBASSEMBLY_PURCHASES.get(base_name, ()):
            part_id = alternatives[int(self.rng.integers(len(alternatives)))]
            self._use_leaf(part_id)
            self._add_line(item_id, part_id, pieces, "piece")
        if profile.process == "welding":
            self._use_leaf("MAT-STEEL-WIRE")
            low, high = WELDING_WIRE_G
            wire_g = float(self.rng.integers(low, high + 1))
            self._add_line(item_id, "MAT-STEEL-WIRE", wire_g, "g", 0.05)
        if profile.process in BOLTED_PROCESSES:
            self._use_leaf("PP-BOLT-M8")
            self._add_line(item_id, "PP-BOLT-M8", float(self.rng.integers(4, 9)), "piece")
        return item_id

    def _new_product(self, site: SiteProfile, name: str | None) -> str:
        item_id = self._new_id(Stage.PRODUCT)
        self.items[item_id] = PlantItem(
            item_id,
            name if name is not None else f"Pump model {item_id}",
            ItemType.PRODUCT,
            "piece",
            product_ids=f"urn:pact:{self.spec.namespace}:product-id:{item_id}",
            cpc_code=PRODUCT_CPC_CODE,
            site_id=site.site_id,
        )
        units = float(np.clip(self.rng.lognormal(math.log(800.0), 0.5), 200.0, 3000.0))
        self.demand[item_id] = float(round(units, -1))
        return item_id

    def _consume(
        self,
        parents: list[str],
        pool: list[str],
        candidates_of: Mapping[str, list[str]],
        count_range: tuple[int, int],
    ) -> dict[str, list[str]]:
        """Which pool items each parent consumes: 2-3 each, every pool item at least once,
        and at least one pool item shared by two parents when there are two parents."""
        chosen: dict[str, list[str]] = {}
        for parent in parents:
            candidates = candidates_of[parent] or pool
            count = int(self.rng.integers(*count_range))
            chosen[parent] = [candidates[k] for k in self._pick(count, len(candidates))]
        used = {child for children in chosen.values() for child in children}
        for child in pool:
            if child in used:
                continue
            willing = [p for p in parents if child in candidates_of[p]] or parents
            taker = min(willing, key=lambda p: (len(chosen[p]), parents.index(p)))
            chosen[taker].append(child)
        uses = Counter(child for children in chosen.values() for child in children)
        if len(parents) >= 2 and max(uses.values()) < 2:
            first, second = chosen[parents[0]][0], parents[1]
            if first not in chosen[second]:
                chosen[second].append(first)
        return chosen

    def _consume_components(
        self, sub_machines: list[_MachinePlan], component_machines: list[_MachinePlan]
    ) -> None:
        process_of = {
            item: plan.profile.process for plan in component_machines for item in plan.item_ids
        }
        components = list(process_of)
        sub_process = {
            item: plan.profile.process for plan in sub_machines for item in plan.item_ids
        }
        parents = list(sub_process)
        candidates_of = {
            parent: [
                c for c in components if process_of[c] in PREFERRED_COMPONENTS[sub_process[parent]]
            ]
            for parent in parents
        }
        for parent, children in self._consume(parents, components, candidates_of, (2, 4)).items():
            for child in children:
                quantity = float(self.rng.integers(1, 3)) if process_of[child] == "cutting" else 1.0
                scrap = 0.01 if sub_process[parent] == "painting" else 0.0
                self._add_line(parent, child, quantity, "piece", scrap)

    def _consume_subassemblies(self, products: list[str], subassemblies: list[str]) -> None:
        candidates_of: dict[str, list[str]] = {product: [] for product in products}
        for parent, children in self._consume(
            products, subassemblies, candidates_of, (2, 4)
        ).items():
            for child in children:
                self._add_line(parent, child, 1.0, "piece", 0.0)
            for part_id, low, high in PRODUCT_PURCHASES:
                self._use_leaf(part_id)
                self._add_line(parent, part_id, float(self.rng.integers(low, high + 1)), "piece")
            for material_id, low_kg, high_kg, scrap in PACKAGING:
                self._use_leaf(material_id)
                kg = float(self.rng.uniform(low_kg, high_kg))
                self._material_line(parent, material_id, kg, scrap)

    # -- volumes, rates, meters ----------------------------------------------------------

    def _planned_units(self) -> dict[str, float]:
        """Units of every in-house item the month's product demand needs, scrap included."""
        units = dict(self.demand)
        # products, then sub-assemblies, then components: parents before children
        for stage_prefix in ("P-", "SA-", "CP-"):
            for parent in [i for i in self.items if i.startswith(stage_prefix)]:
                for line in self.children.get(parent, []):
                    child = self.items[line.child_item_id]
                    if child.site_id is None:
                        continue
                    need = units.get(parent, 0.0) * line.quantity * (1.0 + line.scrap_rate)
                    units[child.item_id] = units.get(child.item_id, 0.0) + need
        return units

    def _finish(self) -> Plant:
        planned = self._planned_units()
        machines: list[PlantMachine] = []
        for machine in self.machines:
            running_minutes = self.month_minutes[machine.site_id] * AVAILABILITY
            required = np.array([planned[i] for i in machine.item_ids])
            # cycle times differ by item; standard times fill the running time exactly
            cycle = self.rng.uniform(0.6, 1.6, size=len(required))
            standard_time = cycle * running_minutes / float(np.sum(required * cycle))
            for item_id, minutes in zip(machine.item_ids, standard_time.tolist(), strict=True):
                self.items[item_id] = replace(
                    self.items[item_id], standard_time_min=round(minutes, 3)
                )
            rates = tuple((required / running_minutes).tolist())
            machines.append(replace(machine, units_per_running_minute=rates))
        meters = [meter for site in self.sites for meter in self._site_meters(site, machines)]
        return Plant(
            spec=self.spec,
            sites=self.sites,
            items=self._ordered_items(),
            bom=tuple(self.bom),
            machines=tuple(machines),
            meters=tuple(meters),
            planned_units=MappingProxyType(planned),
            uploaded_count=self._uploaded_count(machines),
        )

    def _ordered_items(self) -> tuple[PlantItem, ...]:
        rank = {
            ItemType.PRODUCT: 0,
            ItemType.SUBASSEMBLY: 1,
            ItemType.MATERIAL: 2,
            ItemType.PURCHASED_PART: 3,
        }
        return tuple(
            sorted(self.items.values(), key=lambda item: (rank[item.item_type], item.item_id))
        )

    def _site_meters(self, site: SiteProfile, machines: list[PlantMachine]) -> list[PlantMeter]:
        meters: list[PlantMeter] = []
        for machine in machines:
            if machine.site_id != site.site_id:
                continue
            m = machine.machine_id
            meters.append(
                PlantMeter(
                    f"{m}-E",
                    site.site_id,
                    m,
                    MeterQuantity.ELECTRICITY,
                    "kWh",
                    MeterRole.MACHINE_ELECTRICITY,
                )
            )
            if machine.gas_running_kw > 0:
                meters.append(
                    PlantMeter(
                        f"{m}-G",
                        site.site_id,
                        m,
                        MeterQuantity.NATURAL_GAS,
                        "m3",
                        MeterRole.MACHINE_GAS,
                    )
                )
            for item_id in machine.item_ids:
                meters.append(
                    PlantMeter(
                        f"{m}-P-{item_id}",
                        site.site_id,
                        m,
                        MeterQuantity.PRODUCTION_COUNT,
                        "piece",
                        MeterRole.PRODUCTION_COUNTER,
                        item_id,
                    )
                )
        code = site.code
        electricity = MeterQuantity.ELECTRICITY
        meters += [
            PlantMeter(f"{code}-HVAC-E", site.site_id, None, electricity, "kWh", MeterRole.HVAC),
            PlantMeter(
                f"{code}-AIR-E", site.site_id, None, electricity, "kWh", MeterRole.COMPRESSED_AIR
            ),
            PlantMeter(
                f"{code}-LIGHT-E", site.site_id, None, electricity, "kWh", MeterRole.LIGHTING
            ),
            PlantMeter(
                f"{code}-HEAT-G",
                site.site_id,
                None,
                MeterQuantity.NATURAL_GAS,
                site.heating_gas_unit,
                MeterRole.HEATING,
            ),
        ]
        return sorted(meters, key=lambda meter: meter.meter_id)

    def _uploaded_count(self, machines: list[PlantMachine]) -> UploadedCount:
        """The last site's first final assembly line, its first product: the units the
        telemetry days are planned to produce, as if counted by hand."""
        site = self.sites[-1]
        machine = next(
            m for m in machines if m.site_id == site.site_id and m.stage is Stage.PRODUCT
        )
        minutes = planned_shift_minutes(site, self.spec.telemetry_days) * AVAILABILITY
        quantity = float(round(machine.units_per_running_minute[0] * minutes))
        return UploadedCount(site.site_id, machine.machine_id, machine.item_ids[0], quantity)


@lru_cache(maxsize=8)
def build_plant(spec: FactorySpec) -> Plant:
    """The sample plant of ``spec``: the same spec always gives the same plant."""
    return _Builder(spec).build()
