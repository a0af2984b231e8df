"""The one way this app defines a Lambda function: a bundle from ``stacks.packaging``, the
Python 3.14 runtime on Graviton, X-Ray tracing, its own KMS-encrypted log group with a
retention, environment variables encrypted with the system key, and (when it talks to
the database) the private subnets and the database's client security group.

Every function's role starts with only the managed basic-execution rights (logs) and the
VPC-access rights when in the VPC; whatever else it may touch is granted next to the
resource by the stack that wires it (``bucket.grant_read(function)``, ...), so each
grant names its resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.nag import acknowledge
from stacks.packaging import build_bundle

LOG_RETENTION = logs.RetentionDays.ONE_YEAR
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
DEFAULT_TIMEOUT = cdk.Duration.seconds(30)


@dataclass(frozen=True)
class Placement:
    """Where a function that reaches the database runs: the private subnets, in the
    security group the database admits."""

    vpc: ec2.IVpc
    security_group: ec2.ISecurityGroup


class PcfFunction(Construct):
    """A Lambda function running ``lambdas/<bundle>/handler.py``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bundle: str,
        description: str,
        key: kms.IKey,
        environment: Mapping[str, str] | None = None,
        placement: Placement | None = None,
        timeout: cdk.Duration = DEFAULT_TIMEOUT,
        memory_mb: int = 512,
        reserved_concurrency: int | None = None,
        handler: str = "handler.lambda_handler",
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            encryption_key=key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (Lambda execution role)",
        )
        vpc_arguments: dict[str, object] = {}
        if placement is not None:
            vpc_arguments = {
                "vpc": placement.vpc,
                "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                "security_groups": [placement.security_group],
            }
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(build_bundle(bundle))),
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_mb,
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                "POWERTOOLS_SERVICE_NAME": "pcf",
                "POWERTOOLS_METRICS_NAMESPACE": "PCF",
                **(environment or {}),
            },
            environment_encryption=key,
            **vpc_arguments,  # type: ignore[arg-type]
        )
        # Logs: only to its own log group; tracing: X-Ray's write API takes no resource.
        self.log_group.grant_write(self.role)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            )
        )
        if placement is not None:
            # Lambda creates and deletes the function's network interfaces in the VPC;
            # these EC2 actions do not support resource-level permissions.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=["*"],
                )
            )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords and the EC2 network-interface "
            "actions Lambda needs in a VPC support no resource-level permissions; the log "
            "group grant is to this function's own log group and its streams.",
            applies_to=["Resource::*", f"Resource::<{_logical_id_hint(self.log_group)}>:*"],
        )

    @property
    def name(self) -> str:
        return self.function.function_name


def _logical_id_hint(log_group: logs.LogGroup) -> str:
    stack = cdk.Stack.of(log_group)
    return stack.get_logical_id(log_group.node.default_child)  # type: ignore[arg-type]


def grant_actions(
    principal: iam.IGrantable, actions: Sequence[str], resources: Sequence[str]
) -> None:
    """Allow ``actions`` on exactly ``resources`` (never a bare ``*`` action)."""
    if any("*" in action for action in actions):
        raise ValueError(f"wildcard actions are not granted: {actions}")
    iam.Grant.add_to_principal(
        grantee=principal, actions=list(actions), resource_arns=list(resources)
    )
