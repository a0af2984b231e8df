"""The network: a VPC (new, or an existing one given by ids: no look-ups), the security
group of everything that talks to the database, and VPC endpoints so that traffic to S3
and the AWS APIs the functions call stays inside AWS's network.

A new VPC has public subnets (NAT gateway), private subnets with egress (Lambda
functions: PACT callbacks go out to partners' URLs) and isolated subnets (the
database). One NAT gateway: the cheapest that works; a NAT per AZ is a one-line change
for production traffic that must survive an AZ outage. VPC flow logs go to CloudWatch.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.base import PcfStack
from stacks.functions import LOG_RETENTION, Placement
from stacks.nag import acknowledge
from stacks.settings import DeploymentSettings, ExistingVpc

# Interface endpoints for the AWS APIs functions in the VPC call (S3 has a gateway one).
INTERFACE_ENDPOINTS = {
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Kinesis": ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
    "Firehose": ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
}


class NetworkStack(PcfStack):
    vpc: ec2.IVpc

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        if isinstance(settings.vpc, ExistingVpc):
            # From the ids in the context, so synthesis needs no account access. The
            # existing VPC's private subnets must reach the AWS APIs (NAT or endpoints).
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=settings.vpc.vpc_id,
                availability_zones=list(settings.vpc.availability_zones),
                private_subnet_ids=list(settings.vpc.private_subnet_ids),
                public_subnet_ids=list(settings.vpc.public_subnet_ids),
                private_subnet_route_table_ids=list(settings.vpc.private_route_table_ids),
                public_subnet_route_table_ids=list(settings.vpc.public_route_table_ids),
            )
        else:
            vpc = ec2.Vpc(
                self,
                "Vpc",
                availability_zones=settings.vpc.zones(settings.region),
                nat_gateways=1,
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                    ),
                    ec2.SubnetConfiguration(
                        name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                    ),
                    ec2.SubnetConfiguration(
                        name="database", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=26
                    ),
                ],
                flow_logs={
                    "all": ec2.FlowLogOptions(
                        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                            logs.LogGroup(self, "FlowLogs", retention=LOG_RETENTION)
                        ),
                        traffic_type=ec2.FlowLogTrafficType.ALL,
                    )
                },
                restrict_default_security_group=True,
            )
            acknowledge(
                vpc,
                "CloudFormation-Validate::W3010",
                "The availability zones are named from the settings on purpose: a look-up "
                "(Fn::GetAZs at synthesis) would need AWS credentials, and `cdk synth` runs "
                "offline; vpc.availabilityZones in the context chooses others.",
            )
            vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
            for name, service in INTERFACE_ENDPOINTS.items():
                endpoint = vpc.add_interface_endpoint(
                    name,
                    service=service,
                    subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                )
                acknowledge(
                    endpoint,
                    "AwsSolutions-EC23",
                    "The endpoint's group admits HTTPS from the VPC's own CIDR only (a "
                    "token cdk-nag cannot resolve, hence its error).",
                )
            self.vpc = vpc
        self.database_clients = ec2.SecurityGroup(
            self,
            "DatabaseClients",
            vpc=self.vpc,
            description="Lambda functions and Glue jobs that connect to the PostgreSQL database",
            allow_all_outbound=True,
        )

    @property
    def placement(self) -> Placement:
        """Where a function that reaches the database runs."""
        return Placement(self.vpc, self.database_clients)

    @property
    def database_subnets(self) -> ec2.SubnetSelection:
        """The isolated subnets of a new VPC; an existing VPC's private subnets."""
        if isinstance(self.settings.vpc, ExistingVpc):
            return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
