"""The PACT JSON schemas, straight from the spec's OpenAPI files in ``tests/data/pact``
(a copy of ``../shared/pact``): component schemas loaded with PyYAML, ``$ref``s resolved
against the whole document."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# an unaltered copy of the PACT specification files, with their licences
PACT_DIR = Path(__file__).resolve().parents[2] / "data" / "pact"
_URI = "urn:pact:openapi:{version}"


@cache
def openapi(version: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PACT_DIR / version / "openapi.yaml").read_text())
    return document


@cache
def validator(version: str, schema_name: str) -> Draft202012Validator:
    """A validator of ``#/components/schemas/<schema_name>`` of PACT ``version``
    ("v2" or "v3"), format checks on."""
    uri = _URI.format(version=version)
    resource = Resource.from_contents(openapi(version), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def schema_errors(version: str, schema_name: str, document: Any) -> list[str]:
    """Every way ``document`` breaks the schema, as "path: message" lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator(version, schema_name).iter_errors(document)
    ]
