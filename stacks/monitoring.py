"""Monitoring: one CloudWatch dashboard and the alarms that page, all to one SNS topic
(KMS-encrypted, TLS only; the ``alarmEmail`` context subscribes an address).

Alarms, from what the other stacks hand over (``stacks.monitored.Monitored``):
Lambda errors and throttles of every function; iterator age of every stream consumer
(telemetry falling behind: over 15 minutes); any message in a dead-letter queue; Glue
job runs that fail or time out (an EventBridge rule on Glue's job state events);
Firehose delivery to S3 failing; database CPU over 80 % and freeable memory / storage
running low (Aurora grows storage itself; its volume's bytes are charted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.base import PcfStack
from stacks.settings import DeploymentSettings
from stacks.storage import StorageStack, enforce_tls

FIVE_MINUTES = cdk.Duration.minutes(5)
ITERATOR_AGE_LIMIT_MS = 15 * 60 * 1000
DATABASE_CPU_PERCENT = 80
DATABASE_FREEABLE_MEMORY_BYTES = 256 * 1024 * 1024
DATABASE_VOLUME_BYTES = 100 * 1024**3


class MonitoringStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        watched: Sequence[PcfStack],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        storage = next(stack for stack in watched if isinstance(stack, StorageStack))
        self.topic = sns.Topic(
            self,
            "Alarms",
            display_name=f"PCF {settings.environment} alarms",
            master_key=storage.key,
        )
        enforce_tls(self.topic)
        # CloudWatch alarms and EventBridge publish to the encrypted topic
        storage.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{settings.prefix}-operations"
        )
        for stack in watched:
            self._watch(stack)

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        **extra: Any,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=extra.pop("evaluation_periods", 1),
            comparison_operator=extra.pop(
                "comparison_operator",
                cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            ),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
            **extra,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _watch(self, stack: PcfStack) -> None:
        watched = stack.monitored
        concern = stack.node.id
        for function in watched.functions:
            name = f"{concern}{cdk.Names.unique_id(function)[-8:]}"
            errors = function.metric_errors(period=FIVE_MINUTES, statistic="Sum")
            throttles = function.metric_throttles(period=FIVE_MINUTES, statistic="Sum")
            self._alarm(f"{name}Errors", errors, 1, f"{concern}: a Lambda function failed")
            self._alarm(
                f"{name}Throttles", throttles, 1, f"{concern}: a Lambda function was throttled"
            )
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{concern} Lambda: invocations, errors, throttles",
                    left=[function.metric_invocations(period=FIVE_MINUTES), errors, throttles],
                    width=12,
                )
            )
        for function in watched.stream_consumers:
            age = cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="IteratorAge",
                dimensions_map={"FunctionName": function.function_name},
                statistic="Maximum",
                period=FIVE_MINUTES,
            )
            self._alarm(
                f"{concern}IteratorAge",
                age,
                ITERATOR_AGE_LIMIT_MS,
                f"{concern}: telemetry is more than 15 minutes behind the stream",
            )
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(title=f"{concern}: iterator age (ms)", left=[age], width=12)
            )
        for index, queue in enumerate(watched.dead_letter_queues):
            visible = queue.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            )
            self._alarm(
                f"{concern}DeadLetters{index}",
                visible,
                1,
                f"{concern}: a message is waiting in a dead-letter queue",
            )
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{concern}: dead letters {index}", left=[visible], width=12
                )
            )
        for index, stream in enumerate(watched.delivery_streams):
            freshness = cloudwatch.Metric(
                namespace="AWS/Firehose",
                metric_name="DeliveryToS3.Success",
                dimensions_map={"DeliveryStreamName": stream.delivery_stream_name},
                statistic="Minimum",
                period=FIVE_MINUTES,
            )
            self._alarm(
                f"{concern}ArchiveDelivery{index}",
                freshness,
                1,
                f"{concern}: Firehose failed to deliver to S3",
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            )
        if watched.glue_jobs:
            rule = events.Rule(
                self,
                f"{concern}GlueJobFailures",
                description="Glue job runs of the platform that failed or timed out",
                event_pattern=events.EventPattern(
                    source=["aws.glue"],
                    detail_type=["Glue Job State Change"],
                    detail={
                        "jobName": list(watched.glue_jobs),
                        "state": ["FAILED", "TIMEOUT", "ERROR"],
                    },
                ),
            )
            rule.add_target(targets.SnsTopic(self.topic))
        for index, database in enumerate(watched.databases):
            cpu = database.metric_cpu_utilization(period=FIVE_MINUTES, statistic="Maximum")
            memory = database.metric_freeable_memory(period=FIVE_MINUTES, statistic="Minimum")
            volume = database.metric(
                "VolumeBytesUsed", period=cdk.Duration.hours(1), statistic="Maximum"
            )
            self._alarm(
                f"{concern}DatabaseCpu{index}",
                cpu,
                DATABASE_CPU_PERCENT,
                f"{concern}: database CPU above {DATABASE_CPU_PERCENT} % for 15 minutes",
                evaluation_periods=3,
            )
            self._alarm(
                f"{concern}DatabaseMemory{index}",
                memory,
                DATABASE_FREEABLE_MEMORY_BYTES,
                f"{concern}: database freeable memory below 256 MiB",
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=3,
            )
            self._alarm(
                f"{concern}DatabaseVolume{index}",
                volume,
                DATABASE_VOLUME_BYTES,
                f"{concern}: database volume above 100 GiB (Aurora grows it; this is the "
                "cost and capacity warning)",
            )
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="database CPU and memory", left=[cpu], right=[memory], width=12
                ),
                cloudwatch.GraphWidget(title="database volume bytes", left=[volume], width=12),
            )
