"""Units of measure: one controlled vocabulary, converted through pint.

Files name units by the symbols in ``UNIT_SYMBOLS``; pint does the arithmetic. Pint is
slow per call (about 170 us a row), so conversions are computed once per distinct pair
of units and applied to numpy columns (see ``conversion_factors``).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from itertools import repeat

import numpy as np
import numpy.typing as npt
import pint

# A piece is counted, not weighed: giving it a dimension of its own makes pint refuse
# to convert pieces to kilograms without the item's mass per piece.
_registry: pint.UnitRegistry[float] = pint.UnitRegistry()
_registry.define("piece = [piece] = pc = pcs")
# pint knows Btu and therm but not MMBtu, the US fuel unit (1e6 Btu).
_registry.define("MMBtu = 1e6 * Btu")


class Dimension(StrEnum):
    MASS = "mass"
    ENERGY = "energy"
    VOLUME = "volume"
    AREA = "area"
    LENGTH = "length"
    PIECE = "piece"


# Symbol used in files -> pint expression. The symbols are what users type; anything
# else is rejected with the list of these, so there is exactly one spelling per unit.
UNIT_SYMBOLS: dict[str, str] = {
    "g": "gram",
    "kg": "kilogram",
    "t": "metric_ton",
    "lb": "pound",
    "Wh": "watt_hour",
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "MJ": "megajoule",
    "GJ": "gigajoule",
    "therm": "therm",
    "MMBtu": "MMBtu",
    "m3": "meter**3",
    "ft3": "foot**3",
    "L": "liter",
    "m2": "meter**2",
    "m": "meter",
    "piece": "piece",
}

_DIMENSIONALITY: dict[Dimension, str] = {
    Dimension.MASS: "[mass]",
    Dimension.ENERGY: "[mass] * [length] ** 2 / [time] ** 2",
    Dimension.VOLUME: "[length] ** 3",
    Dimension.AREA: "[length] ** 2",
    Dimension.LENGTH: "[length]",
    Dimension.PIECE: "[piece]",
}

# Canonical unit per dimension: what stores and the engine work in.
CANONICAL_UNIT: dict[Dimension, str] = {
    Dimension.MASS: "kg",
    Dimension.ENERGY: "kWh",
    Dimension.VOLUME: "m3",
    Dimension.AREA: "m2",
    Dimension.LENGTH: "m",
    Dimension.PIECE: "piece",
}


class UnitError(ValueError):
    """A unit symbol is unknown, or two units cannot be converted into each other."""


def is_known_unit(symbol: str) -> bool:
    return symbol in UNIT_SYMBOLS


@cache
def dimension_of(symbol: str) -> Dimension:
    """The physical dimension of a unit symbol from ``UNIT_SYMBOLS``."""
    if symbol not in UNIT_SYMBOLS:
        raise UnitError(f'unknown unit "{symbol}"; known units: {", ".join(UNIT_SYMBOLS)}')
    dimensionality = _registry.parse_units(UNIT_SYMBOLS[symbol]).dimensionality
    for dimension, expected in _DIMENSIONALITY.items():
        if dimensionality == _registry.get_dimensionality(expected):
            return dimension
    raise UnitError(f'unit "{symbol}" has no supported dimension')  # pragma: no cover


@cache
def conversion_factor(from_symbol: str, to_symbol: str) -> float:
    """How many ``to_symbol`` make one ``from_symbol`` (1 t -> 1000.0 kg)."""
    if dimension_of(from_symbol) is not dimension_of(to_symbol):
        raise UnitError(
            f'cannot convert "{from_symbol}" ({dimension_of(from_symbol)}) '
            f'to "{to_symbol}" ({dimension_of(to_symbol)})'
        )
    if from_symbol == to_symbol:
        return 1.0
    quantity = _registry.Quantity(1.0, UNIT_SYMBOLS[from_symbol])
    return float(quantity.to(UNIT_SYMBOLS[to_symbol]).magnitude)


@cache
def _tables() -> tuple[dict[str, int], npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    """Integer code per symbol, dimension per code, and the factor between every two
    codes (NaN across dimensions): pint is asked once per pair, once per process."""
    symbols = list(UNIT_SYMBOLS)
    codes = {symbol: code for code, symbol in enumerate(symbols)}
    dimensions = np.array([dimension_of(symbol) for symbol in symbols], dtype=object)
    factors = np.full((len(symbols), len(symbols)), np.nan)
    for i, source in enumerate(symbols):
        for j, target in enumerate(symbols):
            if dimensions[i] is dimensions[j]:
                factors[i, j] = conversion_factor(source, target)
    return codes, dimensions, factors


def unit_codes(symbols: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The table code of each symbol; raises ``UnitError`` for an unknown one."""
    codes = _tables()[0]
    values = np.asarray(symbols, dtype=object)
    found = np.fromiter(map(codes.get, values.tolist(), repeat(-1)), np.int64, len(values))
    if (found < 0).any():
        dimension_of(str(values[found < 0][0]))  # raises with the list of known units
    return found


def conversion_factors(
    from_symbols: npt.ArrayLike, to_symbols: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Element-wise ``conversion_factor`` over two arrays of unit symbols, by table
    lookup. Raises ``UnitError`` naming the first incompatible pair."""
    sources, targets = unit_codes(from_symbols), unit_codes(to_symbols)
    factors: npt.NDArray[np.float64] = _tables()[2][sources, targets]
    incompatible = np.isnan(factors)
    if incompatible.any():
        symbols = list(UNIT_SYMBOLS)
        first = int(np.flatnonzero(incompatible)[0])
        conversion_factor(symbols[sources[first]], symbols[targets[first]])  # raises
    return factors


def dimensions_of(symbols: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """``dimension_of`` element-wise, by table lookup."""
    dimensions: npt.NDArray[np.object_] = _tables()[1][unit_codes(symbols)]
    return dimensions


def quantity_factors(
    from_symbols: npt.ArrayLike,
    to_symbols: npt.ArrayLike,
    mass_per_piece_kg: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """How many ``to`` units one ``from`` unit is, crossing pieces and mass if needed.

    ``mass_per_piece_kg`` is the mass of one piece of the item being converted (NaN when
    the item does not say). Returns the factors and a mask of rows that could not be
    converted (a piece/mass crossing without a mass per piece, or any other mismatch);
    factors of those rows are NaN.
    """
    sources, targets = unit_codes(from_symbols), unit_codes(to_symbols)
    mass_per_piece = np.asarray(mass_per_piece_kg, dtype=np.float64)
    _, dimensions, table = _tables()
    kg = _tables()[0]["kg"]
    source_dims, target_dims = dimensions[sources], dimensions[targets]

    # same dimension: the table; pieces to mass and back: through the mass per piece
    factors = table[sources, targets]
    piece_to_mass = (source_dims == Dimension.PIECE) & (target_dims == Dimension.MASS)
    factors[piece_to_mass] = mass_per_piece[piece_to_mass] * table[kg, targets[piece_to_mass]]
    mass_to_piece = (source_dims == Dimension.MASS) & (target_dims == Dimension.PIECE)
    factors[mass_to_piece] = table[sources[mass_to_piece], kg] / mass_per_piece[mass_to_piece]

    unconvertible = ~np.isfinite(factors)
    return factors, unconvertible
