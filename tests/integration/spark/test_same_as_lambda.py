"""The Spark job and the Lambda path give the same typed table and the same errors for
the same files: good files, bad files of every sort, and a file read in many tasks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession

from pcf.formats.errors import RowError
from pcf.formats.rules import TABLE_RULES
from pcf.formats.validation import validate_file, validate_files
from pcf.jobs.checks import RULE_SUSPECTS
from pcf.jobs.lines import survey_file
from pcf.jobs.transform import (
    JobResult,
    read_errors,
    read_processed,
    validate_and_transform,
    validate_and_transform_files,
)
from tests.unit.formats.builders import csv_bytes, example_bytes, example_files

BOM_HEADER = "parent_item_id,child_item_id,quantity,unit,scrap_rate"
ITEMS_HEADER = "item_id,name,item_type,declared_unit,mass_per_piece_kg"
FACTORS_HEADER = "factor_id,name,per_unit,co2_kg,ch4_kg,n2o_kg,co2e_kg,co2e_gwp_set,source,year"
GRID_HEADER = "grid_region,technology,share,source,year"
METERS_HEADER = "meter_id,site_id,machine_id,quantity,unit,item_id"


def run_both(
    spark: SparkSession,
    folder: Path,
    kind: str,
    data: bytes,
    tables: Mapping[str, pa.Table],
    frames: Mapping[str, DataFrame],
) -> tuple[JobResult, list[RowError]]:
    """The Spark job's result for ``data`` as an uploaded file, after checking that its
    output equals ``validate_file``'s; returns the errors too."""
    name = f"{kind}.csv"
    path = folder / "raw" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expected = validate_file(kind, data, name, tables)
    result = validate_and_transform(
        spark, str(path), kind, version="7", output_root=str(folder), references=frames
    )
    assert result.errors == expected.errors
    if expected.table is None:
        assert result.processed_uri is None
        assert result.errors_uri is not None
        assert read_errors(spark, result.errors_uri) == expected.errors
        assert not (folder / "processed").exists()
    else:
        assert result.processed_uri == str(folder / "processed" / kind / "version=7")
        assert read_processed(result.processed_uri, kind).equals(expected.table)
    return result, expected.errors


@pytest.mark.parametrize(
    "kind",
    ["items", "bom", "emission_factors", "grid_mixes", "sites", "meters", "telemetry_windows"],
)
def test_example_files_give_the_same_table(
    spark: SparkSession,
    tmp_path: Path,
    reference_tables: Mapping[str, pa.Table],
    reference_frames: Mapping[str, DataFrame],
    kind: str,
) -> None:
    # Given a documented example file and the other examples as references
    others = {name: table for name, table in reference_tables.items() if name != kind}
    frames = {name: frame for name, frame in reference_frames.items() if name != kind}
    # When both paths validate it, Then they give the same typed table
    result, _ = run_both(spark, tmp_path, kind, example_bytes(kind), others, frames)
    assert result.ok


BAD_FILES = {
    "wrong number": (
        "bom",
        csv_bytes(BOM_HEADER, "P-100,A-200,abc,piece,", "P-100,C-300,1,5,piece,0"),
    ),
    "decimal comma, semicolons": (
        "bom",
        csv_bytes(BOM_HEADER.replace(",", ";"), "P-100;A-200;1,5;piece;"),
    ),
    "unknown unit": ("bom", csv_bytes(BOM_HEADER, "P-100,A-200,2,pcs,", "P-100,C-300,1,Piece,")),
    "missing required value": (
        "emission_factors",
        csv_bytes(FACTORS_HEADER, "EF-1,,kg,1.5,,,,,src,2021", "EF-2,Steel,kg,,,,,,,2021"),
    ),
    "row rules": (
        "emission_factors",
        csv_bytes(
            FACTORS_HEADER,
            "EF-1,Both,kg,1.5,,,2,AR6,src,2021",
            "EF-2,No set,kg,,,,2,,src,2021",
            "EF-3,Set alone,kg,1,,,,AR5,src,2021",
        ),
    ),
    "duplicate key": (
        "items",
        csv_bytes(
            ITEMS_HEADER,
            "P-1,Pump,product,piece,2",
            "M-1,Steel,material,kg,",
            "P-1,Pump again,product,piece,2",
            "M-1,Steel again,material,kg,",
        ),
    ),
    "BOM cycle": (
        "bom",
        example_bytes("bom") + b"C-300,A-200,1,piece,\nA-200,P-100,1,piece,\n",
    ),
    "unknown referenced item": (
        "bom",
        csv_bytes(BOM_HEADER, "P-100,X-9,2,piece,", "Q-1,A-200,1,piece,", "P-100,,1,piece,"),
    ),
    "reference rules": (
        "bom",
        csv_bytes(BOM_HEADER, "MAT-STEEL,A-200,2,piece,", "P-100,MAT-STEEL,2,m,"),
    ),
    "bad grid shares": (
        "grid_mixes",
        csv_bytes(
            GRID_HEADER,
            "DE,coal,0.5,stats,2025",
            "DE,wind,0.4,stats,2025",
            "FR,nuclear,0.7,stats,2025",
            "FR,wind,0.3,stats,2025",
            "PL,coal,lots,stats,2025",
            "PL,wind,0.1,stats,2025",
        ),
    ),
    "meter at another site": (
        "meters",
        csv_bytes(
            METERS_HEADER,
            "X-E,S2,M1,electricity,m3,",
            "X-C,S1,M1,production_count,piece,",
        ),
    ),
    "rows with too few or too many cells": (
        "bom",
        csv_bytes(BOM_HEADER, "P-100,A-200,2", "P-100,A-200,2,piece,,,", "P-100,C-300,1,piece,"),
    ),
    "header": (
        "bom",
        csv_bytes("parent_item_id,child,quantity,unit,unit", "P-100,A-200,2,piece,x"),
    ),
    "not UTF-8": (
        "bom",
        csv_bytes(BOM_HEADER, "P-100,A-200,2,piece,", "P-100,C-300,1,Stück,", encoding="latin-1"),
    ),
    "empty": ("bom", b"\n  \n"),
    "no data rows": ("bom", csv_bytes(BOM_HEADER, ",,,,", "")),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_give_the_same_errors(
    spark: SparkSession,
    tmp_path: Path,
    reference_tables: Mapping[str, pa.Table],
    reference_frames: Mapping[str, DataFrame],
    case: str,
) -> None:
    # Given a file with something wrong in it
    kind, data = BAD_FILES[case]
    others = {name: table for name, table in reference_tables.items() if name != kind}
    frames = {name: frame for name, frame in reference_frames.items() if name != kind}
    # When both paths validate it, Then they report the same errors in the same order
    result, errors = run_both(spark, tmp_path, kind, data, others, frames)
    assert errors
    assert not result.ok


def test_quoted_line_break_keeps_rows_exact(
    spark: SparkSession, tmp_path: Path, reference_tables: Mapping[str, pa.Table]
) -> None:
    # Given a quoted cell holding a line break, blank lines, and a bad row after them
    data = (
        f"{ITEMS_HEADER}\r\n"
        'P-1,"Pump,\r\nlarge",product,piece,2\r\n'
        "\r\n"
        "M-1,Steel,material,kg,-1\r\n"
    ).encode()
    # When both paths validate it
    _, errors = run_both(spark, tmp_path, "items", data, {}, {})
    survey = survey_file(spark, str(tmp_path / "raw" / "items.csv"))
    assert survey.rows_span_lines  # the Spark job read it whole, in one task
    # Then the row is numbered as a spreadsheet numbers it
    assert [error.row for error in errors] == [4]


def large_factor_file(rows: int, *, bad_every: int | None = None) -> bytes:
    """An emission factor file of ``rows`` factors, blank lines and quoted cells in it,
    optionally a bad year in every ``bad_every``-th row and a few repeated ids."""
    lines = [FACTORS_HEADER + ",valid_from,valid_to"]
    for index in range(rows):
        year = "2021"
        if bad_every and index % bad_every == 0:
            year = "20x1"
        factor = f"EF-{index:06d}"
        if bad_every and index % 997 == 500:
            factor = "EF-000001"
        lines.append(
            f'{factor},"Factor {index}, from a ""large"" database",kg,{index / 7:.6f},'
            f"0.001,,,,source {index % 13},{year},2024-01-01,2025-12-31"
        )
        if index % 400 == 399:
            lines.append("")
    return ("\n".join(lines) + "\n").encode()


def test_large_file_read_in_many_tasks_gives_the_same_table(
    spark: SparkSession, tmp_path: Path
) -> None:
    # Given a valid file several times larger than a task's share of it
    data = large_factor_file(3000)
    # When both paths validate it, Then the typed tables are the same, row for row
    result, _ = run_both(spark, tmp_path, "emission_factors", data, {}, {})
    assert result.ok
    # And the job did read it line by line in several tasks
    survey = survey_file(spark, str(tmp_path / "raw" / "emission_factors.csv"))
    assert len(survey.first_lines) >= 8
    assert not survey.rows_span_lines


def test_large_file_read_in_many_tasks_gives_the_same_errors(
    spark: SparkSession, tmp_path: Path
) -> None:
    # Given a large file with bad years in 150 rows (more than a check lists), repeated
    # ids, and blank lines that shift the rows after them
    data = large_factor_file(3000, bad_every=20)
    # When both paths validate it
    _, errors = run_both(spark, tmp_path, "emission_factors", data, {}, {})
    # Then both list the first 100 bad years by their exact row, and count the rest
    assert (
        RowError("emission_factors.csv", None, "year", None, "and 50 more rows with errors")
        in errors
    )
    assert any(error.reason.startswith("duplicate factor_id") for error in errors)


def test_a_set_of_files_gives_the_same_results(spark: SparkSession, tmp_path: Path) -> None:
    # Given the example files, with a bad items file the BOM refers to
    files = dict(example_files())
    items_name, items = files["items"]
    files["items"] = (items_name, items + b"P-100,Pump again,product,piece,,,,\n")
    chosen = {kind: files[kind] for kind in ("items", "bom", "emission_factors", "factor_mapping")}
    for name, data in chosen.values():
        (tmp_path / name).write_bytes(data)
    # When both paths validate the set
    expected = validate_files(chosen)
    results = validate_and_transform_files(
        spark,
        {kind: str(tmp_path / name) for kind, (name, _) in chosen.items()},
        version="3",
        output_root=str(tmp_path / "out"),
    )
    # Then each file has the same errors, and the valid ones the same table
    assert {kind: result.errors for kind, result in results.items()} == {
        kind: result.errors for kind, result in expected.items()
    }
    for kind, result in results.items():
        table = expected[kind].table
        if table is not None:
            assert result.processed_uri is not None
            assert read_processed(result.processed_uri, kind).equals(table)
    assert not results["bom"].ok


def test_every_rule_across_rows_has_a_spark_query() -> None:
    # Given the rules across rows of every kind, Then the job knows which rows each needs
    for rules in TABLE_RULES.values():
        for rule in rules:
            assert rule.rule in RULE_SUSPECTS
