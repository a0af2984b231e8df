"""Properties that hold for any factory: breakdowns add up, energy is conserved, and a
BOM quantity scales exactly its own contribution."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcf.core.engine import FootprintCalculation
from pcf.core.model import FootprintInputs
from tests.unit.core.builders import (
    bom,
    co2e_factor,
    factors,
    inputs,
    items,
    machines,
    mapping,
    meters,
    production,
)


@st.composite
def factories(draw: st.DrawFn) -> FootprintInputs:
    """A random site: materials at the bottom, in-house items above them in a DAG
    (an edge always points to an item of lower index), machines, meters, production."""
    materials = draw(st.integers(1, 4))
    in_house = draw(st.integers(1, 8))
    ids = [f"MAT{i}" for i in range(materials)] + [f"IH{i}" for i in range(in_house)]
    lines = []
    for parent in range(materials, len(ids)):
        children = draw(st.sets(st.integers(0, parent - 1), min_size=1, max_size=3))
        for child in sorted(children):
            quantity = draw(st.floats(0.01, 100, allow_nan=False))
            scrap = draw(st.sampled_from([0.0, 0.02, 0.1]))
            lines.append(
                (ids[parent], ids[child], quantity, "kg" if child < materials else "piece", scrap)
            )
    machine_count = draw(st.integers(1, 4))
    made = [
        (f"M{draw(st.integers(0, machine_count - 1))}", ids[i], float(draw(st.integers(1, 500))))
        for i in range(materials, len(ids))
        if draw(st.booleans()) or i == len(ids) - 1
    ]
    energy = [
        (f"M{m}-E", f"M{m}", "electricity", "kWh", draw(st.floats(0, 1e5, allow_nan=False)))
        for m in range(machine_count)
    ]
    energy.append(("HVAC", None, "electricity", "kWh", draw(st.floats(0, 1e4, allow_nan=False))))
    return inputs(
        items=items(
            *[(i, "material", "kg") for i in ids[:materials]],
            *[(i, "product", "piece") for i in ids[materials:]],
        ),
        bom=bom(*lines),
        emission_factors=factors(
            *[co2e_factor(f"EF{i}", "kg", draw(st.floats(0, 50))) for i in range(materials)]
        ),
        factor_mapping=mapping(*[(ids[i], f"EF{i}") for i in range(materials)]),
        machines=machines(*[(f"M{m}",) for m in range(machine_count)]),
        meters=meters(*energy),
        production=production(*made),
    )


@settings(max_examples=60, deadline=None)
@given(factories())
def test_breakdowns_add_up_to_the_total(factory: FootprintInputs) -> None:
    calc = FootprintCalculation(factory)
    for item_id in calc.produced_item_ids:
        footprint = calc.footprint(item_id)
        # the total is the sum of its categories, by construction
        assert footprint.total_kg_co2e == sum(footprint.by_category.values())
        by_source = math.fsum(s.kg_co2e for s in footprint.by_source)
        assert by_source == pytest.approx(footprint.total_kg_co2e, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(factories())
def test_allocated_energy_adds_up_to_metered_energy(factory: FootprintInputs) -> None:
    calc = FootprintCalculation(factory)
    allocated = np.bincount(
        calc.allocation.meter, weights=calc.allocation.kwh, minlength=len(calc.meter_kwh)
    )
    assert allocated.tolist() == pytest.approx(calc.meter_kwh.tolist(), rel=1e-12, abs=1e-9)
    # and what every produced unit carries, times the units, is the same energy again
    carried = math.fsum(
        calc.allocation.kwh_per_unit[k] * calc.units_produced[calc.allocation.item[k]]
        for k in range(len(calc.allocation.kwh))
    )
    assert carried == pytest.approx(math.fsum(calc.meter_kwh), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(factories(), st.data())
def test_scaling_a_bom_quantity_scales_exactly_that_contribution(
    factory: FootprintInputs, data: st.DataObject
) -> None:
    # Given one BOM line P -> C with quantity q, scaled by k
    line = data.draw(st.integers(0, len(factory.bom) - 1))
    k = data.draw(st.sampled_from([0.5, 2.0, 3.0, 10.0]))
    quantity = factory.bom.quantity.copy()
    quantity[line] *= k
    scaled = dataclasses.replace(factory, bom=dataclasses.replace(factory.bom, quantity=quantity))
    before, after = FootprintCalculation(factory), FootprintCalculation(scaled)
    parent = str(factory.bom.parent_item_id[line])
    child = str(factory.bom.child_item_id[line])
    child_total = before.totals()[before.row_of([child])[0]]
    contribution = factory.bom.quantity[line] * (1 + factory.bom.scrap_rate[line]) * child_total
    # Then the parent's footprint changes by exactly (k - 1) times that line's contribution
    parent_before = before.totals()[before.row_of([parent])[0]]
    parent_after = after.totals()[after.row_of([parent])[0]]
    assert parent_after - parent_before == pytest.approx(
        (k - 1) * contribution, rel=1e-9, abs=1e-9 * max(1.0, parent_before)
    )
