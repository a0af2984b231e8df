"""CalculationStack: to be built (skeleton wired into stacks.system)."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks.base import PcfStack
from stacks.settings import DeploymentSettings


class CalculationStack(PcfStack):
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
