"""Audit records: a footprint recomputes bit-identically from its record alone."""

import json

from pcf.core.audit import canonical_json, footprint_audit_record, recompute_from_record
from pcf.core.engine import FootprintCalculation
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
from tests.unit.core.worked_example import worked_example_inputs


def _round_trip(record: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(canonical_json(record))
    return loaded


def test_worked_example_recomputes_bit_identically() -> None:
    calc = FootprintCalculation(worked_example_inputs())
    for item in ("A", "P"):
        record = _round_trip(footprint_audit_record(calc, calc.footprint(item), {"run_id": 1}))
        recomputed, differences = recompute_from_record(record)
        assert differences == []
        assert recomputed["total_kg_co2e"] == calc.footprint(item).total_kg_co2e


def test_record_holds_only_the_items_sub_graph_yet_reproduces() -> None:
    # Given two products sharing a site but not a BOM, with non-round numbers
    calc = FootprintCalculation(
        inputs(
            items=items(
                ("P", "product", "piece"),
                ("Q", "product", "piece"),
                ("S", "subassembly", "piece"),
                ("M1", "material", "kg"),
                ("M2", "material", "kg"),
            ),
            bom=bom(("P", "S", 3, "piece", 0.07), ("S", "M1", 0.123, "kg"), ("Q", "M2", 7, "kg")),
            emission_factors=factors(co2e_factor("E1", "kg", 1.7), co2e_factor("E2", "kg", 0.31)),
            factor_mapping=mapping(("M1", "E1"), ("M2", "E2")),
            machines=machines(("A",), ("B",)),
            meters=meters(
                ("A-E", "A", "electricity", "kWh", 1234.567),
                ("B-E", "B", "electricity", "kWh", 987.654),
                ("HVAC", None, "electricity", "kWh", 333.3),
            ),
            production=production(("A", "P", 77), ("A", "S", 240), ("B", "Q", 31)),
        )
    )
    record = _round_trip(footprint_audit_record(calc, calc.footprint("P"), {}))
    # Then the record holds P's sub-graph only (Q's BOM line is absent) ...
    assert record["inputs"]["bom"]["parent_item_id"] == ["P", "S"]  # type: ignore[index]
    # ... and recomputing gives the same bits
    _, differences = recompute_from_record(record)
    assert differences == []


def test_a_changed_input_in_the_record_is_detected() -> None:
    calc = FootprintCalculation(worked_example_inputs())
    record = _round_trip(footprint_audit_record(calc, calc.footprint("P"), {}))
    record["inputs"]["meters"]["total"][0] = 1000.0000001  # type: ignore[index]
    _, differences = recompute_from_record(record)
    assert "total_kg_co2e" in differences
