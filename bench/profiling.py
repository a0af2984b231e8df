"""Reading a cProfile run for the benchmarks: seconds per stage and the functions with
the most own time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# pstats' table: (file, line, function) -> (calls, primitive calls, own s, cumulative s, ...)
Entries = dict[tuple[str, int, str], Any]


def cumulative(entries: Entries, file_end: str, name: str) -> float:
    """Cumulative seconds of the functions called ``name`` in files ending ``file_end``
    (built-ins, file "~", match on a part of their name). cProfile's cumulative time
    already leaves out recursion, so same-named matches add up without counting twice."""
    return sum(
        float(value[3])
        for (file, _, function), value in entries.items()
        if (name in function if file == "~" else function == name) and file.endswith(file_end)
    )


def print_top_functions(entries: Entries, count: int) -> None:
    print(f"\n  top {count} functions by own time:")
    print(f"  {'own s':>7s} {'cum s':>7s} {'calls':>9s}  function")
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:count]
    for (file, line, function), (_, calls, own, cum, _) in top:
        where = function if file == "~" else f"{function} ({Path(file).name}:{line})"
        print(f"  {own:7.2f} {cum:7.2f} {calls:9,d}  {where}")
