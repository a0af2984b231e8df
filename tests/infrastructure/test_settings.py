"""Deployment settings from the CDK context: defaults, and errors that name the key."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.settings import (
    PLACEHOLDER_ACCOUNT,
    DeploymentSettings,
    ExistingVpc,
    NewVpc,
    RemovalChoice,
    SettingsError,
    TelemetryStore,
)
from tests.infrastructure.conftest import CONFIGURATIONS


def settings(context: dict[str, Any]) -> DeploymentSettings:
    return DeploymentSettings.from_context(context.get)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    monkeypatch.delenv("CDK_DEFAULT_REGION", raising=False)
    chosen = settings({})
    assert chosen.prefix == "pcf-dev"
    assert chosen.account == PLACEHOLDER_ACCOUNT
    assert chosen.region == "eu-central-1"
    assert chosen.telemetry_store is TelemetryStore.POSTGRES
    assert chosen.vpc == NewVpc(max_azs=2)
    assert chosen.domain is None and not chosen.quicksight.enabled
    assert chosen.removal is RemovalChoice.RETAIN
    assert chosen.thing_group == "pcf-dev-plant-cores"


def test_enterprise_configuration_reads_every_setting() -> None:
    chosen = settings(CONFIGURATIONS["enterprise"])
    assert isinstance(chosen.vpc, ExistingVpc)
    assert chosen.vpc.private_subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert chosen.telemetry_store is TelemetryStore.TIMESTREAM
    assert chosen.domain is not None and chosen.domain.api_name == "api.pcf.example.com"
    assert chosen.quicksight.enabled
    assert chosen.alarm_email == "ops@example.com"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"environment": "Prod!"}, "'environment'"),
        ({"account": "12345"}, "'account' must be 12 digits"),
        ({"region": "europe"}, "'region'"),
        ({"telemetryStore": "influx"}, "'telemetryStore' must be one of 'postgres', 'timestream'"),
        ({"vpc": {"mode": "existing", "vpcId": "vpc-1"}}, "'vpc.vpcId'"),
        (
            {
                "vpc": {
                    **CONFIGURATIONS["enterprise"]["vpc"],
                    "publicSubnetIds": ["subnet-0123456789abcdef2"],
                }
            },
            "one private and one public subnet id, and the route table id of each",
        ),
        (
            {
                "domain": {
                    "name": "pcf.example.com",
                    "hostedZoneId": "Z1",
                    "hostedZoneName": "other.org",
                }
            },
            "is not inside the hosted zone",
        ),
        (
            {
                "domain": {
                    "name": "pcf.example.com",
                    "hostedZoneId": "Z1",
                    "hostedZoneName": "example.com",
                    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
                }
            },
            "must be an ACM certificate in us-east-1",
        ),
        ({"quickSight": {"enabled": True}}, "'quickSight.principalArn'"),
        ({"alarmEmail": "not-an-address"}, "'alarmEmail'"),
        ({"removalPolicy": "keep"}, "'removalPolicy'"),
    ],
)
def test_a_wrong_value_names_its_key(context: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        settings(context)
