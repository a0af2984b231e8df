"""Validating files against their definitions: cells, rows, tables and references."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa
import pytest

from pcf.formats.columns import unit_symbols
from pcf.formats.definitions import BOM, EMISSION_FACTORS, TELEMETRY_WINDOWS
from pcf.formats.validation import (
    RowError,
    check_references,
    check_rows,
    typed_schema,
    validate_file,
    validate_files,
)
from tests.unit.formats.builders import csv_bytes, example_bytes, example_files

BOM_HEADER = "parent_item_id,child_item_id,quantity,unit,scrap_rate"
FACTORS_HEADER = "factor_id,name,per_unit,co2_kg,ch4_kg,n2o_kg,co2e_kg,co2e_gwp_set,source,year"
AMOUNT_UNITS = ", ".join(unit_symbols(BOM.column("unit").dimensions))

# Cells ----------------------------------------------------------------------------------


def test_non_numeric_quantity_is_rejected() -> None:
    # Given a BOM line whose quantity is text
    data = csv_bytes(BOM_HEADER, "P-100,A-200,abc,piece,")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the cell is named with the reason
    assert result.table is None
    assert result.errors == [RowError("bom.csv", 2, "quantity", "abc", '"abc" is not a number')]


def test_decimal_comma_gets_a_hint() -> None:
    # Given a quantity written with a decimal comma, in a semicolon file
    data = csv_bytes(BOM_HEADER.replace(",", ";"), "P-100;A-200;1,5;piece;")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the reason says how to write it
    assert result.errors == [
        RowError(
            "bom.csv",
            2,
            "quantity",
            "1,5",
            '"1,5" is not a number; write it with a point as the decimal separator and no '
            "thousands separator",
        )
    ]


def test_negative_quantity_is_rejected() -> None:
    # Given a valid line, then a line with a negative quantity
    data = csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "P-100,C-300,-3,piece,")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the negative quantity is reported at its spreadsheet row
    assert result.errors == [RowError("bom.csv", 3, "quantity", "-3", '"-3" must be > 0')]
    assert str(result.errors[0]) == 'bom.csv row 3, column quantity: "-3" must be > 0'


def test_scrap_rate_of_one_or_more_is_rejected() -> None:
    # Given a scrap rate of 100 %
    data = csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,1")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the exclusive maximum is reported
    assert result.errors == [RowError("bom.csv", 2, "scrap_rate", "1", '"1" must be < 1')]


def test_unknown_unit_is_rejected_with_the_known_units() -> None:
    # Given a misspelt unit
    data = csv_bytes(BOM_HEADER, "P-100,MAT-STEEL,2,kgs,")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the known units are listed
    assert result.errors == [
        RowError("bom.csv", 2, "unit", "kgs", f'unknown unit "kgs"; known units: {AMOUNT_UNITS}')
    ]


def test_unit_in_the_wrong_letter_case_gets_a_hint() -> None:
    # Given "KWH" for kWh
    data = csv_bytes(
        "technology,co2e_kg,per_unit,source,year", "coal,820,KWH,IPCC AR5 WG3 Annex III,2014"
    )
    # When it is validated
    result = validate_file("technology_factors", data, "technology_factors.csv", {})
    # Then the message suggests the right spelling
    assert [error.reason for error in result.errors] == [
        'unknown unit "KWH"; known units: Wh, kWh, MWh, GWh, MJ, GJ, therm, MMBtu; '
        'did you mean "kWh"?'
    ]


def test_unit_of_the_wrong_dimension_is_rejected() -> None:
    # Given a technology factor per kilogram instead of per unit of energy
    data = csv_bytes(
        "technology,co2e_kg,per_unit,source,year", "coal,820,kg,IPCC AR5 WG3 Annex III,2014"
    )
    # When it is validated
    result = validate_file("technology_factors", data, "technology_factors.csv", {})
    # Then the unit's dimension and the expected one are named
    assert result.errors == [
        RowError(
            "technology_factors.csv", 2, "per_unit", "kg", 'unit "kg" is mass; expected energy'
        )
    ]


def test_missing_required_value_is_rejected() -> None:
    # Given an item without a name
    data = csv_bytes("item_id,name,item_type,declared_unit", "P-1,,product,piece")
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then the empty cell is reported
    assert result.errors == [RowError("items.csv", 2, "name", "", "a value is required")]


def test_choice_outside_the_list_is_rejected() -> None:
    # Given an item type that is not one of the choices
    data = csv_bytes("item_id,name,item_type,declared_unit", "P-1,Pump,assembly,piece")
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then the choices are listed
    assert result.errors == [
        RowError(
            "items.csv",
            2,
            "item_type",
            "assembly",
            '"assembly" is not one of product, subassembly, material, purchased_part',
        )
    ]


def test_bad_dates_are_rejected() -> None:
    # Given a day that does not exist and a date in day.month.year form
    header = "item_id,supplier,co2e_kg,per_unit,primary_data_share,period_start,period_end"
    data = csv_bytes(
        header,
        "C-300,Acme,1.2,piece,0.5,2025-02-30,2025-12-31",
        "PKG-10,Acme,0.4,piece,0.5,2025-01-01,31.12.2025",
    )
    # When it is validated
    result = validate_file("supplier_footprints", data, "supplier_footprints.csv", {})
    # Then both cells are reported
    expected_form = "is not a date in the form YYYY-MM-DD, like 2026-01-31"
    assert result.errors == [
        RowError(
            "supplier_footprints.csv",
            2,
            "period_start",
            "2025-02-30",
            f'"2025-02-30" {expected_form}',
        ),
        RowError(
            "supplier_footprints.csv",
            3,
            "period_end",
            "31.12.2025",
            f'"31.12.2025" {expected_form}',
        ),
    ]


def test_bad_time_zone_is_rejected() -> None:
    # Given a misspelt time zone and one in the wrong letter case
    header = "site_id,name,time_zone,grid_region"
    data = csv_bytes(header, "S1,Plant,Europe/Berln,DE", "S2,Plant,europe/berlin,DE")
    # When it is validated
    result = validate_file("sites", data, "sites.csv", {})
    # Then both are reported, the second with the right spelling
    assert result.errors == [
        RowError(
            "sites.csv",
            2,
            "time_zone",
            "Europe/Berln",
            '"Europe/Berln" is not an IANA time zone name, like Europe/Berlin',
        ),
        RowError(
            "sites.csv",
            3,
            "time_zone",
            "europe/berlin",
            '"europe/berlin" is not an IANA time zone name, like Europe/Berlin; '
            'did you mean "Europe/Berlin"?',
        ),
    ]


def test_datetime_without_offset_is_rejected() -> None:
    # Given a telemetry window start without a UTC offset
    row = "S1,M1,M1-E,electricity,,{start},2026-01-05T06:01:00Z,1.25,kWh,0,60,0"
    data = csv_bytes(TELEMETRY_WINDOWS.column_names, row.format(start="2026-01-05T06:00:00"))
    # When it is validated
    result = validate_file("telemetry_windows", data, "telemetry_windows.csv", {})
    # Then the missing offset is named
    assert result.errors == [
        RowError(
            "telemetry_windows.csv",
            2,
            "window_start",
            "2026-01-05T06:00:00",
            '"2026-01-05T06:00:00" has no UTC offset; write it like 2026-01-05T06:00:00+01:00 '
            "(or Z for UTC)",
        )
    ]


def test_urn_list_names_the_token_that_is_not_a_urn() -> None:
    # Given product ids of which one is not a URN
    data = csv_bytes(
        "item_id,name,item_type,declared_unit,product_ids",
        "P-1,Pump,product,piece,urn:pact:x.com:product-id:P-1 EAN-4006381333931",
    )
    # When it is validated
    result = validate_file("items", data, "items.csv", {})
    # Then the token is named
    assert [error.reason for error in result.errors] == [
        '"EAN-4006381333931" in "urn:pact:x.com:product-id:P-1 EAN-4006381333931" is not a '
        'URN; each identifier starts with "urn:"'
    ]


def test_errors_per_column_are_capped_with_a_count_of_the_rest() -> None:
    # Given 250 lines with a text quantity
    data = csv_bytes(BOM_HEADER, *[f"P-{n},C-{n},x,piece," for n in range(250)])
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the first 100 are reported, then one line counts the other 150
    assert len(result.errors) == 101
    assert result.errors[99].row == 101
    assert result.errors[100] == RowError(
        "bom.csv", None, "quantity", None, "and 150 more rows with errors"
    )
    assert str(result.errors[100]) == "bom.csv, column quantity: and 150 more rows with errors"


# Typed tables ---------------------------------------------------------------------------


def test_valid_file_gives_a_typed_table_with_defaults_filled() -> None:
    # Given emission factors in both forms, some optional cells empty
    data = csv_bytes(
        FACTORS_HEADER + ",valid_from",
        "EF-STEEL,Steel,kg,1.91,,,,,worldsteel,2021,2022-01-01",
        "EF-ALU,Aluminium,t,,,,15100,AR5,IAI,2022,",
    )
    # When it is validated
    result = validate_file("emission_factors", data, "emission_factors.csv", {})
    # Then the table has the definition's columns, typed, with defaults filled
    assert result.errors == []
    table = result.table
    assert table is not None
    assert table.schema == typed_schema(EMISSION_FACTORS)
    assert table.schema.field("co2_kg").type == pa.float64()
    assert table.schema.field("year").type == pa.int64()
    assert table.schema.field("valid_from").type == pa.date32()
    assert table.to_pylist()[0] == {
        "factor_id": "EF-STEEL",
        "name": "Steel",
        "per_unit": "kg",
        "co2_kg": 1.91,
        "ch4_kg": None,
        "n2o_kg": None,
        "co2e_kg": None,
        "co2e_gwp_set": None,
        "ch4_origin": "fossil",
        "energy_basis": None,
        "source": "worldsteel",
        "year": 2021,
        "valid_from": dt.date(2022, 1, 1),
        "valid_to": None,
    }
    assert table.column("co2e_kg").to_pylist() == [None, 15100.0]


def test_bom_scrap_rate_defaults_to_zero() -> None:
    # Given the example BOM, where some lines leave scrap_rate empty
    # When it is validated
    result = validate_file("bom", example_bytes("bom"), "bom.csv", {})
    # Then every line has a scrap rate, 0 where none was given
    assert result.table is not None
    assert result.table.column("scrap_rate").to_pylist() == [0.0, 0.02, 0.0, 0.05, 0.0]
    assert result.table.column("quantity").type == pa.float64()
    assert result.table.schema.field("scrap_rate").nullable is False


def test_datetimes_are_converted_to_utc() -> None:
    # Given windows with offsets, Z and fractional seconds
    row = "S1,M1,M1-E,electricity,,{start},{end},1.25,kWh,0,60,0"
    data = csv_bytes(
        TELEMETRY_WINDOWS.column_names,
        row.format(start="2026-01-05T06:00:00+01:00", end="2026-01-05T06:01:00+01:00"),
        row.format(start="2026-01-05T05:01:00Z", end="2026-01-05T05:01:59.5+00:00"),
    )
    # When it is validated
    result = validate_file("telemetry_windows", data, "telemetry_windows.csv", {})
    # Then the instants are in UTC, to the microsecond
    assert result.errors == []
    assert result.table is not None
    assert result.table.schema.field("window_start").type == pa.timestamp("us", tz="UTC")
    utc = dt.UTC
    assert result.table.column("window_start").to_pylist() == [
        dt.datetime(2026, 1, 5, 5, 0, tzinfo=utc),
        dt.datetime(2026, 1, 5, 5, 1, tzinfo=utc),
    ]
    assert result.table.column("window_end").to_pylist()[1] == dt.datetime(
        2026, 1, 5, 5, 1, 59, 500000, tzinfo=utc
    )


def test_impossible_datetime_is_rejected_cell_by_cell() -> None:
    # Given one window starting at hour 25 among valid ones
    row = "S1,M1,M1-E,electricity,,{start},2026-01-05T07:00:00Z,1.25,kWh,0,60,0"
    data = csv_bytes(
        TELEMETRY_WINDOWS.column_names,
        row.format(start="2026-01-05T06:00:00Z"),
        row.format(start="2026-01-05T25:00:00Z"),
    )
    # When it is validated
    result = validate_file("telemetry_windows", data, "telemetry_windows.csv", {})
    # Then only that cell is reported
    assert [(error.row, error.column) for error in result.errors] == [(3, "window_start")]


def test_check_rows_works_on_a_record_batch_with_given_row_numbers() -> None:
    # Given a batch of text cells as a partition of a larger file would give it
    batch = pa.RecordBatch.from_pydict(
        {
            "parent_item_id": ["P-100", "P-100"],
            "child_item_id": ["A-200", "C-300"],
            "quantity": ["2", "-1"],
            "unit": ["piece", "piece"],
            "scrap_rate": ["", "0.1"],
        }
    )
    # When its rows are checked, numbered from row 5001
    checked = check_rows(batch, BOM, "bom.csv", rows=pa.array([5001, 5002]).to_numpy())
    # Then errors carry the given row numbers and the batch is typed
    assert checked.errors == [RowError("bom.csv", 5002, "quantity", "-1", '"-1" must be > 0')]
    assert checked.batch.column("scrap_rate").to_pylist() == [0.0, 0.1]
    assert checked.batch.column("quantity").to_pylist() == [2.0, None]


# Rules within a row ---------------------------------------------------------------------


def test_factor_with_both_co2e_and_gases_is_rejected() -> None:
    # Given a factor with co2e_kg and co2_kg
    data = csv_bytes(FACTORS_HEADER, "EF-1,Steel,kg,1.9,,,2.3,AR6,worldsteel,2021")
    # When it is validated
    result = validate_file("emission_factors", data, "emission_factors.csv", {})
    # Then the row is reported once, at co2e_kg
    assert result.errors == [
        RowError(
            "emission_factors.csv",
            2,
            "co2e_kg",
            "2.3",
            "give either co2e_kg (with co2e_gwp_set) or co2_kg (with optional ch4_kg and "
            "n2o_kg), not both",
        )
    ]


def test_factor_with_neither_co2e_nor_co2_or_co2e_without_gwp_set_is_rejected() -> None:
    # Given a factor with no value and one with co2e_kg but no GWP set
    data = csv_bytes(
        FACTORS_HEADER,
        "EF-1,Steel,kg,,,,,,worldsteel,2021",
        "EF-2,Steel,kg,,,,2.3,,worldsteel,2021",
    )
    # When it is validated
    result = validate_file("emission_factors", data, "emission_factors.csv", {})
    # Then each is reported
    assert result.errors == [
        RowError(
            "emission_factors.csv",
            2,
            "co2_kg",
            None,
            "give co2e_kg with co2e_gwp_set, or co2_kg (with optional ch4_kg and n2o_kg)",
        ),
        RowError(
            "emission_factors.csv",
            3,
            "co2e_gwp_set",
            None,
            "co2e_kg needs co2e_gwp_set, the GWP set it was computed with (AR6 or AR5)",
        ),
    ]


def test_rules_skip_cells_that_already_failed() -> None:
    # Given a co2_kg that is not a number (so the row seems to have no value at all)
    data = csv_bytes(FACTORS_HEADER, "EF-1,Steel,kg,lots,,,,,worldsteel,2021")
    # When it is validated
    result = validate_file("emission_factors", data, "emission_factors.csv", {})
    # Then only the cell is reported, not also the missing value
    assert [error.reason for error in result.errors] == ['"lots" is not a number']


def test_validity_ending_before_it_starts_is_rejected() -> None:
    # Given valid_to before valid_from
    data = csv_bytes(
        FACTORS_HEADER + ",valid_from,valid_to",
        "EF-1,Steel,kg,1.9,,,,,worldsteel,2021,2022-01-01,2021-12-31",
    )
    # When it is validated
    result = validate_file("emission_factors", data, "emission_factors.csv", {})
    # Then valid_to is reported with both dates
    assert result.errors == [
        RowError(
            "emission_factors.csv",
            2,
            "valid_to",
            "2021-12-31",
            "2021-12-31 is before valid_from 2022-01-01",
        )
    ]


def test_market_electricity_needs_its_contract() -> None:
    # Given a market-based site without contract factor and covered share
    data = csv_bytes(
        "site_id,name,time_zone,grid_region,electricity_method", "S1,Plant,Europe/Berlin,DE,market"
    )
    # When it is validated
    result = validate_file("sites", data, "sites.csv", {})
    # Then both missing cells are reported
    assert [(error.column, error.reason) for error in result.errors] == [
        (
            "contract_factor_kg_per_kwh",
            "electricity_method market needs contract_factor_kg_per_kwh",
        ),
        ("contract_covered_share", "electricity_method market needs contract_covered_share"),
    ]


def test_meter_unit_must_fit_its_quantity_and_counters_need_machine_and_item() -> None:
    # Given an electricity meter in m3 and a production counter without machine or item
    data = csv_bytes(
        "meter_id,site_id,machine_id,quantity,unit,item_id",
        "E1,S1,M1,electricity,m3,",
        "P1,S1,,production_count,piece,",
    )
    # When it is validated
    result = validate_file("meters", data, "meters.csv", {})
    # Then each problem is reported at its column
    assert result.errors == [
        RowError(
            "meters.csv",
            3,
            "machine_id",
            None,
            "a production_count meter is attached to a machine; give machine_id",
        ),
        RowError(
            "meters.csv",
            3,
            "item_id",
            None,
            "a production_count meter counts an item; give item_id",
        ),
        RowError(
            "meters.csv", 2, "unit", "m3", 'unit "m3" is volume; electricity is metered in energy'
        ),
    ]


def test_telemetry_window_rules() -> None:
    # Given a window ending where it starts and more samples dropped than received
    data = csv_bytes(
        TELEMETRY_WINDOWS.column_names,
        "S1,M1,M1-E,electricity,,2026-01-05T06:00:00Z,2026-01-05T06:00:00Z,1,kWh,0,60,0",
        "S1,M1,M1-E,electricity,,2026-01-05T06:01:00Z,2026-01-05T06:02:00Z,1,kWh,0,10,11",
    )
    # When it is validated
    result = validate_file("telemetry_windows", data, "telemetry_windows.csv", {})
    # Then both are reported
    assert [(error.row, error.column, error.reason) for error in result.errors] == [
        (
            2,
            "window_end",
            "2026-01-05T06:00:00+00:00 is not after window_start 2026-01-05T06:00:00+00:00",
        ),
        (3, "samples_dropped", "11 is more than samples_received 10"),
    ]


# Rules across rows ----------------------------------------------------------------------


def test_duplicate_keys_name_both_rows() -> None:
    # Given the same BOM line twice
    data = csv_bytes(
        BOM_HEADER, "P-100,A-200,2,piece,", "P-100,C-300,1,piece,", "P-100,A-200,3,piece,"
    )
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the second is reported, naming the first
    assert result.errors == [
        RowError(
            "bom.csv",
            4,
            "parent_item_id",
            "P-100",
            'duplicate key parent_item_id "P-100", child_item_id "A-200": also in row 2',
        )
    ]


def test_repeated_telemetry_window_is_a_revision_not_a_duplicate() -> None:
    # Given the example telemetry, where one window comes again as revision 1
    # When it is validated
    result = validate_file(
        "telemetry_windows", example_bytes("telemetry_windows"), "telemetry_windows.csv", {}
    )
    # Then it is accepted
    assert result.errors == []


def test_bom_cycle_is_reported_with_its_items() -> None:
    # Given A-200 consuming B-300, which consumes A-200
    data = csv_bytes(
        BOM_HEADER, "P-100,A-200,2,piece,", "A-200,B-300,1,piece,", "B-300,A-200,1,piece,"
    )
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the cycle is named, pointing at the line that closes it
    assert result.errors == [
        RowError("bom.csv", 4, "child_item_id", "A-200", "cycle A-200 -> B-300 -> A-200")
    ]
    assert str(result.errors[0]) == (
        "bom.csv row 4, column child_item_id: cycle A-200 -> B-300 -> A-200"
    )


def test_grid_shares_must_add_up_to_one_per_region() -> None:
    # Given DE adding up to 90 % and FR to 1 within rounding
    header = "grid_region,technology,share,source,year"
    data = csv_bytes(
        header,
        "DE,coal,0.4,Illustrative,2025",
        "FR,nuclear,0.3333333,Illustrative,2025",
        "DE,wind_onshore,0.5,Illustrative,2025",
        "FR,hydro,0.3333333,Illustrative,2025",
        "FR,wind_onshore,0.3333334,Illustrative,2025",
    )
    # When it is validated
    result = validate_file("grid_mixes", data, "grid_mixes.csv", {})
    # Then DE is reported at its first row, with its sum
    assert result.errors == [
        RowError(
            "grid_mixes.csv",
            2,
            "share",
            "DE",
            'the shares of grid region "DE" add up to 0.9 (90 %), not 1',
        )
    ]


# References -----------------------------------------------------------------------------


def test_reference_to_an_unknown_item_is_rejected(references: Mapping[str, pa.Table]) -> None:
    # Given a BOM line whose child is not in items
    data = csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "P-100,X-9,1,piece,")
    # When it is validated against the items
    result = validate_file("bom", data, "bom.csv", references)
    # Then the unknown item is named
    assert result.errors == [
        RowError("bom.csv", 3, "child_item_id", "X-9", 'unknown item "X-9" (not in items)')
    ]
    assert str(result.errors[0]) == (
        'bom.csv row 3, column child_item_id: unknown item "X-9" (not in items)'
    )


def test_bom_parent_must_be_made_in_house(references: Mapping[str, pa.Table]) -> None:
    # Given a material with a BOM
    data = csv_bytes(BOM_HEADER, "MAT-STEEL,MAT-ALU,1,kg,")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", references)
    # Then the parent is reported
    assert result.errors == [
        RowError(
            "bom.csv",
            2,
            "parent_item_id",
            "MAT-STEEL",
            '"MAT-STEEL" is a material; only a product or subassembly has a bill of materials',
        )
    ]


def test_bom_unit_must_convert_to_the_childs_declared_unit(
    references: Mapping[str, pa.Table],
) -> None:
    # Given steel (declared in kg, no mass per piece) in pieces, and a seal in grams
    # (declared in pieces, 0.05 kg each), and steel in m2
    data = csv_bytes(
        BOM_HEADER,
        "P-100,MAT-STEEL,2,piece,",
        "A-200,C-300,50,g,",
        "A-200,MAT-STEEL,1,m2,",
    )
    # When it is validated
    result = validate_file("bom", data, "bom.csv", references)
    # Then pieces of steel and m2 of steel are rejected; grams of seal convert
    assert result.errors == [
        RowError(
            "bom.csv",
            2,
            "unit",
            "piece",
            '"piece" does not convert to kg, the declared unit of item "MAT-STEEL": give its '
            "mass_per_piece_kg in items",
        ),
        RowError(
            "bom.csv",
            4,
            "unit",
            "m2",
            '"m2" does not convert to kg, the declared unit of item "MAT-STEEL"',
        ),
    ]


def test_meter_machine_must_stand_at_the_meters_site(references: Mapping[str, pa.Table]) -> None:
    # Given a meter at S2 on machine M1, which stands at S1
    data = csv_bytes("meter_id,site_id,machine_id,quantity,unit", "X-E,S2,M1,electricity,kWh")
    # When it is validated
    result = validate_file("meters", data, "meters.csv", references)
    # Then the machine is reported
    assert result.errors == [
        RowError("meters.csv", 2, "machine_id", "M1", 'machine "M1" stands at site "S1", not "S2"')
    ]


def test_site_gas_factor_must_be_per_energy_and_on_the_same_basis(
    references: Mapping[str, pa.Table],
) -> None:
    # Given a site on net calorific value with the gross-basis gas factor, and one with a
    # per-kg factor as gas factor
    header = "site_id,name,time_zone,grid_region,gas_calorific_basis,gas_factor_id"
    data = csv_bytes(
        header,
        "S8,Plant,Europe/Berlin,DE-EXAMPLE,net,EF-NG-COMBUSTION",
        "S9,Plant,Europe/Berlin,DE-EXAMPLE,gross,EF-STEEL-AVG",
    )
    # When it is validated
    result = validate_file("sites", data, "sites.csv", references)
    # Then both are reported
    assert result.errors == [
        RowError(
            "sites.csv",
            2,
            "gas_calorific_basis",
            "net",
            '"net" does not match gas factor "EF-NG-COMBUSTION", which is on a gross basis',
        ),
        RowError(
            "sites.csv",
            3,
            "gas_factor_id",
            "EF-STEEL-AVG",
            'factor "EF-STEEL-AVG" is per kg (mass); a natural gas factor is per unit of energy',
        ),
    ]


def test_check_references_on_a_typed_table(references: Mapping[str, pa.Table]) -> None:
    # Given a typed factor mapping for a product and an unknown factor
    table = pa.table({"item_id": ["P-100", "MAT-STEEL"], "factor_id": ["EF-STEEL-AVG", "EF-X"]})
    # When its references are checked
    errors = check_references("factor_mapping", table, "factor_mapping.csv", references)
    # Then both are reported
    assert errors == [
        RowError(
            "factor_mapping.csv",
            3,
            "factor_id",
            "EF-X",
            'unknown factor "EF-X" (not in emission_factors)',
        ),
        RowError(
            "factor_mapping.csv",
            2,
            "item_id",
            "P-100",
            '"P-100" is a product, not a material or purchased_part',
        ),
    ]


# Sets of files --------------------------------------------------------------------------


def test_files_referring_to_a_rejected_file_are_rejected() -> None:
    # Given the example files, with an item of unknown type
    files = example_files()
    items_name, items_data = files["items"]
    files["items"] = (items_name, items_data.replace(b",material,", b",raw_material,", 1))
    # When the set is validated
    results = validate_files(files)
    # Then items is rejected, and so are the files that refer to items
    assert results["items"].table is None
    assert results["bom"].errors == [
        RowError("bom.csv", None, None, None, "references not checked: items.csv was rejected")
    ]
    assert results["technology_factors"].errors == []


def test_unknown_kind_is_refused() -> None:
    # Given a telemetry file in a set of static files / When validated / Then it is refused
    with pytest.raises(ValueError, match="not static file kinds: telemetry_windows"):
        validate_files({"telemetry_windows": ("t.csv", b"")})


def test_bom_line_consuming_its_own_parent_is_a_cycle() -> None:
    # Given a sub-assembly listed as its own child, under a product
    data = csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "A-200,A-200,1,piece,")
    # When it is validated
    result = validate_file("bom", data, "bom.csv", {})
    # Then the one-item cycle is reported at its line
    assert result.errors == [
        RowError("bom.csv", 3, "child_item_id", "A-200", "cycle A-200 -> A-200")
    ]


def test_duplicate_key_with_a_date_names_every_key_column() -> None:
    # Given two counts for the same machine, item and period start
    data = csv_bytes(
        "site_id,machine_id,item_id,period_start,period_end,quantity",
        "S1,M1,P-100,2026-01-01,2026-02-01,500",
        "S1,M1,P-100,2026-02-01,2026-03-01,450",
        "S1,M1,P-100,2026-01-01,2026-01-16,250",
    )
    # When it is validated
    result = validate_file("production_counts", data, "production_counts.csv", {})
    # Then the repeat is reported with its whole key
    assert [(error.row, error.reason) for error in result.errors] == [
        (
            4,
            'duplicate key machine_id "M1", item_id "P-100", period_start "2026-01-01": '
            "also in row 2",
        )
    ]
