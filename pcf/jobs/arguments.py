"""The Glue job's arguments, read the way Glue passes them (``--name value``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

REQUIRED = ("input_uri", "kind", "version_id", "output_root")
OPTIONAL = ("reference_tables", "file_name", "quarantine_root")


@dataclass(frozen=True)
class JobArguments:
    input_uri: str  # the uploaded file (raw tier)
    kind: str  # a key of pcf.formats.definitions.FORMATS
    version_id: str  # the dataset version the rows become
    output_root: str  # the data lake root: processed/ and quarantine/ are under it
    reference_tables: dict[str, str]  # kind -> processed Parquet of its current version
    file_name: str | None  # the name errors give the file (default: the URI's last part)
    # where quarantine/ is when the tiers are buckets of their own (default: output_root)
    quarantine_root: str | None = None


def parse_reference_tables(text: str) -> dict[str, str]:
    """``items=s3://lake/processed/items/version=12,bom=...`` as kind -> URI."""
    tables: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        kind, separator, uri = entry.partition("=")
        if not separator or not kind or not uri:
            raise ValueError(f"a reference table is kind=uri, not {entry!r}")
        tables[kind.strip()] = uri.strip()
    return tables


def parse_arguments(argv: Sequence[str]) -> JobArguments:
    """The arguments from a command line (``argv`` without the program name)."""
    parser = argparse.ArgumentParser(description="Validate an uploaded file and transform it")
    for name in REQUIRED:
        parser.add_argument(f"--{name}", required=True)
    for name in OPTIONAL:
        parser.add_argument(f"--{name}", default=None)
    # Glue adds arguments of its own (--JOB_NAME, --job-bookmark-option, ...).
    known, _ = parser.parse_known_args(argv)
    return from_options(vars(known))


def from_options(options: dict[str, str | None]) -> JobArguments:
    """The arguments from a mapping of names to values (what Glue's resolver gives)."""
    values = {name: options.get(name) for name in (*REQUIRED, *OPTIONAL)}
    missing = [name for name in REQUIRED if not values[name]]
    if missing:
        raise ValueError(f"missing arguments: {', '.join(missing)}")
    return JobArguments(
        input_uri=str(values["input_uri"]),
        kind=str(values["kind"]),
        version_id=str(values["version_id"]),
        output_root=str(values["output_root"]),
        reference_tables=parse_reference_tables(values["reference_tables"] or ""),
        file_name=values["file_name"],
        quarantine_root=values["quarantine_root"],
    )
