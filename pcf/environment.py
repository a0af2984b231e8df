"""Settings a Lambda function reads from its environment at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict


class EnvironmentSettings(BaseModel):
    """Base of a function's settings: fields named by their variables (aliases),
    validated once at cold start, so a missing or wrong variable fails there. Other
    variables (the runtime's own) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> Self:
        """The settings from ``environment`` (default: this process's)."""
        return cls.model_validate(dict(os.environ if environment is None else environment))
