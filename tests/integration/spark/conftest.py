"""One local SparkSession for the Spark tests, with partitions small enough that a file of
a few hundred kilobytes is read in many tasks, and the example tables as references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession

from pcf.formats.validation import validate_files
from pcf.jobs.spark import local_session
from tests.unit.formats.builders import example_files

# Split files every 32 KiB; hand Python batches of 500 rows, so a check that fails on
# more than 100 rows of a batch is cut there, as the Lambda path cuts it for the file.
SMALL_PARTITIONS = {
    "spark.sql.files.maxPartitionBytes": str(32 * 1024),
    "spark.sql.files.openCostInBytes": "0",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "500",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = local_session("pcf-tests", cores=2, settings=SMALL_PARTITIONS)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def reference_tables() -> Mapping[str, pa.Table]:
    """The example files, validated by the Lambda path."""
    results = validate_files(example_files())
    return {kind: result.table for kind, result in results.items() if result.table is not None}


@pytest.fixture(scope="session")
def reference_frames(
    spark: SparkSession,
    reference_tables: Mapping[str, pa.Table],
    tmp_path_factory: pytest.TempPathFactory,
) -> Mapping[str, DataFrame]:
    """The same tables as the Glue job gets them: Parquet in the processed tier."""
    root = tmp_path_factory.mktemp("references")
    frames = {}
    for kind, table in reference_tables.items():
        path = root / f"{kind}.parquet"
        pq.write_table(table, path)
        frames[kind] = spark.read.parquet(str(path))
    return frames
