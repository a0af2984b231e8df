"""A corpus of bad files, each sent through the real upload path (issue 4, point 8).

Every case goes through the local HTTP server as an SME's client would: create the
upload, PUT the file to its pre-signed URL, read the upload back. Each must come back
rejected with exactly the expected errors (file, row, column, reason), with no new dataset
version and the file, byte for byte, in the quarantine tier (gone from the raw tier).

The files are built here in code rather than kept under ``tests/data``: each case then
shows its bytes next to the errors they must produce, the binary ones (Windows-1252,
UTF-16, Excel) say how they were made, and the checksum and size cases are about the
request, not the file. The current versions the references are checked against are the
example files of ``docs/examples``, loaded before each case.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.usecases.load_datasets import load_static_files
from tests.integration.api.conftest import MAX_UPLOAD_BYTES, Client, http
from tests.unit.formats.builders import csv_bytes, example_files

pytestmark = pytest.mark.integration

Expected = tuple[int | None, str | None, str]  # row, column, reason

TECHNOLOGY_HEADER = "technology,co2e_kg,per_unit,source,year"
ITEMS_HEADER = "item_id,name,item_type,declared_unit,mass_per_piece_kg"
BOM_HEADER = "parent_item_id,child_item_id,quantity,unit,scrap_rate"
FACTORS_HEADER = (
    "factor_id,name,per_unit,co2_kg,ch4_kg,n2o_kg,co2e_kg,co2e_gwp_set,source,year,"
    "valid_from,valid_to"
)
SUPPLIER_HEADER = "item_id,supplier,co2e_kg,per_unit,primary_data_share,period_start,period_end"
GRID_HEADER = "grid_region,technology,share,source,year"
SITES_HEADER = (
    "site_id,name,time_zone,grid_region,electricity_method,contract_factor_kg_per_kwh,"
    "contract_covered_share,gas_calorific_basis,gas_factor_id"
)
METERS_HEADER = "meter_id,site_id,machine_id,quantity,unit,item_id"
TECHNOLOGY_COLUMNS = "technology, co2e_kg, per_unit, source, year"
# where the "ä" of "Gehäuse" is in the Windows-1252 items file: header, line break, "A-201,Geh"
UMLAUT_OFFSET = len(ITEMS_HEADER) + 1 + len("A-201,Geh")
KNOWN_ENERGY_UNITS = "Wh, kWh, MWh, GWh, MJ, GJ, therm, MMBtu"
KNOWN_AMOUNT_UNITS = (
    "g, kg, t, lb, Wh, kWh, MWh, GWh, MJ, GJ, therm, MMBtu, m3, ft3, L, m2, m, piece"
)

# a valid file, for the cases about the upload rather than the content
GOOD_TECHNOLOGY = csv_bytes(TECHNOLOGY_HEADER, "coal,820,MWh,IPCC,2014")
TAMPERED_SHA256 = hashlib.sha256(GOOD_TECHNOLOGY + b"tampered").hexdigest()


def xlsx(*rows: list[Any]) -> bytes:
    """An Excel workbook whose first sheet holds ``rows``, as openpyxl saves it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@dataclass(frozen=True)
class BadFile:
    """One bad file, the upload request it is sent with, and the errors it must give."""

    kind: str
    file_name: str
    data: bytes
    errors: list[Expected]
    # what the upload request declares instead of the file's true size or checksum
    declared: dict[str, Any] = field(default_factory=dict)


CORPUS: dict[str, BadFile] = {
    # --- the file as a file: encoding, delimiter, header, shape ---------------------------
    "windows-1252 text": BadFile(
        "items",
        "items.csv",
        csv_bytes(ITEMS_HEADER, "A-201,Gehäuse,subassembly,piece,0.3", encoding="cp1252"),
        [
            (
                None,
                None,
                f"not UTF-8 text (invalid byte 0xE4 at byte {UMLAUT_OFFSET}); save it as UTF-8",
            )
        ],
    ),
    "utf-16, as Excel saves Unicode text": BadFile(
        "technology_factors",
        "technology.txt",
        csv_bytes(TECHNOLOGY_HEADER, "coal,820,MWh,IPCC,2014", encoding="utf-16"),
        [(None, None, "not UTF-8 text (invalid byte 0xFF at byte 0); save it as UTF-8")],
    ),
    "utf-8 byte order mark, then a repeated first-column key": BadFile(
        "technology_factors",
        "technology.csv",
        codecs.BOM_UTF8 + csv_bytes(TECHNOLOGY_HEADER, "coal,820,MWh,a,2014", "coal,1,MWh,b,2014"),
        [(3, "technology", 'duplicate technology "coal": also in row 2')],
    ),
    "pipe delimiter": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER.replace(",", "|"), "coal|820|MWh|IPCC|2014"),
        [
            (
                1,
                None,
                "unknown column technology|co2e_kg|per_unit|source|year; "
                f"expected columns: {TECHNOLOGY_COLUMNS}",
            ),
            (1, None, "missing column technology"),
            (1, None, "missing column co2e_kg"),
            (1, None, "missing column per_unit"),
            (1, None, "missing column source"),
            (1, None, "missing column year"),
        ],
    ),
    "semicolon delimiter with decimal commas": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER.replace(",", ";"), "coal;820,5;MWh;IPCC;2014"),
        [
            (
                2,
                "co2e_kg",
                '"820,5" is not a number; write it with a point as the decimal separator '
                "and no thousands separator",
            )
        ],
    ),
    "missing column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes("technology,co2e_kg,per_unit,source", "coal,820,MWh,IPCC"),
        [(1, None, "missing column year")],
    ),
    "extra column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(f"{TECHNOLOGY_HEADER},comment", "coal,820,MWh,IPCC,2014,ok"),
        [(1, None, f"unknown column comment; expected columns: {TECHNOLOGY_COLUMNS}")],
    ),
    "duplicated column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(f"{TECHNOLOGY_HEADER},year", "coal,820,MWh,IPCC,2014,2014"),
        [(1, None, "column year appears 2 times in the header")],
    ),
    "misspelt column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes("technology,co2e_kgs,per_unit,source,year", "coal,820,MWh,IPCC,2014"),
        [
            (1, None, f"unknown column co2e_kgs; expected columns: {TECHNOLOGY_COLUMNS}"),
            (1, None, "missing column co2e_kg"),
        ],
    ),
    "unnamed column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(f"{TECHNOLOGY_HEADER},", "coal,820,MWh,IPCC,2014,"),
        [(1, None, "column 6 of the header has no name")],
    ),
    "blank file": BadFile("items", "items.csv", b" \r\n\r\n\t\n", [(None, None, "file is empty")]),
    "byte order mark only": BadFile(
        "items", "items.csv", codecs.BOM_UTF8 + b"\r\n", [(None, None, "file is empty")]
    ),
    "header only": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER),
        [(None, None, "no data rows")],
    ),
    "ragged rows": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(
            TECHNOLOGY_HEADER,
            "coal,820,MWh,IPCC,2014",
            "wind,11,MWh,2014",
            "solar,41,MWh,IPCC,2014,extra",
        ),
        [
            (3, None, "has 4 cells; the header has 5"),
            (4, None, "has 6 cells; the header has 5"),
        ],
    ),
    "quote not closed": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER, 'coal,820,MWh,"IPCC AR5,2014', "wind,11,MWh,IPCC,2014"),
        [(2, None, 'has 4 cells; the header has 5 (is a quote (") not closed?)')],
    ),
    # --- cells against their column ---------------------------------------------------------
    "missing required value": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER, "coal,,MWh,IPCC,2014"),
        [(2, "co2e_kg", "a value is required")],
    ),
    "non-numeric": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,A-200,two,piece,"),
        [(2, "quantity", '"two" is not a number')],
    ),
    "not a whole number": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER, "coal,820,MWh,IPCC,2014.5"),
        [(2, "year", '"2014.5" is not a whole number')],
    ),
    "negative where not allowed": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "P-100,MAT-STEEL,-3,kg,0.02"),
        [(3, "quantity", '"-3" must be > 0')],
    ),
    "out of range": BadFile(
        "grid_mixes",
        "grid.csv",
        csv_bytes(GRID_HEADER, "DE,coal,1.5,x,2025", "DE,wind_onshore,0.5,x,1850"),
        [(2, "share", '"1.5" must be <= 1'), (3, "year", '"1850" must be >= 1900')],
    ),
    "scrap rate of 100 %": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,MAT-STEEL,0.5,kg,1"),
        [(2, "scrap_rate", '"1" must be < 1')],
    ),
    "unknown unit": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,MAT-STEEL,0.5,kilogram,"),
        [(2, "unit", f'unknown unit "kilogram"; known units: {KNOWN_AMOUNT_UNITS}')],
    ),
    "unit in the wrong letter case": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER, "coal,820,mwh,IPCC,2014"),
        [
            (
                2,
                "per_unit",
                f'unknown unit "mwh"; known units: {KNOWN_ENERGY_UNITS}; did you mean "MWh"?',
            )
        ],
    ),
    "unit of the wrong dimension for the column": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(TECHNOLOGY_HEADER, "coal,820,kg,IPCC,2014"),
        [(2, "per_unit", 'unit "kg" is mass; expected energy')],
    ),
    "bad choice": BadFile(
        "items",
        "items.csv",
        csv_bytes(ITEMS_HEADER, "P-200,Pump,Product,piece,2", "P-201,Pump,finished,piece,2"),
        [
            (
                2,
                "item_type",
                '"Product" is not one of product, subassembly, material, purchased_part; '
                'did you mean "product"?',
            ),
            (
                3,
                "item_type",
                '"finished" is not one of product, subassembly, material, purchased_part',
            ),
        ],
    ),
    "bad dates": BadFile(
        "supplier_footprints",
        "suppliers.csv",
        csv_bytes(
            SUPPLIER_HEADER,
            "C-300,Acme,1.2,piece,0.5,2025-02-30,2025-12-31",
            "PKG-10,Boxes,0.3,piece,0.5,01/01/2025,2025-12-31",
        ),
        [
            (
                2,
                "period_start",
                '"2025-02-30" is not a date in the form YYYY-MM-DD, like 2026-01-31',
            ),
            (
                3,
                "period_start",
                '"01/01/2025" is not a date in the form YYYY-MM-DD, like 2026-01-31',
            ),
        ],
    ),
    "bad time zone": BadFile(
        "sites",
        "sites.csv",
        csv_bytes(SITES_HEADER, "S3,Plant Lyon,Paris,DE-EXAMPLE,location,,,gross,"),
        [(2, "time_zone", '"Paris" is not an IANA time zone name, like Europe/Berlin')],
    ),
    "formula-looking cells": BadFile(
        "technology_factors",
        "technology.csv",
        csv_bytes(
            TECHNOLOGY_HEADER,
            "coal,=820*1,MWh,IPCC,2014",
            "wind,11,@MWh,IPCC,=YEAR(TODAY())",
            'solar,"=HYPERLINK(""http://x"",41)",MWh,IPCC,2014',
        ),
        [
            (2, "co2e_kg", '"=820*1" is not a number'),
            (
                4,
                "co2e_kg",
                '"=HYPERLINK("http://x",41)" is not a number; write it with a point as the '
                "decimal separator and no thousands separator",
            ),
            (3, "per_unit", f'unknown unit "@MWh"; known units: {KNOWN_ENERGY_UNITS}'),
            (3, "year", '"=YEAR(TODAY())" is not a whole number'),
        ],
    ),
    # --- rules within a row and across rows --------------------------------------------------
    "emission factor with both co2e and gases": BadFile(
        "emission_factors",
        "factors.csv",
        csv_bytes(FACTORS_HEADER, "EF-X,Steel,kg,1.9,,,2.0,AR6,x,2024,,"),
        [
            (
                2,
                "co2e_kg",
                "give either co2e_kg (with co2e_gwp_set) or co2_kg (with optional ch4_kg and "
                "n2o_kg), not both",
            )
        ],
    ),
    "validity ending before it starts": BadFile(
        "emission_factors",
        "factors.csv",
        csv_bytes(FACTORS_HEADER, "EF-X,Steel,kg,1.9,,,,,x,2024,2025-01-01,2024-12-31"),
        [(2, "valid_to", "2024-12-31 is before valid_from 2025-01-01")],
    ),
    "market electricity without its contract": BadFile(
        "sites",
        "sites.csv",
        csv_bytes(SITES_HEADER, "S3,Plant Lyon,Europe/Paris,DE-EXAMPLE,market,0.05,,gross,"),
        [(2, "contract_covered_share", "electricity_method market needs contract_covered_share")],
    ),
    "meter unit that does not fit its quantity": BadFile(
        "meters",
        "meters.csv",
        csv_bytes(METERS_HEADER, "M1-X,S1,M1,electricity,m3,"),
        [(2, "unit", 'unit "m3" is volume; electricity is metered in energy')],
    ),
    "duplicate key": BadFile(
        "items",
        "items.csv",
        csv_bytes(
            ITEMS_HEADER,
            "P-200,Pump,product,piece,2",
            "P-201,Pump,product,piece,2",
            "P-200,x,product,piece,1",
        ),
        [(4, "item_id", 'duplicate item_id "P-200": also in row 2')],
    ),
    "duplicate composite key": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "P-100,A-200,3,piece,"),
        [
            (
                3,
                "parent_item_id",
                'duplicate key parent_item_id "P-100", child_item_id "A-200": also in row 2',
            )
        ],
    ),
    "bom cycle": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "A-200,P-100,1,piece,"),
        [(2, "child_item_id", "cycle A-200 -> P-100 -> A-200")],
    ),
    "grid shares not adding up to 1": BadFile(
        "grid_mixes",
        "grid.csv",
        csv_bytes(
            GRID_HEADER,
            "DE,coal,0.4,x,2025",
            "DE,wind_onshore,0.5,x,2025",
            "FR,nuclear,1,x,2025",
        ),
        [
            (
                2,
                "share",
                'the shares of grid region "DE" add up to 0.9 (90 %), not 1',
            )
        ],
    ),
    # --- references to the current versions of other kinds ---------------------------------
    "bom naming items not in the current items": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(
            BOM_HEADER, "P-100,A-200,2,piece,", "P-100,X-999,1,piece,", "P-999,A-200,1,piece,"
        ),
        [
            (4, "parent_item_id", 'unknown item "P-999" (not in items)'),
            (3, "child_item_id", 'unknown item "X-999" (not in items)'),
        ],
    ),
    "bom parent that is a material": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "MAT-STEEL,C-300,1,piece,"),
        [
            (
                2,
                "parent_item_id",
                '"MAT-STEEL" is a material; only a product or subassembly has a bill of materials',
            )
        ],
    ),
    "bom unit that does not convert to the child's": BadFile(
        "bom",
        "bom.csv",
        csv_bytes(BOM_HEADER, "P-100,MAT-STEEL,2,kWh,", "P-100,MAT-ALU,2,piece,"),
        [
            (
                2,
                "unit",
                '"kWh" does not convert to kg, the declared unit of item "MAT-STEEL"',
            ),
            (
                3,
                "unit",
                '"piece" does not convert to kg, the declared unit of item "MAT-ALU": '
                "give its mass_per_piece_kg in items",
            ),
        ],
    ),
    "factor of the wrong unit dimension for the item it applies to": BadFile(
        "factor_mapping",
        "mapping.csv",
        csv_bytes("item_id,factor_id", "MAT-STEEL,EF-NG-COMBUSTION", "C-300,EF-STEEL-AVG"),
        [
            (
                2,
                "factor_id",
                'factor "EF-NG-COMBUSTION" is per MMBtu, which does not convert to kg, the '
                'declared unit of item "MAT-STEEL"',
            )
        ],
    ),
    "mapping a factor to a product": BadFile(
        "factor_mapping",
        "mapping.csv",
        csv_bytes("item_id,factor_id", "P-100,EF-STEEL-AVG"),
        [(2, "item_id", '"P-100" is a product, not a material or purchased_part')],
    ),
    "supplier footprint per unit the item cannot convert to": BadFile(
        "supplier_footprints",
        "suppliers.csv",
        csv_bytes(SUPPLIER_HEADER, "C-300,Acme,1.2,m2,0.5,2025-01-01,2025-12-31"),
        [(2, "per_unit", '"m2" does not convert to piece, the declared unit of item "C-300"')],
    ),
    "unknown site, machine and item of meters": BadFile(
        "meters",
        "meters.csv",
        csv_bytes(
            METERS_HEADER,
            "M9-E,S9,,electricity,kWh,",
            "M9-P,S1,M9,production_count,piece,P-999",
        ),
        [
            (2, "site_id", 'unknown site "S9" (not in sites)'),
            (3, "machine_id", 'unknown machine "M9" (not in machines)'),
            (3, "item_id", 'unknown item "P-999" (not in items)'),
        ],
    ),
    "meter on a machine at another site": BadFile(
        "meters",
        "meters.csv",
        csv_bytes(METERS_HEADER, "M3-X,S1,M3,electricity,kWh,"),
        [(2, "machine_id", 'machine "M3" stands at site "S2", not "S1"')],
    ),
    "grid mix naming a technology without a factor": BadFile(
        "grid_mixes",
        "grid.csv",
        csv_bytes(GRID_HEADER, "DE,coal,0.5,x,2025", "DE,fusion,0.5,x,2025"),
        [(3, "technology", 'unknown technology "fusion" (not in technology_factors)')],
    ),
    "site gas factor per kg": BadFile(
        "sites",
        "sites.csv",
        csv_bytes(
            SITES_HEADER, "S3,Plant Lyon,Europe/Paris,DE-EXAMPLE,location,,,gross,EF-STEEL-AVG"
        ),
        [
            (
                2,
                "gas_factor_id",
                'factor "EF-STEEL-AVG" is per kg (mass); a natural gas factor is per unit of '
                "energy",
            )
        ],
    ),
    # --- Excel -----------------------------------------------------------------------------
    "xlsx with a bad cell": BadFile(
        "bom",
        "bom.xlsx",
        xlsx(
            BOM_HEADER.split(","),
            ["P-100", "A-200", 2, "piece", None],
            ["P-100", "MAT-STEEL", "0,5", "kg", 0.02],
        ),
        [
            (
                3,
                "quantity",
                '"0,5" is not a number; write it with a point as the decimal separator and no '
                "thousands separator",
            )
        ],
    ),
    "xlsx with a formula never computed": BadFile(
        "bom",
        "bom.xlsx",
        xlsx(BOM_HEADER.split(","), ["P-100", "A-200", "=1+1", "piece", None]),
        [(2, "quantity", "a value is required")],
    ),
    "xlsx that is not a workbook": BadFile(
        "technology_factors",
        "technology.xlsx",
        csv_bytes(TECHNOLOGY_HEADER, "coal,820,MWh,IPCC,2014"),
        [(None, None, "not a readable Excel .xlsx workbook (File is not a zip file)")],
    ),
    # --- the upload's own checks -----------------------------------------------------------
    "checksum mismatch": BadFile(
        "technology_factors",
        "technology.csv",
        GOOD_TECHNOLOGY,
        [
            (
                None,
                None,
                f"SHA-256 of the file is {hashlib.sha256(GOOD_TECHNOLOGY).hexdigest()}, but the "
                f"upload declared {TAMPERED_SHA256}",
            )
        ],
        declared={"sha256": TAMPERED_SHA256},
    ),
    "declared size differs": BadFile(
        "technology_factors",
        "technology.csv",
        GOOD_TECHNOLOGY,
        [
            (
                None,
                None,
                f"file is {len(GOOD_TECHNOLOGY)} bytes, but the upload declared "
                f"{len(GOOD_TECHNOLOGY) - 1}",
            )
        ],
        declared={"size_bytes": len(GOOD_TECHNOLOGY) - 1},
    ),
}


def dataset_versions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM dataset_version")).scalar_one())


@pytest.fixture
def examples_loaded(db: Engine) -> int:
    """The example files loaded as the current versions; the number of versions."""
    load_static_files(db, example_files())
    return dataset_versions(db)


@pytest.mark.parametrize("case", list(CORPUS), ids=list(CORPUS))
def test_a_bad_file_is_rejected_with_its_errors_quarantined_and_nothing_loaded(
    case: str, client: Client, db: Engine, objects_dir: Path, examples_loaded: int
) -> None:
    # Given the example data sets as the current versions, and a bad file
    bad = CORPUS[case]

    # When it is uploaded: create the upload, PUT the file to its pre-signed URL, read it
    created = client.create_upload(bad.kind, bad.file_name, bad.data, **bad.declared)
    assert created.status == 201, created.body
    assert http("PUT", created.json()["upload_url"], bad.data).status == 200
    upload = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()

    # Then it is rejected with exactly the expected errors (file, row, column, reason)
    assert upload["status"] == "rejected"
    assert upload["dataset_version"] is None
    assert [(e["file"], e["row"], e["column"], e["reason"]) for e in upload["errors"]] == [
        (bad.file_name, row, column, reason) for row, column, reason in bad.errors
    ]
    # and nothing was loaded, and the file moved to quarantine byte for byte
    assert dataset_versions(db) == examples_loaded
    key = f"uploads/{bad.kind}/{upload['upload_id']}.{upload['file_type']}"
    assert not (objects_dir / "raw" / key).exists()
    assert (objects_dir / "quarantine" / key).read_bytes() == bad.data


def test_an_oversized_file_is_refused_when_declared_and_when_sent(
    client: Client, db: Engine, objects_dir: Path, examples_loaded: int
) -> None:
    # Given a file one byte over the limit
    big = GOOD_TECHNOLOGY + b"#" * (MAX_UPLOAD_BYTES + 1 - len(GOOD_TECHNOLOGY))
    limit = f"the limit is {MAX_UPLOAD_BYTES:,}"

    # When its upload declares its size, Then the upload is refused before any URL is given
    declared = client.create_upload("technology_factors", "big.csv", big)
    assert declared.status == 413
    assert declared.json()["message"] == (f"big.csv is {len(big):,} bytes; {limit} bytes")

    # When it is PUT to the URL of an upload that declared a small file, Then the PUT is
    # refused unread: nothing is stored (so there is nothing to quarantine), the upload
    # still awaits its file, and nothing was loaded
    created = client.create_upload("technology_factors", "big.csv", GOOD_TECHNOLOGY)
    sent = http("PUT", created.json()["upload_url"], big)
    assert (sent.status, sent.body.decode()) == (413, f"the file is {len(big):,} bytes; {limit}\n")
    upload = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()
    assert upload["status"] == "awaiting_file"
    assert not any(objects_dir.rglob("*.csv"))
    assert dataset_versions(db) == examples_loaded


def test_an_empty_file_is_refused_when_its_upload_is_created(client: Client) -> None:
    # Given a file of 0 bytes: When its upload is asked for, Then it is refused at once
    reply = client.create_upload("technology_factors", "empty.csv", b"")
    assert reply.status == 422
    [detail] = reply.json()["detail"]
    assert (detail["loc"], detail["msg"]) == (
        ["body", "size_bytes"],
        "Input should be greater than 0",
    )
