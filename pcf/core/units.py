"""Units of measure: one controlled vocabulary, converted through pint.

Files name units by the symbols in ``UNIT_SYMBOLS``; pint does the arithmetic. Pint is
slow per call (about 170 us a row), so conversions are computed once per distinct pair
of units and applied to numpy columns (see ``conversion_factors``).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

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


def conversion_factors(
    from_symbols: npt.ArrayLike, to_symbols: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Element-wise ``conversion_factor`` over two arrays of unit symbols.

    pint is called once per distinct pair, then the factors are gathered with numpy.
    Raises ``UnitError`` naming the first incompatible pair.
    """
    pairs = np.char.add(
        np.char.add(np.asarray(from_symbols, dtype=str), "\x1f"), np.asarray(to_symbols, dtype=str)
    )
    distinct, inverse = np.unique(pairs, return_inverse=True)
    factors = np.empty(len(distinct), dtype=np.float64)
    for position, pair in enumerate(distinct):
        source, target = str(pair).split("\x1f")
        factors[position] = conversion_factor(source, target)
    return factors[inverse.reshape(-1)]


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
    sources = np.asarray(from_symbols, dtype=str)
    targets = np.asarray(to_symbols, dtype=str)
    mass_per_piece = np.asarray(mass_per_piece_kg, dtype=np.float64)
    factors = np.full(len(sources), np.nan)

    source_dims = np.array([dimension_of(str(s)) for s in sources], dtype=object)
    target_dims = np.array([dimension_of(str(s)) for s in targets], dtype=object)
    # dimension_of is cached, so the two list comprehensions above cost a dict lookup a row.

    same = source_dims == target_dims
    if same.any():
        factors[same] = conversion_factors(sources[same], targets[same])

    piece_to_mass = (source_dims == Dimension.PIECE) & (target_dims == Dimension.MASS)
    if piece_to_mass.any():
        # one piece = mass_per_piece kg = mass_per_piece * (kg -> target)
        to_target = conversion_factors(np.full(piece_to_mass.sum(), "kg"), targets[piece_to_mass])
        factors[piece_to_mass] = mass_per_piece[piece_to_mass] * to_target

    mass_to_piece = (source_dims == Dimension.MASS) & (target_dims == Dimension.PIECE)
    if mass_to_piece.any():
        to_kg = conversion_factors(sources[mass_to_piece], np.full(mass_to_piece.sum(), "kg"))
        factors[mass_to_piece] = to_kg / mass_per_piece[mass_to_piece]

    unconvertible = ~np.isfinite(factors)
    return factors, unconvertible
