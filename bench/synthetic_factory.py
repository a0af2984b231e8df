"""A seeded synthetic factory as engine inputs, for the benchmarks.

``synthetic_factory()`` returns the ``FootprintInputs`` of one site and period with
realistic structure at any size (defaults: 20,000 items, 100,000 BOM lines, 500
machines):

* items: finished products, sub-assemblies in tiers, materials and purchased parts;
  products and sub-assemblies are declared per piece (a few sub-assemblies per kg),
  materials per kg, t, m2, m or L, purchased parts per piece (a few per kg);
* BOM: a DAG in which a parent of tier t consumes sub-assemblies of the few tiers just
  below it and materials/parts; children are drawn with a skew so that some
  sub-assemblies and common materials are shared by many parents; no (parent, child)
  pair repeats; quantities in convertible units (g or kg of a kg material, kg of a
  t material, m3 of an L material, g of a piece part with a known mass, pieces of a
  kg part ...); about a quarter of the lines carry scrap, a few leave it unstated;
* emission factors mapped to every material and most purchased parts (per kg, t, g,
  m2, m, L, m3, piece; some given as CO2e, some as CO2/CH4/N2O), supplier footprints
  for about a third of the purchased parts (they take precedence), a handful of
  purchased parts and materials left unmapped;
* machines with units, mass or time allocation keys, one electricity meter each, a
  natural gas meter on about a quarter of them (m3 or kWh), a few idle machines, site
  overhead meters, production counts for every product and sub-assembly (one or two
  machines each), a grid mix and a natural gas factor with its upstream part.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the
same inputs, bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# ``./run bench`` installs the project; a plain ``.venv/bin/python bench/x.py`` may not.
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
SUBASSEMBLY_TIERS = 6  # products sit on tier 7, so the BOM has up to 8 levels

_Ints = npt.NDArray[np.int64]
_Floats = npt.NDArray[np.float64]


def synthetic_factory(
    *,
    items: int = 20_000,
    edges: int = 100_000,
    products: int = 5_000,
    machines: int = 500,
    seed: int = 1,
) -> FootprintInputs:
    """Engine inputs of a synthetic factory: ``items`` items of which ``products`` are
    finished products, exactly ``edges`` BOM lines, ``machines`` machines."""
    if products < 1 or items - products < 100:
        raise ValueError("need at least one product and 100 other items")
    if machines < 10:
        raise ValueError("need at least 10 machines")
    rng = np.random.default_rng(seed)
    others = items - products
    n_sub = round(0.45 * others)
    n_mat = round(0.12 * others)
    n_part = others - n_sub - n_mat
    parents = products + n_sub
    if not 2 * parents <= edges <= parents * (n_mat + n_part) // 4:
        raise ValueError(f"{edges} BOM lines do not fit {parents} products and sub-assemblies")

    # -- items: rows [products | sub-assemblies | materials | purchased parts] ----------
    ids = np.concatenate(
        (
            _ids("P", products),
            _ids("S", n_sub),
            _ids("M", n_mat),
            _ids("B", n_part),  # bought
        )
    )
    kind = np.repeat(
        np.array(["product", "subassembly", "material", "purchased_part"], dtype=object),
        [products, n_sub, n_mat, n_part],
    )
    sub = np.arange(products, products + n_sub)
    mat = np.arange(products + n_sub, products + n_sub + n_mat)
    part = np.arange(products + n_sub + n_mat, items)

    unit = np.full(items, "piece", dtype=object)
    unit[sub[rng.random(n_sub) < 0.05]] = "kg"  # compounds mixed in-house
    unit[mat] = rng.choice(
        np.array(["kg", "t", "m2", "m", "L"], dtype=object), n_mat, p=[0.7, 0.05, 0.1, 0.05, 0.1]
    )
    unit[part[rng.random(n_part) < 0.1]] = "kg"  # bulk fasteners bought by weight
    # BOM tiers: products on top, sub-assemblies below them (rows sorted by tier)
    tier = np.zeros(items, dtype=np.int64)
    tier[:products] = SUBASSEMBLY_TIERS + 1
    tier[sub] = np.sort(rng.integers(1, SUBASSEMBLY_TIERS + 1, n_sub))
    tier_start = np.searchsorted(tier[sub], np.arange(1, SUBASSEMBLY_TIERS + 2)) + products

    # masses shrink by tier, so that a product weighs about what its components do
    mass = np.full(items, NAN)
    mass[:products] = rng.lognormal(np.log(8.0), 0.8, products)
    mass[sub] = rng.lognormal(np.log(8.0) + np.log(0.45) * (SUBASSEMBLY_TIERS + 1 - tier[sub]), 0.6)
    mass[part] = rng.lognormal(np.log(0.02), 1.2, n_part)
    mass[unit == "kg"] = NAN  # a kg item needs no mass per piece ...
    by_weight = part[unit[part] == "kg"]  # ... except parts bought by weight, counted
    mass[by_weight] = rng.lognormal(np.log(0.005), 0.5, len(by_weight))  # in pieces
    time = np.full(items, NAN)
    time[:products] = rng.lognormal(np.log(12.0), 0.6, products)
    time[sub] = rng.lognormal(np.log(3.0), 0.8, n_sub)

    # -- BOM ------------------------------------------------------------------------
    parent_rows = np.arange(parents)
    weight = rng.lognormal(0.0, 0.5, parents) * np.where(tier[:parents] > SUBASSEMBLY_TIERS, 1.5, 1)
    degree = 2 + rng.multinomial(edges - 2 * parents, weight / weight.sum())
    edge_parent = np.repeat(parent_rows, degree)
    edge_child = np.full(edges, -1, dtype=np.int64)
    todo = np.arange(edges)
    while len(todo):  # draw again the (parent, child) pairs drawn before
        edge_child[todo] = _draw_children(rng, tier[edge_parent[todo]], tier_start, mat, part)
        key = edge_parent * items + edge_child
        _, first = np.unique(key, return_index=True)
        repeated = np.ones(edges, dtype=bool)
        repeated[first] = False
        todo = np.flatnonzero(repeated)
    order = np.lexsort((edge_child, edge_parent))
    edge_parent, edge_child = edge_parent[order], edge_child[order]
    line_unit, quantity = _bom_quantities(
        rng,
        unit[edge_child],
        kind[edge_child],
        mass[edge_child],
        np.nan_to_num(mass[edge_parent], nan=1.0),  # a kg parent: per kg
    )
    scrap = np.zeros(edges)
    has_scrap = rng.random(edges) < 0.25
    scrap[has_scrap] = rng.uniform(0.005, 0.12, has_scrap.sum())
    scrap[rng.random(edges) < 0.02] = NAN  # not stated

    # -- emission factors, mapping, supplier footprints --------------------------------
    factor_tables, mapping_item, mapping_factor = _factors(rng, unit, mat, part, ids)
    supplied = part[rng.random(n_part) < 0.35]
    supplier_unit = np.where(
        unit[supplied] == "kg",
        rng.choice(np.array(["kg", "g"], dtype=object), len(supplied)),
        np.where(rng.random(len(supplied)) < 0.9, "piece", "kg"),  # per kg of a piece part
    ).astype(object)
    supplier_value = rng.lognormal(np.log(0.05), 1.0, len(supplied))
    supplier_value[supplier_unit == "kg"] *= 100.0
    supplier_value[supplier_unit == "g"] *= 0.1
    suppliers = SupplierFootprints(
        item_id=ids[supplied],
        supplier=np.char.add("Supplier ", rng.integers(1, 400, len(supplied)).astype(str)),
        co2e_kg=supplier_value,
        per_unit=supplier_unit,
        primary_data_share=rng.uniform(0.2, 1.0, len(supplied)),
        pcf_id=np.where(
            rng.random(len(supplied)) < 0.5,
            np.char.add("urn:uuid:pcf-", np.arange(len(supplied)).astype(str)).astype(object),
            np.full(len(supplied), None, dtype=object),
        ),
        dataset_version=["supplier_footprints@1"] * len(supplied),
    )

    # -- machines, production, meters -----------------------------------------------
    machine_ids = _ids("MC", machines)
    processes = np.array(
        ["machining", "assembly", "welding", "painting", "moulding", "heat_treatment"],
        dtype=object,
    )
    machine_process = rng.choice(processes, machines)
    machine_key = rng.choice(
        np.array(["units", "mass", "time"], dtype=object), machines, p=[0.5, 0.25, 0.25]
    )
    idle = max(1, machines // 150)  # the last few machines produce nothing in the period
    working = machines - idle
    made = np.arange(parents)
    first_machine = rng.integers(0, working, parents)
    first_machine[rng.permutation(parents)[:working]] = np.arange(working)  # none unused
    second = rng.random(parents) < 0.2
    second_machine = (first_machine[second] + rng.integers(1, working, second.sum())) % working
    prod_item = np.concatenate((made, made[second]))
    prod_machine = np.concatenate((first_machine, second_machine))
    units_made = np.where(
        prod_item < products,
        rng.lognormal(np.log(600.0), 1.0, len(prod_item)),
        rng.lognormal(np.log(2500.0), 1.2, len(prod_item)),
    )
    units_made = np.where(unit[prod_item] == "kg", np.round(units_made, 1), np.ceil(units_made))
    production = ProductionCounts(
        machine_id=machine_ids[prod_machine],
        item_id=ids[prod_item],
        quantity=units_made,
        source=np.where(
            rng.random(len(prod_item)) < 0.7,
            np.char.add("telemetry:C-", machine_ids[prod_machine].astype(str)).astype(object),
            "upload:production_counts@1",
        ),
    )
    meters = _meters(rng, machine_ids, machine_process)

    return FootprintInputs(
        items=Items(
            item_id=ids,
            item_type=kind,
            declared_unit=unit,
            mass_per_piece_kg=mass,
            standard_time_min=time,
        ),
        bom=BomLines(
            parent_item_id=ids[edge_parent],
            child_item_id=ids[edge_child],
            quantity=quantity,
            unit=line_unit,
            scrap_rate=scrap,
        ),
        emission_factors=factor_tables,
        factor_mapping=FactorMapping(item_id=mapping_item, factor_id=mapping_factor),
        supplier_footprints=suppliers,
        site=SiteSettings(
            site_id="SYNTH-1",
            grid_region="SYNTH-GRID",
            gas_calorific_value_mj_per_m3=38.3,
            gas_factor_id="EF-NG-COMBUSTION",
            gas_upstream_factor_id="EF-NG-UPSTREAM",
        ),
        grid_mix=GridMix(
            technology=["coal", "gas", "hydro", "nuclear", "solar", "wind"],
            share=[0.22, 0.31, 0.05, 0.12, 0.1, 0.2],
            co2e_kg=[820.0, 490.0, 24.0, 12.0, 0.041, 11.0],
            per_unit=["MWh", "MWh", "MWh", "MWh", "kWh", "MWh"],
        ),
        machines=Machines(
            machine_id=machine_ids, process=machine_process, allocation_key=machine_key
        ),
        meters=meters,
        production=production,
    )


def _ids(prefix: str, count: int) -> npt.NDArray[np.object_]:
    return np.char.add(prefix, np.char.zfill(np.arange(1, count + 1).astype(str), 6)).astype(object)


def _skewed(rng: np.random.Generator, size: _Ints) -> _Ints:
    """An index in [0, size) for each size, small indices much more likely (sharing)."""
    return np.minimum((size * rng.random(len(size)) ** 2.5).astype(np.int64), size - 1)


def _draw_children(
    rng: np.random.Generator,
    parent_tier: _Ints,
    tier_start: _Ints,
    mat: _Ints,
    part: _Ints,
) -> _Ints:
    """A child for each parent tier: a sub-assembly of one of the three tiers just below
    (the next one most often), else a material or a purchased part."""
    count = len(parent_tier)
    top = np.minimum(parent_tier - 1, SUBASSEMBLY_TIERS)
    sub_share = np.where(parent_tier > SUBASSEMBLY_TIERS, 0.5, 0.3)
    wants_sub = (rng.random(count) < sub_share) & (top >= 1)
    child = np.empty(count, dtype=np.int64)

    span = np.minimum(top, 3)[wants_sub]
    child_tier = top[wants_sub] - (span * rng.random(wants_sub.sum()) ** 2).astype(np.int64)
    start = tier_start[child_tier - 1]
    size = tier_start[child_tier] - start
    empty = size == 0  # a tier without sub-assemblies (tiny factories only)
    child[np.flatnonzero(wants_sub)] = np.where(
        empty, mat[0], start + _skewed(rng, np.maximum(size, 1))
    )

    leaf = np.flatnonzero(~wants_sub)
    is_material = rng.random(len(leaf)) < 0.35
    child[leaf[is_material]] = mat[_skewed(rng, np.full(is_material.sum(), len(mat)))]
    parts = leaf[~is_material]
    child[parts] = part[_skewed(rng, np.full(len(parts), len(part)))]
    return child


def _bom_quantities(
    rng: np.random.Generator,
    child_unit: npt.NDArray[np.object_],
    child_kind: npt.NDArray[np.object_],
    child_mass: _Floats,
    parent_kg: _Floats,
) -> tuple[npt.NDArray[np.object_], _Floats]:
    """A line unit convertible to the child's declared unit, and a quantity in it:
    whole pieces, or an amount of material in proportion to the parent's mass."""
    count = len(child_unit)
    u = rng.random(count)
    line_unit = child_unit.copy()
    pieces = rng.choice(np.array([1.0, 2.0, 4.0]), count, p=[0.8, 0.15, 0.05])
    fasteners = (child_kind == "purchased_part") & (rng.random(count) < 0.3)
    pieces[fasteners] = np.round(rng.uniform(2, 12, fasteners.sum()))
    quantity = pieces.copy()
    share = rng.lognormal(np.log(0.15), 0.8, count) * parent_kg  # kg-ish of the parent

    kg = child_unit == "kg"
    quantity[kg] = np.round(share[kg], 6)
    in_grams = kg & (u < 0.5) & (child_kind != "purchased_part")
    line_unit[in_grams] = "g"
    quantity[in_grams] = np.round(share[in_grams] * 1000.0, 3)
    by_count = kg & (child_kind == "purchased_part") & (u < 0.5)  # kg part counted in pieces
    line_unit[by_count] = "piece"
    quantity[by_count] = pieces[by_count] * 4

    weighed = (child_kind == "purchased_part") & (child_unit == "piece") & (u < 0.05)
    line_unit[weighed] = "g"  # a piece part weighed out: g -> pieces by its mass
    quantity[weighed] = np.round(pieces[weighed] * child_mass[weighed] * 1000.0, 3)

    tonnes = child_unit == "t"
    line_unit[tonnes] = "kg"
    quantity[tonnes] = np.round(share[tonnes], 6)
    for symbol, per_kg in (("m2", 0.5), ("m", 2.0), ("L", 0.3)):
        rows = child_unit == symbol
        quantity[rows] = np.round(share[rows] * per_kg, 6)
    cubic = (child_unit == "L") & (u < 0.2)
    line_unit[cubic] = "m3"
    quantity[cubic] = quantity[cubic] / 1000.0
    return line_unit, quantity


def _factors(
    rng: np.random.Generator,
    unit: npt.NDArray[np.object_],
    mat: _Ints,
    part: _Ints,
    ids: npt.NDArray[np.object_],
) -> tuple[EmissionFactors, npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Database factors by dimension, the mapping of items to them, and gas factors."""
    per_unit: list[npt.NDArray[np.object_]] = []
    value: list[_Floats] = []
    families: dict[str, tuple[int, int]] = {}  # item unit -> factor rows [start, end)
    # (item unit, factor units to choose from, their scale to the item unit, median, count)
    specs = (
        ("kg", ("kg", "t", "g"), (1.0, 1000.0, 0.001), 2.5, 200),
        ("t", ("t", "kg"), (1.0, 0.001), 2500.0, 20),
        ("m2", ("m2",), (1.0,), 6.0, 30),
        ("m", ("m",), (1.0,), 0.8, 20),
        ("L", ("L", "m3"), (1.0, 1000.0), 3.0, 30),
        ("piece", ("piece",), (1.0,), 0.05, 150),
        ("part-kg", ("kg",), (1.0,), 7.0, 50),
    )
    start = 0
    for item_unit, symbols, scales, median, count in specs:
        choice = rng.integers(0, len(symbols), count)
        per_unit.append(np.array(symbols, dtype=object)[choice])
        value.append(rng.lognormal(np.log(median), 0.9, count) * np.array(scales)[choice])
        families[item_unit] = (start, start + count)
        start += count
    n = start
    factor_ids = _ids("EF-", n)
    co2e = np.concatenate(value)
    as_gases = rng.random(n) < 0.3
    ch4_share = rng.uniform(0.0, 0.05, n)
    n2o_share = rng.uniform(0.0, 0.01, n)
    co2 = np.where(as_gases, co2e * (1 - ch4_share - n2o_share), NAN)
    ch4 = np.where(as_gases, co2e * ch4_share / 29.8, NAN)
    n2o = np.where(as_gases, co2e * n2o_share / 273.0, NAN)
    co2e = np.where(as_gases, NAN, co2e)
    gwp_set = np.where(
        as_gases,
        np.full(n, None, dtype=object),
        np.where(rng.random(n) < 0.9, "AR6", "AR5").astype(object),
    )
    origin = np.where(rng.random(n) < 0.8, "fossil", "non_fossil").astype(object)

    # mapping: every material and purchased part but a few among the rarely used ones
    # (children are drawn with a skew towards the first rows)
    item_rows: list[_Ints] = []
    factor_rows: list[_Ints] = []
    for rows, is_part, unmapped_share in ((mat, False, 0.002), (part, True, 0.002)):
        rare = np.arange(len(rows)) >= 0.8 * len(rows)
        kept = rows[~(rare & (rng.random(len(rows)) < 5 * unmapped_share))]
        for item_unit in sorted(set(unit[kept].tolist())):
            these = kept[unit[kept] == item_unit]
            if is_part and item_unit == "piece":
                # per-piece factors, some per kg through the part's mass per piece
                family = np.where(rng.random(len(these)) < 0.2, "part-kg", "piece")
            elif is_part:
                family = np.full(len(these), "part-kg")
            else:
                family = np.full(len(these), item_unit)
            for name in sorted(set(family.tolist())):
                chosen = these[family == name]
                lo, hi = families[name]
                item_rows.append(chosen)
                factor_rows.append(lo + _skewed(rng, np.full(len(chosen), hi - lo)))
    mapped_items = np.concatenate(item_rows)
    mapped_factors = np.concatenate(factor_rows)

    gas_ids = np.array(["EF-NG-COMBUSTION", "EF-NG-UPSTREAM"], dtype=object)
    tables = EmissionFactors(
        factor_id=np.concatenate((factor_ids, gas_ids)),
        per_unit=np.concatenate((np.concatenate(per_unit), ["kWh", "MJ"])),
        co2_kg=np.concatenate((co2, [0.1829, NAN])),
        ch4_kg=np.concatenate((ch4, [3.4e-6, NAN])),
        n2o_kg=np.concatenate((n2o, [3.4e-7, NAN])),
        co2e_kg=np.concatenate((co2e, [NAN, 0.0091])),
        co2e_gwp_set=np.concatenate((gwp_set, np.array([None, "AR6"], dtype=object))),
        ch4_origin=np.concatenate((origin, ["fossil", "fossil"])),
        energy_basis=np.concatenate((np.full(n, None, dtype=object), ["gross", "gross"])),
        source=["synthetic database"] * (n + 2),
        dataset_version=["emission_factors@1"] * (n + 2),
    )
    return tables, ids[mapped_items], tables.factor_id[mapped_factors]


def _meters(
    rng: np.random.Generator,
    machine_ids: npt.NDArray[np.object_],
    machine_process: npt.NDArray[np.object_],
) -> MeterTotals:
    """One electricity meter per machine, gas on the thermal processes and a few others,
    and site overhead meters (no machine)."""
    machines = len(machine_ids)
    thermal = np.isin(machine_process, ["heat_treatment", "painting", "moulding"])
    has_gas = np.flatnonzero(
        np.where(thermal, rng.random(machines) < 0.6, rng.random(machines) < 0.05)
    )
    gas_in_kwh = rng.random(len(has_gas)) < 0.3
    overhead_electricity = ("lighting", "hvac", "compressed-air", "it", "warehouse", "offices")
    overhead_gas = ("space-heating", "canteen")
    meter_id = np.concatenate(
        (
            np.char.add("E-", machine_ids.astype(str)),
            np.char.add("G-", machine_ids[has_gas].astype(str)),
            [f"E-SITE-{name}" for name in overhead_electricity],
            [f"G-SITE-{name}" for name in overhead_gas],
        )
    ).astype(object)
    overhead = len(overhead_electricity) + len(overhead_gas)
    machine_column = np.concatenate(
        (machine_ids, machine_ids[has_gas], np.full(overhead, None, dtype=object))
    )
    quantity = np.array(
        ["electricity"] * machines
        + ["natural_gas"] * len(has_gas)
        + ["electricity"] * len(overhead_electricity)
        + ["natural_gas"] * len(overhead_gas),
        dtype=object,
    )
    electricity_kwh = rng.lognormal(np.log(40_000.0), 1.0, machines)
    gas_m3 = rng.lognormal(np.log(8_000.0), 1.0, len(has_gas))
    total = np.concatenate(
        (
            np.round(electricity_kwh, 3),
            np.round(np.where(gas_in_kwh, gas_m3 * 10.64, gas_m3), 3),
            np.round(rng.lognormal(np.log(150_000.0), 0.5, len(overhead_electricity)), 3),
            np.round(rng.lognormal(np.log(30_000.0), 0.5, len(overhead_gas)), 3),
        )
    )
    unit = np.concatenate(
        (
            np.full(machines, "kWh", dtype=object),
            np.where(gas_in_kwh, "kWh", "m3").astype(object),
            np.full(len(overhead_electricity), "kWh", dtype=object),
            np.full(len(overhead_gas), "m3", dtype=object),
        )
    )
    count = len(meter_id)
    return MeterTotals(
        meter_id=meter_id,
        machine_id=machine_column,
        quantity=quantity,
        unit=unit,
        total=total,
        completeness=np.round(rng.uniform(0.97, 1.0, count), 4),
        windows_hash=[""] * count,
    )


def main(argv: list[str] | None = None) -> None:
    """Generate a factory and print the size of each table (and how long it took)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=synthetic_factory.__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    inputs = synthetic_factory(
        items=args.items,
        edges=args.edges,
        products=args.products,
        machines=args.machines,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - start
    for name in FootprintInputs._TABLES:
        print(f"{name:20} {len(getattr(inputs, name)):>9,} rows")
    print(f"generated in {elapsed * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
