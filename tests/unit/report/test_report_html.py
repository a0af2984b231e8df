"""The HTML report: self-contained, one SVG per chart, every data text escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pcf.core.engine import ItemFootprint
from pcf.report import ResultRow, render_report, render_results_report

EVIL = '<script>alert("x")</script> & $\\alpha$'


def _page(footprints: dict[str, ItemFootprint], **names: str) -> str:
    return render_report(
        "Worked example, January 2026",
        [footprints["P"], footprints["A"]],
        site_id="S1",
        period="2026-01",
        item_names=names,
        context={"GWP set": "AR6"},
    )


def test_report_has_an_svg_per_chart_and_the_numbers(
    worked_example_footprints: dict[str, ItemFootprint],
) -> None:
    # When the worked example's footprints are rendered
    page = _page(worked_example_footprints, P="Product P", A="Sub-assembly A")

    # Then the page has the three charts inline and the footprints in the summary
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3 and page.count("</svg>") == 3
    assert "10.1208" in page and "4.1071" in page  # kg CO2e per piece of P and A
    assert "27.77 %" in page  # P's primary data share
    assert "Product P" in page and "M2-G (M2)" in page


def test_report_needs_no_network(worked_example_footprints: dict[str, ItemFootprint]) -> None:
    page = _page(worked_example_footprints)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page


def test_report_escapes_item_names_and_titles(
    worked_example_footprints: dict[str, ItemFootprint],
) -> None:
    # Given an item name and a title with markup in them
    page = render_report(
        f"Report {EVIL}",
        [worked_example_footprints["P"]],
        site_id="S1 <b>",
        period="2026-01",
        item_names={"P": EVIL},
    )

    # Then no markup gets through, in the tables or in the charts
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert page.count("<svg") == 3


def test_report_is_deterministic(worked_example_footprints: dict[str, ItemFootprint]) -> None:
    assert _page(worked_example_footprints) == _page(worked_example_footprints)


def test_report_across_sites_and_empty_report(
    worked_example_footprints: dict[str, ItemFootprint],
) -> None:
    rows = [
        ResultRow("S1", "2026-01", worked_example_footprints["P"], "Product P"),
        ResultRow("S2", "2026-02", worked_example_footprints["A"], "Sub-assembly A"),
    ]
    page = render_results_report(
        "Two sites", rows, generated_at=datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    )
    assert "S1, S2" in page and "2026-01, 2026-02" in page
    assert "2026-02-03T04:05:00+00:00" in page

    empty = render_results_report("Nothing yet", [])
    assert "No results." in empty and "<svg" not in empty
