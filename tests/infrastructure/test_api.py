"""The API stack: Cognito, the REST API's routes and their authorization, validation,
throttling, access logs, WAF, the two functions' environments and permissions."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from pcf.api.auth import Role
from stacks.api import PACT_SCOPE, STAGE, TOKEN_BURST_LIMIT, TOKEN_RATE_LIMIT
from tests.infrastructure.conftest import Synthesized

PUBLIC_PATHS = {"/auth/token", "/.well-known/openid-configuration"}


def _template(synthesized: Synthesized) -> Template:
    return synthesized.template(synthesized.system.api)


def _resource_paths(template: Template) -> dict[str, str]:
    """Logical id of each API Gateway resource -> its full path."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    parents = {
        logical_id: (resource["Properties"]["ParentId"], resource["Properties"]["PathPart"])
        for logical_id, resource in resources.items()
    }

    def path(logical_id: str) -> str:
        parent, part = parents[logical_id]
        parent_id = parent.get("Ref") if isinstance(parent, dict) else None
        prefix = path(parent_id) if parent_id in parents else ""
        return f"{prefix}/{part}"

    return {logical_id: path(logical_id) for logical_id in parents}


def _methods(template: Template) -> dict[str, dict[str, Any]]:
    """'<path> <verb>' -> method properties."""
    paths = _resource_paths(template)
    found = {}
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        resource = properties["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        found[f"{path} {properties['HttpMethod']}"] = properties
    return found


def test_every_route_but_token_and_discovery_needs_the_cognito_authorizer(
    each_configuration: Synthesized,
) -> None:
    methods = _methods(_template(each_configuration))

    assert set(methods) == {
        "/{proxy+} ANY",
        "/3/{proxy+} ANY",
        "/2/{proxy+} ANY",
        "/auth/token POST",
        "/.well-known/openid-configuration GET",
    }
    for route, method in methods.items():
        path = route.split()[0]
        if path in PUBLIC_PATHS:
            assert method["AuthorizationType"] == "NONE", route
        else:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", route
            assert "AuthorizerId" in method, route
            assert method["RequestParameters"] == {"method.request.header.Authorization": True}
        assert "RequestValidatorId" in method, route


def test_pact_routes_need_an_access_token_with_the_pact_scope_and_reach_the_pact_function(
    default: Synthesized,
) -> None:
    template = _template(default)
    methods = _methods(template)
    api = default.system.api
    pact_function = api.get_logical_id(api.pact_function.function.node.default_child)  # type: ignore[arg-type]
    api_function = api.get_logical_id(api.api_function.function.node.default_child)  # type: ignore[arg-type]

    for route, method in methods.items():
        target = str(method["Integration"]["Uri"])
        assert method["Integration"]["Type"] == "AWS_PROXY"
        if route.startswith(("/3/", "/2/")):
            assert method["AuthorizationScopes"] == [PACT_SCOPE]
        else:
            assert "AuthorizationScopes" not in method
        expected = api_function if route == "/{proxy+} ANY" else pact_function
        assert expected in target, route


def test_the_authorizer_is_the_user_pool_and_validation_covers_parameters_and_body(
    default: Synthesized,
) -> None:
    template = _template(default)

    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "COGNITO_USER_POOLS",
            "IdentitySource": "method.request.header.Authorization",
            "ProviderARNs": [{"Fn::GetAtt": [Match.string_like_regexp("UserPool"), "Arn"]}],
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator",
        {"ValidateRequestParameters": True, "ValidateRequestBody": True},
    )


def test_the_stage_is_throttled_logged_traced_and_behind_the_regional_web_acl(
    default: Synthesized,
) -> None:
    template = _template(default)

    ((stage_id, stage),) = template.find_resources("AWS::ApiGateway::Stage").items()
    properties = stage["Properties"]
    assert properties["StageName"] == STAGE
    assert properties["TracingEnabled"] is True
    assert "DestinationArn" in properties["AccessLogSetting"]
    settings = {setting["ResourcePath"]: setting for setting in properties["MethodSettings"]}
    assert settings["/*"]["LoggingLevel"] == "ERROR"
    assert settings["/*"]["DataTraceEnabled"] is False
    assert settings["/*"]["ThrottlingRateLimit"] > 0
    assert settings["/~1auth~1token"]["ThrottlingRateLimit"] == TOKEN_RATE_LIMIT
    assert settings["/~1auth~1token"]["ThrottlingBurstLimit"] == TOKEN_BURST_LIMIT
    # access logs: a log group encrypted with the system key
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value(), "RetentionInDays": 365}
    )
    # WAF: regional, managed rule groups and a rate limit, on this stage
    ((acl_id, acl),) = template.find_resources("AWS::WAFv2::WebACL").items()
    assert acl["Properties"]["Scope"] == "REGIONAL"
    names = {rule["Name"] for rule in acl["Properties"]["Rules"]}
    assert {"AWSManagedRulesCommonRuleSet", "rate-limit-per-ip"} <= names
    template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation",
        {"WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]}, "ResourceArn": Match.any_value()},
    )
    association = next(iter(template.find_resources("AWS::WAFv2::WebACLAssociation").values()))
    assert stage_id in str(association["Properties"]["ResourceArn"])


def test_the_user_pool_has_a_group_per_role_mfa_and_a_client_credentials_partner(
    default: Synthesized,
) -> None:
    template = _template(default)

    groups = template.find_resources("AWS::Cognito::UserPoolGroup")
    assert {group["Properties"]["GroupName"] for group in groups.values()} == {
        role.value for role in Role
    }
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "MfaConfiguration": "ON",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UserPoolTier": "PLUS",
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolResourceServer",
        {"Identifier": "pact", "Scopes": [Match.object_like({"ScopeName": "footprints"})]},
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": [Match.any_value()],
        },
    )


def test_the_functions_get_their_settings_and_run_after_the_migrations(
    default: Synthesized,
) -> None:
    template = _template(default)
    functions = template.find_resources("AWS::Lambda::Function")

    variables = [
        function["Properties"]["Environment"]["Variables"] for function in functions.values()
    ]
    api = next(v for v in variables if "OBJECT_STORE_BUCKETS" in v)
    pact = next(v for v in variables if "PCF_PACT_SCOPE" in v)
    assert {"DATABASE_URL", "DATABASE_SECRET_ARN", "MAX_UPLOAD_BYTES"} <= set(api)
    assert pact["PCF_PACT_SCOPE"] == PACT_SCOPE
    assert {
        "DATABASE_URL",
        "DATABASE_SECRET_ARN",
        "PCF_PACT_TOKEN_ENDPOINT",
        "PCF_PACT_ISSUER",
        "PCF_PACT_CALLBACK_SECRET_ARN",
    } <= set(pact)
    for function in functions.values():
        assert function["Properties"]["VpcConfig"]["SubnetIds"]
    # the stack waits for the schema (cross-stack dependency on the storage stack)
    assert default.system.storage in default.system.api.dependencies


def test_the_api_functions_policies_name_their_resources_and_no_wildcard_actions(
    each_configuration: Synthesized,
) -> None:
    template = _template(each_configuration)

    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert all("*" not in action for action in actions), statement
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if "*" in resources:
                assert all(action.startswith(("xray:", "ec2:")) for action in actions), statement


def test_with_a_domain_the_api_has_api_dot_domain_on_tls_1_2(enterprise: Synthesized) -> None:
    template = _template(enterprise)
    domain = enterprise.settings.domain
    assert domain is not None

    template.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": domain.api_name,
            "SecurityPolicy": "TLS_1_2",
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
        },
    )
    template.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {"DomainName": domain.api_name, "ValidationMethod": "DNS"},
    )
    template.has_resource_properties(
        "AWS::Route53::RecordSet",
        {"Name": f"{domain.api_name}.", "Type": "A", "HostedZoneId": domain.hosted_zone_id},
    )
