"""The CDK app synthesised once per configuration per test session.

Three configurations cover every setting of ``stacks.settings`` between them:

- ``default``: `cdk.json` as committed (new VPC, PostgreSQL telemetry, no domain, no
  QuickSight, no alarm e-mail, data retained).
- ``enterprise``: an existing VPC by ids, Timestream telemetry, a domain with the
  certificate issued by the us-east-1 stack, QuickSight on, alarm e-mail.
- ``disposable``: a new VPC over 3 AZs named in the context, a domain with an existing
  certificate, a named Greengrass thing group, ``removalPolicy=destroy``.

Synthesis runs cdk-nag (a failing check raises); the fixture keeps the validation report
so a test can show what failed. Lambda bundles are built once (``build/lambda``).

Asset staging is off: the cloud assembly points at the bundles where they were built
instead of copying them (about 1.6 GB per configuration), which a CI machine with a few
GB of free disk cannot afford. ``cdk synth`` and ``cdk deploy`` still stage them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import stacks  # noqa: F401 - before aws_cdk: the Node.js jsii runs on
from stacks.packaging import ROOT
from stacks.settings import DeploymentSettings
from stacks.system import System, build_system

ACCOUNT = "123456789012"
# The CDK's context key (cx-api's DISABLE_ASSET_STAGING_CONTEXT, not exported to Python).
DISABLE_ASSET_STAGING = "aws:cdk:disable-asset-staging"
EXISTING_VPC = {
    "mode": "existing",
    "vpcId": "vpc-0123456789abcdef0",
    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "publicSubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
    "privateRouteTableIds": ["rtb-0123456789abcdef0", "rtb-0123456789abcdef1"],
    "publicRouteTableIds": ["rtb-0123456789abcdef2", "rtb-0123456789abcdef2"],
}
COMMITTED_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
FEATURE_FLAGS = {key: value for key, value in COMMITTED_CONTEXT.items() if key.startswith("@")}

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": COMMITTED_CONTEXT,
    "enterprise": {
        **FEATURE_FLAGS,
        "environment": "prod",
        "account": ACCOUNT,
        "region": "eu-west-1",
        "telemetryStore": "timestream",
        "vpc": EXISTING_VPC,
        "domain": {
            "name": "pcf.example.com",
            "hostedZoneId": "Z0123456789ABCDEFGHIJ",
            "hostedZoneName": "example.com",
        },
        "quickSight": {
            "enabled": True,
            "principalArn": f"arn:aws:quicksight:eu-west-1:{ACCOUNT}:group/default/pcf-admins",
        },
        "alarmEmail": "ops@example.com",
    },
    "disposable": {
        **FEATURE_FLAGS,
        "environment": "ci",
        "account": ACCOUNT,
        "region": "us-east-2",
        "vpc": {
            "mode": "new",
            "maxAzs": 3,
            "availabilityZones": ["us-east-2a", "us-east-2b", "us-east-2c"],
        },
        "domain": {
            "name": "pcf.example.org",
            "hostedZoneId": "Z9876543210ABCDEFGHIJ",
            "hostedZoneName": "pcf.example.org",
            "certificateArn": (
                f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"
            ),
        },
        "greengrassThingGroup": "plant-7-cores",
        "removalPolicy": "destroy",
    },
}


@dataclass
class Synthesized:
    name: str
    settings: DeploymentSettings
    system: System
    assembly: cdk.cx_api.CloudAssembly
    report: dict[str, Any]

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_stack(stack)

    @staticmethod
    def logical_id(construct: Any) -> str:
        """The template's logical id of an L2 construct's (or an L1's) resource."""
        resource = getattr(construct.node, "default_child", None) or construct
        logical_id: str = cdk.Stack.of(construct).resolve(resource.logical_id)
        return logical_id

    def findings(self) -> list[str]:
        """Every validation finding not acknowledged, as 'rule at construct path'."""
        return [
            f"{violation['ruleName']} at {construct['constructPath']}"
            for plugin in self.report.get("pluginReports", [])
            for violation in plugin.get("violations", [])
            for construct in violation.get("violatingConstructs", [])
        ]


def synthesize(name: str, outdir: Path) -> Synthesized:
    context = {**CONFIGURATIONS[name], DISABLE_ASSET_STAGING: True}
    app = cdk.App(context=context, outdir=str(outdir))
    settings = DeploymentSettings.from_context(app.node.try_get_context)
    system = build_system(app, settings)
    try:
        assembly = app.synth()
    except RuntimeError as error:
        report_file = outdir / "validation-report.json"
        report = report_file.read_text() if report_file.exists() else ""
        raise AssertionError(f"{name}: synthesis failed: {error}\n{report[:20000]}") from None
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return Synthesized(name, settings, system, assembly, report)


_synthesized: dict[str, Synthesized] = {}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``synthesized(name)``: the configuration synthesised (once per session)."""

    def get(name: str) -> Synthesized:
        if name not in _synthesized:
            _synthesized[name] = synthesize(name, tmp_path_factory.mktemp(f"cdk-{name}"))
        return _synthesized[name]

    yield get


@pytest.fixture(scope="session", params=list(CONFIGURATIONS))
def each_configuration(request: pytest.FixtureRequest, synthesized: Any) -> Synthesized:
    """Every configuration in turn."""
    result: Synthesized = synthesized(request.param)
    return result


@pytest.fixture(scope="session")
def default(synthesized: Any) -> Synthesized:
    result: Synthesized = synthesized("default")
    return result


@pytest.fixture(scope="session")
def enterprise(synthesized: Any) -> Synthesized:
    result: Synthesized = synthesized("enterprise")
    return result


@pytest.fixture(scope="session")
def disposable(synthesized: Any) -> Synthesized:
    result: Synthesized = synthesized("disposable")
    return result
