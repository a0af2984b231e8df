"""The Glue entry point: its arguments, and one run on a local session."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from pcf.jobs.arguments import parse_arguments
from pcf.jobs.transform import read_processed
from tests.unit.formats.builders import EXAMPLES

ENTRY_POINT = Path(__file__).resolve().parents[3] / "glue_jobs" / "validate_and_transform.py"


def entry_point() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_and_transform", ENTRY_POINT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flags(**values: str) -> list[str]:
    """``--name value`` pairs, as Glue passes job parameters."""
    return [part for name, value in values.items() for part in (f"--{name}", value)]


def test_arguments_as_glue_passes_them() -> None:
    # Given Glue's own arguments beside the job's
    argv = [
        "--JOB_NAME", "validate",
        "--input_uri", "s3://lake/raw/bom/upload-9/bom.csv",
        "--kind", "bom",
        "--version_id", "42",
        "--output_root", "s3://lake",
        "--reference_tables", "items=s3://lake/processed/items/version=41, sites=s3://x/y",
    ]  # fmt: skip
    # When they are parsed
    arguments = parse_arguments(argv)
    # Then the job's are read and the reference tables split by kind
    assert (arguments.input_uri, arguments.kind, arguments.version_id) == (
        "s3://lake/raw/bom/upload-9/bom.csv",
        "bom",
        "42",
    )
    assert arguments.reference_tables == {
        "items": "s3://lake/processed/items/version=41",
        "sites": "s3://x/y",
    }
    assert arguments.file_name is None


def test_bad_reference_table_argument_is_refused() -> None:
    with pytest.raises(ValueError, match="kind=uri"):
        parse_arguments(
            flags(
                input_uri="a", kind="bom", version_id="1", output_root="o", reference_tables="items"
            )
        )


def test_entry_point_writes_the_processed_rows(
    spark: SparkSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference_tables: Mapping[str, pa.Table],
) -> None:
    # Given the example items as the current items' Parquet, and the example BOM uploaded
    items = tmp_path / "current" / "items.parquet"
    items.parent.mkdir()
    pq.write_table(reference_tables["items"], items)
    bom = flags(
        input_uri=str(EXAMPLES / "bom.csv"),
        kind="bom",
        version_id="2",
        output_root=str(tmp_path),
        reference_tables=f"items={items}",
    )
    monkeypatch.setattr("sys.argv", ["job", *bom])
    # When the entry point runs
    assert entry_point().main() == 0
    # Then the BOM's typed rows are in the processed tier under its version
    table = read_processed(str(tmp_path / "processed" / "bom" / "version=2"), "bom")
    assert table.num_rows == 5


def test_rejected_file_errors_go_to_the_quarantine_bucket_when_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a BOM with a negative quantity, and the tiers in separate roots as the cloud
    # deploys them (a bucket per tier)
    lines = (EXAMPLES / "bom.csv").read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("quantity")] = "-1"
    bad = tmp_path / "bom.csv"
    bad.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    processed, quarantine = tmp_path / "processed-bucket", tmp_path / "quarantine-bucket"
    arguments = flags(
        input_uri=str(bad),
        kind="bom",
        version_id="3",
        output_root=str(processed),
        quarantine_root=str(quarantine),
    )
    assert parse_arguments(arguments).quarantine_root == str(quarantine)
    monkeypatch.setattr("sys.argv", ["job", *arguments])
    # When the entry point runs
    assert entry_point().main() == 0
    # Then the errors are under the quarantine root, nothing under the processed root
    errors = list((quarantine / "quarantine" / "bom" / "version=3" / "errors").glob("part-*"))
    assert errors, "the errors were written to the quarantine root"
    assert not (processed / "processed").exists()
    assert not (processed / "quarantine").exists()
