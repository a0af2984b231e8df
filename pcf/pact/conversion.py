"""Our footprints as PACT ProductFootprints, v3.0 (``specVersion`` 3.0.3) and v2.3.

Pure: a ``PublishedFootprint`` (one item at one site for one period, as stored, with the
item's and site's master data) in, a JSON-ready dict out. What the conversion decides:

- ids: ``pact_footprint_id`` is a UUID v5 of our footprint id in the company's
  namespace, so the same footprint always has the same PACT id, and two companies'
  footprint 1 never collide;
- declared unit: ``DECLARED_UNITS`` maps our unit symbols to PACT's units and amounts
  (t -> 1000 kilogram); v3 states the footprint per ``declaredUnitAmount`` units, v2.3
  per one unit (``unitaryProductAmount`` units make the product), and v2.3 has no
  ``piece``: a piece goes out as its mass in kilograms;
- numbers: decimal strings (12 significant digits) in v3 and for v2.3's decimal fields,
  JSON numbers where v2.3 asks for numbers; primary data share as percent;
- fossil and biogenic: our method has no biogenic accounting yet, so the footprint is
  reported as fossil emissions with no biogenic uptake unless the source says otherwise;
- lifecycle: status, preceding footprints and version are given by the caller
  (``Lifecycle``), as publishing decides them, not the conversion.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pcf.core.units import conversion_factor

SPEC_VERSION_V3 = "3.0.3"
SPEC_VERSION_V2 = "2.3.0"
# PACT: without a stated validity period a footprint is valid for 3 years after the end
# of its reference period; we state it explicitly so filters need no special case.
VALIDITY_YEARS = 3
SIGNIFICANT_DIGITS = 12

CROSS_SECTORAL_STANDARDS = ("GHGP-Product", "ISO14067", "PACT-3.0")
CROSS_SECTORAL_STANDARDS_USED_V2 = ("GHG Protocol Product standard", "ISO Standard 14067")


class PactStatus(StrEnum):
    ACTIVE = "Active"
    DEPRECATED = "Deprecated"


class PactConversionError(ValueError):
    """A footprint cannot be expressed in PACT terms (unit without a PACT equivalent, ...)."""


@dataclass(frozen=True)
class DeclaredUnit:
    """A PACT declared unit: ``amount`` of ``pact_unit`` is one of our unit."""

    pact_unit: str
    amount: float


# Our unit symbol -> (PACT declaredUnitOfMeasurement, our symbol of that PACT unit).
_PACT_UNITS: dict[str, tuple[str, str]] = {
    "g": ("kilogram", "kg"),
    "kg": ("kilogram", "kg"),
    "t": ("kilogram", "kg"),
    "lb": ("kilogram", "kg"),
    "L": ("liter", "L"),
    "m3": ("cubic meter", "m3"),
    "ft3": ("cubic meter", "m3"),
    "Wh": ("kilowatt hour", "kWh"),
    "kWh": ("kilowatt hour", "kWh"),
    "MWh": ("kilowatt hour", "kWh"),
    "GWh": ("kilowatt hour", "kWh"),
    "MJ": ("megajoule", "MJ"),
    "GJ": ("megajoule", "MJ"),
    "therm": ("megajoule", "MJ"),
    "MMBtu": ("megajoule", "MJ"),
    "m2": ("square meter", "m2"),
    "piece": ("piece", "piece"),
}
V2_DECLARED_UNITS = frozenset(
    {"liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule", "square meter"}
)


def declared_unit(symbol: str) -> DeclaredUnit:
    """The PACT declared unit of our unit ``symbol`` (amount from pint, via
    ``pcf.core.units``); ``PactConversionError`` for a unit PACT has no word for (m)."""
    if symbol not in _PACT_UNITS:
        known = ", ".join(sorted(_PACT_UNITS))
        raise PactConversionError(
            f'declared unit "{symbol}" has no PACT equivalent; PACT-publishable units: {known}'
        )
    pact_unit, pact_symbol = _PACT_UNITS[symbol]
    return DeclaredUnit(pact_unit, conversion_factor(symbol, pact_symbol))


@dataclass(frozen=True)
class PactCompany:
    """Who publishes: the PACT data owner."""

    name: str
    company_ids: tuple[str, ...]  # URNs
    product_id_domain: str  # for urn:pact:<domain>:product-id:<item> when an item has none

    @property
    def id_namespace(self) -> uuid.UUID:
        """The namespace of this company's footprint ids (UUID v5 of its first id)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, self.company_ids[0])


@dataclass(frozen=True)
class DataQualityRatings:
    """PACT data quality ratings, each 1 (best) to 3 in v2.3 (v3 allows up to 5)."""

    technological: float
    geographical: float
    temporal: float
    completeness: float | None = None  # v2.3 only
    reliability: float | None = None  # v2.3 only
    coverage_percent: float | None = None  # v2.3 only

    @property
    def complete_for_v2(self) -> bool:
        """v2.3 wants all six values or none."""
        optional = (self.completeness, self.reliability, self.coverage_percent)
        return all(value is not None for value in optional)


@dataclass(frozen=True)
class PublishedFootprint:
    """One stored footprint with what PACT needs around it. Amounts per one declared
    unit (``declared_unit``, our symbol), kg CO2e unless said otherwise."""

    footprint_id: int
    item_id: str
    item_name: str
    site_id: str
    declared_unit: str
    reference_period_start: datetime  # inclusive, timezone-aware
    reference_period_end: datetime  # exclusive, timezone-aware
    created: datetime  # when the run that computed it finished
    total_kg_co2e: float
    by_category: Mapping[str, float]
    primary_data_share: float | None  # fraction 0..1; None when the total is zero
    gwp_sets: tuple[str, ...]  # e.g. ("AR6",)
    complete: bool = True
    notes: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()  # URNs; empty: one is made from the item id
    cpc_code: str | None = None
    mass_per_piece_kg: float | None = None
    geography_country: str | None = None  # ISO 3166-1 alpha-2
    # Fossil and biogenic split, when the method provides one; None: all fossil, no uptake.
    fossil_kg_co2e: float | None = None
    biogenic_uptake_kg_co2e: float | None = None  # <= 0
    fossil_carbon_content_kg: float | None = None  # kg C
    biogenic_carbon_content_kg: float | None = None  # kg C
    dqi: DataQualityRatings | None = None
    # where it stands among the footprints of its item, site and period: Active (of the
    # period's latest closing) or Deprecated, and our ids of the footprints it replaces
    status: PactStatus = PactStatus.ACTIVE
    preceding_footprint_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Lifecycle:
    """Where a footprint stands among its versions: PACT ids of the footprints it
    replaces, its status, and (v2.3 only) its version number."""

    status: PactStatus = PactStatus.ACTIVE
    preceding_pf_ids: tuple[str, ...] = ()
    version: int | None = None  # None: one more than the footprints it replaces

    @property
    def version_number(self) -> int:
        return self.version if self.version is not None else len(self.preceding_pf_ids) + 1


@dataclass(frozen=True)
class _Common:
    """What both versions say, computed once."""

    id: str
    created: str
    validity_start: str
    validity_end: str
    product_ids: list[str]
    classifications: list[str]
    description: str
    boundary: str
    comment: str
    fossil: float
    biogenic_uptake: float
    ipcc: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


def pact_footprint_id(company: PactCompany, footprint_id: int) -> str:
    """The PACT id (a UUID) of our footprint ``footprint_id``: the same every time."""
    return str(uuid.uuid5(company.id_namespace, f"footprint/{footprint_id}"))


def to_pact_v3(
    footprint: PublishedFootprint, company: PactCompany, lifecycle: Lifecycle | None = None
) -> dict[str, Any]:
    """The PACT v3.0 ProductFootprint of ``footprint`` (a JSON-ready dict)."""
    lifecycle = lifecycle or Lifecycle()
    common = _common(footprint, company)
    unit = declared_unit(footprint.declared_unit)
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": unit.pact_unit,
        "declaredUnitAmount": decimal_text(unit.amount),
        # per declaredUnitAmount units, which is one of our unit: our numbers as they are
        "productMassPerDeclaredUnit": decimal_text(_mass_per_unit_kg(footprint) or 0.0),
        "referencePeriodStart": _timestamp(footprint.reference_period_start),
        "referencePeriodEnd": _timestamp(footprint.reference_period_end),
        "boundaryProcessesDescription": common.boundary,
        "pcfExcludingBiogenicUptake": decimal_text(footprint.total_kg_co2e),
        "pcfIncludingBiogenicUptake": decimal_text(
            footprint.total_kg_co2e + common.biogenic_uptake
        ),
        "fossilGhgEmissions": decimal_text(common.fossil),
        "fossilCarbonContent": decimal_text(footprint.fossil_carbon_content_kg or 0.0),
        "ipccCharacterizationFactors": common.ipcc,
        "crossSectoralStandards": list(CROSS_SECTORAL_STANDARDS),
        "exemptedEmissionsPercent": "0",
        "exemptedEmissionsDescription": "",
        "packagingEmissionsIncluded": False,
        "allocationRulesDescription": ALLOCATION_RULES,
    }
    if footprint.biogenic_uptake_kg_co2e is not None:
        pcf["biogenicCO2Uptake"] = decimal_text(footprint.biogenic_uptake_kg_co2e)
    if footprint.biogenic_carbon_content_kg is not None:
        pcf["biogenicCarbonContent"] = decimal_text(footprint.biogenic_carbon_content_kg)
    if footprint.geography_country:
        pcf["geographyCountry"] = footprint.geography_country
    if footprint.primary_data_share is not None:
        pcf["primaryDataShare"] = decimal_text(100.0 * footprint.primary_data_share)
    if footprint.dqi is not None:
        pcf["dqi"] = {
            "technologicalDQR": decimal_text(footprint.dqi.technological),
            "geographicalDQR": decimal_text(footprint.dqi.geographical),
            "temporalDQR": decimal_text(footprint.dqi.temporal),
        }
    document: dict[str, Any] = {
        "id": common.id,
        "specVersion": SPEC_VERSION_V3,
        "created": common.created,
        "status": lifecycle.status.value,
        "validityPeriodStart": common.validity_start,
        "validityPeriodEnd": common.validity_end,
        "companyName": company.name,
        "companyIds": list(company.company_ids),
        "productDescription": common.description,
        "productIds": common.product_ids,
        "productNameCompany": footprint.item_name,
        "comment": common.comment,
        "pcf": pcf,
    }
    if lifecycle.preceding_pf_ids:
        document["precedingPfIds"] = list(lifecycle.preceding_pf_ids)
    if common.classifications:
        document["productClassifications"] = common.classifications
    return document


def to_pact_v2(
    footprint: PublishedFootprint, company: PactCompany, lifecycle: Lifecycle | None = None
) -> dict[str, Any]:
    """The PACT v2.3 ProductFootprint of ``footprint`` (a JSON-ready dict).

    v2.3 states the footprint per one declared unit and has no ``piece``: a footprint
    per piece goes out per kilogram, with the piece's mass as ``unitaryProductAmount``
    (``PactConversionError`` when the item has no mass per piece)."""
    lifecycle = lifecycle or Lifecycle()
    common = _common(footprint, company)
    unit = declared_unit(footprint.declared_unit)
    if unit.pact_unit in V2_DECLARED_UNITS:
        pact_unit, units_per_ours = unit.pact_unit, unit.amount
    elif footprint.mass_per_piece_kg:
        pact_unit, units_per_ours = "kilogram", footprint.mass_per_piece_kg
    else:
        raise PactConversionError(
            f"item {footprint.item_id}: PACT v2.3 has no declared unit piece; give the "
            "item's mass_per_piece_kg to publish it per kilogram"
        )
    per_unit = 1.0 / units_per_ours  # ours are per units_per_ours PACT units
    pcf: dict[str, Any] = {
        "declaredUnit": pact_unit,
        "unitaryProductAmount": decimal_text(units_per_ours),
        "pCfExcludingBiogenic": decimal_text(footprint.total_kg_co2e * per_unit),
        "pCfIncludingBiogenic": decimal_text(
            (footprint.total_kg_co2e + common.biogenic_uptake) * per_unit
        ),
        "fossilGhgEmissions": decimal_text(common.fossil * per_unit),
        "fossilCarbonContent": decimal_text((footprint.fossil_carbon_content_kg or 0.0) * per_unit),
        "biogenicCarbonContent": decimal_text(
            (footprint.biogenic_carbon_content_kg or 0.0) * per_unit
        ),
        "characterizationFactors": common.ipcc[-1],  # one value in v2: the latest used
        "ipccCharacterizationFactorsSources": common.ipcc,
        "crossSectoralStandardsUsed": list(CROSS_SECTORAL_STANDARDS_USED_V2),
        "crossSectoralStandards": list(CROSS_SECTORAL_STANDARDS),
        "boundaryProcessesDescription": common.boundary,
        "referencePeriodStart": _timestamp(footprint.reference_period_start),
        "referencePeriodEnd": _timestamp(footprint.reference_period_end),
        "exemptedEmissionsPercent": 0,
        "exemptedEmissionsDescription": "",
        "packagingEmissionsIncluded": False,
        "allocationRulesDescription": ALLOCATION_RULES,
    }
    mass = _mass_per_unit_kg(footprint)
    if mass is not None:
        pcf["productMassPerDeclaredUnit"] = decimal_text(mass * per_unit)
    if footprint.biogenic_uptake_kg_co2e is not None:
        pcf["biogenicCarbonWithdrawal"] = decimal_text(footprint.biogenic_uptake_kg_co2e * per_unit)
    if footprint.geography_country:
        pcf["geographyCountry"] = footprint.geography_country
    if footprint.primary_data_share is not None:
        pcf["primaryDataShare"] = _number(100.0 * footprint.primary_data_share)
    if footprint.dqi is not None and footprint.dqi.complete_for_v2:
        pcf["dqi"] = _dqi_v2(footprint.dqi)
    document: dict[str, Any] = {
        "id": common.id,
        "specVersion": SPEC_VERSION_V2,
        "version": lifecycle.version_number,
        "created": common.created,
        "status": lifecycle.status.value,
        "validityPeriodStart": common.validity_start,
        "validityPeriodEnd": common.validity_end,
        "companyName": company.name,
        "companyIds": list(company.company_ids),
        "productDescription": common.description,
        "productIds": common.product_ids,
        # required in v2.3; "n/a" says we have no CPC code rather than inventing one
        "productCategoryCpc": footprint.cpc_code or "n/a",
        "productNameCompany": footprint.item_name,
        "comment": common.comment,
        "pcf": pcf,
    }
    if lifecycle.preceding_pf_ids:
        document["precedingPfIds"] = list(lifecycle.preceding_pf_ids)
    if common.classifications:
        document["productClassifications"] = common.classifications
    return document


ALLOCATION_RULES = (
    "Metered site energy is allocated to the units produced in the period (by units, mass "
    "or standard time, as set per site); overhead meters over every unit produced at the "
    "site. In-house sub-assemblies carry their footprint into their parents."
)


def decimal_text(value: float) -> str:
    """``value`` as a PACT decimal string (``^[+-]?\\d+(\\.\\d+)?$``), rounded to 12
    significant digits: no exponent, no trailing zeros, never "-0"."""
    if not math.isfinite(value):
        raise PactConversionError(f"{value!r} is not a number PACT can carry")
    rounded = Decimal(f"{value:.{SIGNIFICANT_DIGITS}g}")
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _number(value: float) -> float:
    return float(decimal_text(value))


def _common(footprint: PublishedFootprint, company: PactCompany) -> _Common:
    end = footprint.reference_period_end
    product_ids = list(footprint.product_ids) or [
        f"urn:pact:{company.product_id_domain}:product-id:{footprint.item_id}"
    ]
    classifications = (
        [f"urn:pact:productclassification:un-cpc:{footprint.cpc_code}"]
        if footprint.cpc_code
        else []
    )
    fossil = (
        footprint.fossil_kg_co2e
        if footprint.fossil_kg_co2e is not None
        else footprint.total_kg_co2e
    )
    ipcc = sorted(set(footprint.gwp_sets) or {"AR6"}, key=lambda name: int(name[2:]))
    return _Common(
        id=pact_footprint_id(company, footprint.footprint_id),
        created=_timestamp(footprint.created),
        validity_start=_timestamp(end),
        validity_end=_timestamp(_years_later(end, VALIDITY_YEARS)),
        product_ids=product_ids,
        classifications=classifications,
        description=(
            f"{footprint.item_name} ({footprint.item_id}), made at site {footprint.site_id}; "
            f"footprint per {footprint.declared_unit}, cradle to gate"
        ),
        boundary=boundary_description(footprint),
        comment=_comment(footprint),
        fossil=fossil,
        biogenic_uptake=footprint.biogenic_uptake_kg_co2e or 0.0,
        ipcc=ipcc,
    )


_CATEGORY_TEXT = {
    "materials": "materials (supplier or database emission factors)",
    "purchased_parts": "purchased parts (supplier footprints or database factors)",
    "electricity": "electricity metered at the site",
    "natural_gas": "natural gas metered at the site (combustion)",
}


def boundary_description(footprint: PublishedFootprint) -> str:
    """Cradle-to-gate, with what each life-cycle stage contributes per declared unit."""
    parts = ", ".join(
        f"{_CATEGORY_TEXT.get(category, category)} {decimal_text(amount)} kg CO2e"
        for category, amount in footprint.by_category.items()
    )
    return (
        "Cradle-to-gate: extraction and production of materials and purchased parts, and "
        f"manufacturing at site {footprint.site_id} (metered electricity and natural gas "
        f"allocated to the units produced). Per {footprint.declared_unit}: {parts}. "
        "Excludes packaging, outbound logistics, use and end of life."
    )


def _comment(footprint: PublishedFootprint) -> str:
    lines = [
        "Calculated with GWP100 from IPCC "
        f"{', '.join(sorted(set(footprint.gwp_sets) or {'AR6'}))}; no biogenic accounting: "
        "all emissions are reported as fossil, carbon contents are not assessed."
    ]
    if _mass_per_unit_kg(footprint) is None:
        lines.append("The product's mass per declared unit is not recorded (reported as 0).")
    if not footprint.complete:
        lines.append("Incomplete: some inputs were unmapped or not produced in the period.")
    lines.extend(footprint.notes)
    return " ".join(lines)


def _mass_per_unit_kg(footprint: PublishedFootprint) -> float | None:
    """kg of product in one of our declared unit, when known."""
    unit = declared_unit(footprint.declared_unit)
    if unit.pact_unit == "kilogram":
        return unit.amount
    if footprint.declared_unit == "piece":
        return footprint.mass_per_piece_kg
    return None


def _dqi_v2(dqi: DataQualityRatings) -> dict[str, Any]:
    return {
        "coveragePercent": dqi.coverage_percent,
        "technologicalDQR": dqi.technological,
        "geographicalDQR": dqi.geographical,
        "temporalDQR": dqi.temporal,
        "completenessDQR": dqi.completeness,
        "reliabilityDQR": dqi.reliability,
    }


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise PactConversionError(f"{moment} has no time zone")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28) + timedelta(days=1)


def pact_ids(company: PactCompany, footprint_ids: Sequence[int]) -> tuple[str, ...]:
    """The PACT ids of our footprints, in order (for ``Lifecycle.preceding_pf_ids``)."""
    return tuple(pact_footprint_id(company, footprint_id) for footprint_id in footprint_ids)
