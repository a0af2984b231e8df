"""Security across every stack of every configuration: cdk-nag clean, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Annotations, Match

from tests.infrastructure.conftest import Synthesized

# Actions AWS offers no resource-level permission for, granted on "*" by design.
RESOURCELESS_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "timestream:DescribeEndpoints",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "cloudwatch:PutMetricData",
    # QuickSight's VPC connection role looks up the subnets and groups it is given
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
}


def _policy_statements(synthesized: Synthesized) -> list[tuple[str, str, dict[str, Any]]]:
    """(stack, logical id, statement) of every IAM policy, role inline policy and
    resource policy in the templates."""
    found = []
    for stack in synthesized.system.stacks():
        resources = synthesized.template(stack).to_json().get("Resources", {})
        for logical_id, resource in resources.items():
            properties = resource.get("Properties", {})
            documents = [properties.get("PolicyDocument"), properties.get("KeyPolicy")]
            # a role's inline policies are a list; a user pool's "Policies" (its password
            # policy) is an object, not IAM
            inline = properties.get("Policies", [])
            if isinstance(inline, list):
                documents += [policy.get("PolicyDocument") for policy in inline]
            for document in documents:
                for statement in (document or {}).get("Statement", []):
                    found.append((stack.stack_name, logical_id, statement))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_unacknowledged_nag_or_template_findings(each_configuration: Synthesized) -> None:
    assert each_configuration.findings() == []


def _delegates_key_to_iam(statement: dict[str, Any]) -> bool:
    """The default key policy's statement giving the account (root) ``kms:*``: it hands
    the key's access to IAM policies, and AWS warns that a key without it can become
    unmanageable. The grants themselves are in IAM policies, checked here too."""
    principal = json.dumps(statement.get("Principal", {}))
    return statement.get("Action") == "kms:*" and ":root" in principal


def test_no_statement_grants_every_action_of_a_service(each_configuration: Synthesized) -> None:
    statements = [
        entry
        for entry in _policy_statements(each_configuration)
        if not _delegates_key_to_iam(entry[2])
    ]
    assert statements, "the templates hold policies"
    wide = [
        (stack, logical_id, action)
        for stack, logical_id, statement in statements
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action", []))
        if isinstance(action, str) and (action == "*" or action.endswith(":*"))
    ]
    assert wide == []


def test_identity_policies_name_their_resources(each_configuration: Synthesized) -> None:
    """An identity policy may use Resource "*" only for actions that take no resource."""
    unnamed = []
    for stack in each_configuration.system.stacks():
        resources = each_configuration.template(stack).to_json().get("Resources", {})
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Effect") != "Allow" or "*" not in _as_list(statement["Resource"]):
                    continue
                extra = set(_as_list(statement["Action"])) - RESOURCELESS_ACTIONS
                if extra:
                    unnamed.append((stack.stack_name, logical_id, sorted(extra)))
    assert unnamed == []


def test_synthesis_needs_no_aws_account_and_leaves_no_warnings(
    each_configuration: Synthesized,
) -> None:
    """Nothing is looked up in an account (`cdk synth` runs offline: a look-up would be
    listed as missing context), and no construct carries a warning or an error."""
    manifest = Path(each_configuration.assembly.directory) / "manifest.json"
    assert "missing" not in json.loads(manifest.read_text())
    for stack in each_configuration.system.stacks():
        annotations = Annotations.from_stack(stack)
        assert annotations.find_error("*", Match.any_value()) == []
        assert annotations.find_warning("*", Match.any_value()) == []
