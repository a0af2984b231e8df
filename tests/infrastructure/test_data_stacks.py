"""Network, storage, ingestion and monitoring stacks: the properties that matter."""

from __future__ import annotations

from aws_cdk.assertions import Match

from stacks.ingestion import BATCH_SIZE
from tests.infrastructure.conftest import Synthesized


def test_new_vpc_keeps_the_database_isolated_and_reaches_aws_privately(
    default: Synthesized,
) -> None:
    network = default.template(default.system.network)
    network.resource_count_is("AWS::EC2::VPC", 1)
    network.resource_count_is("AWS::EC2::NatGateway", 1)
    network.resource_count_is("AWS::EC2::FlowLog", 1)
    network.resource_count_is("AWS::EC2::VPCEndpoint", 6)  # S3 gateway + 5 interfaces
    storage = default.template(default.system.storage)
    storage.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "SourceSecurityGroupId": Match.any_value(),
        },
    )


def test_existing_vpc_is_referenced_not_created(enterprise: Synthesized) -> None:
    network = enterprise.template(enterprise.system.network)
    network.resource_count_is("AWS::EC2::VPC", 0)
    network.resource_count_is("AWS::EC2::NatGateway", 0)
    storage = enterprise.template(enterprise.system.storage)
    storage.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        {"SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]},
    )


def test_every_tier_bucket_is_encrypted_versioned_private_and_tls_only(
    default: Synthesized,
) -> None:
    storage = default.template(default.system.storage)
    buckets = storage.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 5  # raw, processed, curated, quarantine, access logs
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        if logical_id.startswith("AccessLogs"):
            assert algorithm == "AES256"  # S3 log delivery supports no other
        else:
            assert algorithm == "aws:kms"
            assert "LoggingConfiguration" in properties
        assert properties["LifecycleConfiguration"]["Rules"]
    policies = storage.find_resources("AWS::S3::BucketPolicy")
    tls_denials = [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls_denials) == 5


def test_database_is_encrypted_backed_up_protected_rotated_and_tls_only(
    default: Synthesized,
) -> None:
    storage = default.template(default.system.storage)
    storage.has_resource_properties(
        "AWS::RDS::DBCluster",
        {
            "Engine": "aurora-postgresql",
            "StorageEncrypted": True,
            "KmsKeyId": Match.any_value(),
            "BackupRetentionPeriod": 14,
            "DeletionProtection": True,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 8},
        },
    )
    storage.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        {"Parameters": Match.object_like({"rds.force_ssl": "1"})},
    )
    storage.has_resource_properties(
        "AWS::SecretsManager::RotationSchedule",
        {"RotationRules": {"ScheduleExpression": "rate(30 days)"}},
    )
    storage.has_resource_properties(
        "Custom::PcfSchemaMigrations", {"Digest": Match.string_like_regexp("^[0-9a-f]{64}$")}
    )


def test_a_disposable_environment_can_be_deleted(disposable: Synthesized) -> None:
    storage = disposable.template(disposable.system.storage)
    storage.has_resource_properties("AWS::RDS::DBCluster", {"DeletionProtection": False})
    storage.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Delete"})


def test_timestream_only_when_chosen(default: Synthesized, enterprise: Synthesized) -> None:
    default.template(default.system.storage).resource_count_is("AWS::Timestream::Database", 0)
    storage = enterprise.template(enterprise.system.storage)
    storage.resource_count_is("AWS::Timestream::Table", 2)
    storage.has_resource_properties(
        "AWS::Timestream::ScheduledQuery",
        {"ScheduleConfiguration": {"ScheduleExpression": "cron(5 * * * ? *)"}},
    )
    ingestion = enterprise.template(enterprise.system.ingestion)
    ingestion.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "TELEMETRY_STORE": (
                            "timestream:pcf-prod-pcf/telemetry_windows/telemetry_hourly"
                        )
                    }
                )
            }
        },
    )


def test_ingest_event_source_follows_decision_0005(default: Synthesized) -> None:
    ingestion = default.template(default.system.ingestion)
    ingestion.has_resource_properties(
        "AWS::Kinesis::Stream",
        {"StreamEncryption": {"EncryptionType": "KMS", "KeyId": Match.any_value()}},
    )
    ingestion.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": BATCH_SIZE,
            "MaximumBatchingWindowInSeconds": 5,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
            "StartingPosition": "TRIM_HORIZON",
        },
    )
    ingestion.has_resource_properties(
        "AWS::KinesisFirehose::DeliveryStream",
        {
            "DeliveryStreamEncryptionConfigurationInput": {
                "KeyType": "CUSTOMER_MANAGED_CMK",
                "KeyARN": Match.any_value(),
            },
            "ExtendedS3DestinationConfiguration": Match.object_like(
                {
                    "Prefix": "raw/telemetry/date=!{timestamp:yyyy-MM-dd}/",
                    "CompressionFormat": "GZIP",
                }
            ),
        },
    )
    for queue in ingestion.find_resources("AWS::SQS::Queue").values():
        assert "KmsMasterKeyId" in queue["Properties"]


def test_ingest_function_reaches_only_what_it_uses(default: Synthesized) -> None:
    ingestion = default.template(default.system.ingestion)
    actions = {
        action
        for policy in ingestion.find_resources("AWS::IAM::Policy").values()
        if "Ingest" in policy["Properties"]["PolicyName"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    services = {action.split(":")[0] for action in actions}
    assert services == {
        "logs",
        "xray",
        "ec2",
        "secretsmanager",
        "kms",
        "sqs",
        "firehose",
        "kinesis",
    }
    assert not any(action.startswith("s3:") for action in actions)


def test_alarms_cover_every_failure_the_issue_names(
    default: Synthesized, enterprise: Synthesized
) -> None:
    monitoring = default.template(default.system.monitoring)
    alarms = monitoring.find_resources("AWS::CloudWatch::Alarm")
    metrics = {alarm["Properties"].get("MetricName") for alarm in alarms.values()}
    assert {"Errors", "Throttles", "IteratorAge", "ApproximateNumberOfMessagesVisible"} <= metrics
    assert {
        "DeliveryToS3.Success",
        "CPUUtilization",
        "FreeableMemory",
        "VolumeBytesUsed",
    } <= metrics
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"], "every alarm notifies the topic"
    monitoring.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    monitoring.resource_count_is("AWS::SNS::Subscription", 0)
    enterprise.template(enterprise.system.monitoring).has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )
    monitoring.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_a_new_vpc_spans_the_zones_named_or_the_regions_first(
    default: Synthesized, disposable: Synthesized
) -> None:
    def zones(synthesized: Synthesized) -> set[str]:
        subnets = synthesized.template(synthesized.system.network).find_resources(
            "AWS::EC2::Subnet"
        )
        return {subnet["Properties"]["AvailabilityZone"] for subnet in subnets.values()}

    assert zones(default) == {"eu-central-1a", "eu-central-1b"}
    assert zones(disposable) == {"us-east-2a", "us-east-2b", "us-east-2c"}
