"""What each stack hands to the monitoring stack to alarm on and chart."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sqs as sqs


@dataclass
class Monitored:
    """Resources to watch. ``stream_consumers`` are functions reading a Kinesis stream
    (their iterator age is alarmed); ``dead_letter_queues`` alarm on any message;
    ``glue_jobs`` are job names (failures alarmed through EventBridge)."""

    functions: list[lambda_.IFunction] = field(default_factory=list)
    stream_consumers: list[lambda_.IFunction] = field(default_factory=list)
    dead_letter_queues: list[sqs.IQueue] = field(default_factory=list)
    glue_jobs: list[str] = field(default_factory=list)
    delivery_streams: list[firehose.IDeliveryStream] = field(default_factory=list)
    databases: list[rds.IDatabaseCluster] = field(default_factory=list)
