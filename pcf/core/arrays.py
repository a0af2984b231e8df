"""Small numpy idioms the core uses in more than one place."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import repeat

import numpy as np
import numpy.typing as npt


def concatenated_ranges(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) without the loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total, dtype=np.int64) + offsets


class KeyIndex:
    """Positions of string keys in their sorted order.

    A dict lookup per key: for ids of tens of thousands of rows this is several times
    cheaper than turning object arrays into numpy unicode and binary-searching them.
    """

    def __init__(self, keys: Iterable[object]) -> None:
        self.keys: list[str] = sorted(str(key) for key in keys)
        self._position = {key: position for position, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def has_duplicates(self) -> bool:
        return len(self._position) != len(self.keys)

    def positions(
        self, keys: Iterable[str], count: int = -1
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Position of each key in ``keys`` and a mask of the keys that are absent
        (their position is 0)."""
        # map over dict.get runs in C; keys are the str ids of the tables
        found = np.fromiter(map(self._position.get, keys, repeat(-1)), np.int64, count=count)
        missing = found < 0
        found[missing] = 0
        return found, missing

    def sorting_permutation(self, keys: Iterable[str], count: int) -> npt.NDArray[np.int64]:
        """The permutation that sorts ``keys`` (each key of this index exactly once):
        ``keys[result]`` is in index order. The inverse of their positions, no sort."""
        positions, missing = self.positions(keys, count)
        if missing.any() or count != len(self.keys):
            raise ValueError("sorting_permutation needs exactly the index's keys")
        permutation = np.empty(count, dtype=np.int64)
        permutation[positions] = np.arange(count)
        return permutation
