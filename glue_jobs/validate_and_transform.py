"""AWS Glue 5.0 job: validate one uploaded file and write it to the processed tier.

Arguments (Glue job parameters, or the same flags on a command line):
--input_uri, --kind, --version_id, --output_root, and optionally --reference_tables
(kind=uri,...: processed Parquet of other kinds' current versions), --file_name and
--quarantine_root (the quarantine tier's root when it is a bucket of its own).
"""

from __future__ import annotations

import sys

from pcf.jobs.arguments import OPTIONAL, REQUIRED, JobArguments, from_options, parse_arguments
from pcf.jobs.transform import validate_and_transform


def job_arguments(argv: list[str]) -> JobArguments:
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return parse_arguments(argv[1:])
    # getResolvedOptions insists on every name it is given: ask for optional ones if passed.
    given = [name for name in OPTIONAL if f"--{name}" in argv]
    return from_options(getResolvedOptions(argv, [*REQUIRED, *given]))


def main() -> int:
    arguments = job_arguments(sys.argv)
    try:
        from awsglue.context import GlueContext
        from pyspark.context import SparkContext

        spark = GlueContext(SparkContext.getOrCreate()).spark_session
    except ImportError:
        from pcf.jobs.spark import local_session

        spark = local_session("validate-and-transform")
    references = {kind: spark.read.parquet(uri) for kind, uri in arguments.reference_tables.items()}
    result = validate_and_transform(
        spark,
        arguments.input_uri,
        arguments.kind,
        version=arguments.version_id,
        output_root=arguments.output_root,
        file_name=arguments.file_name,
        references=references,
        quarantine_root=arguments.quarantine_root,
    )
    if result.ok:
        print(f"valid: typed rows in {result.processed_uri}")
        return 0
    # A rejected file is an outcome, not a failure of the job: its errors are written.
    print(f"rejected with {len(result.errors)} error(s), listed in {result.errors_uri}")
    for error in result.errors[:20]:
        print(f"  {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
