"""Emission factors: GWP weighting, grid and natural-gas factors (METHOD.md, sources 3-4).

All functions return kg CO2e per unit of activity and take plain numbers, so each rule
of the method is one small function with a hand-computed test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pcf.formats.definitions import Ch4Origin, GwpSet


@dataclass(frozen=True)
class GlobalWarmingPotentials:
    """GWP100 values, kg CO2e per kg of gas."""

    name: GwpSet
    ch4_fossil: float
    ch4_non_fossil: float
    n2o: float
    source: str


GWP_SETS: dict[GwpSet, GlobalWarmingPotentials] = {
    GwpSet.AR6: GlobalWarmingPotentials(
        GwpSet.AR6, 29.8, 27.0, 273.0, "IPCC AR6 WG1 Table 7.15 (GWP100)"
    ),
    GwpSet.AR5: GlobalWarmingPotentials(GwpSet.AR5, 28.0, 28.0, 265.0, "IPCC AR5 (GWP100)"),
}


def co2e_from_gases(
    co2_kg: npt.ArrayLike,
    ch4_kg: npt.ArrayLike,
    n2o_kg: npt.ArrayLike,
    ch4_origin: npt.ArrayLike,
    gwp: GlobalWarmingPotentials,
) -> npt.NDArray[np.float64]:
    """kg CO2e = CO2 + CH4 x GWP(CH4, fossil or not) + N2O x GWP(N2O), element-wise.

    Missing gases (NaN) count as zero; CH4 is fossil unless its origin says otherwise.
    """
    co2 = np.nan_to_num(np.asarray(co2_kg, dtype=np.float64))
    ch4 = np.nan_to_num(np.asarray(ch4_kg, dtype=np.float64))
    n2o = np.nan_to_num(np.asarray(n2o_kg, dtype=np.float64))
    ch4_gwp = np.where(
        np.asarray(ch4_origin, dtype=object) == Ch4Origin.NON_FOSSIL.value,
        gwp.ch4_non_fossil,
        gwp.ch4_fossil,
    )
    result: npt.NDArray[np.float64] = co2 + ch4 * ch4_gwp + n2o * gwp.n2o
    return result


def location_based_grid_factor(
    shares: Sequence[float], lifecycle_factors_kg_per_kwh: Sequence[float]
) -> float:
    """Sum over technologies of share x lifecycle factor, kg CO2e per kWh.

    Summed in the order given (callers pass technologies sorted by name), so the same
    mix always gives the same bits.
    """
    total = 0.0
    for share, factor in zip(shares, lifecycle_factors_kg_per_kwh, strict=True):
        total += share * factor
    return total


def market_based_electricity_factor(
    contract_factor_kg_per_kwh: float,
    contract_covered_share: float,
    residual_mix_factor_kg_per_kwh: float | None,
    location_based_factor_kg_per_kwh: float,
) -> float:
    """Contract factor for the covered share; the rest at the residual mix when given,
    else at the location-based factor. kg CO2e per kWh."""
    uncovered_factor = (
        residual_mix_factor_kg_per_kwh
        if residual_mix_factor_kg_per_kwh is not None
        else location_based_factor_kg_per_kwh
    )
    return contract_factor_kg_per_kwh * contract_covered_share + uncovered_factor * (
        1.0 - contract_covered_share
    )


def gas_kwh_per_m3(calorific_value_mj_per_m3: float) -> float:
    """Energy in one cubic metre of gas: MJ/m3 / 3.6 MJ/kWh."""
    return calorific_value_mj_per_m3 / 3.6
