"""Our footprints as PACT v3.0 and v2.3 ProductFootprints, validated against the spec's
own JSON schemas, with METHOD.md's worked example checked by hand."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pcf.pact.conversion import (
    DataQualityRatings,
    Lifecycle,
    PactCompany,
    PactConversionError,
    PactStatus,
    PublishedFootprint,
    decimal_text,
    declared_unit,
    pact_footprint_id,
    pact_ids,
    to_pact_v2,
    to_pact_v3,
)
from tests.unit.pact.pact_schemas import schema_errors

COMPANY = PactCompany(
    name="Sample Manufacturing",
    company_ids=("urn:pact:company:sample.example",),
    product_id_domain="sample.example",
)

# METHOD.md, worked example: product P at site S1, January 2026 (Europe/Berlin)
WORKED_P = PublishedFootprint(
    footprint_id=2,
    item_id="P",
    item_name="Product P",
    site_id="S1",
    declared_unit="piece",
    reference_period_start=datetime(2025, 12, 31, 23, tzinfo=UTC),
    reference_period_end=datetime(2026, 1, 31, 23, tzinfo=UTC),
    created=datetime(2026, 2, 1, 6, 30, tzinfo=UTC),
    total_kg_co2e=10.1207884,
    by_category={
        "materials": 6.11,
        "purchased_parts": 2.4,
        "electricity": 1.53056,
        "natural_gas": 0.0802284,
    },
    primary_data_share=(1.53056 + 0.0802284 + 2.4 * 0.5) / 10.1207884,
    gwp_sets=("AR6",),
    product_ids=("urn:pact:sample.example:product-id:P",),
    geography_country="DE",
)


def test_worked_example_p_in_v3_is_valid_and_its_numbers_are_method_md_s() -> None:
    # Given METHOD.md's footprint of P
    # When it is converted to PACT v3
    document = to_pact_v3(WORKED_P, COMPANY)

    # Then the spec's schema accepts it
    assert schema_errors("v3", "ProductFootprint", document) == []
    pcf = document["pcf"]
    # and by hand: 10.1207884 kg CO2e per piece, all fossil, no biogenic uptake
    assert pcf["declaredUnitOfMeasurement"] == "piece"
    assert pcf["declaredUnitAmount"] == "1"
    assert pcf["pcfExcludingBiogenicUptake"] == "10.1207884"
    assert pcf["pcfIncludingBiogenicUptake"] == "10.1207884"
    assert pcf["fossilGhgEmissions"] == "10.1207884"
    # (1.53056 + 0.0802284 + 2.4 x 0.5) / 10.1207884 = 27.77 %, as percent in PACT
    assert Decimal(pcf["primaryDataShare"]).quantize(Decimal("0.0001")) == Decimal("27.7724")
    assert pcf["referencePeriodStart"] == "2025-12-31T23:00:00Z"
    assert pcf["referencePeriodEnd"] == "2026-01-31T23:00:00Z"
    assert pcf["geographyCountry"] == "DE"
    assert pcf["ipccCharacterizationFactors"] == ["AR6"]
    assert pcf["crossSectoralStandards"] == ["GHGP-Product", "ISO14067", "PACT-3.0"]
    assert pcf["boundaryProcessesDescription"].startswith("Cradle-to-gate")
    assert (
        "materials (supplier or database emission factors) 6.11 kg CO2e"
        in (pcf["boundaryProcessesDescription"])
    )
    assert document["productIds"] == ["urn:pact:sample.example:product-id:P"]
    assert document["companyIds"] == ["urn:pact:company:sample.example"]
    assert document["status"] == "Active"
    # valid for three years after the reference period, stated explicitly
    assert document["validityPeriodStart"] == "2026-01-31T23:00:00Z"
    assert document["validityPeriodEnd"] == "2029-01-31T23:00:00Z"


def test_worked_example_p_in_v2_is_valid_and_per_kilogram_when_its_mass_is_known() -> None:
    # Given P weighing 2 kg (v2.3 has no declared unit "piece")
    p = dataclasses.replace(WORKED_P, mass_per_piece_kg=2.0, cpc_code="43240")

    # When converted to v2.3
    document = to_pact_v2(p, COMPANY)

    # Then the v2 schema accepts it, and the footprint is per kilogram of the 2 kg piece
    assert schema_errors("v2", "ProductFootprint", document) == []
    pcf = document["pcf"]
    assert (pcf["declaredUnit"], pcf["unitaryProductAmount"]) == ("kilogram", "2")
    assert pcf["pCfExcludingBiogenic"] == "5.0603942"
    assert pcf["productMassPerDeclaredUnit"] == "1"
    assert pcf["primaryDataShare"] == pytest.approx(27.7724253, abs=1e-6)
    assert pcf["characterizationFactors"] == "AR6"
    assert document["productCategoryCpc"] == "43240"
    assert document["productClassifications"] == ["urn:pact:productclassification:un-cpc:43240"]
    assert document["version"] == 1


def test_a_piece_without_mass_cannot_go_to_v2() -> None:
    with pytest.raises(PactConversionError, match="mass_per_piece_kg"):
        to_pact_v2(WORKED_P, COMPANY)


@pytest.mark.parametrize(
    ("symbol", "pact_unit", "amount"),
    [
        ("kg", "kilogram", "1"),
        ("t", "kilogram", "1000"),
        ("g", "kilogram", "0.001"),
        ("L", "liter", "1"),
        ("m3", "cubic meter", "1"),
        ("kWh", "kilowatt hour", "1"),
        ("MWh", "kilowatt hour", "1000"),
        ("GJ", "megajoule", "1000"),
        ("m2", "square meter", "1"),
        ("piece", "piece", "1"),
    ],
)
def test_declared_units_map_to_pact_units_and_amounts(
    symbol: str, pact_unit: str, amount: str
) -> None:
    unit = declared_unit(symbol)
    assert (unit.pact_unit, decimal_text(unit.amount)) == (pact_unit, amount)
    # and every mapped unit gives a valid document in both versions
    footprint = dataclasses.replace(WORKED_P, declared_unit=symbol, mass_per_piece_kg=2.0)
    assert schema_errors("v3", "ProductFootprint", to_pact_v3(footprint, COMPANY)) == []
    assert schema_errors("v2", "ProductFootprint", to_pact_v2(footprint, COMPANY)) == []


def test_a_tonne_is_1000_kilograms_per_declared_unit_in_v3_and_per_kilogram_in_v2() -> None:
    steel = dataclasses.replace(WORKED_P, declared_unit="t", total_kg_co2e=1900.0)
    v3 = to_pact_v3(steel, COMPANY)["pcf"]
    v2 = to_pact_v2(steel, COMPANY)["pcf"]
    assert (v3["declaredUnitAmount"], v3["pcfExcludingBiogenicUptake"]) == ("1000", "1900")
    assert v3["productMassPerDeclaredUnit"] == "1000"
    assert (v2["unitaryProductAmount"], v2["pCfExcludingBiogenic"]) == ("1000", "1.9")


def test_a_length_has_no_pact_unit() -> None:
    with pytest.raises(PactConversionError, match='"m" has no PACT equivalent'):
        declared_unit("m")


def test_ids_are_stable_uuids_per_footprint_and_company() -> None:
    first = pact_footprint_id(COMPANY, 2)
    assert first == pact_footprint_id(COMPANY, 2) == to_pact_v3(WORKED_P, COMPANY)["id"]
    assert uuid.UUID(first).version == 5
    assert first != pact_footprint_id(COMPANY, 3)
    other = dataclasses.replace(COMPANY, company_ids=("urn:pact:company:other.example",))
    assert first != pact_footprint_id(other, 2)


def test_a_deprecated_footprint_names_what_it_replaced_and_counts_versions() -> None:
    lifecycle = Lifecycle(PactStatus.DEPRECATED, pact_ids(COMPANY, [1]))
    v3 = to_pact_v3(WORKED_P, COMPANY, lifecycle)
    v2 = to_pact_v2(dataclasses.replace(WORKED_P, mass_per_piece_kg=1.0), COMPANY, lifecycle)
    for version, document in (("v3", v3), ("v2", v2)):
        assert schema_errors(version, "ProductFootprint", document) == []
        assert document["status"] == "Deprecated"
        assert document["precedingPfIds"] == [pact_footprint_id(COMPANY, 1)]
    assert v2["version"] == 2
    assert "precedingPfIds" not in to_pact_v3(WORKED_P, COMPANY)


def test_fossil_biogenic_and_dqi_when_given() -> None:
    footprint = dataclasses.replace(
        WORKED_P,
        mass_per_piece_kg=1.0,
        fossil_kg_co2e=9.5,
        biogenic_uptake_kg_co2e=-0.5,
        fossil_carbon_content_kg=0.2,
        biogenic_carbon_content_kg=0.1,
        dqi=DataQualityRatings(
            1.5, 2.0, 1.0, completeness=2.0, reliability=1.5, coverage_percent=100.0
        ),
    )
    v3, v2 = to_pact_v3(footprint, COMPANY), to_pact_v2(footprint, COMPANY)
    assert schema_errors("v3", "ProductFootprint", v3) == []
    assert schema_errors("v2", "ProductFootprint", v2) == []
    assert v3["pcf"]["pcfIncludingBiogenicUptake"] == "9.6207884"
    assert v3["pcf"]["biogenicCO2Uptake"] == "-0.5"
    assert v3["pcf"]["fossilGhgEmissions"] == "9.5"
    assert v3["pcf"]["dqi"] == {
        "technologicalDQR": "1.5",
        "geographicalDQR": "2",
        "temporalDQR": "1",
    }
    assert v2["pcf"]["biogenicCarbonWithdrawal"] == "-0.5"
    assert v2["pcf"]["dqi"]["reliabilityDQR"] == 1.5
    # v2.3 wants all six ratings or none
    partial = dataclasses.replace(footprint, dqi=DataQualityRatings(1.5, 2.0, 1.0))
    assert "dqi" not in to_pact_v2(partial, COMPANY)["pcf"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(10.1207884, "10.1207884"), (1e-7, "0.0000001"), (-0.0, "0"), (2.5e12, "2500000000000")],
)
def test_decimal_text_has_no_exponent(value: float, text: str) -> None:
    assert decimal_text(value) == text
