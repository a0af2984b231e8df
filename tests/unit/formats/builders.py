"""Builders of uploaded file contents, so each test states only the rows it varies."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcf.formats.definitions import STATIC_FORMATS

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def csv_bytes(
    header: str | Sequence[str],
    *rows: str | Sequence[str],
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """A CSV file: a header and rows, each a delimited line or a sequence of cells
    (written as they are, no quoting), joined with newlines."""
    lines = [line if isinstance(line, str) else delimiter.join(line) for line in (header, *rows)]
    return ("\n".join(lines) + "\n").encode(encoding)


def example_bytes(kind: str) -> bytes:
    """The example file of ``kind`` from docs/examples."""
    return (EXAMPLES / f"{kind}.csv").read_bytes()


def example_files() -> dict[str, tuple[str, bytes]]:
    """Every static example file, as validate_files takes them."""
    return {f.kind: (f"{f.kind}.csv", example_bytes(f.kind)) for f in STATIC_FORMATS}
