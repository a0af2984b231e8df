"""Deployment settings: what `cdk.json` context (or `cdk deploy -c key=value`) chooses.

Every setting is read and checked here, once, so a wrong value stops `cdk synth` with a
message naming the context key instead of failing deep inside a construct. Nothing here
looks anything up in an AWS account: an existing VPC is given by its ids, a domain by
its hosted zone id and name, so `cdk synth` runs offline.

- ``environment``: name prefixed to every stack and named resource (``pcf-<environment>-...``);
  default ``dev``.
- ``account``, ``region``: where the system is deployed; default ``CDK_DEFAULT_ACCOUNT`` /
  ``CDK_DEFAULT_REGION``, then a placeholder account and ``eu-central-1``.
- ``telemetryStore``: ``postgres`` (default: telemetry windows in the database) or
  ``timestream``.
- ``vpc``: ``{"mode": "new", "maxAzs": 2, "availabilityZones"?}`` (default: 2 zones, the
  region's ``a`` and ``b``) or ``{"mode": "existing", "vpcId",
  "availabilityZones", "privateSubnetIds", "publicSubnetIds", "privateRouteTableIds",
  "publicRouteTableIds"}`` (one of each per zone).
- ``domain``: ``null`` (default) or ``{"name", "hostedZoneId", "hostedZoneName",
  "certificateArn"?}``; without ``certificateArn`` the us-east-1 stack issues one (DNS
  validation).
- ``quickSight``: ``{"enabled": bool, "principalArn": QuickSight user or group ARN}``;
  default off.
- ``alarmEmail``: address subscribed to the alarm topic (confirm the e-mail AWS sends).
- ``greengrassThingGroup``: thing group the meter component is deployed to; default
  ``pcf-<environment>-plant-cores``.
- ``removalPolicy``: ``retain`` (default; production: data outlives the stack) or
  ``destroy`` (short-lived test environments).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

# An obviously fake account: synthesis works offline, and `cdk deploy` with it fails at
# once with "credentials are for account ...", naming the fix.
PLACEHOLDER_ACCOUNT = "000000000000"
DEFAULT_REGION = "eu-central-1"
# CloudFront takes certificates and web ACLs from us-east-1 only.
CLOUDFRONT_REGION = "us-east-1"


_ZONE = r"[a-z]{2}(-[a-z]+)+-\d[a-z]"
_Choice = TypeVar("_Choice", bound=StrEnum)


class SettingsError(ValueError):
    """A context value is missing or malformed; the message names the key."""


class TelemetryStore(StrEnum):
    POSTGRES = "postgres"
    TIMESTREAM = "timestream"


class RemovalChoice(StrEnum):
    RETAIN = "retain"
    DESTROY = "destroy"


@dataclass(frozen=True)
class ExistingVpc:
    vpc_id: str
    availability_zones: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]
    private_route_table_ids: tuple[str, ...]
    public_route_table_ids: tuple[str, ...]


@dataclass(frozen=True)
class NewVpc:
    max_azs: int = 2
    # given, or the region's first zones (a, b, c): a look-up would need AWS credentials
    # at synthesis
    availability_zones: tuple[str, ...] = ()

    def zones(self, region: str) -> list[str]:
        return list(self.availability_zones) or [
            f"{region}{letter}" for letter in "abc"[: self.max_azs]
        ]


@dataclass(frozen=True)
class Domain:
    name: str  # e.g. pcf.example.com: the web app; the API at api.<name>
    hosted_zone_id: str
    hosted_zone_name: str
    certificate_arn: str | None = None  # an existing us-east-1 certificate for CloudFront

    @property
    def api_name(self) -> str:
        return f"api.{self.name}"


@dataclass(frozen=True)
class QuickSightSettings:
    enabled: bool = False
    principal_arn: str | None = None


@dataclass(frozen=True)
class DeploymentSettings:
    environment: str = "dev"
    account: str = PLACEHOLDER_ACCOUNT
    region: str = DEFAULT_REGION
    telemetry_store: TelemetryStore = TelemetryStore.POSTGRES
    vpc: NewVpc | ExistingVpc = field(default_factory=NewVpc)
    domain: Domain | None = None
    quicksight: QuickSightSettings = field(default_factory=QuickSightSettings)
    alarm_email: str | None = None
    greengrass_thing_group: str | None = None
    removal: RemovalChoice = RemovalChoice.RETAIN

    @property
    def prefix(self) -> str:
        """Prefix of stack and physical resource names: `pcf-<environment>`."""
        return f"pcf-{self.environment}"

    @property
    def thing_group(self) -> str:
        return self.greengrass_thing_group or f"{self.prefix}-plant-cores"

    @classmethod
    def from_context(cls, get: Any) -> DeploymentSettings:
        """Read the settings through ``get(key)`` (``app.node.try_get_context``)."""
        environment = _text(get("environment") or "dev", "environment")
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,15}", environment):
            raise SettingsError(
                "context 'environment' must be 1-16 lower-case letters, digits or '-', "
                f"starting with a letter (got {environment!r})"
            )
        account = str(get("account") or os.environ.get("CDK_DEFAULT_ACCOUNT") or "")
        account = account or PLACEHOLDER_ACCOUNT
        if not re.fullmatch(r"\d{12}", account):
            raise SettingsError(f"context 'account' must be 12 digits (got {account!r})")
        region = str(get("region") or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION)
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            raise SettingsError(f"context 'region' is not an AWS region name (got {region!r})")
        alarm_email = get("alarmEmail") or None
        if alarm_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", alarm_email):
            raise SettingsError(f"context 'alarmEmail' is not an e-mail address ({alarm_email!r})")
        return cls(
            environment=environment,
            account=account,
            region=region,
            telemetry_store=_choice(TelemetryStore, get("telemetryStore"), "telemetryStore"),
            vpc=_vpc(get("vpc")),
            domain=_domain(get("domain")),
            quicksight=_quicksight(get("quickSight")),
            alarm_email=alarm_email,
            greengrass_thing_group=get("greengrassThingGroup") or None,
            removal=_choice(RemovalChoice, get("removalPolicy"), "removalPolicy"),
        )


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(f"context {key!r} must be a non-empty string (got {value!r})")
    return value


def _ids(value: Any, key: str, pattern: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SettingsError(f"context {key!r} must be a non-empty list (got {value!r})")
    for item in value:
        if not isinstance(item, str) or not re.fullmatch(pattern, item):
            raise SettingsError(f"context {key!r}: {item!r} does not match {pattern}")
    return tuple(value)


def _choice(enum: type[_Choice], value: Any, key: str) -> _Choice:
    if value is None or value == "":
        return next(iter(enum))
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in enum)
        raise SettingsError(f"context {key!r} must be one of {choices} (got {value!r})") from None


def _vpc(value: Any) -> NewVpc | ExistingVpc:
    if value is None:
        return NewVpc()
    if not isinstance(value, dict):
        raise SettingsError(f"context 'vpc' must be an object (got {value!r})")
    mode = value.get("mode", "new")
    if mode == "new":
        max_azs = value.get("maxAzs", 2)
        if not isinstance(max_azs, int) or not 2 <= max_azs <= 3:
            raise SettingsError(f"context 'vpc.maxAzs' must be 2 or 3 (got {max_azs!r})")
        zones: tuple[str, ...] = ()
        if value.get("availabilityZones"):
            zones = _ids(value["availabilityZones"], "vpc.availabilityZones", _ZONE)
            if len(zones) != max_azs:
                raise SettingsError("context 'vpc.availabilityZones': give maxAzs zones")
        return NewVpc(max_azs=max_azs, availability_zones=zones)
    if mode != "existing":
        raise SettingsError(f"context 'vpc.mode' must be 'new' or 'existing' (got {mode!r})")
    vpc_id = _text(value.get("vpcId"), "vpc.vpcId")
    if not re.fullmatch(r"vpc-[0-9a-f]{8,17}", vpc_id):
        raise SettingsError(f"context 'vpc.vpcId' is not a VPC id (got {vpc_id!r})")
    zones = _ids(
        value.get("availabilityZones"), "vpc.availabilityZones", r"[a-z]{2}(-[a-z]+)+-\d[a-z]"
    )
    private = _ids(value.get("privateSubnetIds"), "vpc.privateSubnetIds", r"subnet-[0-9a-f]{8,17}")
    public = _ids(value.get("publicSubnetIds"), "vpc.publicSubnetIds", r"subnet-[0-9a-f]{8,17}")
    private_routes = _ids(
        value.get("privateRouteTableIds"), "vpc.privateRouteTableIds", r"rtb-[0-9a-f]{8,17}"
    )
    public_routes = _ids(
        value.get("publicRouteTableIds"), "vpc.publicRouteTableIds", r"rtb-[0-9a-f]{8,17}"
    )
    if any(len(ids) != len(zones) for ids in (private, public, private_routes, public_routes)):
        raise SettingsError(
            "context 'vpc': give one private and one public subnet id, and the route table "
            "id of each, per availability zone"
        )
    return ExistingVpc(vpc_id, zones, private, public, private_routes, public_routes)


def _domain(value: Any) -> Domain | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SettingsError(f"context 'domain' must be an object or null (got {value!r})")
    name = _text(value.get("name"), "domain.name")
    zone_name = _text(value.get("hostedZoneName"), "domain.hostedZoneName")
    if not (name == zone_name or name.endswith("." + zone_name)):
        raise SettingsError(
            f"context 'domain.name' {name!r} is not inside the hosted zone {zone_name!r}"
        )
    zone_id = _text(value.get("hostedZoneId"), "domain.hostedZoneId")
    certificate = value.get("certificateArn") or None
    if certificate is not None and not re.fullmatch(
        rf"arn:aws[a-z-]*:acm:{CLOUDFRONT_REGION}:\d{{12}}:certificate/[0-9a-f-]+", certificate
    ):
        raise SettingsError(
            "context 'domain.certificateArn' must be an ACM certificate in "
            f"{CLOUDFRONT_REGION} (CloudFront takes no other), got {certificate!r}"
        )
    return Domain(name, zone_id, zone_name, certificate)


def _quicksight(value: Any) -> QuickSightSettings:
    if value is None:
        return QuickSightSettings()
    if not isinstance(value, dict):
        raise SettingsError(f"context 'quickSight' must be an object (got {value!r})")
    enabled = bool(value.get("enabled", False))
    principal = value.get("principalArn") or None
    if enabled and (
        principal is None
        or not re.fullmatch(r"arn:aws[a-z-]*:quicksight:[^:]+:\d{12}:(user|group)/.+", principal)
    ):
        raise SettingsError(
            "context 'quickSight.principalArn' must be the ARN of the QuickSight user or "
            "group that owns the data sets when QuickSight is enabled"
        )
    return QuickSightSettings(enabled, principal)
