"""PACT v2's ``$filter`` subset (``pcf.pact.odata``) on a v2-shaped document."""

from __future__ import annotations

import pytest

from pcf.pact.footprints import BadFilter
from pcf.pact.odata import parse_filter

DOCUMENT = {
    "created": "2026-02-01T10:00:00Z",
    "productIds": ["urn:gtin:1", "urn:gtin:2"],
    "companyIds": ["urn:pact:company:sample.example"],
    "productCategoryCpc": "43240",
    "pcf": {
        "geographyCountry": "DE",
        "pCfExcludingBiogenic": "5.06",
        "exemptedEmissionsPercent": 0,
    },
}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("created ge '2023-01-15T10:15:30Z'", True),
        ("created lt '2026-02-01T11:00:00+01:00'", False),  # the same instant, not before
        ("created le '2026-02-01T11:00:00+01:00'", True),
        ("productIds/any(productId:(productId eq 'urn:gtin:2'))", True),
        ("productIds/any(p:p eq 'urn:gtin:3')", False),
        ("companyIds/any(c:c ne 'urn:other')", True),
        ("pcf/geographyCountry eq 'DE' and productCategoryCpc eq '43240'", True),
        ("(pcf/geographyCountry eq 'DE') and (productCategoryCpc eq '1')", False),
        ("pcf/pCfExcludingBiogenic gt 5", True),
        ("pcf/exemptedEmissionsPercent eq 0", True),
        ("pcf/declaredUnit eq 'liter'", False),  # absent: no match
        ("productCategoryCpc eq 'it''s'", False),
    ],
)
def test_filters(text: str, matches: bool) -> None:
    assert parse_filter(text).matches(DOCUMENT) is matches


@pytest.mark.parametrize(
    "text",
    [
        "",
        "created",
        "created ge",
        "created gte '2023'",
        "created ge '2023' or x eq 'y'",
        "productIds/any(p:q eq 'a')",
        "(created ge '2023'",
        "created ge '2023' and",
        'a eq "b"',
    ],
)
def test_what_cannot_be_read_is_a_bad_filter(text: str) -> None:
    with pytest.raises(BadFilter, match=r"\$filter"):
        parse_filter(text)
