"""The edge stack: the published recipe, the deployment, the token exchange role."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from stacks.edge import KINESIS_EXPORT_ACTIONS
from tests.infrastructure.conftest import Synthesized


def _one(template: Template, kind: str) -> dict[str, Any]:
    found = template.find_resources(kind)
    assert len(found) == 1, found
    return next(iter(found.values()))


def _recipe_text(template: Template) -> str:
    recipe = _one(template, "AWS::GreengrassV2::ComponentVersion")["Properties"]["InlineRecipe"]
    return json.dumps(recipe)


def test_the_recipe_is_published_with_the_real_artifact_location_and_stream(
    default: Synthesized,
) -> None:
    template = default.template(default.system.edge)

    recipe = _recipe_text(template)

    assert "BUCKET_NAME" not in recipe
    assert "cdk-hnb659fds-assets" in recipe  # the asset bucket
    assert f"{default.system.edge.artifact.s3_object_key}" in recipe
    assert "kinesis_stream_name" in recipe and "Fn::ImportValue" in recipe  # ingestion's stream
    folder = default.system.edge.artifact.s3_object_key.removesuffix(".zip")
    assert "{artifacts:decompressedPath}/" + folder + "/main.py" in recipe


def test_the_deployment_targets_the_thing_group_with_the_component_and_its_dependencies(
    default: Synthesized, disposable: Synthesized
) -> None:
    for synthesized, group in ((default, "pcf-dev-plant-cores"), (disposable, "plant-7-cores")):
        template = synthesized.template(synthesized.system.edge)
        deployment = _one(template, "AWS::GreengrassV2::Deployment")["Properties"]

        assert deployment["TargetArn"].endswith(f":thinggroup/{group}")
        assert set(deployment["Components"]) == {
            "aws.greengrass.Nucleus",
            "aws.greengrass.StreamManager",
            "aws.greengrass.TokenExchangeService",
            "com.pcf.MeterReader",
        }
        merge = deployment["Components"]["aws.greengrass.Nucleus"]["ConfigurationUpdate"]["Merge"]
        assert "iotRoleAlias" in json.dumps(merge)
    # the default group is the stack's; a named one is the deployer's
    assert len(default.template(default.system.edge).find_resources("AWS::IoT::ThingGroup")) == 1
    assert not disposable.template(disposable.system.edge).find_resources("AWS::IoT::ThingGroup")


def test_the_token_exchange_role_may_export_to_the_one_stream_and_fetch_the_artifact(
    default: Synthesized,
) -> None:
    template = default.template(default.system.edge)
    role = _one(template, "AWS::IAM::Role")["Properties"]
    statements = _one(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]

    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "credentials.iot.amazonaws.com"
    }
    by_service = {}
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        for action in actions:
            by_service.setdefault(action.split(":")[0], []).append((action, statement["Resource"]))
    assert [a for a, _ in by_service["kinesis"]] == list(KINESIS_EXPORT_ACTIONS)
    stream_arn = json.dumps(by_service["kinesis"][0][1])
    assert "Fn::ImportValue" in stream_arn and "Telemetry" in stream_arn  # the one stream
    assert [a for a, _ in by_service["kms"]] == ["kms:GenerateDataKey"]
    assert [a for a, _ in by_service["s3"]] == ["s3:GetObject"]
    assert default.system.edge.artifact.s3_object_key in json.dumps(by_service["s3"][0][1])
    assert set(by_service) == {"kinesis", "kms", "s3"}


def test_the_role_alias_policy_allows_only_assuming_that_role_alias(default: Synthesized) -> None:
    template = default.template(default.system.edge)
    alias = _one(template, "AWS::IoT::RoleAlias")
    logical_id = next(iter(template.find_resources("AWS::IoT::RoleAlias")))

    policy = _one(template, "AWS::IoT::Policy")["Properties"]["PolicyDocument"]

    assert alias["Properties"]["RoleAlias"] == "pcf-dev-greengrass-token-exchange"
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "iot:AssumeRoleWithCertificate",
            "Resource": {"Fn::GetAtt": [logical_id, "RoleAliasArn"]},
        }
    ]
