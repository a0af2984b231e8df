"""Small numpy idioms the core uses in more than one place."""

from __future__ import annotations

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


def positions_in(
    sorted_keys: npt.NDArray[np.str_], keys: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Position of each key in ``sorted_keys`` and a mask of the keys that are absent."""
    wanted = np.asarray(keys, dtype=sorted_keys.dtype if len(sorted_keys) else str)
    if len(sorted_keys) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.ones(len(wanted), dtype=bool)
    positions = np.searchsorted(sorted_keys, wanted)
    clipped = np.minimum(positions, len(sorted_keys) - 1)
    missing = sorted_keys[clipped] != wanted
    return clipped.astype(np.int64), missing
