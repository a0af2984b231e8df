"""A JSON Schema check for the keywords the PACT ProductFootprint schemas use.

The package has no JSON Schema library among its dependencies (``jsonschema`` is a test
dependency), and the PACT schemas use a small subset of the language: ``$ref`` to
component schemas, ``type``, ``required``, ``properties``, ``items``, ``enum``,
``pattern``, ``minLength``, ``minItems``, ``uniqueItems``, ``minimum``, ``maximum``,
``oneOf``, ``anyOf``, ``not`` and the formats ``date-time`` and ``uuid``. Those are checked
here as JSON Schema 2020-12 defines them; any other keyword is refused when the schema is
used, so a newer schema cannot be half-checked silently. A test checks that this and
``jsonschema`` agree on the spec's examples and on broken copies of them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import Any

_ANNOTATIONS = frozenset({"format"})
_CHECKED = frozenset(
    {
        "$ref",
        "type",
        "required",
        "properties",
        "items",
        "enum",
        "pattern",
        "minLength",
        "minItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "oneOf",
        "anyOf",
        "not",
    }
)
_REF_PREFIX = "#/components/schemas/"
# RFC 3339 date-time: a date, "T", a time, and a zone (Z or an offset)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class SchemaNotSupported(ValueError):
    """The schema uses a keyword this check does not implement."""


def schema_errors(
    document: Any, schema: Mapping[str, Any], components: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """Every way ``document`` breaks ``schema``, as (JSON path like ``pcf/declaredUnitAmount``,
    message); ``components`` resolves ``#/components/schemas/<name>`` references."""
    return list(_errors(document, schema, components, ()))


def _errors(
    value: Any,
    schema: Mapping[str, Any],
    components: Mapping[str, Mapping[str, Any]],
    path: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    unknown = set(schema) - _CHECKED - _ANNOTATIONS
    if unknown:
        raise SchemaNotSupported(f"keywords not supported: {', '.join(sorted(unknown))}")
    where = "/".join(path)
    if "$ref" in schema:
        reference = schema["$ref"]
        if not reference.startswith(_REF_PREFIX):
            raise SchemaNotSupported(f"reference {reference!r}")
        yield from _errors(value, components[reference[len(_REF_PREFIX) :]], components, path)
    if "type" in schema and not _has_type(value, schema["type"]):
        yield where, f"{_shown(value)} is not of type {_type_text(schema['type'])}"
        return  # the other keywords would only repeat it
    if "enum" in schema and not any(_equal(value, choice) for choice in schema["enum"]):
        choices = ", ".join(_shown(choice) for choice in schema["enum"])
        yield where, f"{_shown(value)} is not one of {choices}"
    if isinstance(value, str):
        yield from _string_errors(value, schema, where)
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            yield where, f"{value} is less than the minimum of {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield where, f"{value} is greater than the maximum of {schema['maximum']}"
    if isinstance(value, list):
        yield from _array_errors(value, schema, components, path)
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                yield where, f"{name!r} is a required property"
        for name, property_schema in schema.get("properties", {}).items():
            if name in value:
                yield from _errors(value[name], property_schema, components, (*path, name))
    if "oneOf" in schema:
        matching = sum(not _any_error(value, s, components) for s in schema["oneOf"])
        if matching != 1:
            yield where, f"matches {matching} of the oneOf alternatives, not exactly 1"
    if "anyOf" in schema and all(_any_error(value, s, components) for s in schema["anyOf"]):
        yield where, "matches none of the anyOf alternatives"
    if "not" in schema and not _any_error(value, schema["not"], components):
        yield where, "must not match the schema under 'not'"


def _string_errors(value: str, schema: Mapping[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield where, f"{_shown(value)} is shorter than {schema['minLength']} characters"
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        yield where, f"{_shown(value)} does not match {schema['pattern']!r}"
    checked_format = schema.get("format")
    if checked_format == "date-time" and not _is_date_time(value):
        yield where, f"{_shown(value)} is not an RFC 3339 date-time"
    if checked_format == "uuid" and not _is_uuid(value):
        yield where, f"{_shown(value)} is not a UUID"


def _array_errors(
    value: list[Any],
    schema: Mapping[str, Any],
    components: Mapping[str, Mapping[str, Any]],
    path: tuple[str, ...],
) -> Iterator[tuple[str, str]]:
    where = "/".join(path)
    if "minItems" in schema and len(value) < schema["minItems"]:
        yield where, f"has {len(value)} items, fewer than {schema['minItems']}"
    if schema.get("uniqueItems"):
        for position, item in enumerate(value):
            if any(_equal(item, earlier) for earlier in value[:position]):
                yield where, f"has non-unique items ({_shown(item)} repeats)"
                break
    if "items" in schema:
        for position, item in enumerate(value):
            yield from _errors(item, schema["items"], components, (*path, str(position)))


def _any_error(
    value: Any, schema: Mapping[str, Any], components: Mapping[str, Mapping[str, Any]]
) -> bool:
    return next(_errors(value, schema, components, ()), None) is not None


def _has_type(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    return any(_is_type(value, name) for name in names)


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return _is_number(value) and float(value).is_integer()
    checks: dict[str, bool] = {
        "string": isinstance(value, str),
        "number": _is_number(value),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
        "null": value is None,
    }
    if name not in checks:
        raise SchemaNotSupported(f"type {name!r}")
    return checks[name]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _is_date_time(value: str) -> bool:
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36 and value.count("-") == 4


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _type_text(expected: str | list[str]) -> str:
    return expected if isinstance(expected, str) else " or ".join(expected)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."
