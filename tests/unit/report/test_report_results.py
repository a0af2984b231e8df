"""results.json and results.csv: exact numbers, and no formulas smuggled into a spreadsheet."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

from pcf.core.engine import ItemFootprint
from pcf.report import ResultRow, write_results
from pcf.report.results import CSV_COLUMNS, csv_cell


def test_csv_cells_neutralise_formulas_in_text_only() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("+49 30 1234") == "'+49 30 1234"
    assert csv_cell("-cmd") == "'-cmd"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("\t=1") == "'\t=1"
    assert csv_cell("Pump P-100") == "Pump P-100"
    # numbers are numbers, negative or not
    assert csv_cell(-1.5) == "-1.5"
    assert csv_cell(-3) == "-3"
    assert csv_cell(0.1 + 0.2) == "0.30000000000000004"
    assert csv_cell(None) == "" and csv_cell(True) == "true"


def test_write_results_round_trips_the_numbers(
    tmp_path: Path, worked_example_footprints: dict[str, ItemFootprint]
) -> None:
    # Given the worked example's P, and a row with a hostile name and a negative value
    p = worked_example_footprints["P"]
    negative = dataclasses.replace(
        worked_example_footprints["A"], by_category={"materials": -1.5, "electricity": 2.0}
    )
    rows = [
        ResultRow("S1", "2026-01", p, "Product P"),
        ResultRow("S1", "2026-01", negative, '=HYPERLINK("http://x")'),
    ]

    # When the results are written
    paths = write_results(tmp_path / "out", rows)

    # Then results.json holds the exact floats and the breakdowns
    records = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [r["item_id"] for r in records] == ["P", "A"]
    assert records[0]["total_kg_co2e"] == p.total_kg_co2e
    assert records[0]["by_category_kg_co2e"] == p.by_category
    assert records[0]["by_machine_kg_co2e"]["M1"]["electricity"] > 0
    assert {s["source_id"] for s in records[0]["by_source"]} >= {"ALU", "STEEL", "C", "M2-G"}
    assert records[1]["item_name"] == '=HYPERLINK("http://x")'  # JSON is not a spreadsheet

    # and results.csv is safe to open in a spreadsheet, numbers intact
    with paths["csv"].open(encoding="utf-8", newline="") as handle:
        header, *lines = list(csv.reader(handle))
    assert tuple(header) == CSV_COLUMNS
    first, second = (dict(zip(header, line, strict=True)) for line in lines)
    assert float(first["total_kg_co2e"]) == p.total_kg_co2e
    assert first["complete"] == "true" and first["gwp_sets"] == "AR6"
    assert second["item_name"] == '\'=HYPERLINK("http://x")'
    assert second["materials_kg_co2e"] == "-1.5"
    assert second["purchased_parts_kg_co2e"] == ""
