"""The QuickSight views of migration 0010 on PostgreSQL, against METHOD.md's worked
example (S1) and a second site (S2, see conftest) computed by hand."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.integration.footprints.conftest import TwoSites

pytestmark = pytest.mark.integration

A_S1 = 2.58 + 1.2 + (600 * 0.4783 + 200 * 0.200571) / 1000  # 4.1070942
A_S2 = 2.58 + 1.2 + 1000 * 0.4783 / 1000  # 4.2583
P_S1 = 2 * A_S1 + 0.5 * 1.9 + 1000 * 0.4783 / 500  # 10.1207884


def rows(db: Engine, sql: str) -> list[dict[str, Any]]:
    with db.connect() as connection:
        return [dict(row) for row in connection.execute(text(sql)).mappings()]


def test_footprints_by_product_and_period(db: Engine, two_sites: TwoSites) -> None:
    # Given both sites calculated for January
    # When QuickSight reads the footprints
    found = rows(db, "SELECT * FROM qs_footprint ORDER BY site_id, item_id")
    # Then one row per item produced, with METHOD.md's numbers
    assert [(r["site_id"], r["item_id"], r["item_type"]) for r in found] == [
        ("S1", "A", "subassembly"),
        ("S1", "P", "product"),
        ("S2", "A", "subassembly"),
    ]
    p = found[1]
    assert p["total_kg_co2e"] == pytest.approx(P_S1, rel=1e-12)
    assert p["materials_kg_co2e"] == pytest.approx(6.11)
    assert p["purchased_parts_kg_co2e"] == pytest.approx(2.4)
    assert p["electricity_kg_co2e"] == pytest.approx(1.53056)
    assert p["natural_gas_kg_co2e"] == pytest.approx(0.0802284)
    assert p["units_produced"] == 500.0
    assert p["electricity_kwh"] == pytest.approx(1000 / 500 + 2 * 600 / 1000)  # 3.2
    assert p["natural_gas_kwh"] == pytest.approx(2 * 200 / 1000)  # 0.4
    assert p["primary_data_share"] == pytest.approx(0.277724, abs=1e-6)
    assert found[2]["total_kg_co2e"] == pytest.approx(A_S2, rel=1e-12)
    assert not any(r["period_closed"] for r in found)


def test_breakdowns_add_up_to_the_total(db: Engine, two_sites: TwoSites) -> None:
    by_category = rows(
        db,
        "SELECT category, kg_co2e, share FROM qs_footprint_category "
        "WHERE site_id = 'S1' AND item_id = 'P' ORDER BY category",
    )
    assert {r["category"]: r["kg_co2e"] for r in by_category} == pytest.approx(
        {
            "electricity": 1.53056,
            "materials": 6.11,
            "natural_gas": 0.0802284,
            "purchased_parts": 2.4,
        }
    )
    assert sum(r["share"] for r in by_category) == pytest.approx(1.0)
    by_source = rows(
        db,
        "SELECT source_id, machine_id, category, kg_co2e, period_kg_co2e "
        "FROM qs_footprint_source WHERE site_id = 'S1' AND item_id = 'P'",
    )
    per_source = {(r["source_id"], r["category"]): r["kg_co2e"] for r in by_source}
    assert per_source == pytest.approx(
        {
            ("ALU", "materials"): 5.16,
            ("STEEL", "materials"): 0.95,
            ("C", "purchased_parts"): 2.4,
            ("M1-E", "electricity"): 0.9566,
            ("M2-E", "electricity"): 0.57396,
            ("M2-G", "natural_gas"): 0.0802284,
        }
    )
    assert sum(per_source.values()) == pytest.approx(P_S1)
    # over the period: per piece x 500 pieces of P
    steel = next(r for r in by_source if r["source_id"] == "STEEL")
    assert steel["period_kg_co2e"] == pytest.approx(0.95 * 500)


def test_energy_intensity_by_machine_against_the_best_of_the_same_process(
    db: Engine, two_sites: TwoSites
) -> None:
    found = {r["machine_id"]: r for r in rows(db, "SELECT * FROM qs_machine_energy")}
    # M1 assembles P: 1000 kWh over 500 pieces; alone in its process
    m1 = found["M1"]
    assert (m1["process"], m1["items_made"], m1["peers"]) == ("assembly", "P", 1)
    assert m1["kwh_per_unit"] == pytest.approx(2.0)
    assert m1["kg_co2e_per_unit"] == pytest.approx(0.9566)
    assert m1["kwh_ratio_to_best"] == pytest.approx(1.0)
    # M2 (S1) and M3 (S2) both machine A: M2 600 kWh + 20 m3 x 10 kWh/m3 = 800 kWh over
    # 1000 A; M3 1000 kWh over 1000 A. M2 is the best of the two
    m2, m3 = found["M2"], found["M3"]
    assert (m2["process"], m2["items_made"], m2["peers"]) == ("machining", "A", 2)
    assert (m2["electricity_kwh"], m2["natural_gas_kwh"]) == pytest.approx((600.0, 200.0))
    assert m2["kwh_per_unit"] == pytest.approx(0.8)
    assert m2["kg_co2e_per_unit"] == pytest.approx(0.3270942)
    assert m3["kwh_per_unit"] == pytest.approx(1.0)
    assert m3["kg_co2e_per_unit"] == pytest.approx(0.4783)
    assert m3["best_kwh_per_unit"] == pytest.approx(0.8)
    assert m3["kwh_ratio_to_best"] == pytest.approx(1.25)
    assert m3["kg_co2e_ratio_to_best"] == pytest.approx(0.4783 / 0.3270942)
    assert m2["kwh_ratio_to_best"] == pytest.approx(1.0)


def test_energy_intensity_by_site(db: Engine, two_sites: TwoSites) -> None:
    found = {r["site_id"]: r for r in rows(db, "SELECT * FROM qs_site_energy")}
    # S1: 1600 kWh electricity + 200 kWh gas over 500 P + 1000 A
    s1 = found["S1"]
    assert (s1["electricity_kwh"], s1["natural_gas_kwh"], s1["units_produced"]) == pytest.approx(
        (1600.0, 200.0, 1500.0)
    )
    assert s1["kwh_per_unit"] == pytest.approx(1.2)
    assert s1["kg_co2e"] == pytest.approx(1600 * 0.4783 + 200 * 0.200571)  # 805.3942
    assert found["S2"]["kwh_per_unit"] == pytest.approx(1.0)
    # the same item across sites: A at S1 is the best
    a = {r["site_id"]: r for r in rows(db, "SELECT * FROM qs_site_item_energy WHERE item_id = 'A'")}
    assert a["S1"]["kwh_per_unit"] == pytest.approx(0.8)
    assert a["S2"]["kwh_per_unit"] == pytest.approx(1.0)
    assert a["S2"]["best_kg_co2e_per_unit"] == pytest.approx(A_S1)
    assert a["S2"]["kg_co2e_ratio_to_best"] == pytest.approx(A_S2 / A_S1)
    assert a["S2"]["energy_kg_co2e_per_unit"] == pytest.approx(0.4783)
