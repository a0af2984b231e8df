"""PACT v2's ``$filter`` on ``/2/footprints``: the OData v4 subset the v2 spec names.

Comparisons ``<path> <op> <literal>`` (``eq ne lt le gt ge``; a path is a property of the
v2 document, ``pcf/...`` for the footprint's fields), lambda ``<array>/any(x:x eq
<literal>)`` (``productIds``, ``companyIds``), joined by ``and`` and grouped with
parentheses, e.g.::

    created ge '2023-01-15T10:15:30Z'
    productIds/any(p:(p eq 'urn:gtin:1234567890123')) and pcf/geographyCountry eq 'DE'

Literals in single quotes (``''`` is a quote) or numbers. Dates compare as instants,
numbers as numbers, text as text. Anything else is a ``BadFilter`` (400): a filter we
cannot read is never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pcf.pact.footprints import BadFilter

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<punct>[():])|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*))"
)
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "lt": lambda a, b: bool(a < b),
    "le": lambda a, b: bool(a <= b),
    "gt": lambda a, b: bool(a > b),
    "ge": lambda a, b: bool(a >= b),
}

Document = dict[str, Any]
Condition = Callable[[Document], bool]


@dataclass(frozen=True)
class ODataFilter:
    """A parsed ``$filter``: ``matches`` a v2 ProductFootprint document or not."""

    text: str
    condition: Condition

    def matches(self, document: Document) -> bool:
        return self.condition(document)


def parse_filter(text: str) -> ODataFilter:
    """``text`` as a filter, or ``BadFilter`` saying what could not be read."""
    tokens = _tokens(text)
    parser = _Parser(text, tokens)
    condition = parser.conjunction()
    if parser.position != len(tokens):
        raise BadFilter(f"$filter: cannot read from {tokens[parser.position][1]!r} on ({text})")
    return ODataFilter(text, condition)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise BadFilter(f"$filter: cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if not tokens:
        raise BadFilter("$filter is empty")
    return tokens


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str]]) -> None:
        self.text, self.tokens, self.position = text, tokens, 0

    def conjunction(self) -> Condition:
        terms = [self.term()]
        while self._peek() == ("word", "and"):
            self.position += 1
            terms.append(self.term())
        return lambda document: all(term(document) for term in terms)

    def term(self) -> Condition:
        if self._peek() == ("punct", "("):
            self.position += 1
            inner = self.conjunction()
            self._expect("(", ")")
            return inner
        kind, path = self._next()
        if kind != "word":
            raise BadFilter(f"$filter: expected a property, found {path!r} ({self.text})")
        if path.endswith("/any"):
            return self._any(path.removesuffix("/any"))
        compare = self._comparison()
        return lambda document: compare(_value_at(document, path))

    def _any(self, path: str) -> Condition:
        self._expect("any", "(")
        kind, variable = self._next()
        if kind != "word":
            raise BadFilter(f"$filter: {path}/any needs a variable ({self.text})")
        self._expect("any", ":")
        grouped = self._peek() == ("punct", "(")
        if grouped:
            self.position += 1
        if self._next() != ("word", variable):
            raise BadFilter(f"$filter: {path}/any must compare {variable} ({self.text})")
        compare = self._comparison()
        if grouped:
            self._expect("any", ")")
        self._expect("any", ")")

        def any_item(document: Document) -> bool:
            values = _value_at(document, path)
            return isinstance(values, list) and any(compare(value) for value in values)

        return any_item

    def _comparison(self) -> Callable[[Any], bool]:
        kind, operator = self._next()
        if kind != "word" or operator not in _OPERATORS:
            raise BadFilter(f"$filter: {operator!r} is not one of {', '.join(_OPERATORS)}")
        kind, literal = self._next()
        if kind == "string":
            expected: Any = literal[1:-1].replace("''", "'")
        elif kind == "number":
            expected = Decimal(literal)
        else:
            raise BadFilter(f"$filter: expected a value after {operator}, found {literal!r}")
        test = _OPERATORS[operator]
        return lambda value: value is not None and _compare(test, value, expected)

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise BadFilter(f"$filter ends too early ({self.text})")
        self.position += 1
        return token

    def _expect(self, where: str, punctuation: str) -> None:
        if self._next() != ("punct", punctuation):
            raise BadFilter(f"$filter: expected {punctuation!r} in {where} ({self.text})")


def _value_at(document: Document, path: str) -> Any:
    value: Any = document
    for name in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _compare(test: Callable[[Any, Any], bool], value: Any, expected: Any) -> bool:
    if isinstance(expected, Decimal):
        number = _number(value)
        return number is not None and test(number, expected)
    moment, expected_moment = _instant(value), _instant(expected)
    if moment is not None and expected_moment is not None:
        return test(moment, expected_moment)
    return isinstance(value, str) and test(value, expected)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
