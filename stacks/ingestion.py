"""Ingestion: the Kinesis stream the Greengrass component exports to, the ingest Lambda
that writes windows to the telemetry store, where records that cannot be ingested go,
and Firehose archiving every record to the raw tier.

The event source mapping follows decision record 0005: batches of up to 5,000 records
gathered for at most 5 seconds (COPY's fixed cost is paid per batch), partial batch
responses (``ReportBatchItemFailures``: only the failed records come again), bisection
on error, a retry limit and a maximum record age, and an on-failure destination (an SQS
queue) for a batch that still fails, so nothing is dropped silently: a record is in the
store, or in the rejected-records queue (malformed: ``pcf.adapters.dead_letter``), or
described in the failed-batches queue (the shard and sequence numbers to replay).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.base import PcfStack
from stacks.functions import LOG_RETENTION, PcfFunction
from stacks.nag import acknowledge
from stacks.network import NetworkStack
from stacks.settings import DeploymentSettings, TelemetryStore
from stacks.storage import TIMESTREAM_HOURLY_TABLE, TIMESTREAM_RAW_TABLE, StorageStack

# decision record 0005
BATCH_SIZE = 5000
BATCH_WINDOW = cdk.Duration.seconds(5)
RETRY_ATTEMPTS = 10
MAX_RECORD_AGE = cdk.Duration.days(6)  # under the stream's 7-day retention
STREAM_RETENTION = cdk.Duration.days(7)
RAW_TELEMETRY_PREFIX = "raw/telemetry/"


class IngestionStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: NetworkStack,
        storage: StorageStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        key = storage.key
        # One shard takes 1 MB/s or 1,000 records/s: some 50,000 meters sending one
        # window a minute. Provisioned, as the cheapest at rest; reshard as plants join.
        self.stream = kinesis.Stream(
            self,
            "Telemetry",
            stream_name=f"{settings.prefix}-telemetry",
            shard_count=1,
            retention_period=STREAM_RETENTION,
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=key,
        )
        self.rejected_records = self._queue("RejectedRecords", key)
        self.failed_batches = self._queue("FailedBatches", key)
        self.archive = firehose.DeliveryStream(
            self,
            "RawArchive",
            delivery_stream_name=f"{settings.prefix}-raw-telemetry",
            encryption=firehose.StreamEncryption.customer_managed_key(key),
            destination=firehose.S3Bucket(
                storage.bucket_in(self, "raw"),
                data_output_prefix=f"{RAW_TELEMETRY_PREFIX}date=!{{timestamp:yyyy-MM-dd}}/",
                error_output_prefix=(
                    "raw/telemetry-errors/!{firehose:error-output-type}/"
                    "date=!{timestamp:yyyy-MM-dd}/"
                ),
                compression=firehose.Compression.GZIP,
                buffering_interval=cdk.Duration.minutes(5),
                encryption_key=key,
                logging_config=firehose.EnableLogging(
                    logs.LogGroup(
                        self, "ArchiveDeliveryLogs", retention=LOG_RETENTION, encryption_key=key
                    )
                ),
            ),
        )
        acknowledge(
            self.archive,
            "AwsSolutions-IAM5",
            "Firehose's delivery role as the CDK grants it: object writes under the raw "
            "bucket (keys carry the arrival date) and envelope encryption with the one key.",
            applies_to=[
                "Action::s3:Abort*",
                "Action::s3:DeleteObject*",
                "Action::s3:GetBucket*",
                "Action::s3:GetObject*",
                "Action::s3:List*",
                "Action::kms:GenerateDataKey*",
                "Action::kms:ReEncrypt*",
                f"Resource::arn:{self.partition}:s3:::{storage.bucket_name('raw')}/*",
            ],
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "The stream is encrypted with the platform's own key, like every other store "
            "of telemetry, so one key policy governs who reads meter data.",
        )
        store_environment = {"TELEMETRY_STORE": "postgres"}
        if settings.telemetry_store is TelemetryStore.TIMESTREAM:
            assert storage.timestream is not None
            store_environment = {
                "TELEMETRY_STORE": (
                    f"timestream:{storage.timestream.database_name}/"
                    f"{TIMESTREAM_RAW_TABLE}/{TIMESTREAM_HOURLY_TABLE}"
                )
            }
        self.ingest = PcfFunction(
            self,
            "Ingest",
            bundle="ingest",
            description="Kinesis telemetry windows -> telemetry store, raw archive, dead letters",
            key=key,
            environment={
                **storage.database_environment,
                **store_environment,
                "DEAD_LETTER_QUEUE_URL": self.rejected_records.queue_url,
                "ARCHIVE": f"firehose:{self.archive.delivery_stream_name}",
            },
            placement=network.placement,
            timeout=cdk.Duration.minutes(2),
            memory_mb=1024,
        )
        self.ingest.node.add_dependency(storage.migrations)
        storage.grant_database(self.ingest)
        self.rejected_records.grant_send_messages(self.ingest.role)
        self.archive.grant_put_records(self.ingest.role)
        if settings.telemetry_store is TelemetryStore.TIMESTREAM:
            self._grant_timestream(storage)
        acknowledge(
            self.ingest.role,
            "AwsSolutions-IAM5",
            "Envelope encryption with the platform's one key (SQS and Kinesis grants): "
            "kms:GenerateDataKey* and kms:ReEncrypt* on that key only.",
            applies_to=["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"],
        )
        self.ingest.function.add_event_source(
            sources.KinesisEventSource(
                self.stream,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCH_WINDOW,
                bisect_batch_on_error=True,
                retry_attempts=RETRY_ATTEMPTS,
                max_record_age=MAX_RECORD_AGE,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.failed_batches),
                parallelization_factor=1,  # windows of a meter stay in order
            )
        )
        self.monitored.functions.append(self.ingest.function)
        self.monitored.stream_consumers.append(self.ingest.function)
        self.monitored.dead_letter_queues.extend([self.rejected_records, self.failed_batches])
        self.monitored.delivery_streams.append(self.archive)

    def _queue(self, name: str, key: Any) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
            removal_policy=self.removal_policy,
        )
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter destination; its messages are alarmed "
            "on and replayed by hand, never redriven to another queue.",
        )
        return queue

    def _grant_timestream(self, storage: StorageStack) -> None:
        raw, hourly = storage.timestream_tables
        self.ingest.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["timestream:WriteRecords", "timestream:Select"],
                resources=[raw.attr_arn, hourly.attr_arn],
            )
        )
        self.ingest.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["timestream:DescribeEndpoints"], resources=["*"])
        )
