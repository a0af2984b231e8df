"""What every stack of the app has: its settings and what it hands to monitoring."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from stacks.monitored import Monitored
from stacks.settings import DeploymentSettings, ExistingVpc, RemovalChoice


class PcfStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.monitored = Monitored()

    @property
    def availability_zones(self) -> list[str]:
        """The zones the settings name (overrides the CDK's look-up, which would need
        AWS credentials at synthesis: `cdk synth` runs offline)."""
        vpc = self.settings.vpc
        if isinstance(vpc, ExistingVpc):
            return list(vpc.availability_zones)
        return vpc.zones(self.settings.region)

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """What happens to stateful resources (buckets, database, keys) on stack deletion."""
        if self.settings.removal is RemovalChoice.DESTROY:
            return cdk.RemovalPolicy.DESTROY
        return cdk.RemovalPolicy.RETAIN
