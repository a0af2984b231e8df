"""Fixtures shared by the format tests: the validated example tables as references."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pytest

from pcf.formats.validation import validate_files
from tests.unit.formats.builders import example_files


@pytest.fixture(scope="session")
def references() -> Mapping[str, pa.Table]:
    """The example files, validated: what a new file's references are checked against."""
    results = validate_files(example_files())
    tables = {kind: result.table for kind, result in results.items()}
    assert all(table is not None for table in tables.values()), "examples must be valid"
    return {kind: table for kind, table in tables.items() if table is not None}
