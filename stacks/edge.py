"""The edge: the meter reader as a Greengrass V2 component version, its deployment to the
plant's core devices, and the credentials those devices get.

- **Component** ``com.pcf.MeterReader``: the artifact zip (``stacks.edge_artifact``) is an
  S3 asset; the recipe in ``greengrass_components/`` is published with the asset's bucket
  and key in place of its ``BUCKET_NAME`` placeholder, the ingestion stream's name as the
  default ``stream.kinesis_stream_name``, and a patch version that changes with the
  artifact (component versions are immutable).
- **Deployment** to the thing group ``settings.thing_group`` (its ARN is built from the
  name, nothing is looked up): the nucleus, pointed at this stack's role alias, Stream
  Manager, the token exchange service and the component. The group is created here
  when it is the default one (``pcf-<environment>-plant-cores``); a group given in
  context (``greengrassThingGroup``) must exist.
- **Token exchange role** (``credentials.iot.amazonaws.com``), reached by the devices
  through the role alias: exactly what Stream Manager's Kinesis export needs on the one
  stream (``kinesis:PutRecords``, the only call the exporter makes; the Greengrass
  developer guide's "Kinesis data streams" export requirements), ``kms:GenerateDataKey``
  on the stream's key (a producer to an encrypted stream needs it), and the artifact's
  download (``s3:GetObject`` on that object).
- **IoT policy** allowing ``iot:AssumeRoleWithCertificate`` on that role alias only: attach
  it to each core device's certificate beside its Greengrass core policy.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from aws_cdk import aws_greengrassv2 as greengrass
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from stacks.base import PcfStack
from stacks.edge_artifact import COMPONENT_DIR, COMPONENT_NAME, build_edge_artifact
from stacks.settings import DeploymentSettings

_Component = greengrass.CfnDeployment.ComponentDeploymentSpecificationProperty
_ConfigurationUpdate = greengrass.CfnDeployment.ComponentConfigurationUpdateProperty

# AWS-provided components deployed with ours, pinned so a deployment is repeatable
# (newer versions: `aws greengrassv2 list-component-versions --arn
# arn:aws:greengrass:<region>:aws:components:<name>`).
NUCLEUS_VERSION = "2.14.3"
STREAM_MANAGER_VERSION = "2.2.1"
TOKEN_EXCHANGE_VERSION = "2.0.3"

# The actions Stream Manager's Kinesis export calls on the stream (PutRecords batches).
KINESIS_EXPORT_ACTIONS = ("kinesis:PutRecords",)
_ARTIFACT_FOLDER = "{artifacts:decompressedPath}/" + COMPONENT_NAME + "/"


class EdgeStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        storage: Any,
        ingestion: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        stream = ingestion.stream
        artifact = build_edge_artifact()
        self.artifact = s3_assets.Asset(self, "MeterReaderArtifact", path=str(artifact.zip_path))

        self.token_exchange_role = iam.Role(
            self,
            "TokenExchangeRole",
            assumed_by=iam.ServicePrincipal("credentials.iot.amazonaws.com"),
            description="Greengrass core devices (token exchange): Stream Manager's export "
            "to the telemetry stream, the meter reader's artifact",
        )
        self.token_exchange_role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(KINESIS_EXPORT_ACTIONS), resources=[stream.stream_arn])
        )
        self.token_exchange_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[storage.key.key_arn])
        )
        self.token_exchange_role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.artifact.bucket.arn_for_objects(self.artifact.s3_object_key)],
            )
        )
        self.role_alias = iot.CfnRoleAlias(
            self,
            "TokenExchangeRoleAlias",
            role_alias=f"{settings.prefix}-greengrass-token-exchange",
            role_arn=self.token_exchange_role.role_arn,
            credential_duration_seconds=3600,
        )
        self.role_alias_policy = iot.CfnPolicy(
            self,
            "AssumeTokenExchangeRole",
            policy_name=f"{settings.prefix}-greengrass-assume-token-exchange",
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iot:AssumeRoleWithCertificate",
                        "Resource": self.role_alias.attr_role_alias_arn,
                    }
                ],
            },
        )

        self.component_version = f"{_major_minor(_recipe())}.{artifact.component_version_patch}"
        self.component = greengrass.CfnComponentVersion(
            self,
            "MeterReaderComponent",
            inline_recipe=self.to_json_string(
                published_recipe(
                    version=self.component_version,
                    bucket=self.artifact.s3_bucket_name,
                    key=self.artifact.s3_object_key,
                    kinesis_stream_name=stream.stream_name,
                )
            ),
        )

        if settings.greengrass_thing_group is None:
            iot.CfnThingGroup(
                self,
                "PlantCores",
                thing_group_name=settings.thing_group,
                thing_group_properties=iot.CfnThingGroup.ThingGroupPropertiesProperty(
                    thing_group_description="Greengrass core devices running the meter reader"
                ),
            )
        self.thing_group_arn = self.format_arn(
            service="iot", resource="thinggroup", resource_name=settings.thing_group
        )
        self.deployment = greengrass.CfnDeployment(
            self,
            "MeterReaderDeployment",
            target_arn=self.thing_group_arn,
            deployment_name=f"{settings.prefix}-meter-reader",
            components={
                "aws.greengrass.Nucleus": _Component(
                    component_version=NUCLEUS_VERSION,
                    configuration_update=_ConfigurationUpdate(
                        merge=self.to_json_string({"iotRoleAlias": self.role_alias.role_alias}),
                    ),
                ),
                "aws.greengrass.TokenExchangeService": _Component(
                    component_version=TOKEN_EXCHANGE_VERSION
                ),
                "aws.greengrass.StreamManager": _Component(
                    component_version=STREAM_MANAGER_VERSION
                ),
                COMPONENT_NAME: _Component(component_version=self.component.attr_component_version),
            },
            deployment_policies=greengrass.CfnDeployment.DeploymentPoliciesProperty(
                failure_handling_policy="ROLLBACK",
                component_update_policy=greengrass.CfnDeployment.DeploymentComponentUpdatePolicyProperty(
                    action="NOTIFY_COMPONENTS", timeout_in_seconds=60
                ),
            ),
        )
        for child in self.node.children:
            if isinstance(child, iot.CfnThingGroup):
                self.deployment.add_resource_dependency(child)


def _recipe() -> dict[str, Any]:
    recipe: dict[str, Any] = yaml.safe_load((COMPONENT_DIR / "recipe.yaml").read_text())
    return recipe


def _major_minor(recipe: dict[str, Any]) -> str:
    match = re.fullmatch(r"(\d+)\.(\d+)\.\d+", str(recipe["ComponentVersion"]))
    if match is None:
        raise ValueError(f"recipe ComponentVersion is not major.minor.patch: {recipe!r}")
    return f"{match[1]}.{match[2]}"


def published_recipe(
    *, version: str, bucket: str, key: str, kinesis_stream_name: str
) -> dict[str, Any]:
    """The recipe as published: version, the artifact's real S3 location (Greengrass
    unpacks it into a folder named after the object, so the lifecycle's paths follow
    the key) and the Kinesis stream the export writes to."""
    recipe = _recipe()
    recipe["ComponentVersion"] = version
    stream = recipe["ComponentConfiguration"]["DefaultConfiguration"]["stream"]
    stream["kinesis_stream_name"] = kinesis_stream_name
    folder_name = key.rsplit("/", 1)[-1].removesuffix(".zip")
    for manifest in recipe["Manifests"]:
        for artifact in manifest["Artifacts"]:
            if not str(artifact["URI"]).startswith("s3://BUCKET_NAME/"):
                raise ValueError(f"unexpected artifact URI in the recipe: {artifact['URI']}")
            artifact["URI"] = f"s3://{bucket}/{key}"
        for step in manifest["Lifecycle"].values():
            step["Script"] = step["Script"].replace(
                _ARTIFACT_FOLDER, "{artifacts:decompressedPath}/" + folder_name + "/"
            )
    return recipe
