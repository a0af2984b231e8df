"""Charts of footprint results as inline SVG (matplotlib, no pyplot state, no network).

Each function takes plain numbers and labels and returns one ``<svg>`` element as text,
ready to be placed in an HTML page. Text stays text (``svg.fonttype = none``) and is
XML-escaped by matplotlib; ``$`` is not read as mathtext. The output is deterministic:
no date in the metadata, element ids salted per chart (so two charts on one page never
share a clip-path id).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

CATEGORY_COLOURS: dict[str, str] = {
    "materials": "#8c6d31",
    "purchased_parts": "#6b6ecf",
    "electricity": "#e7ba52",
    "natural_gas": "#d6616b",
}
CATEGORY_LABELS: dict[str, str] = {
    "materials": "Materials",
    "purchased_parts": "Purchased parts",
    "electricity": "Electricity",
    "natural_gas": "Natural gas",
}
OTHER_COLOUR = "#bdbdbd"
OVERHEAD_COLOUR = "#636363"
_MACHINE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#aec7e8", "#98df8a",
)  # fmt: skip
MAX_MACHINE_SERIES = len(_MACHINE_COLOURS)
_KG_LABEL = "kg CO2e per declared unit"


@contextmanager
def _style(chart_id: str) -> Iterator[None]:
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": f"pcf-report-{chart_id}",
            "text.parse_math": False,
            "font.size": 9,
        }
    ):
        yield


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG


def _figure(rows: int, per_row: float = 0.32, minimum: float = 2.0) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(9.0, max(minimum, 0.9 + per_row * rows)))
    return figure, figure.add_subplot()


def category_breakdown_chart(
    labels: Sequence[str], by_category: Sequence[Mapping[str, float]]
) -> str:
    """Stacked horizontal bars: one bar per result, one segment per category."""
    with _style("categories"):
        figure, axes = _figure(len(labels))
        positions = list(range(len(labels)))
        left = [0.0] * len(labels)
        for category, colour in CATEGORY_COLOURS.items():
            values = [row.get(category, 0.0) for row in by_category]
            axes.barh(
                positions,
                values,
                left=left,
                color=colour,
                label=CATEGORY_LABELS[category],
                height=0.7,
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        _bar_axes(axes, labels, "Breakdown by category")
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        return _svg(figure)


def machine_breakdown_chart(
    labels: Sequence[str], by_machine: Sequence[Mapping[str, float]]
) -> str:
    """Stacked horizontal bars: one bar per result, one segment per machine (metered
    energy only); the largest machines get a colour each, the rest are "other machines",
    and meters without a machine are "site overhead"."""
    totals: dict[str, float] = {}
    for row in by_machine:
        for machine, kg in row.items():
            if machine != "site overhead":
                totals[machine] = totals.get(machine, 0.0) + kg
    named = sorted(totals, key=lambda m: (-totals[m], m))[:MAX_MACHINE_SERIES]
    series: list[tuple[str, str, list[float]]] = [
        (machine, colour, [row.get(machine, 0.0) for row in by_machine])
        for machine, colour in zip(named, _MACHINE_COLOURS, strict=False)
    ]
    others = [
        sum(kg for m, kg in row.items() if m not in named and m != "site overhead")
        for row in by_machine
    ]
    if any(others):
        series.append(("other machines", OTHER_COLOUR, others))
    overhead = [row.get("site overhead", 0.0) for row in by_machine]
    if any(overhead):
        series.append(("site overhead", OVERHEAD_COLOUR, overhead))
    with _style("machines"):
        figure, axes = _figure(len(labels))
        positions = list(range(len(labels)))
        left = [0.0] * len(labels)
        for name, colour, values in series:
            axes.barh(positions, values, left=left, color=colour, label=name, height=0.7)
            left = [a + b for a, b in zip(left, values, strict=True)]
        _bar_axes(axes, labels, "Energy by machine (electricity and natural gas)")
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        return _svg(figure)


def top_contributors_chart(
    titles: Sequence[str],
    contributors: Sequence[Sequence[tuple[str, str, float]]],
    columns: int = 3,
) -> str:
    """Small multiples: one panel per result with its largest sources, as
    (label, category, kg CO2e per declared unit), largest first."""
    count = max(1, len(titles))
    rows = (count + columns - 1) // columns
    deepest = max((len(c) for c in contributors), default=1)
    with _style("contributors"):
        figure = Figure(figsize=(12.0, 0.6 + rows * (1.3 + 0.28 * deepest)))
        grid = figure.subplots(rows, columns, squeeze=False)
        for index, panel in enumerate(grid.flat):
            if index >= len(titles):
                panel.set_visible(False)
                continue
            sources = list(contributors[index])
            positions = list(range(len(sources)))
            panel.barh(
                positions,
                [kg for _, _, kg in sources],
                color=[CATEGORY_COLOURS.get(category, OTHER_COLOUR) for _, category, _ in sources],
                height=0.7,
            )
            panel.set_yticks(positions, [label for label, _, _ in sources], fontsize=7)
            panel.invert_yaxis()
            panel.set_title(textwrap.fill(titles[index], 48), fontsize=8, loc="left")
            panel.set_xlabel("kg CO2e per declared unit", fontsize=7)
            panel.tick_params(axis="x", labelsize=7)
            panel.spines[["top", "right"]].set_visible(False)
        handles = [
            Patch(color=colour, label=CATEGORY_LABELS[category])
            for category, colour in CATEGORY_COLOURS.items()
        ]
        figure.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
        figure.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.35 / figure.get_figheight()))
        return _svg(figure)


def _bar_axes(axes: Axes, labels: Sequence[str], title: str) -> None:
    axes.set_yticks(list(range(len(labels))), list(labels))
    axes.invert_yaxis()
    axes.set_xlabel(_KG_LABEL)
    axes.set_title(title, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
