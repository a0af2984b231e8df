"""The ProductFootprint schemas the package carries are the spec's, and the package's
schema check agrees with ``jsonschema`` on the spec's examples and on broken copies."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from pcf.pact.footprint_schemas import COMPONENT_SCHEMAS, OPENAPI_VERSIONS
from pcf.pact.json_schema import schema_errors
from tests.unit.pact.pact_schemas import PACT_DIR, openapi
from tests.unit.pact.pact_schemas import schema_errors as jsonschema_errors

# what the package keeps of a schema: the keywords that validate
_VALIDATION_KEYWORDS = {
    "type",
    "required",
    "properties",
    "enum",
    "pattern",
    "minItems",
    "uniqueItems",
    "minLength",
    "minimum",
    "maximum",
    "$ref",
    "oneOf",
    "anyOf",
    "not",
    "items",
    "format",
    "additionalProperties",
    "allOf",
    "maxLength",
    "maxItems",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "const",
}


def _stripped(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _VALIDATION_KEYWORDS:
            continue
        if key == "properties":
            kept[key] = {name: _stripped(s) for name, s in value.items()}
        elif key in ("oneOf", "anyOf", "allOf"):
            kept[key] = [_stripped(s) for s in value]
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            kept[key] = _stripped(value)
        else:
            kept[key] = value
    return kept


def _closure(version: str) -> dict[str, Any]:
    """ProductFootprint and every component schema it references, stripped."""
    schemas = openapi(version)["components"]["schemas"]
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                name = reference.rsplit("/", 1)[-1]
                if name not in found:
                    found[name] = _stripped(schemas[name])
                    walk(schemas[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    found["ProductFootprint"] = _stripped(schemas["ProductFootprint"])
    walk(schemas["ProductFootprint"])
    return dict(sorted(found.items()))


@pytest.mark.parametrize("major", ["3", "2"])
def test_the_package_carries_the_specs_product_footprint_schemas(major: str) -> None:
    # Given the spec's OpenAPI file
    version = f"v{major}"
    # Then the package's schemas are its ProductFootprint closure, from that file's version
    assert COMPONENT_SCHEMAS[major] == _closure(version)
    assert openapi(version)["info"]["version"] == OPENAPI_VERSIONS[major]


def _examples() -> list[tuple[str, dict[str, Any]]]:
    examples = []
    for path in sorted(PACT_DIR.glob("v*/*.json")):
        document = json.loads(path.read_text())
        data = document.get("data", document)
        for footprint in data if isinstance(data, list) else [data]:
            examples.append((path.parent.name, footprint))
    return examples


def _broken_copies(footprint: dict[str, Any]) -> list[dict[str, Any]]:
    copies = []
    changes: tuple[Callable[[dict[str, Any]], object], ...] = (
        lambda f: f.pop("companyName"),
        lambda f: f.update(status="Retired"),
        lambda f: f.update(productIds=[]),
        lambda f: f.update(productIds=["gtin:123"]),
        lambda f: f.update(id="not-a-uuid"),
        lambda f: f["pcf"].update(geographyCountry="DE", geographyRegionOrSubregion="Europe"),
        lambda f: f["pcf"].pop("fossilGhgEmissions"),
        lambda f: f.update(companyIds=["urn:a", "urn:a"]),
        lambda f: f["pcf"].update(packagingEmissionsIncluded="yes"),
    )
    for change in changes:
        broken = copy.deepcopy(footprint)
        change(broken)
        copies.append(broken)
    return copies


@pytest.mark.parametrize(("version", "footprint"), _examples())
def test_the_package_check_agrees_with_jsonschema(version: str, footprint: dict[str, Any]) -> None:
    # Given a spec example and broken copies of it
    major = version[1]
    schemas = COMPONENT_SCHEMAS[major]
    for document in [footprint, *_broken_copies(footprint)]:
        # When both check it
        ours = schema_errors(document, schemas["ProductFootprint"], schemas)
        theirs = jsonschema_errors(version, "ProductFootprint", document)
        # Then both accept it, or both refuse it
        assert bool(ours) == bool(theirs), (ours, theirs)
    assert schema_errors(footprint, schemas["ProductFootprint"], schemas) == []


def test_the_package_check_also_checks_date_times() -> None:
    # Given a footprint whose reference period starts with a date, not a date-time
    # (jsonschema checks the format only with an optional library; the import must read it)
    footprint = copy.deepcopy(_examples()[-1][1])
    footprint["pcf"]["referencePeriodStart"] = "2024-01-01"
    schemas = COMPONENT_SCHEMAS["3"]
    # When it is checked
    errors = schema_errors(footprint, schemas["ProductFootprint"], schemas)
    # Then it is refused, saying where and why
    assert errors == [("pcf/referencePeriodStart", '"2024-01-01" is not an RFC 3339 date-time')]
