"""Our engine against bw2calc (Brightway) and a triangular-solve floor, on one factory.

    ./run bench engine_vs_brightway [--items 20000 --edges 100000 --products 5000
                                     --machines 500 --seed 1 --bw-products N]

1. Generates a seeded synthetic factory (``synthetic_factory.py``).
2. Ours: ``FootprintCalculation(inputs)`` plus reading ``totals()`` and the category
   columns (build + solve), and ``calc._solve()`` again on the built object (the one pass
   over the BOM, solve alone); best of ``--repeats``; tracemalloc peak of one build.
3. bw2calc with its default solver: one ``LCA`` over an in-memory datapackage made from
   the engine's own matrices (technosphere = 1 on the diagonal and the engine's
   coefficients A[parent, child] as flipped inputs; biosphere = the engine's direct
   emissions per category, 4 flows with characterization factor 1), then per product
   ``lci(demand={product: 1})``, ``lcia()``, the score and the characterized inventory
   summed per flow. The build is timed apart from the per-product loop. When the loop
   over every product would take more than ``ALL_PRODUCTS_BUDGET_S`` (measured on the
   first product), a seeded sample is computed and the time extrapolated, and the output
   says so; ``--bw-products N`` fixes the sample size. ``--bw-factorize`` factorizes the
   technosphere once in the build instead (bw2calc's ``decompose_technosphere``).
4. The floor: ``scipy.sparse.linalg.spsolve_triangular`` on (I - A), lower triangular
   with a unit diagonal in the engine's canonical order, with the 4 category columns as
   right-hand sides (the faster of (I - A) given as CSR or as CSC).

Prints a table, the accuracy of ours against bw2calc and the floor, and PASS/FAIL per
target. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.linalg import spsolve_triangular
from synthetic_factory import synthetic_factory

from pcf.core.engine import CATEGORIES, FootprintCalculation
from pcf.core.model import FootprintInputs

with warnings.catch_warnings():
    # bw2calc warns at import that pypardiso is not installed: we want its default
    # SciPy solver, and say which solver it used in the output.
    warnings.simplefilter("ignore")
    import bw2calc
    import bw_processing as bwp

ALL_PRODUCTS_BUDGET_S = 600.0  # compute every product with bw2calc when it fits in this
SAMPLE_BUDGET_S = 240.0  # otherwise a sample of about this long (at least MIN_SAMPLE)
MIN_SAMPLE = 3
TARGET_BW_RATIO = 100.0
TARGET_FLOOR_RATIO = 3.0
TARGET_DIFFERENCE = 1e-9

T = TypeVar("T")
Floats = npt.NDArray[np.float64]


def best_of(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of ``repeats`` calls, and the last call's result."""
    best = float("inf")
    result: T
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def relative_difference(
    ours_total: Floats, theirs_total: Floats, ours_categories: Floats, theirs_categories: Floats
) -> tuple[float, int, float]:
    """Largest difference in an item's total or in one of its categories, relative to the
    item's total (an exact zero category cannot be compared relative to itself: another
    solver's round-off leaves ~1e-16 x total there); with how many category values are
    exactly zero on our side but not on theirs, and the largest of those."""
    scale = np.maximum(np.abs(ours_total), np.abs(theirs_total))[:, None]
    difference = np.column_stack(
        (np.abs(ours_total - theirs_total), np.abs(ours_categories - theirs_categories))
    )
    ratio = np.divide(difference, scale, out=np.where(difference > 0, np.inf, 0.0), where=scale > 0)
    residue = (ours_categories == 0) & (theirs_categories != 0)
    return (
        float(ratio.max(initial=0.0)),
        int(residue.sum()),
        float(np.abs(theirs_categories[residue]).max(initial=0.0)),
    )


# -- ours ------------------------------------------------------------------------------


def run_engine(inputs: FootprintInputs) -> tuple[FootprintCalculation, Floats, Floats]:
    calc = FootprintCalculation(inputs)
    return calc, calc.totals(), calc.solution[:, : len(CATEGORIES)]


def category_direct(calc: FootprintCalculation) -> Floats:
    """items x 4: what one unit of each item emits itself, per category (the first
    columns of the engine's right-hand side)."""
    sources = calc.direct.shape[1]
    indicator = np.zeros((sources, len(CATEGORIES)))
    indicator[np.arange(sources), calc.source_category] = 1.0
    direct: Floats = np.asarray(calc.direct @ indicator)
    return direct


# -- floor -----------------------------------------------------------------------------


def floor_solve(identity_minus_a: sparse.sparray, direct: Floats) -> Floats:
    """(I - A) F = D by forward substitution: (I - A) is lower triangular, unit diagonal."""
    solution: Floats = spsolve_triangular(identity_minus_a, direct, lower=True, unit_diagonal=True)
    return solution


# -- bw2calc ---------------------------------------------------------------------------


@dataclass
class Brightway:
    lca: bw2calc.LCA
    activity_id: dict[str, int]  # item id -> bw2calc product/activity id
    flow_ids: list[int]  # one biosphere flow per category, in CATEGORIES order


def build_brightway(calc: FootprintCalculation, direct: Floats, first_product: str) -> Brightway:
    """One LCA object over an in-memory datapackage of the engine's matrices."""
    n = len(calc.item_ids)
    ids = np.arange(1, n + 1, dtype=np.int64)  # canonical row r is bw2calc id r + 1
    flows = np.arange(n + 1, n + 1 + len(CATEGORIES), dtype=np.int64)
    a = calc.technosphere.tocoo()  # A[parent, child]: child per unit of parent

    dp = bwp.create_datapackage()
    # technosphere[product, activity]: production 1, input -a (flipped) of child into parent
    tech = np.empty(n + a.nnz, dtype=bwp.INDICES_DTYPE)
    tech["row"] = np.concatenate((ids, ids[a.col]))
    tech["col"] = np.concatenate((ids, ids[a.row]))
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=tech,
        data_array=np.concatenate((np.ones(n), a.data)),
        flip_array=np.concatenate((np.zeros(n, dtype=bool), np.ones(a.nnz, dtype=bool))),
    )
    rows, categories = np.nonzero(direct)
    bio = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    bio["row"] = flows[categories]
    bio["col"] = ids[rows]
    dp.add_persistent_vector(
        matrix="biosphere_matrix", indices_array=bio, data_array=direct[rows, categories]
    )
    cf = np.empty(len(flows), dtype=bwp.INDICES_DTYPE)
    cf["row"] = flows
    cf["col"] = flows
    dp.add_persistent_vector(
        matrix="characterization_matrix", indices_array=cf, data_array=np.ones(len(flows))
    )
    activity_id = dict(zip(calc.item_ids.tolist(), ids.tolist(), strict=True))
    lca = bw2calc.LCA({activity_id[first_product]: 1.0}, data_objs=[dp])
    lca.load_lci_data()
    lca.load_lcia_data()
    return Brightway(lca, activity_id, flows.tolist())


def brightway_footprint(bw: Brightway, item_id: str) -> tuple[float, list[float]]:
    """Score and per-category scores of one unit of one product."""
    lca = bw.lca
    lca.lci(demand={bw.activity_id[item_id]: 1.0})
    lca.lcia()
    per_flow = np.asarray(lca.characterized_inventory.sum(axis=1)).ravel()
    return lca.score, [float(per_flow[lca.dicts.biosphere[f]]) for f in bw.flow_ids]


# -- report ----------------------------------------------------------------------------


def seconds(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.2f} h"
    if value >= 60:
        return f"{value / 60:.1f} min"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1e3:.2f} ms"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="best of this many (ours, floor)")
    parser.add_argument(
        "--bw-products",
        type=int,
        default=0,
        help="products to compute with bw2calc (then extrapolated to all); default: all of "
        f"them if that takes under {ALL_PRODUCTS_BUDGET_S:.0f} s (judged on the first "
        f"product), else a seeded sample of about {SAMPLE_BUDGET_S:.0f} s",
    )
    parser.add_argument(
        "--bw-factorize",
        action="store_true",
        help="factorize the technosphere once in the bw2calc build (lca.decompose_"
        "technosphere()), so that each product is a solve with the stored factors",
    )
    args = parser.parse_args(argv)
    wall_start = time.perf_counter()

    # -- inputs --------------------------------------------------------------------
    start = time.perf_counter()
    inputs = synthetic_factory(
        items=args.items,
        edges=args.edges,
        products=args.products,
        machines=args.machines,
        seed=args.seed,
    )
    generated = time.perf_counter() - start

    # -- ours ----------------------------------------------------------------------
    ours_build, (calc, totals, by_category) = best_of(args.repeats, lambda: run_engine(inputs))
    ours_solve, solution = best_of(args.repeats, calc._solve)
    assert np.array_equal(solution, calc.solution), "solving again changed the solution"
    tracemalloc.start()
    run_engine(inputs)
    _, engine_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after_engine = max_rss_mb()

    product_ids = sorted(calc.item_ids[calc.item_type == "product"].tolist())
    product_rows = calc.row_of(product_ids)
    direct = category_direct(calc)
    assert np.array_equal(direct, calc._right_hand_side()[:, : len(CATEGORIES)])

    # -- floor ---------------------------------------------------------------------
    a = calc.technosphere
    assert sparse.triu(a).nnz == 0, "A is not strictly lower triangular in canonical order"
    identity_minus_a = (sparse.identity(len(calc.item_ids), format="csr") - a).tocsr()
    identity_minus_a.sort_indices()
    floors = {
        layout: best_of(args.repeats, partial(floor_solve, matrix, direct))
        for layout, matrix in (("CSR", identity_minus_a), ("CSC", identity_minus_a.tocsc()))
    }
    floor_layout = min(floors, key=lambda layout: floors[layout][0])
    floor_time, floor_solution = floors[floor_layout]

    # -- bw2calc -------------------------------------------------------------------
    sample_order = np.random.default_rng(args.seed).permutation(len(product_ids))
    bw_build, bw = best_of(
        args.repeats, lambda: build_brightway(calc, direct, product_ids[sample_order[0]])
    )
    if args.bw_factorize:
        start = time.perf_counter()
        bw.lca.decompose_technosphere()
        bw_build += time.perf_counter() - start
    bw_totals: list[float] = []
    bw_categories: list[list[float]] = []
    computed: list[int] = []
    wanted = min(args.bw_products, len(product_ids)) if args.bw_products > 0 else None
    loop_start = time.perf_counter()
    for position in sample_order:
        score, categories = brightway_footprint(bw, product_ids[position])
        bw_totals.append(score)
        bw_categories.append(categories)
        computed.append(int(position))
        if wanted is None:  # decide on the first product how many to compute
            first = time.perf_counter() - loop_start
            if first * len(product_ids) <= ALL_PRODUCTS_BUDGET_S:
                wanted = len(product_ids)
            else:
                wanted = min(len(product_ids), max(MIN_SAMPLE, int(SAMPLE_BUDGET_S / first)))
        if len(computed) >= wanted:
            break
    bw_loop = time.perf_counter() - loop_start
    bw_per_product = bw_loop / len(computed)
    bw_all = bw_per_product * len(product_ids)
    extrapolated = len(computed) < len(product_ids)

    # -- accuracy ------------------------------------------------------------------
    rows = product_rows[computed]
    bw_vs_ours, bw_residues, bw_residue = relative_difference(
        totals[rows], np.array(bw_totals), by_category[rows], np.array(bw_categories)
    )
    floor_totals = floor_solution[:, 0].copy()
    for column in range(1, len(CATEGORIES)):
        floor_totals += floor_solution[:, column]
    floor_vs_ours, floor_residues, floor_residue = relative_difference(
        totals, floor_totals, by_category, floor_solution
    )

    # -- report --------------------------------------------------------------------
    levels = np.bincount(calc.heights)
    solver = (
        "pypardiso"
        if bw2calc.PYPARDISO
        else "scikit-umfpack"
        if bw2calc.UMFPACK
        else "SciPy spsolve (SuperLU)"
    )
    if args.bw_factorize:
        solver += ", factorized once (decompose_technosphere)"
    else:
        solver += ", a new factorization per lci()"
    n_products = len(product_ids)
    print(
        f"synthetic factory (seed {args.seed}): {len(calc.item_ids):,} items "
        f"({n_products:,} products), {len(inputs.bom):,} BOM lines, "
        f"{len(inputs.machines):,} machines, {len(inputs.meters):,} meters; "
        f"generated in {seconds(generated)}"
    )
    print(
        f"BOM levels (items per height 0..{len(levels) - 1}): {levels.tolist()}; "
        f"A: {a.nnz:,} non-zeros, strictly lower triangular in canonical order"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {version('scipy')}, bw2calc {bw2calc.__version__}, "
        f"bw_processing {bwp.__version__}, matrix_utils {version('matrix_utils')}; "
        f"bw2calc solver: {solver}"
    )
    print()
    bw_note = (
        f"extrapolated from {len(computed):,} of {n_products:,} products"
        if extrapolated
        else f"all {n_products:,} products"
    )
    table = [
        ("ours: build + solve (all items)", ours_build, f"best of {args.repeats}"),
        ("ours: solve alone (calc._solve())", ours_solve, f"best of {args.repeats}"),
        ("bw2calc: build (datapackage, LCA, load)", bw_build, "one-off"),
        (f"bw2calc: lci + lcia for {n_products:,} products", bw_all, bw_note),
        ("bw2calc: per product", bw_per_product, f"mean over {len(computed):,}"),
        (
            "floor: spsolve_triangular, 4 columns",
            floor_time,
            f"best of {args.repeats}, (I - A) as {floor_layout}",
        ),
    ]
    width = max(len(label) for label, _, _ in table)
    print(f"{'':{width}}  {'time':>10}  note")
    for label, value, note in table:
        print(f"{label:{width}}  {seconds(value):>10}  {note}")
    print()
    ratios = [
        ("bw2calc / ours (build + solve)", bw_all / ours_build),
        ("bw2calc / ours (solve alone)", bw_all / ours_solve),
        ("ours (build + solve) / floor", ours_build / floor_time),
        ("ours (solve alone) / floor", ours_solve / floor_time),
    ]
    width = max(len(label) for label, _ in ratios)
    for label, value in ratios:
        print(f"{label:{width}}  {value:>12,.1f}")
    print()
    for name, count, value, residues, residue in (
        ("bw2calc", f"{len(computed):,} products", bw_vs_ours, bw_residues, bw_residue),
        (
            "floor",
            f"all {len(calc.item_ids):,} items",
            floor_vs_ours,
            floor_residues,
            floor_residue,
        ),
    ):
        print(
            f"ours vs {name} ({count}): largest difference in a total or category, "
            f"relative to the item's total: {value:.2e}"
        )
        if residues:
            print(
                f"  ({residues:,} category values are exactly 0 in ours and round-off in "
                f"{name}, at most {residue:.1e} kg)"
            )
    print(
        f"memory: engine build tracemalloc peak {engine_peak / 2**20:,.1f} MiB; "
        f"process ru_maxrss {rss_after_engine:,.0f} MiB after ours, "
        f"{max_rss_mb():,.0f} MiB at the end (bw2calc included)"
    )
    print()
    checks = [
        (f"bw2calc / ours (build + solve) >= {TARGET_BW_RATIO:g}", ratios[0][1], True),
        (f"bw2calc / ours (solve alone) >= {TARGET_BW_RATIO:g}", ratios[1][1], True),
        (f"ours (build + solve) / floor <= {TARGET_FLOOR_RATIO:g}", ratios[2][1], False),
        (f"ours (solve alone) / floor <= {TARGET_FLOOR_RATIO:g}", ratios[3][1], False),
    ]
    for label, value, at_least in checks:
        target = TARGET_BW_RATIO if at_least else TARGET_FLOOR_RATIO
        passed = value >= target if at_least else value <= target
        print(f"{verdict(passed)}  {label}: {value:,.1f}")
    for label, value in (
        ("ours vs bw2calc", bw_vs_ours),
        ("ours vs floor", floor_vs_ours),
    ):
        print(f"{verdict(value < TARGET_DIFFERENCE)}  {label} < {TARGET_DIFFERENCE:g}: {value:.2e}")
    print(f"\n(total run time {seconds(time.perf_counter() - wall_start)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
