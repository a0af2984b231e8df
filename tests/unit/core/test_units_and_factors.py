"""Units and emission-factor rules of METHOD.md, each with a number computed by hand."""

import math

import numpy as np
import pytest

from pcf.core.factors import (
    GWP_SETS,
    co2e_from_gases,
    gas_kwh_per_m3,
    location_based_grid_factor,
    market_based_electricity_factor,
)
from pcf.core.units import UnitError, conversion_factor, quantity_factors
from pcf.formats.definitions import GwpSet


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("g", "kg", 0.001),
        ("t", "kg", 1000.0),
        ("lb", "kg", 0.45359237),
        ("Wh", "MWh", 1e-6),
        ("MJ", "kWh", 1 / 3.6),
        ("GJ", "kWh", 1000 / 3.6),
        ("therm", "kWh", 105505600 / 3.6e6),  # 1e5 Btu of 1055.056 J
        ("MMBtu", "kWh", 1055056000 / 3.6e6),  # 1e6 Btu
        ("ft3", "m3", 0.3048**3),
        ("kWh", "kWh", 1.0),
    ],
)
def test_conversion_factor(source: str, target: str, expected: float) -> None:
    assert conversion_factor(source, target) == pytest.approx(expected, rel=1e-12)


def test_units_of_different_dimensions_do_not_convert() -> None:
    with pytest.raises(UnitError, match=r'cannot convert "kWh" .*energy.* to "kg"'):
        conversion_factor("kWh", "kg")


def test_unknown_unit_names_the_known_ones() -> None:
    with pytest.raises(UnitError, match='unknown unit "kgs"; known units: g, kg'):
        conversion_factor("kgs", "kg")


def test_pieces_and_mass_convert_through_mass_per_piece() -> None:
    # Given a piece of 0.25 kg: 1 piece = 0.25 kg = 250 g, and 1 kg = 4 pieces
    factors, bad = quantity_factors(
        ["piece", "piece", "kg", "piece"], ["kg", "g", "piece", "kg"], [0.25, 0.25, 0.25, math.nan]
    )
    assert factors[:3] == pytest.approx([0.25, 250.0, 4.0], rel=1e-12)
    # Then without a mass per piece the crossing is flagged, never guessed
    assert bad.tolist() == [False, False, False, True]
    assert np.isnan(factors[3])


def test_location_based_grid_factor() -> None:
    # 0.4 x 0.820 + 0.3 x 0.490 + 0.3 x 0.011
    assert location_based_grid_factor([0.4, 0.3, 0.3], [0.820, 0.490, 0.011]) == pytest.approx(
        0.4783, rel=1e-12
    )


def test_market_based_factor_with_residual_mix() -> None:
    # 0.05 x 0.8 + 0.6 x 0.2 = 0.16
    assert market_based_electricity_factor(0.05, 0.8, 0.6, 0.4783) == pytest.approx(0.16, rel=1e-12)


def test_market_based_factor_falls_back_to_location_based() -> None:
    # 0.05 x 0.8 + 0.4783 x 0.2 = 0.13566
    assert market_based_electricity_factor(0.05, 0.8, None, 0.4783) == pytest.approx(
        0.13566, rel=1e-12
    )


@pytest.mark.parametrize(
    ("gwp_set", "ch4_origin", "expected"),
    [
        (GwpSet.AR6, "fossil", 0.2 + 0.00001 * 29.8 + 0.000001 * 273),  # 0.200571
        (GwpSet.AR6, "non_fossil", 0.2 + 0.00001 * 27.0 + 0.000001 * 273),  # 0.200543
        (GwpSet.AR5, "fossil", 0.2 + 0.00001 * 28 + 0.000001 * 265),  # 0.200545
    ],
)
def test_combustion_factor_from_gases(gwp_set: GwpSet, ch4_origin: str, expected: float) -> None:
    value = co2e_from_gases([0.2], [0.00001], [0.000001], [ch4_origin], GWP_SETS[gwp_set])
    assert value[0] == pytest.approx(expected, rel=1e-12)


def test_calorific_value_turns_volume_into_energy() -> None:
    # 36 MJ/m3 / 3.6 MJ/kWh = 10 kWh/m3
    assert gas_kwh_per_m3(36.0) == pytest.approx(10.0, rel=1e-12)
