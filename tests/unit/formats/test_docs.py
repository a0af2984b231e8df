"""docs/formats.md and docs/examples stay in step with the definitions."""

from __future__ import annotations

import pytest

from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.docs import DOC_PATH, EXAMPLES_DIR, render_markdown
from pcf.formats.rules import rules_enforced
from pcf.formats.validation import validate_file, validate_files
from tests.unit.formats.builders import example_bytes, example_files


def test_formats_page_is_generated_from_the_definitions() -> None:
    # Given the committed docs/formats.md
    committed = DOC_PATH.read_text(encoding="utf-8")
    # When the page is rendered from the definitions and examples
    rendered = render_markdown()
    # Then they are the same (else run: .venv/bin/python -m pcf.formats.docs)
    assert committed == rendered


def test_every_kind_has_an_example_file() -> None:
    # Given the kinds / When looking for their examples / Then each has one
    assert sorted(path.stem for path in EXAMPLES_DIR.glob("*.csv")) == sorted(FORMATS)


def test_static_examples_validate_cleanly_as_a_set() -> None:
    # Given the static example files
    # When they are validated together, each against the ones before it
    results = validate_files(example_files())
    # Then every one is valid
    assert {kind: result.errors for kind, result in results.items()} == {
        file_format.kind: [] for file_format in STATIC_FORMATS
    }


def test_telemetry_example_validates_cleanly() -> None:
    # Given the telemetry example / When validated / Then it is valid
    result = validate_file(
        "telemetry_windows", example_bytes("telemetry_windows"), "telemetry_windows.csv", {}
    )
    assert result.errors == []


@pytest.mark.parametrize("kind", list(FORMATS))
def test_every_documented_rule_is_enforced(kind: str) -> None:
    # Given the rules a kind documents
    documented = set(FORMATS[kind].rules)
    # When compared with the rules the validator implements
    enforced = rules_enforced(kind)
    # Then they are the same
    assert enforced == documented
