"""Reading uploaded CSV files: the file as a file (encoding, header, row lengths)."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from pcf.formats.definitions import BOM, ITEMS
from pcf.formats.reading import UnreadableFileError, detect_delimiter, read_csv
from pcf.formats.validation import RowError, validate_file
from tests.unit.formats.builders import csv_bytes

ITEMS_HEADER = "item_id,name,item_type,declared_unit"


def test_empty_file_is_rejected() -> None:
    # Given a file of 0 bytes
    # When it is validated
    result = validate_file("items", b"", "items.csv", {})
    # Then it is rejected as empty
    assert result.table is None
    assert result.errors == [RowError("items.csv", None, None, None, "file is empty")]
    assert str(result.errors[0]) == "items.csv: file is empty"


def test_file_of_only_a_byte_order_mark_and_blank_lines_is_empty() -> None:
    # Given a file with a UTF-8 byte order mark and nothing else but line breaks
    data = codecs.BOM_UTF8 + b"\r\n\r\n"
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then it is rejected as empty
    assert result.errors == [RowError("items.csv", None, None, None, "file is empty")]


def test_header_without_rows_has_no_data_rows() -> None:
    # Given a file with a header and only empty rows
    data = csv_bytes(ITEMS_HEADER, ",,,")
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then it is rejected for having no data rows
    assert result.errors == [RowError("items.csv", None, None, None, "no data rows")]


def test_header_without_a_line_break_has_no_data_rows() -> None:
    # Given a file that is only a header line, without a final line break
    data = ITEMS_HEADER.encode()
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then it is rejected for having no data rows
    assert result.errors == [RowError("items.csv", None, None, None, "no data rows")]


def test_latin1_file_is_rejected_with_the_offset_of_the_first_invalid_byte() -> None:
    # Given a file saved as Latin-1, with an "é" in its second row
    data = csv_bytes(ITEMS_HEADER, "P-1,Pompe à eau,product,piece", encoding="latin-1")
    offset = len(ITEMS_HEADER) + 1 + len("P-1,Pompe ")
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then it is rejected, naming the byte and where it is
    assert result.table is None
    reason = f"not UTF-8 text (invalid byte 0xE0 at byte {offset}); save it as UTF-8"
    assert result.errors == [RowError("items.csv", None, None, None, reason)]
    assert str(result.errors[0]) == f"items.csv: {reason}"


def test_byte_order_mark_is_accepted() -> None:
    # Given a file as Excel saves "CSV UTF-8": with a byte order mark
    data = codecs.BOM_UTF8 + csv_bytes(ITEMS_HEADER, "P-1,Pumpe für Öl,product,piece")
    # When it is read
    content = read_csv(data, "items.csv", ITEMS)
    # Then the first column name is found and the text is intact
    assert content.table.column("item_id").to_pylist() == ["P-1"]
    assert content.table.column("name").to_pylist() == ["Pumpe für Öl"]


def test_missing_required_column_is_named() -> None:
    # Given a BOM file without the quantity column
    data = csv_bytes("parent_item_id,child_item_id,unit", "P-100,A-200,piece")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the header (row 1) is reported for the missing column
    assert result.table is None
    assert result.errors == [RowError("bom.csv", 1, None, None, "missing column quantity")]
    assert str(result.errors[0]) == "bom.csv row 1: missing column quantity"


def test_unknown_and_repeated_columns_are_rejected() -> None:
    # Given a header with a misspelt column and a column given twice
    data = csv_bytes(
        "parent_item_id,child_item_id,quantity,unit,unit,qty_note", "P-100,A-200,2,piece,kg,x"
    )
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then both are reported, the unknown one with the expected column names
    expected = ", ".join(BOM.column_names)
    assert result.errors == [
        RowError("bom.csv", 1, None, None, "column unit appears 2 times in the header"),
        RowError(
            "bom.csv", 1, None, None, f"unknown column qty_note; expected columns: {expected}"
        ),
    ]


def test_ragged_rows_are_named() -> None:
    # Given rows with fewer and more cells than the header
    data = csv_bytes(ITEMS_HEADER, "P-1,Pump,product,piece", "P-2,Valve,product", "P-3,a,b,c,d")
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then each such row is named with its cell count
    assert result.errors == [
        RowError("items.csv", 3, None, None, "has 3 cells; the header has 4"),
        RowError("items.csv", 4, None, None, "has 5 cells; the header has 4"),
    ]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b;c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a", ","), ("a;b,c", ",")],
)
def test_delimiter_is_the_one_the_header_uses_most(header: str, delimiter: str) -> None:
    # Given a header line / When its delimiter is detected / Then it is the most used one
    assert detect_delimiter(header) == delimiter


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_are_read(delimiter: str) -> None:
    # Given a European spreadsheet export, with a column order of its own
    data = csv_bytes(
        ["unit", "quantity", "child_item_id", "parent_item_id"],
        ["piece", "2", "A-200", "P-100"],
        delimiter=delimiter,
    )
    # When it is read
    content = read_csv(data, "bom.csv", BOM)
    # Then the columns come in the format's order, the optional one left out as empty
    assert content.delimiter == delimiter
    assert content.table.column_names == list(BOM.column_names)
    assert content.table.to_pylist() == [
        {
            "parent_item_id": "P-100",
            "child_item_id": "A-200",
            "quantity": "2",
            "unit": "piece",
            "scrap_rate": "",
        }
    ]


def test_cells_are_trimmed_and_rows_keep_spreadsheet_numbers() -> None:
    # Given padded cells, an empty line, a row of empty cells and a cell with a line break
    data = (
        b"item_id,name,item_type,declared_unit\r\n"
        b"  P-1 , Pump ,product,piece\r\n"
        b"\r\n"
        b",,,\r\n"
        b'P-2,"Valve\r\nlarge",product,piece\r\n'
        b"P-3,Seal,purchased_part,piece\r\n"
    )
    # When it is read
    content = read_csv(data, "items.csv", ITEMS)
    # Then cells are trimmed, empty rows dropped, and rows numbered as a spreadsheet shows
    assert content.table.column("item_id").to_pylist() == ["P-1", "P-2", "P-3"]
    assert content.table.column("name").to_pylist() == ["Pump", "Valve\r\nlarge", "Seal"]
    assert content.rows.tolist() == [2, 5, 6]
    assert content.rows.dtype == np.int64


def test_unreadable_file_error_lists_every_error() -> None:
    # Given a header missing two required columns
    data = csv_bytes("item_id,name", "P-1,Pump")
    # When it is read
    with pytest.raises(UnreadableFileError) as raised:
        read_csv(data, "items.csv", ITEMS)
    # Then both are in the error
    assert [error.reason for error in raised.value.errors] == [
        "missing column item_type",
        "missing column declared_unit",
    ]
