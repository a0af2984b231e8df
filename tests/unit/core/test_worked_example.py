"""METHOD.md's worked example, reproduced to 1e-9 relative."""

import pytest

from pcf.core.engine import FootprintCalculation, machine_breakdown
from tests.unit.core.worked_example import worked_example_inputs

REL = 1e-9


@pytest.fixture(scope="module")
def calculation() -> FootprintCalculation:
    return FootprintCalculation(worked_example_inputs())


def test_site_factors(calculation: FootprintCalculation) -> None:
    # 0.4 x 0.820 + 0.3 x 0.490 + 0.3 x 0.011 and 0.2 + 0.00001 x 29.8 + 0.000001 x 273
    factors = calculation.energy_factors
    assert factors.electricity_location_kg_per_kwh == pytest.approx(0.4783, rel=REL)
    assert factors.natural_gas_kg_per_kwh == pytest.approx(0.200571, rel=REL)
    assert factors.natural_gas_kwh_per_m3 == pytest.approx(10.0, rel=REL)


def test_subassembly_a(calculation: FootprintCalculation) -> None:
    # A = 0.3 x 8.6 + 1.2 + (600 x 0.4783 + 200 x 0.200571) / 1000
    a = calculation.footprint("A")
    assert a.total_kg_co2e == pytest.approx(4.1070942, rel=REL)
    assert a.by_category["materials"] == pytest.approx(2.58, rel=REL)
    assert a.by_category["purchased_parts"] == pytest.approx(1.2, rel=REL)


def test_product_p_total_and_categories(calculation: FootprintCalculation) -> None:
    p = calculation.footprint("P")
    assert p.total_kg_co2e == pytest.approx(10.1207884, rel=REL)
    assert p.by_category == pytest.approx(
        {
            "materials": 6.11,
            "purchased_parts": 2.4,
            "electricity": 1.53056,
            "natural_gas": 0.0802284,
        },
        rel=REL,
    )
    assert p.complete and p.notes == ()


def test_product_p_by_item_and_machine(calculation: FootprintCalculation) -> None:
    p = calculation.footprint("P")
    by_item = {s.source_id: s.kg_co2e for s in p.by_source if s.source_kind == "item"}
    assert by_item == pytest.approx({"ALU": 5.16, "STEEL": 0.95, "C": 2.4}, rel=REL)
    assert machine_breakdown(p) == {
        "M1": {"electricity": pytest.approx(0.9566, rel=REL)},
        "M2": {
            "electricity": pytest.approx(0.57396, rel=REL),
            "natural_gas": pytest.approx(0.0802284, rel=REL),
        },
    }


def test_product_p_primary_data_share(calculation: FootprintCalculation) -> None:
    # (1.53056 + 0.0802284 + 2.4 x 0.5) / 10.1207884
    p = calculation.footprint("P")
    assert p.primary_data_share == pytest.approx(0.277724253, rel=1e-9)
    assert round(p.primary_data_share * 100, 2) == 27.77
