"""Footprint results as rows, and writing them as results.json and results.csv.

A ``ResultRow`` is one ``ItemFootprint`` with what identifies it (site, period) and the
item's name. Numbers are written at full precision (shortest round-trip repr), so a
reader gets back exactly the floats the engine computed. The CSV is safe to open in a
spreadsheet: a text cell that starts like a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcf.core.engine import CATEGORIES, ItemFootprint, machine_breakdown

# Cells that spreadsheets read as formulas (OWASP "CSV injection"): = + - @, and tab
# and carriage return, which some spreadsheets skip before such a character.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS: tuple[str, ...] = (
    "site_id",
    "period",
    "item_id",
    "item_name",
    "item_type",
    "declared_unit",
    "units_produced",
    "total_kg_co2e",
    *(f"{category.value}_kg_co2e" for category in CATEGORIES),
    "primary_data_share",
    "electricity_kwh",
    "natural_gas_kwh",
    "electricity_location_kg_co2e",
    "electricity_market_kg_co2e",
    "complete",
    "gwp_sets",
    "notes",
)


@dataclass(frozen=True)
class ResultRow:
    """One footprint: kg CO2e per declared unit of an item at a site in a period."""

    site_id: str
    period: str  # the reference period, e.g. "2026-01"
    footprint: ItemFootprint
    item_name: str = ""


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: they become null."""
    return value if value is not None and math.isfinite(value) else None


def result_record(row: ResultRow) -> dict[str, Any]:
    """A JSON-ready record of a result, breakdowns included."""
    footprint = row.footprint
    return {
        "site_id": row.site_id,
        "period": row.period,
        "item_id": footprint.item_id,
        "item_name": row.item_name,
        "item_type": footprint.item_type,
        "declared_unit": footprint.declared_unit,
        "units_produced": _finite(footprint.units_produced),
        "total_kg_co2e": _finite(footprint.total_kg_co2e),
        "by_category_kg_co2e": {k: _finite(v) for k, v in footprint.by_category.items()},
        "primary_data_share": _finite(footprint.primary_data_share),
        "electricity_kwh": _finite(footprint.electricity_kwh),
        "natural_gas_kwh": _finite(footprint.natural_gas_kwh),
        "electricity_location_kg_co2e": _finite(footprint.electricity_location_kg_co2e),
        "electricity_market_kg_co2e": _finite(footprint.electricity_market_kg_co2e),
        "complete": footprint.complete,
        "notes": list(footprint.notes),
        "gwp_sets": list(footprint.gwp_sets),
        "by_machine_kg_co2e": {
            machine: {k: _finite(v) for k, v in per_category.items()}
            for machine, per_category in machine_breakdown(footprint).items()
        },
        "by_source": [
            {
                "category": source.category.value,
                "source_kind": source.source_kind,
                "source_id": source.source_id,
                "machine_id": source.machine_id,
                "amount": _finite(source.amount),
                "amount_unit": source.amount_unit,
                "kg_co2e": _finite(source.kg_co2e),
            }
            for source in footprint.by_source
        ],
    }


def csv_cell(value: object) -> str:
    """A value as a CSV cell: numbers in full precision, booleans as true/false, None
    empty, and text that a spreadsheet would take for a formula behind an apostrophe.
    Only text is neutralised: a negative number is a number, not a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_values(row: ResultRow) -> list[object]:
    footprint = row.footprint
    return [
        row.site_id,
        row.period,
        footprint.item_id,
        row.item_name,
        footprint.item_type,
        footprint.declared_unit,
        footprint.units_produced,
        footprint.total_kg_co2e,
        *(footprint.by_category.get(category.value) for category in CATEGORIES),
        footprint.primary_data_share,
        footprint.electricity_kwh,
        footprint.natural_gas_kwh,
        footprint.electricity_location_kg_co2e,
        footprint.electricity_market_kg_co2e,
        footprint.complete,
        " ".join(footprint.gwp_sets),
        " | ".join(footprint.notes),
    ]


def write_results(out_dir: Path | str, rows: Sequence[ResultRow]) -> dict[str, Path]:
    """Write ``results.json`` (one record per row, breakdowns included) and
    ``results.csv`` (one line per row, category totals as columns) into ``out_dir``,
    creating it if needed. Returns the paths by format ("json", "csv")."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "results.json"
    csv_path = directory / "results.csv"
    records = [result_record(row) for row in rows]
    json_path.write_text(
        json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(value) for value in _csv_values(row)])
    return {"json": json_path, "csv": csv_path}
