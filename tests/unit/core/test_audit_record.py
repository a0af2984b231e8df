"""Audit records: a footprint recomputes bit-identically from its record and its run's
site-inputs record (docs/decisions/0012), and its own record does not grow with what
else the site produces."""

import json

import pytest

from pcf.core.audit import (
    AUDIT_RECORD_VERSION,
    RunAuditRecords,
    SiteInputsMismatch,
    StoredSiteInputs,
    canonical_json,
    joined_record,
    recompute_from_record,
    site_inputs_sha256,
)
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
from tests.unit.core.worked_example import worked_example_inputs


def _round_trip(record: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(canonical_json(record))
    return loaded


def _records(calc: FootprintCalculation, item: str) -> tuple[dict[str, object], dict[str, object]]:
    """(footprint record, site-inputs record), as read back from their stored JSON."""
    run = RunAuditRecords(calc, {"site_id": "S"})
    return _round_trip(run.footprint_record(calc.footprint(item))), _round_trip(run.site_inputs)


def _two_products() -> FootprintCalculation:
    # two products sharing a site but not a BOM, with non-round numbers
    return FootprintCalculation(
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


def test_worked_example_recomputes_bit_identically() -> None:
    calc = FootprintCalculation(worked_example_inputs())
    for item in ("A", "P"):
        record, site = _records(calc, item)
        recomputed, differences = recompute_from_record(record, site)
        assert differences == []
        assert recomputed["total_kg_co2e"] == calc.footprint(item).total_kg_co2e


def test_record_holds_its_sub_graph_and_names_the_site_inputs_by_sha256() -> None:
    calc = _two_products()
    record, site = _records(calc, "P")
    # Then P's record holds P's sub-graph only (Q's BOM line and M2 are absent) ...
    assert record["record_version"] == AUDIT_RECORD_VERSION == 2
    assert record["inputs"]["bom"]["parent_item_id"] == ["P", "S"]  # type: ignore[index]
    assert record["inputs"]["items"]["item_id"] == ["P", "S", "M1"]  # type: ignore[index]
    assert "meters" not in record["inputs"]  # type: ignore[operator]
    # ... the site's energy and production are in the site-inputs record, named by the
    # sha256 of its canonical JSON ...
    assert site["inputs"]["meters"]["meter_id"] == ["A-E", "B-E", "HVAC"]  # type: ignore[index]
    assert site["inputs"]["items"]["item_id"] == ["P", "Q", "S"]  # type: ignore[index]
    assert record["site_inputs"] == {"sha256": site_inputs_sha256(canonical_json(site))}
    # ... and the two together recompute P to the same bits
    recomputed, differences = recompute_from_record(record, site)
    assert differences == []
    assert recomputed["total_kg_co2e"] == calc.footprint("P").total_kg_co2e


def test_joined_record_holds_every_input_once() -> None:
    calc = _two_products()
    record, site = _records(calc, "P")
    joined = joined_record(record, site)
    rebuilt = FootprintInputs.from_record(joined["inputs"])
    # every item of P's sub-graph and every item produced, each once
    assert sorted(rebuilt.items.item_id.tolist()) == ["M1", "P", "Q", "S"]
    assert rebuilt.meters.total.tolist() == [1234.567, 987.654, 333.3]
    assert joined["steps"]["electricity_location_kg_per_kwh"] == 1.0
    assert joined["steps"]["exploded_items"] == record["steps"]["exploded_items"]  # type: ignore[index]


def test_a_changed_input_in_the_record_is_detected() -> None:
    calc = FootprintCalculation(worked_example_inputs())
    record, site = _records(calc, "P")
    record["inputs"]["bom"]["quantity"][0] += 1e-9  # type: ignore[index]
    _, differences = recompute_from_record(record, site)
    assert "total_kg_co2e" in differences


def test_a_changed_site_input_is_detected_by_its_sha256() -> None:
    calc = FootprintCalculation(worked_example_inputs())
    record, site = _records(calc, "P")
    site["inputs"]["meters"]["total"][0] = 1000.0000001  # type: ignore[index]
    with pytest.raises(SiteInputsMismatch, match="tampered"):
        recompute_from_record(record, site)
    with pytest.raises(SiteInputsMismatch, match="missing"):
        recompute_from_record(record, None)


def test_own_record_does_not_grow_with_the_products_of_the_site() -> None:
    # Given a site making P (from S and M1) plus n other products, each from its own
    # material, all on one machine
    def site_making(n: int) -> FootprintCalculation:
        others = [f"Q{i:03d}" for i in range(n)]
        return FootprintCalculation(
            inputs(
                items=items(
                    ("P", "product", "piece"),
                    ("S", "subassembly", "piece"),
                    ("M1", "material", "kg"),
                    *((q, "product", "piece") for q in others),
                    *((f"M{q}", "material", "kg") for q in others),
                ),
                bom=bom(
                    ("P", "S", 2, "piece"),
                    ("S", "M1", 0.5, "kg"),
                    *((q, f"M{q}", 1.5, "kg") for q in others),
                ),
                emission_factors=factors(
                    co2e_factor("E1", "kg", 1.7), *(co2e_factor(f"E{q}", "kg", 0.3) for q in others)
                ),
                factor_mapping=mapping(("M1", "E1"), *((f"M{q}", f"E{q}") for q in others)),
                machines=machines(("A",)),
                meters=meters(("A-E", "A", "electricity", "kWh", 500.0)),
                production=production(
                    ("A", "P", 10), ("A", "S", 20), *(("A", q, 5) for q in others)
                ),
            )
        )

    small, large = site_making(10), site_making(200)
    small_record, small_site = _records(small, "P")
    large_record, large_site = _records(large, "P")
    # Then P's own inputs are the same document at 10 and at 200 other products: only
    # the site-inputs record grows
    assert canonical_json(small_record["inputs"]) == canonical_json(large_record["inputs"])
    own_size = len(canonical_json({**small_record, "result": None, "site_inputs": None}))
    assert own_size == len(canonical_json({**large_record, "result": None, "site_inputs": None}))
    assert len(canonical_json(large_site)) > 5 * len(canonical_json(small_site))
    # and both still recompute bit for bit
    assert recompute_from_record(small_record, small_site)[1] == []
    assert recompute_from_record(large_record, large_site)[1] == []


def test_the_joined_records_json_is_spliced_from_the_stored_parts_yet_the_same() -> None:
    calc = _two_products()
    run = RunAuditRecords(calc, {"site_id": "S", "telemetry": [{"meter_id": "A-E"}]})
    site = StoredSiteInputs(run.site_inputs_json)
    for item in ("P", "Q", "S"):
        record = _round_trip(run.footprint_record(calc.footprint(item)))
        # the same document as joining the parsed records, written from the stored text
        joined = site.joined_record(record)
        assert json.loads(site.joined_record_json(record)) == joined
        assert site.joined_record_json(record) == canonical_json(joined)
        assert joined["telemetry"] == [{"meter_id": "A-E"}]
