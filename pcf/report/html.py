"""A self-contained HTML report of footprint results.

One file, no network: styles inline, charts as inline SVG. Every piece of text from the
data (item names, ids, notes) is HTML-escaped. Sections: summary table, breakdown by
category (chart), top contributors by source (chart and table), energy by machine
(chart and table).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime

from pcf.core.engine import CATEGORIES, ItemFootprint, SourceContribution, machine_breakdown
from pcf.report.charts import (
    CATEGORY_LABELS,
    category_breakdown_chart,
    machine_breakdown_chart,
    top_contributors_chart,
)
from pcf.report.results import ResultRow

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #222; max-width: 80rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.incomplete { color: #a40000; font-weight: 600; } .complete { color: #2b6a00; }
.chart svg { max-width: 100%; height: auto; }
dl.context { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.context dt { font-weight: 600; } ul.notes { margin: 0; padding-left: 1.1rem; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _kg(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _source_label(source: SourceContribution) -> str:
    if source.source_kind == "meter":
        return f"{source.source_id} ({source.machine_id or 'site overhead'})"
    return source.source_id


def top_sources(footprint: ItemFootprint, count: int) -> list[SourceContribution]:
    """The ``count`` largest sources of a footprint, largest first (ties by id)."""
    ranked = sorted(footprint.by_source, key=lambda s: (-s.kg_co2e, s.source_id))
    return ranked[:count]


def render_report(
    title: str,
    footprints: Sequence[ItemFootprint],
    *,
    site_id: str,
    period: str,
    item_names: Mapping[str, str] | None = None,
    context: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
    top_contributors: int = 6,
) -> str:
    """The report of one site's footprints in one period (e.g. the site's products).

    ``item_names`` maps item ids to names; ``context`` adds labelled lines to the
    header (method settings, run id, ...). Without ``generated_at`` the output depends
    on the inputs only.
    """
    names = item_names or {}
    rows = [ResultRow(site_id, period, fp, names.get(fp.item_id, "")) for fp in footprints]
    return render_results_report(
        title,
        rows,
        context=context,
        generated_at=generated_at,
        top_contributors=top_contributors,
    )


def render_results_report(
    title: str,
    rows: Sequence[ResultRow],
    *,
    context: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
    top_contributors: int = 6,
) -> str:
    """The report of any results, across sites and periods, in the order given."""
    header = dict(context or {})
    sites = sorted({row.site_id for row in rows})
    periods = sorted({row.period for row in rows})
    header = {"Sites": ", ".join(sites), "Periods": ", ".join(periods), **header}
    if generated_at is not None:
        header["Generated"] = generated_at.isoformat()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        '<dl class="context">',
        *(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in header.items()),
        "</dl>",
        "<p>Footprints are cradle-to-gate, in kg CO2e per declared unit of the item, "
        "for one site and reference period.</p>",
    ]
    if not rows:
        parts += ["<p>No results.</p>", "</body>", "</html>"]
        return "\n".join(parts) + "\n"
    labels = [_label(row) for row in rows]
    parts += _summary(rows)
    parts += [
        "<h2>Breakdown by category</h2>",
        _chart(category_breakdown_chart(labels, [row.footprint.by_category for row in rows])),
    ]
    parts += _contributors(rows, labels, top_contributors)
    parts += _machines(rows, labels)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _label(row: ResultRow) -> str:
    name = f" {row.item_name}" if row.item_name else ""
    return f"{row.footprint.item_id}{name} ({row.site_id}, {row.period})"


def _chart(svg: str) -> str:
    # matplotlib escapes the chart's text; the SVG is inserted as markup on purpose.
    return f'<div class="chart">{svg}</div>'


def _summary(rows: Sequence[ResultRow]) -> list[str]:
    category_heads = "".join(f"<th>{_e(CATEGORY_LABELS[c.value])}</th>" for c in CATEGORIES)
    lines = [
        "<h2>Summary</h2>",
        "<table>",
        "<thead><tr><th>Item</th><th>Name</th><th>Site</th><th>Period</th>"
        "<th>Declared unit</th><th>Footprint (kg CO2e per declared unit)</th>"
        f"{category_heads}<th>Primary data share</th>"
        "<th>Electricity, location-based (kg CO2e)</th>"
        "<th>Electricity, market-based (kg CO2e)</th>"
        "<th>Units produced</th><th>GWP sets</th><th>Complete</th><th>Notes</th></tr></thead>",
        "<tbody>",
    ]
    for row in rows:
        fp = row.footprint
        categories = "".join(
            f'<td class="num">{_kg(fp.by_category.get(c.value))}</td>' for c in CATEGORIES
        )
        status = (
            '<span class="complete">yes</span>'
            if fp.complete
            else '<span class="incomplete">no</span>'
        )
        notes = (
            '<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in fp.notes) + "</ul>"
            if fp.notes
            else ""
        )
        lines.append(
            f"<tr><td>{_e(fp.item_id)}</td><td>{_e(row.item_name)}</td>"
            f"<td>{_e(row.site_id)}</td><td>{_e(row.period)}</td>"
            f"<td>{_e(fp.declared_unit)}</td>"
            f'<td class="num"><strong>{_kg(fp.total_kg_co2e)}</strong></td>{categories}'
            f'<td class="num">{_share(fp.primary_data_share)}</td>'
            f'<td class="num">{_kg(fp.electricity_location_kg_co2e)}</td>'
            f'<td class="num">{_kg(fp.electricity_market_kg_co2e)}</td>'
            f'<td class="num">{_e(f"{fp.units_produced:g}")}</td>'
            f"<td>{_e(', '.join(fp.gwp_sets))}</td><td>{status}</td><td>{notes}</td></tr>"
        )
    lines += ["</tbody>", "</table>"]
    return lines


def _contributors(rows: Sequence[ResultRow], labels: Sequence[str], count: int) -> list[str]:
    per_row = [top_sources(row.footprint, count) for row in rows]
    chart = top_contributors_chart(
        labels,
        [[(_source_label(s), s.category.value, s.kg_co2e) for s in sources] for sources in per_row],
    )
    lines = [
        "<h2>Top contributors by source</h2>",
        f"<p>The {count} largest sources of each footprint: materials and purchased parts "
        "by item, energy by meter.</p>",
        _chart(chart),
        "<table>",
        "<thead><tr><th>Result</th><th>Source</th><th>Category</th><th>Amount</th>"
        "<th>kg CO2e per declared unit</th><th>Share of footprint</th></tr></thead>",
        "<tbody>",
    ]
    for row, label, sources in zip(rows, labels, per_row, strict=True):
        total = row.footprint.total_kg_co2e
        for source in sources:
            share = source.kg_co2e / total if total else None
            lines.append(
                f"<tr><td>{_e(label)}</td><td>{_e(_source_label(source))}</td>"
                f"<td>{_e(CATEGORY_LABELS[source.category.value])}</td>"
                f'<td class="num">{_e(f"{source.amount:.6g} {source.amount_unit}")}</td>'
                f'<td class="num">{_kg(source.kg_co2e)}</td>'
                f'<td class="num">{_share(share)}</td></tr>'
            )
    lines += ["</tbody>", "</table>"]
    return lines


def _machines(rows: Sequence[ResultRow], labels: Sequence[str]) -> list[str]:
    breakdowns = [machine_breakdown(row.footprint) for row in rows]
    totals = [{m: sum(per.values()) for m, per in b.items()} for b in breakdowns]
    lines = [
        "<h2>Energy by machine</h2>",
        "<p>Metered electricity and natural gas embodied in one declared unit, by the "
        "machine that metered it; meters without a machine are site overhead.</p>",
        _chart(machine_breakdown_chart(labels, totals)),
        "<table>",
        "<thead><tr><th>Result</th><th>Machine</th><th>Electricity (kg CO2e)</th>"
        "<th>Natural gas (kg CO2e)</th><th>Total (kg CO2e)</th></tr></thead>",
        "<tbody>",
    ]
    for label, breakdown, machine_totals in zip(labels, breakdowns, totals, strict=True):
        for machine in sorted(breakdown, key=lambda m: (-machine_totals[m], m)):
            per = breakdown[machine]
            lines.append(
                f"<tr><td>{_e(label)}</td><td>{_e(machine)}</td>"
                f'<td class="num">{_kg(per.get("electricity", 0.0))}</td>'
                f'<td class="num">{_kg(per.get("natural_gas", 0.0))}</td>'
                f'<td class="num">{_kg(machine_totals[machine])}</td></tr>'
            )
    lines += ["</tbody>", "</table>"]
    return lines
