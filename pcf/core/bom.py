"""The bill-of-materials graph: cycles and levels.

Edges point from a parent to a child it consumes. The footprint pass visits items by
*height* (0 for items with no children, else 1 + the highest child), so every child is
computed before its parents, and an item's height depends only on what lies below it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pcf.core.arrays import concatenated_ranges


class BomCycleError(ValueError):
    """Some items consume themselves, directly or through other items."""

    def __init__(self, cycles: list[list[str]]) -> None:
        self.cycles = cycles
        described = "; ".join(" -> ".join([*cycle, cycle[0]]) for cycle in cycles)
        super().__init__(f"the BOM has {len(cycles)} cycle(s): {described}")


def item_heights(
    parent_index: npt.NDArray[np.int64],
    child_index: npt.NDArray[np.int64],
    item_ids: Sequence[str],
) -> npt.NDArray[np.int64]:
    """Height of each item in the BOM graph (edges as positions in ``item_ids``);
    raises ``BomCycleError`` naming the items of each cycle.

    Vectorised Kahn's algorithm, one frontier (level) at a time: the loop runs once per
    BOM level, tens of times at most, never once per item.
    """
    item_count = len(item_ids)
    heights = np.zeros(item_count, dtype=np.int64)
    if len(parent_index) == 0:
        return heights
    # children_of[parent] -> children; parents_of is its transpose.
    adjacency = sparse.csr_array(
        (np.ones(len(parent_index), dtype=np.int64), (parent_index, child_index)),
        shape=(item_count, item_count),
    )
    parents_of = adjacency.T.tocsr()
    unresolved_children = np.diff(adjacency.indptr).astype(np.int64)
    frontier = np.flatnonzero(unresolved_children == 0)
    resolved = len(frontier)
    level = 0
    while len(frontier):
        level += 1
        # each parent of the frontier loses one unresolved child per edge to the frontier
        starts, ends = parents_of.indptr[frontier], parents_of.indptr[frontier + 1]
        parent_hits = parents_of.indices[concatenated_ranges(starts, ends)]
        counts = parents_of.data[concatenated_ranges(starts, ends)]
        np.subtract.at(unresolved_children, parent_hits, counts)
        candidates = np.unique(parent_hits)
        frontier = candidates[unresolved_children[candidates] == 0]
        heights[frontier] = level
        resolved += len(frontier)
    if resolved < item_count:
        cycles = _cycles_among(adjacency, unresolved_children > 0)
        raise BomCycleError([[item_ids[i] for i in cycle] for cycle in cycles])
    return heights


def find_cycles(parents: list[str], children: list[str]) -> list[list[str]]:
    """The cycles in a BOM given as parallel lists of parent and child ids, each cycle
    as the list of item ids that form it (empty when there is none)."""
    ids = sorted(set(parents) | set(children))
    position = {item: index for index, item in enumerate(ids)}
    try:
        item_heights(
            np.array([position[p] for p in parents], dtype=np.int64),
            np.array([position[c] for c in children], dtype=np.int64),
            ids,
        )
    except BomCycleError as error:
        return error.cycles
    return []


def _cycles_among(adjacency: sparse.csr_array, stuck: npt.NDArray[np.bool_]) -> list[list[int]]:
    """Distinct cycles in the subgraph of items Kahn's algorithm could not resolve.

    Only runs on a broken BOM, so a plain depth-first walk over the stuck items is fine.
    Each item is reported in at most one cycle; the cycle starts at its smallest index.
    """
    stuck_items = set(np.flatnonzero(stuck).tolist())
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[int]] = []
    for root in sorted(stuck_items):
        if root in state:
            continue
        path: list[int] = []
        stack: list[tuple[int, list[int]]] = [(root, _stuck_children(adjacency, root, stuck_items))]
        state[root] = 1
        path.append(root)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            child = pending.pop()
            if state.get(child) == 1:
                cycle = path[path.index(child) :]
                smallest = cycle.index(min(cycle))
                cycles.append(cycle[smallest:] + cycle[:smallest])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, _stuck_children(adjacency, child, stuck_items)))
    return cycles


def _stuck_children(adjacency: sparse.csr_array, node: int, stuck: set[int]) -> list[int]:
    children = adjacency.indices[adjacency.indptr[node] : adjacency.indptr[node + 1]]
    return sorted((int(c) for c in children if int(c) in stuck), reverse=True)
