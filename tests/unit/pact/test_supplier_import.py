"""PACT ProductFootprints (v3 and v2) as supplier footprint rows, numbers by hand, and every
reason a footprint is refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from pcf.formats.definitions import ITEMS, SUPPLIER_FOOTPRINTS
from pcf.formats.validation import typed_schema
from pcf.pact.supplier_import import (
    FootprintSource,
    ImportedFootprints,
    SupplierFigure,
    SupplierImportError,
    footprints_in,
    supplier_footprint_rows,
    with_replaced_items,
)
from tests.unit.pact.pact_schemas import PACT_DIR

C_URN = "urn:pact:supplier.example:product-id:C-300"
RETRIEVED = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
SOURCE = FootprintSource("upload 0123456789abcdef0123456789abcdef", RETRIEVED)


def _items(*rows: dict[str, Any]) -> pa.Table:
    defaults = {
        "name": "an item",
        "mass_per_piece_kg": None,
        "standard_time_min": None,
        "product_ids": None,
        "cpc_code": None,
    }
    return pa.Table.from_pylist([{**defaults, **row} for row in rows], typed_schema(ITEMS))


ITEMS_TABLE = _items(
    # a purchased part per piece, 0.48 kg each, known by the supplier's URN
    {
        "item_id": "C",
        "item_type": "purchased_part",
        "declared_unit": "piece",
        "mass_per_piece_kg": 0.48,
        "product_ids": f"urn:gtin:0000 {C_URN}",
    },
    # a material declared per tonne
    {
        "item_id": "STEEL",
        "item_type": "material",
        "declared_unit": "t",
        "product_ids": "urn:pact:supplier.example:product-id:STEEL",
    },
    # a purchased part per piece without a mass
    {
        "item_id": "BOLT",
        "item_type": "purchased_part",
        "declared_unit": "piece",
        "product_ids": "urn:pact:supplier.example:product-id:BOLT",
    },
    # made in-house: never a supplier footprint's item
    {
        "item_id": "P",
        "item_type": "product",
        "declared_unit": "piece",
        "product_ids": "urn:pact:supplier.example:product-id:P",
    },
)


def v3_footprint(**pcf: Any) -> dict[str, Any]:
    """The spec's v3 example 1 (kilogram), for part C unless said otherwise: 12.5 kg
    CO2e per 5 kg, primary data share 50 %."""
    footprint: dict[str, Any] = json.loads((PACT_DIR / "v3" / "example-1.json").read_text())
    footprint["specVersion"] = "3.0.3"
    footprint["productIds"] = [C_URN]
    footprint["pcf"].update(
        {
            "declaredUnitAmount": "5",
            "pcfExcludingBiogenicUptake": "12.5",
            "pcfIncludingBiogenicUptake": "10",
            "primaryDataShare": "50",
            **pcf,
        }
    )
    return footprint


def v2_footprint(**pcf: Any) -> dict[str, Any]:
    """The spec's v2 example (liter, made kilogram here), for part C: 2.5 kg CO2e per
    kilogram, with 5 kg in the product (unitaryProductAmount), 12.9 % primary data."""
    body = json.loads((PACT_DIR / "v2" / "get-footprint-response.json").read_text())
    footprint: dict[str, Any] = body["data"]
    footprint["productIds"] = [C_URN]
    footprint["pcf"].update(
        {
            "declaredUnit": "kilogram",
            "unitaryProductAmount": "5",
            "pCfExcludingBiogenic": "2.5",
            **pcf,
        }
    )
    return footprint


def rows(
    *footprints: Any, figure: SupplierFigure = SupplierFigure.EXCLUDING_BIOGENIC_UPTAKE
) -> ImportedFootprints:
    return supplier_footprint_rows([(f, SOURCE) for f in footprints], ITEMS_TABLE, figure)


def problems(*footprints: Any) -> list[tuple[int | None, str, str]]:
    with pytest.raises(SupplierImportError) as refused:
        rows(*footprints)
    return [(p.index, p.field, p.reason) for p in refused.value.problems]


def test_a_v3_footprint_is_divided_by_its_declared_amount_and_converted_to_pieces() -> None:
    # Given 12.5 kg CO2e per 5 kg of part C, which weighs 0.48 kg a piece
    footprint = v3_footprint()
    # When it is imported
    imported = rows(footprint)
    # Then C's supplier footprint is 12.5 / 5 = 2.5 per kg, x 0.48 = 1.2 per piece
    [row] = imported.table.to_pylist()
    assert row["co2e_kg"] == pytest.approx(1.2, rel=1e-15)
    assert row["per_unit"] == "piece"
    # the supplier's share (percent) as a fraction, and the rest of the row
    assert row == {
        "item_id": "C",
        "supplier": "Company 1",
        "co2e_kg": row["co2e_kg"],
        "per_unit": "piece",
        "primary_data_share": 0.5,
        "period_start": date(2024, 1, 1),
        "period_end": date(2024, 12, 30),  # PACT's end (2024-12-31T00:00Z) is exclusive
        "pcf_id": footprint["id"],
        "source": SOURCE.location,
        "retrieved_at": RETRIEVED,
        "pact_spec_version": "3.0.3",
        "pact_status": "Active",
        "pact_version": None,
        "pact_figure": "pcfExcludingBiogenicUptake",
    }
    assert imported.table.schema == typed_schema(SUPPLIER_FOOTPRINTS)
    assert imported.notes == ()


def test_a_v3_footprint_per_kilogram_to_a_material_per_tonne() -> None:
    # Given 12.5 kg CO2e per 5 kg of steel, declared per tonne here
    footprint = v3_footprint()
    footprint["productIds"] = ["URN:PACT:supplier.example:product-id:STEEL"]  # any case
    # Then it is 2.5 per kg, 2500 per t
    [row] = rows(footprint).table.to_pylist()
    assert (row["item_id"], row["co2e_kg"], row["per_unit"]) == ("STEEL", 2500.0, "t")


def test_the_figure_including_biogenic_uptake_is_a_setting() -> None:
    # Given the setting "including biogenic uptake": 10 kg CO2e per 5 kg
    imported = rows(v3_footprint(), figure=SupplierFigure.INCLUDING_BIOGENIC_UPTAKE)
    # Then 10 / 5 x 0.48 = 0.96 per piece, and the row says which field it took
    [row] = imported.table.to_pylist()
    assert row["co2e_kg"] == pytest.approx(0.96, rel=1e-15)
    assert row["pact_figure"] == "pcfIncludingBiogenicUptake"


def test_a_v2_footprint_is_per_one_declared_unit() -> None:
    # Given a v2 footprint: 2.5 kg CO2e per kilogram; 5 kg make one product
    footprint = v2_footprint()
    # When it is imported
    [row] = rows(footprint).table.to_pylist()
    # Then unitaryProductAmount does not divide: 2.5 x 0.48 = 1.2 per piece
    assert row["co2e_kg"] == pytest.approx(1.2, rel=1e-15)
    assert row["primary_data_share"] == pytest.approx(0.129, rel=1e-15)
    assert (row["pact_spec_version"], row["pact_version"], row["pact_figure"]) == (
        footprint["specVersion"],
        1,
        "pCfExcludingBiogenic",
    )
    assert (row["period_start"], row["period_end"]) == (date(2021, 1, 1), date(2021, 12, 31))


def test_a_footprint_without_a_primary_data_share_counts_as_secondary() -> None:
    # Given a v3 footprint that states no primary data share
    footprint = v3_footprint()
    del footprint["pcf"]["primaryDataShare"]
    # Then its share is 0 (never overstated), and the import says so
    imported = rows(footprint)
    assert imported.table.column("primary_data_share").to_pylist() == [0.0]
    assert imported.notes == (
        f"footprint 0 ({footprint['id']}) states no primaryDataShare: "
        "imported with primary data share 0",
    )


@pytest.mark.parametrize(
    "document",
    [
        "one",
        "list",
        "response",
        "get response",
    ],
)
def test_one_footprint_a_list_or_a_response_body(document: str) -> None:
    footprint = v3_footprint()
    shapes = {
        "one": footprint,
        "list": [footprint],
        "response": {"data": [footprint]},
        "get response": {"data": footprint},
    }
    assert footprints_in(shapes[document]) == [footprint]


def test_a_deprecated_footprint_is_refused() -> None:
    footprint = v3_footprint()
    footprint["status"] = "Deprecated"
    assert problems(footprint) == [
        (
            0,
            "status",
            "the footprint is Deprecated: only an Active footprint can be imported "
            "(ask the supplier for the one that replaces it)",
        )
    ]


def test_a_declared_unit_we_have_no_word_for_is_refused() -> None:
    assert problems(v3_footprint(declaredUnitOfMeasurement="ton kilometer")) == [
        (
            0,
            "pcf/declaredUnitOfMeasurement",
            '"ton kilometer" has no unit of ours; importable declared units: cubic meter, '
            "kilogram, kilowatt hour, liter, megajoule, piece, square meter",
        )
    ]


def test_a_unit_that_does_not_convert_to_the_item_is_refused() -> None:
    # per liter cannot become per piece of C
    assert problems(v3_footprint(declaredUnitOfMeasurement="liter")) == [
        (
            0,
            "pcf/declaredUnitOfMeasurement",
            "per liter does not convert to item C's declared unit piece",
        )
    ]
    # per kilogram cannot become per piece of a bolt without its mass
    bolt = v3_footprint()
    bolt["productIds"] = ["urn:pact:supplier.example:product-id:BOLT"]
    assert problems(bolt) == [
        (
            0,
            "pcf/declaredUnitOfMeasurement",
            "per kilogram does not convert to item BOLT's declared unit piece without its "
            "mass_per_piece_kg (items)",
        )
    ]


def test_a_footprint_of_no_known_item_is_refused() -> None:
    unknown = v3_footprint()
    unknown["productIds"] = ["urn:gtin:999"]
    in_house = v3_footprint()
    in_house["productIds"] = ["urn:pact:supplier.example:product-id:P"]
    reason = (
        "no material or purchased part has one of these in its product_ids (items); "
        "add the supplier's product id to the item it describes"
    )
    assert problems(unknown, in_house) == [(0, "productIds", reason), (1, "productIds", reason)]


def test_two_footprints_of_one_item_are_refused() -> None:
    second = v3_footprint()
    second["id"] = "00000000-0000-4000-8000-000000000002"
    assert problems(v3_footprint(), second) == [
        (
            1,
            "productIds",
            "describes item C like footprint 0; an item has one supplier footprint: "
            "import one of them",
        )
    ]


def test_schema_violations_name_the_footprint_and_field() -> None:
    broken = v3_footprint(declaredUnitAmount="0")
    del broken["companyName"]
    with pytest.raises(SupplierImportError) as refused:
        rows(v3_footprint(), broken)
    assert [str(p) for p in refused.value.problems] == [
        f"footprint 1 ({broken['id']}): 'companyName' is a required property "
        "(PACT v3 ProductFootprint schema)",
        f'footprint 1 ({broken["id"]}), pcf/declaredUnitAmount: "0" does not match '
        "'^[+]?(\\\\d*[1-9]\\\\d*)(\\\\.\\\\d+)?|(0+\\\\.\\\\d*[1-9]\\\\d*)$' "
        "(PACT v3 ProductFootprint schema)",
    ]


def test_an_unknown_spec_version_and_a_negative_figure_are_refused() -> None:
    old = v3_footprint()
    old["specVersion"] = "1.0.0"
    negative = v3_footprint()
    negative["productIds"] = ["urn:pact:supplier.example:product-id:STEEL"]
    negative["pcf"]["pcfIncludingBiogenicUptake"] = "-1.23"
    assert problems(old) == [
        (0, "specVersion", '"1.0.0" is not a PACT version we read (2.x and 3.x)')
    ]
    with pytest.raises(SupplierImportError) as refused:
        rows(negative, figure=SupplierFigure.INCLUDING_BIOGENIC_UPTAKE)
    assert [(p.field, p.value, p.reason) for p in refused.value.problems] == [
        (
            "pcf/pcfIncludingBiogenicUptake",
            "-1.23",
            "must be a number >= 0: a supplier footprint cannot be negative",
        )
    ]


def test_a_v2_figure_including_biogenic_must_be_there_when_asked_for() -> None:
    footprint = v2_footprint()
    del footprint["pcf"]["pCfIncludingBiogenic"]
    with pytest.raises(SupplierImportError) as refused:
        rows(footprint, figure=SupplierFigure.INCLUDING_BIOGENIC_UPTAKE)
    assert [(p.field, p.reason) for p in refused.value.problems] == [
        (
            "pcf/pCfIncludingBiogenic",
            "is missing, and it is the figure this import takes (including_biogenic_uptake)",
        )
    ]


def test_the_next_version_replaces_the_imported_items_only() -> None:
    # Given a version with C and STEEL, and an import of C
    schema = typed_schema(SUPPLIER_FOOTPRINTS)
    imported = rows(v3_footprint()).table
    current = pa.concat_tables(
        [
            imported.slice(0, 0),
            pa.Table.from_pylist(
                [
                    {**imported.to_pylist()[0], "co2e_kg": 9.0, "source": None},
                    {**imported.to_pylist()[0], "item_id": "STEEL", "per_unit": "t"},
                ],
                schema,
            ),
        ]
    )
    # When the next version is made
    merged = with_replaced_items(current, imported)
    # Then C is the import's, STEEL stays
    assert merged.column("item_id").to_pylist() == ["C", "STEEL"]
    assert merged.column("co2e_kg").to_pylist()[0] == pytest.approx(1.2)
    assert with_replaced_items(None, imported).equals(imported)
