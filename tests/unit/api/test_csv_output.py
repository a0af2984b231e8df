"""CSV the system writes back: formulas neutralised, numbers left as numbers."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from pcf.usecases.uploads import csv_bytes, neutralise_formulas, template_csv, xlsx_to_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+1.5e3", "+1.5e3"),
        ("-.5", "-.5"),
        ("coal", "coal"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_cells_are_prefixed_and_plain_numbers_are_not(cell: str, written: str) -> None:
    assert neutralise_formulas(pa.array([cell])).to_pylist() == [written]


def test_nulls_stay_null() -> None:
    assert neutralise_formulas(pa.array([None, "=1"], pa.string())).to_pylist() == [None, "'=1"]


def test_written_csv_neutralises_text_columns_and_keeps_numeric_ones() -> None:
    table = pa.table({"name": ["=1+1", "ok"], "value": pa.array([-3.5, 2.0])})

    rows = list(csv.DictReader(io.StringIO(csv_bytes(table).decode())))

    assert rows == [{"name": "'=1+1", "value": "-3.5"}, {"name": "ok", "value": "2"}]


def test_a_template_has_the_format_header_and_an_example_row() -> None:
    rows = list(csv.reader(io.StringIO(template_csv("technology_factors").decode())))

    assert rows == [
        ["technology", "co2e_kg", "per_unit", "source", "year"],
        ["coal", "820", "MWh", "IPCC AR5 WG3 Annex III", "2014"],
    ]


def test_xlsx_rows_become_csv_rows_with_empty_rows_kept() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["a", "b"])
    sheet.append([1.0, 0.25])
    sheet.append([None, None])
    sheet.append(["x,y", True])
    output = io.BytesIO()
    workbook.save(output)

    assert xlsx_to_csv(output.getvalue()).decode() == 'a,b\n1,0.25\n,\n"x,y",true\n'


def test_bytes_that_are_not_a_workbook_are_reported() -> None:
    with pytest.raises(ValueError, match="not a readable Excel"):
        xlsx_to_csv(b"technology,co2e_kg\n")
