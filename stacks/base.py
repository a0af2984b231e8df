"""What every stack of the app has: its settings and what it hands to monitoring."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from stacks.monitored import Monitored
from stacks.settings import DeploymentSettings, RemovalChoice


class PcfStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.monitored = Monitored()

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """What happens to stateful resources (buckets, database, keys) on stack deletion."""
        if self.settings.removal is RemovalChoice.DESTROY:
            return cdk.RemovalPolicy.DESTROY
        return cdk.RemovalPolicy.RETAIN
