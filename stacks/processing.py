"""Processing: uploads validated as they land, the Glue job for large files, and the Glue
Data Catalog over the processed and curated tiers.

- **Upload validation** (``lambdas/upload_validation``): the raw bucket sends its events to
  EventBridge; a rule here matches "Object Created" under ``raw/uploads/`` and invokes
  the function (a rule in this stack, not a bucket notification in the storage stack, so
  the two stacks reference each other one way only). Events EventBridge cannot deliver
  and invocations that still fail after Lambda's retries land in one dead-letter queue.
  Mapping (which factor applies to what) is not a step of its own: the calculation's
  engine maps when it computes, and ``GET /mapped-factors`` and the calculator publish
  the mapped factor set to the curated tier (``pcf.usecases.mapping``).
- **Glue job** ``validate_and_transform`` (decision 0006): Glue 5.0; the script and the
  ``pcf`` package (a reproducible zip, ``--extra-py-files``) are S3 assets, and what
  ``pcf.jobs`` imports beyond Glue's own libraries is pinned in
  ``--additional-python-modules`` (installed from PyPI at the job's start). Run on demand
  for files too large for the Lambda (``aws glue start-job-run``, arguments in
  ``glue_jobs/README.md``). Its role reads the raw tier and writes the processed and
  quarantine tiers, nothing else; a security configuration encrypts its S3 output, logs
  and bookmarks with the system key. Failures are alarmed by the monitoring stack.
- **Data Catalog**: a database with one table per processed kind
  (``processed/<kind>/version=<id>/``) and per curated part, columns generated from
  the code that writes the Parquet (``typed_schema`` of each format, the mapped factor
  set's tables, ``pcf.usecases.export_results``). Partitions follow the keys'
  ``name=value`` segments; after new versions or runs, ``MSCK REPAIR TABLE`` (Athena)
  adds them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pyarrow as pa
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from pcf.adapters.object_store import MAPPED_FACTORS_PREFIX, PROCESSED_PREFIX, RAW_UPLOADS_PREFIX
from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.validation import typed_schema
from pcf.usecases import export_results
from pcf.usecases.mapping import MappedFactorSet
from stacks import python_archives
from stacks.base import PcfStack
from stacks.functions import PcfFunction, grant_actions
from stacks.nag import acknowledge
from stacks.packaging import CONSTRAINTS, pinned_requirements
from stacks.settings import DeploymentSettings

ROOT = Path(__file__).resolve().parent.parent
GLUE_SCRIPT = ROOT / "glue_jobs" / "validate_and_transform.py"
GLUE_BUILD_ROOT = ROOT / "build" / "glue"
GLUE_VERSION = "5.0"
# What pcf.jobs imports that Glue 5.0 does not bring at these versions (it has pandas
# and pyspark); pint's own dependencies are pinned by lambdas/constraints.txt.
GLUE_DEPENDENCIES = ("numpy", "scipy", "pyarrow", "pint")
GLUE_TRANSITIVE = ("flexcache", "flexparser", "platformdirs", "typing_extensions")


class ProcessingStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: Any,
        storage: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        validation = ObjectCreatedFunction(
            self,
            "UploadValidation",
            network=network,
            storage=storage,
            tier="raw",
            key_filter={"prefix": f"{RAW_UPLOADS_PREFIX}/"},
            bundle="upload_validation",
            description="Validates an uploaded file and loads it as a dataset version or "
            "quarantines it with its errors",
            tiers=("raw", "processed", "quarantine"),
            # a 50 MiB file (the upload limit) in Arrow, checked and loaded in one go
            memory_mb=2048,
        )
        self.validation = validation.function
        self.validation_dead_letters = validation.dead_letters
        mapping = ObjectCreatedFunction(
            self,
            "FactorMapping",
            network=network,
            storage=storage,
            tier="processed",
            # a version's typed rows (the upload's own Parquet or the Glue job's parts)
            key_filter={"wildcard": f"{PROCESSED_PREFIX}/*.parquet"},
            bundle="mapping",
            description="Maps emission factors to materials, parts, electricity and gas "
            "with the versions in force and writes the set to the curated tier",
            tiers=("curated",),
            memory_mb=1024,
        )
        self.mapping = mapping.function
        self.glue_job = ValidateAndTransformJob(self, "ValidateAndTransform", storage=storage)
        self.catalog = DataCatalog(self, "Catalog", storage=storage)

        self.monitored.functions.extend([self.validation.function, self.mapping.function])
        self.monitored.dead_letter_queues.extend(
            [self.validation_dead_letters, mapping.dead_letters]
        )
        self.monitored.glue_jobs.append(self.glue_job.name)


class ObjectCreatedFunction(Construct):
    """A Lambda function on EventBridge's "Object Created" events of one tier's bucket
    (the buckets send their events to EventBridge: no cross-stack notification), with
    retries and a dead-letter queue for the events it could not take."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Any,
        storage: Any,
        tier: str,
        key_filter: dict[str, str],
        bundle: str,
        description: str,
        tiers: tuple[str, ...],
        memory_mb: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the bucket events (EventBridge "
            "target and the function's failed asynchronous invocations); it is alarmed on "
            "any message by the monitoring stack.",
        )
        self.function = PcfFunction(
            self,
            "Function",
            bundle=bundle,
            description=description,
            key=storage.key,
            environment={**storage.database_environment, **storage.object_store_environment},
            placement=network.placement,
            memory_mb=memory_mb,
            timeout=cdk.Duration.minutes(5),
        )
        self.function.function.configure_async_invoke(
            retry_attempts=2,
            max_event_age=cdk.Duration.hours(6),
            on_failure=destinations.SqsDestination(self.dead_letters),
        )
        storage.grant_database(self.function)
        storage.grant_object_store(self.function, tiers=tiers, write=True)
        self.function.node.add_dependency(storage.migrations)

        bucket = storage.bucket_in(self, tier)
        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description=f"An object created in the {tier} bucket: {key_filter}",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [key_filter]}},
            ),
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function.function,
                dead_letter_queue=self.dead_letters,
                retry_attempts=8,
                max_event_age=cdk.Duration.hours(6),
            )
        )


class ValidateAndTransformJob(Construct):
    """The Glue job of decision 0006, with its role and security configuration."""

    def __init__(self, scope: Construct, construct_id: str, *, storage: Any) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        prefix = stack.settings.prefix  # type: ignore[attr-defined]
        self.name = f"{prefix}-validate-and-transform"
        script = s3_assets.Asset(self, "Script", path=str(GLUE_SCRIPT))
        package = s3_assets.Asset(self, "PcfPackage", path=str(build_pcf_package_zip()))
        raw, processed, quarantine = (
            storage.bucket_in(self, tier) for tier in ("raw", "processed", "quarantine")
        )

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Glue job validate_and_transform: raw tier in, processed and "
            "quarantine tiers out",
        )
        grant_actions(
            self.role,
            ["s3:GetObject"],
            [
                script.bucket.arn_for_objects(script.s3_object_key),
                package.bucket.arn_for_objects(package.s3_object_key),
            ],
        )
        grant_actions(
            self.role,
            ["s3:ListBucket"],
            [raw.bucket_arn, processed.bucket_arn, quarantine.bucket_arn],
        )
        grant_actions(self.role, ["s3:GetObject"], [raw.arn_for_objects("raw/*")])
        # Spark writes part files under _temporary/ and renames them: put, read, delete.
        grant_actions(
            self.role,
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [
                processed.arn_for_objects(f"{PROCESSED_PREFIX}/*"),
                quarantine.arn_for_objects("quarantine/*"),
            ],
        )
        grant_actions(
            self.role,
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [storage.key.key_arn],
        )
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws-glue/jobs/*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        grant_actions(
            self.role,
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:AssociateKmsKey",
            ],
            [log_groups, f"{log_groups}:log-stream:*"],
        )
        names = {tier: storage.bucket_name(tier) for tier in ("raw", "processed", "quarantine")}
        # how cdk-nag names the partition: as given, or its pseudo parameter
        partition = (
            "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
        )
        glue_logs = (
            f"arn:{partition}:logs:{stack.region}:{stack.account}:log-group:/aws-glue/jobs/*"
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "Object wildcards are the job's own key prefixes (raw/ read; processed/ and "
            "quarantine/ written, with Spark's temporary part files); the log wildcard is "
            "Glue's own /aws-glue/jobs/ log groups, named by Glue after the security "
            "configuration and role at run time.",
            applies_to=[
                f"Resource::arn:{partition}:s3:::{names['raw']}/raw/*",
                f"Resource::arn:{partition}:s3:::{names['processed']}/{PROCESSED_PREFIX}/*",
                f"Resource::arn:{partition}:s3:::{names['quarantine']}/quarantine/*",
                f"Resource::{glue_logs}",
                f"Resource::{glue_logs}:log-stream:*",
            ],
        )

        self.security_configuration = glue.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",
            name=f"{prefix}-glue",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=storage.key.key_arn
                    )
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=storage.key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=storage.key.key_arn
                ),
            ),
        )
        self.job = glue.CfnJob(
            self,
            "Job",
            name=self.name,
            description="Validates one large uploaded file and writes its typed rows to the "
            "processed tier, or its errors to the quarantine tier (decision 0006)",
            role=self.role.role_arn,
            glue_version=GLUE_VERSION,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            default_arguments=glue_default_arguments(
                package_url=package.s3_object_url,
                output_root=f"s3://{processed.bucket_name}",
                quarantine_root=f"s3://{quarantine.bucket_name}",
            ),
            worker_type="G.1X",
            number_of_workers=4,
            timeout=120,
            max_retries=0,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=5),
            security_configuration=self.security_configuration.ref,
        )


def glue_python_modules() -> list[str]:
    """``--additional-python-modules``: the job's pinned imports beyond Glue's."""
    constraints = dict(
        line.strip().split("==", 1)
        for line in CONSTRAINTS.read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    )
    return [
        *pinned_requirements(GLUE_DEPENDENCIES),
        *(f"{name}=={constraints[name]}" for name in GLUE_TRANSITIVE),
    ]


def glue_default_arguments(
    *, package_url: str, output_root: str, quarantine_root: str
) -> dict[str, str]:
    return {
        "--job-language": "python",
        "--extra-py-files": package_url,
        "--additional-python-modules": ",".join(glue_python_modules()),
        "--output_root": output_root,
        "--quarantine_root": quarantine_root,
        "--enable-continuous-cloudwatch-log": "true",
        "--job-bookmark-option": "job-bookmark-disable",
    }


def build_pcf_package_zip(build_root: Path = GLUE_BUILD_ROOT) -> Path:
    """The ``pcf`` package as a zip for ``--extra-py-files``, reused while its sources
    are unchanged."""
    digest = hashlib.sha256(Path(python_archives.__file__).read_bytes())
    for name, path in python_archives.package_files().items():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    target = build_root / f"pcf-{digest.hexdigest()[:16]}.zip"
    if not target.is_file():
        python_archives.package_zip(target)
    return target


# --- the catalog --------------------------------------------------------------------------

_GLUE_TYPES = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.float64(): "double",
    pa.int64(): "bigint",
    pa.int32(): "int",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


def glue_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    try:
        return _GLUE_TYPES[arrow_type]
    except KeyError:
        raise ValueError(f"no Glue type for the Arrow type {arrow_type}") from None


def glue_columns(schema: pa.Schema, *, leave_out: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Glue columns of an Arrow schema (minus columns that are partition keys)."""
    return [{"name": f.name, "type": glue_type(f.type)} for f in schema if f.name not in leave_out]


def catalog_tables() -> dict[str, tuple[str, list[dict[str, str]], list[dict[str, str]]]]:
    """Every table: name -> (key prefix, columns, partition keys), from the code that
    writes the Parquet."""
    tables = {}
    for definition in STATIC_FORMATS:
        tables[f"processed_{definition.kind}"] = (
            f"{PROCESSED_PREFIX}/{definition.kind}/",
            glue_columns(typed_schema(FORMATS[definition.kind])),
            [{"name": "version", "type": "bigint"}],
        )
    empty_set = MappedFactorSet(
        as_of=date(2000, 1, 1),
        gwp_set="AR6",
        build_id="0",
        dataset_versions={},
        items=(),
        electricity=(),
        natural_gas=(),
    )
    for part, table in empty_set.tables().items():
        tables[f"curated_mapped_factors_{part}"] = (
            f"{MAPPED_FACTORS_PREFIX}/{part}/",
            glue_columns(table.schema, leave_out=("as_of",)),
            [{"name": "as_of", "type": "string"}, {"name": "build", "type": "string"}],
        )
    for name, (prefix, schema, partitions) in export_results.CURATED_TABLES.items():
        tables[f"curated_{name}"] = (
            f"{prefix}/",
            glue_columns(schema, leave_out=tuple(partitions)),
            [{"name": p, "type": "string"} for p in partitions],
        )
    return tables


class DataCatalog(Construct):
    """The Glue database and a table per processed kind and curated part."""

    def __init__(self, scope: Construct, construct_id: str, *, storage: Any) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        environment = stack.settings.environment  # type: ignore[attr-defined]
        self.database_name = "pcf_" + re.sub(r"[^a-z0-9]", "_", environment)
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="The data lake's processed and curated tiers (Parquet)",
            ),
        )
        self.tables: dict[str, glue.CfnTable] = {}
        for name, (prefix, columns, partitions) in catalog_tables().items():
            tier = "processed" if prefix.startswith(f"{PROCESSED_PREFIX}/") else "curated"
            bucket = storage.bucket_in(self, tier)
            table = glue.CfnTable(
                self,
                _construct_id(name),
                catalog_id=stack.account,
                database_name=self.database_name,
                table_input=glue.CfnTable.TableInputProperty(
                    name=name,
                    table_type="EXTERNAL_TABLE",
                    parameters={"classification": "parquet", "EXTERNAL": "TRUE"},
                    partition_keys=[glue.CfnTable.ColumnProperty(**p) for p in partitions],
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        location=f"s3://{bucket.bucket_name}/{prefix}",
                        columns=[glue.CfnTable.ColumnProperty(**c) for c in columns],
                        input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                        output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                        serde_info=glue.CfnTable.SerdeInfoProperty(
                            serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                        ),
                    ),
                ),
            )
            table.add_resource_dependency(database)
            self.tables[name] = table


def _construct_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
