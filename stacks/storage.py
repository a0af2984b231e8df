"""Storage: the system's KMS key, the data lake's S3 tiers, PostgreSQL with its schema,
and (when chosen) Timestream.

- **S3 tiers**, one bucket each (``pcf.adapters.object_store`` maps a key's first segment
  to its bucket): ``raw`` (uploads as sent, raw telemetry from Firehose: the evidence,
  kept for years, moved to cheaper classes as it ages), ``processed`` (typed versions),
  ``curated`` (mapped factor sets, results), ``quarantine`` (rejected uploads, kept for
  the SME to download and fix), and ``access-logs`` (server access logs of the others).
  All: KMS (the system key; access logs SSE-S3, the only encryption S3 log delivery
  supports), TLS only, versioned, public access blocked, object ownership enforced.
- **PostgreSQL**: Aurora Serverless v2 (PostgreSQL 16) in isolated subnets, encrypted
  with the system key, 14 days of backups, deletion protection unless the environment
  is disposable, TLS forced by the cluster parameter group, the master secret in
  Secrets Manager rotated every 30 days. Migrations run on every deploy (a custom
  resource calling ``lambdas/migrations``) before any function that uses the schema.
- **Timestream** (``telemetryStore=timestream``): database, raw and hourly tables, and the
  hourly roll-up scheduled query of ``sql/timestream/hourly_rollup.sql``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_timestream as timestream
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.base import PcfStack
from stacks.functions import LOG_RETENTION, PcfFunction
from stacks.nag import acknowledge
from stacks.network import NetworkStack
from stacks.packaging import ROOT
from stacks.settings import DeploymentSettings, TelemetryStore

DATABASE_NAME = "pcf"
DATABASE_PORT = 5432
TIMESTREAM_DATABASE = "pcf"
TIMESTREAM_RAW_TABLE = "telemetry_windows"
TIMESTREAM_HOURLY_TABLE = "telemetry_hourly"
ROLLUP_ERRORS_PREFIX = "timestream-rollup-errors/"


@dataclass(frozen=True)
class DataLake:
    raw: s3.Bucket
    processed: s3.Bucket
    curated: s3.Bucket
    quarantine: s3.Bucket
    access_logs: s3.Bucket

    def tiers(self) -> dict[str, s3.Bucket]:
        return {
            "raw": self.raw,
            "processed": self.processed,
            "curated": self.curated,
            "quarantine": self.quarantine,
        }


class StorageStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: NetworkStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        self.network = network
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{settings.prefix}",
            description="Encrypts the platform's data: S3 tiers, database, streams, logs, secrets",
            enable_key_rotation=True,
            removal_policy=self.removal_policy,
        )
        # CloudWatch Logs encrypts log groups with this key (a service principal of the
        # region, limited to this account's log groups)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:DescribeKey",
                ],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:*"
                        )
                    }
                },
            )
        )
        if settings.quicksight.enabled:
            # QuickSight reads the database secret through the role it creates when
            # Secrets Manager access is allowed in its settings (README: by hand, first;
            # KMS refuses a key policy naming a role that does not exist yet)
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[
                        iam.ArnPrincipal(
                            f"arn:{self.partition}:iam::{self.account}:role/service-role/"
                            "aws-quicksight-secretsmanager-role-v0"
                        )
                    ],
                    actions=["kms:Decrypt"],
                    resources=["*"],  # in a key policy, "*" is this key
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"
                        }
                    },
                )
            )
        self.buckets = self._data_lake()
        self.database, self.database_secret = self._database()
        self.migrations = self._migrations()
        self.timestream: timestream.CfnDatabase | None = None
        if settings.telemetry_store is TelemetryStore.TIMESTREAM:
            self.timestream = self._timestream()
        self.monitored.databases.append(self.database)
        self._acknowledge_cdk_handlers()

    def _acknowledge_cdk_handlers(self) -> None:
        """The CDK's own singleton functions in this stack: S3 notifications to
        EventBridge (``event_bridge_enabled``) and log retention (the database's
        exported logs)."""
        for child in self.node.children:
            if child.node.id.startswith(("BucketNotificationsHandler", "LogRetention")):
                acknowledge(
                    child,
                    "AwsSolutions-IAM4",
                    "A CDK-provided handler with AWSLambdaBasicExecutionRole: CloudWatch "
                    "Logs writes only.",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AWSLambdaBasicExecutionRole"
                    ],
                )
            if child.node.id.startswith("LogRetention"):
                acknowledge(
                    child,
                    "AwsSolutions-IAM5",
                    "The CDK's log-retention handler sets retention on log groups that "
                    "RDS creates later; the logs actions take no narrower resource here.",
                    applies_to=["Resource::*"],
                )

    # -- S3 -----------------------------------------------------------------------------

    def _data_lake(self) -> DataLake:
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=self.removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(400),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
        )
        acknowledge(
            access_logs,
            "AwsSolutions-S1",
            "This is the server access log bucket itself; logging it to itself would loop.",
        )
        aging = s3.LifecycleRule(
            id="age-to-cheaper-storage",
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=cdk.Duration.days(90),
                ),
                s3.Transition(
                    storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transition_after=cdk.Duration.days(365),
                ),
            ],
            noncurrent_version_expiration=cdk.Duration.days(90),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
        )
        short_history = s3.LifecycleRule(
            id="expire-old-versions",
            noncurrent_version_expiration=cdk.Duration.days(30),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
        )

        def tier(name: str, rules: list[s3.LifecycleRule], **extra: Any) -> s3.Bucket:
            return s3.Bucket(
                self,
                name.capitalize(),
                bucket_name=self.bucket_name(name),
                encryption=s3.BucketEncryption.KMS,
                encryption_key=self.key,
                bucket_key_enabled=True,
                enforce_ssl=True,
                versioned=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                server_access_logs_bucket=access_logs,
                server_access_logs_prefix=f"{name}/",
                lifecycle_rules=rules,
                removal_policy=self.removal_policy,
                **extra,
            )

        return DataLake(
            # uploads land here through pre-signed PUTs from the browser; the validation
            # Lambda hears of them through EventBridge
            raw=tier(
                "raw",
                [aging],
                event_bridge_enabled=True,
                cors=[
                    s3.CorsRule(
                        allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
                        allowed_origins=self._web_origins(),
                        allowed_headers=["content-type", "content-length", "x-amz-*"],
                        max_age=3000,
                    )
                ],
            ),
            # a new version's rows here start the factor mapping (EventBridge)
            processed=tier("processed", [short_history], event_bridge_enabled=True),
            curated=tier("curated", [short_history]),
            quarantine=tier(
                "quarantine",
                [aging],
                cors=[
                    s3.CorsRule(
                        allowed_methods=[s3.HttpMethods.GET],
                        allowed_origins=self._web_origins(),
                        max_age=3000,
                    )
                ],
            ),
            access_logs=access_logs,
        )

    def bucket_name(self, tier: str) -> str:
        """A tier's bucket name, known without a reference: ``pcf-<env>-<tier>-<account>-
        <region>``. Other stacks name the bucket by it (``bucket_in``), so their policies
        carry plain ARNs (readable, and acknowledgeable in cdk-nag) instead of imports."""
        return f"{self.settings.prefix}-{tier}-{self.settings.account}-{self.settings.region}"

    def bucket_in(self, scope: Construct, tier: str) -> s3.IBucket:
        """A tier's bucket for use in another stack (``scope``), by its name and key."""
        stack = cdk.Stack.of(scope)
        existing = stack.node.try_find_child(f"PcfBucket{tier}")
        if existing is not None:
            return existing  # type: ignore[return-value]
        bucket = s3.Bucket.from_bucket_attributes(
            stack,
            f"PcfBucket{tier}",
            bucket_name=self.bucket_name(tier),
            encryption_key=None if tier == "access-logs" else self.key,
        )
        stack.add_stack_dependency(self)
        return bucket

    def _web_origins(self) -> list[str]:
        """Who may PUT/GET through pre-signed URLs from a browser: the web app's domain
        when there is one. Without a domain the CloudFront name is only known after the
        web stack (which depends on this one), so any origin: the pre-signed URL's
        signature is the control, CORS only what a browser lets a page do with it."""
        if self.settings.domain is not None:
            return [f"https://{self.settings.domain.name}"]
        return ["*"]

    @property
    def object_store_environment(self) -> dict[str, str]:
        """The environment ``pcf.api.settings.CloudSettings`` reads: a bucket per tier."""
        tiers = " ".join(
            f"{tier}={bucket.bucket_name}" for tier, bucket in self.buckets.tiers().items()
        )
        return {"OBJECT_STORE_BUCKETS": tiers}

    def grant_object_store(
        self, function: PcfFunction, tiers: Iterable[str], *, write: bool = False
    ) -> None:
        """Read (and with ``write``, put and delete) objects in the named tiers."""
        actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"]
        partition = cdk.Stack.of(function).partition
        arns = [f"arn:{partition}:s3:::{self.bucket_name(tier)}" for tier in tiers]
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[f"{arn}/*" for arn in arns])
        )
        # listing lets a missing key read as 404 rather than 403
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=arns)
        )
        key_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=key_actions, resources=[self.key.key_arn])
        )
        acknowledge(
            function.role,
            "AwsSolutions-IAM5",
            "Objects of the platform's own tier buckets (<bucket>/*): object keys are "
            "made at run time (uploads, versions); the buckets are named.",
            applies_to=[f"Resource::{arn}/*" for arn in arns],
        )

    # -- PostgreSQL ---------------------------------------------------------------------

    def _database(self) -> tuple[rds.DatabaseCluster, secretsmanager.ISecret]:
        engine = rds.DatabaseClusterEngine.aurora_postgres(
            version=rds.AuroraPostgresEngineVersion.VER_16_6
        )
        parameters = rds.ParameterGroup(
            self,
            "DatabaseParameters",
            engine=engine,
            description="PCF: TLS only, statements and connections logged",
            parameters={
                "rds.force_ssl": "1",
                "log_connections": "1",
                "log_min_duration_statement": "5000",
            },
        )
        security_group = ec2.SecurityGroup(
            self,
            "DatabaseSecurityGroup",
            vpc=self.network.vpc,
            description="PostgreSQL: reachable from the database clients group only",
            allow_all_outbound=False,
        )
        security_group.add_ingress_rule(
            self.network.database_clients,
            ec2.Port.tcp(DATABASE_PORT),
            "PostgreSQL from the platform's functions and jobs",
        )
        retain = self.removal_policy is cdk.RemovalPolicy.RETAIN
        cluster = rds.DatabaseCluster(
            self,
            "Database",
            engine=engine,
            parameter_group=parameters,
            default_database_name=DATABASE_NAME,
            credentials=rds.Credentials.from_generated_secret(
                "pcf_admin", encryption_key=self.key, secret_name=f"{self.settings.prefix}/database"
            ),
            writer=rds.ClusterInstance.serverless_v2(
                "Writer",
                enable_performance_insights=True,
                performance_insight_encryption_key=self.key,
            ),
            readers=[
                rds.ClusterInstance.serverless_v2(
                    "Reader",
                    scale_with_writer=True,
                    enable_performance_insights=True,
                    performance_insight_encryption_key=self.key,
                )
            ]
            if retain
            else [],
            serverless_v2_min_capacity=0.5,
            serverless_v2_max_capacity=8,
            vpc=self.network.vpc,
            vpc_subnets=self.network.database_subnets,
            security_groups=[security_group],
            port=DATABASE_PORT,
            storage_encrypted=True,
            storage_encryption_key=self.key,
            backup=rds.BackupProps(retention=cdk.Duration.days(14)),
            deletion_protection=retain,
            removal_policy=cdk.RemovalPolicy.SNAPSHOT if retain else cdk.RemovalPolicy.DESTROY,
            iam_authentication=True,
            cloudwatch_logs_exports=["postgresql"],
            cloudwatch_logs_retention=LOG_RETENTION,
            monitoring_interval=cdk.Duration.seconds(60),
            enable_performance_insights=True,
            performance_insight_encryption_key=self.key,
        )
        assert cluster.secret is not None  # generated above
        if not retain:
            acknowledge(
                cluster,
                "AwsSolutions-RDS10",
                "removalPolicy=destroy is for short-lived test environments, whose "
                "database must be deletable with the stack.",
            )
        cluster.add_rotation_single_user(automatically_after=cdk.Duration.days(30))
        acknowledge(
            cluster,
            "AwsSolutions-RDS11",
            "PostgreSQL's default port: the database is in isolated subnets and admits "
            "only the clients' security group, so another port would hide nothing.",
        )
        acknowledge(
            cluster,
            "AwsSolutions-IAM4",
            "The enhanced-monitoring role uses AWS's AmazonRDSEnhancedMonitoringRole, "
            "which grants only CloudWatch Logs writes to the RDSOSMetrics group.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
            ],
        )
        return cluster, cluster.secret

    @property
    def database_environment(self) -> dict[str, str]:
        """Where the database is (``DATABASE_URL`` without user and password, TLS
        required) and the secret holding those (``pcf.adapters.postgres.credentials``)."""
        endpoint = self.database.cluster_endpoint
        return {
            "DATABASE_URL": (
                f"postgresql://{endpoint.hostname}:{endpoint.port}/{DATABASE_NAME}?sslmode=require"
            ),
            "DATABASE_SECRET_ARN": self.database_secret.secret_arn,
        }

    def grant_database(self, function: PcfFunction) -> None:
        """Read the database secret (and decrypt it with the key); the function must run
        in ``network.placement`` to reach the database.

        Granted in the function's own policy: ``Secret.grant_read`` would put the role
        into the key's policy (a grant through Secrets Manager), making this stack
        depend on the function's."""
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[self.database_secret.secret_arn],
            )
        )
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"
                    }
                },
            )
        )

    def _migrations(self) -> cdk.CustomResource:
        migrator = PcfFunction(
            self,
            "Migrations",
            bundle="migrations",
            description="Applies the PostgreSQL schema migrations on deploy",
            key=self.key,
            environment={**self.database_environment, "PCF_SQL_DIR": "/var/task/sql/migrations"},
            placement=self.network.placement,
            timeout=cdk.Duration.minutes(10),
            memory_mb=256,
        )
        self.grant_database(migrator)
        migrator.node.add_dependency(self.database)
        provider = cr.Provider(
            self,
            "MigrationsProvider",
            on_event_handler=migrator.function,
            log_group=logs.LogGroup(
                self, "MigrationsProviderLogs", retention=LOG_RETENTION, encryption_key=self.key
            ),
        )
        acknowledge(
            provider,
            "AwsSolutions-L1",
            "The CDK provider framework's own function uses the Node.js runtime the CDK "
            "version pins; it is updated with aws-cdk-lib.",
        )
        acknowledge(
            provider,
            "AwsSolutions-IAM4",
            "The CDK provider framework's function uses AWSLambdaBasicExecutionRole "
            "(CloudWatch Logs only).",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ],
        )
        acknowledge(
            provider,
            "AwsSolutions-IAM5",
            "The provider framework may invoke the migrations function's versions "
            "(<arn>:*), and no other function.",
            applies_to=["Resource::<MigrationsFunction0E989F76.Arn>:*"],
        )
        digest = hashlib.sha256()
        for path in sorted((ROOT / "sql" / "migrations").glob("*.sql")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return cdk.CustomResource(
            self,
            "Schema",
            service_token=provider.service_token,
            resource_type="Custom::PcfSchemaMigrations",
            properties={"Digest": digest.hexdigest()},
        )

    # -- Timestream ---------------------------------------------------------------------

    def _timestream(self) -> timestream.CfnDatabase:
        from pcf.adapters.timestream.rollup import hourly_rollup_scheduled_query

        database_name = f"{self.settings.prefix}-{TIMESTREAM_DATABASE}"
        database = timestream.CfnDatabase(
            self, "Timestream", database_name=database_name, kms_key_id=self.key.key_arn
        )
        # untyped JSON in CloudFormation: the keys are PascalCase
        retention = {
            "MemoryStoreRetentionPeriodInHours": "72",
            "MagneticStoreRetentionPeriodInDays": "3650",
        }
        raw = timestream.CfnTable(
            self,
            "TelemetryWindows",
            database_name=database.ref,
            table_name=TIMESTREAM_RAW_TABLE,
            retention_properties=retention,
            magnetic_store_write_properties={"EnableMagneticStoreWrites": True},
        )
        hourly = timestream.CfnTable(
            self,
            "TelemetryHourly",
            database_name=database.ref,
            table_name=TIMESTREAM_HOURLY_TABLE,
            retention_properties=retention,
            magnetic_store_write_properties={"EnableMagneticStoreWrites": True},
        )
        raw.add_resource_dependency(database)
        hourly.add_resource_dependency(database)
        notifications = sns.Topic(self, "RollupNotifications", master_key=self.key)
        enforce_tls(notifications)
        role = iam.Role(
            self,
            "RollupRole",
            assumed_by=iam.ServicePrincipal("timestream.amazonaws.com"),
            description="Timestream scheduled query: read raw windows, write hourly totals",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["timestream:Select", "timestream:WriteRecords"],
                resources=[raw.attr_arn, hourly.attr_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["timestream:DescribeEndpoints"], resources=["*"])
        )
        notifications.grant_publish(role)
        errors = f"arn:{self.partition}:s3:::{self.bucket_name('curated')}/{ROLLUP_ERRORS_PREFIX}*"
        role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[errors]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "timestream:DescribeEndpoints takes no resource; error reports are written "
            "under one prefix of the curated bucket, with run-time names.",
            applies_to=["Resource::*", f"Resource::{errors}"],
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Publishing to the KMS-encrypted notification topic (the SNS grant): "
            "kms:GenerateDataKey* on the platform's key only.",
            applies_to=["Action::kms:GenerateDataKey*"],
        )
        for construct in (database, raw, hourly, notifications):
            acknowledge(
                construct,
                "CloudFormation-Validate::W3697",
                "Timestream for LiveAnalytics is deployed only for accounts that chose it "
                "(telemetryStore=timestream); new accounts use PostgreSQL.",
            )
        # the same parameters pcf's own client code creates the query with, turned
        # into the CloudFormation resource's properties
        parameters = hourly_rollup_scheduled_query(
            database=database_name,
            source_table=TIMESTREAM_RAW_TABLE,
            target_table=TIMESTREAM_HOURLY_TABLE,
            name=f"{self.settings.prefix}-telemetry-hourly-rollup",
            execution_role_arn=role.role_arn,
            sns_topic_arn=notifications.topic_arn,
            error_report_bucket=self.buckets.curated.bucket_name,
            error_report_prefix=ROLLUP_ERRORS_PREFIX,
            kms_key_id=self.key.key_arn,
        )
        query = timestream.CfnScheduledQuery(
            self,
            "HourlyRollup",
            scheduled_query_name=parameters.pop("Name"),
            **{_snake(name): _camel_keys(value) for name, value in parameters.items()},
        )
        acknowledge(
            query,
            "CloudFormation-Validate::W3697",
            "Timestream for LiveAnalytics is deployed only for accounts that chose it "
            "(telemetryStore=timestream); new accounts use PostgreSQL.",
        )
        query.add_resource_dependency(raw)
        query.add_resource_dependency(hourly)
        query.node.add_dependency(role)
        self.timestream_tables = (raw, hourly)
        return database


def enforce_tls(topic: sns.Topic) -> None:
    """Refuse publishing to ``topic`` over plain HTTP (cdk-nag SNS3)."""
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        )
    )


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _camel_keys(value: Any) -> Any:
    """boto3's PascalCase request keys as CloudFormation's camelCase property keys."""
    if isinstance(value, dict):
        return {key[0].lower() + key[1:]: _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value
