"""The web stack: the bucket read through OAC only, the distribution (WAF, TLS, headers,
logs, the API on /api), the deployed app with its generated config, the records."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template

from stacks.web import API_PATH, LOG_PREFIX
from tests.infrastructure.conftest import Synthesized


def _template(synthesized: Synthesized) -> Template:
    return synthesized.template(synthesized.system.web)


def _distribution(template: Template) -> dict[str, Any]:
    (distribution,) = template.find_resources("AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def test_the_bucket_is_private_tls_only_and_read_by_cloudfront_through_oac(
    default: Synthesized,
) -> None:
    template = _template(default)

    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "web/"}),
        },
    )
    template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always"}
            )
        },
    )
    (policy,) = template.find_resources("AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    reads = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in reads] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in json.dumps(reads[0]["Condition"])
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    s3_origin = next(
        origin for origin in _distribution(template)["Origins"] if "S3OriginConfig" in origin
    )
    assert "OriginAccessControlId" in s3_origin


def test_the_distribution_has_the_web_acl_logs_and_redirects_to_https(
    each_configuration: Synthesized,
) -> None:
    config = _distribution(_template(each_configuration))

    assert "WebACLId" in config
    assert config["Logging"]["Prefix"] == LOG_PREFIX
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]


def test_with_a_domain_it_serves_it_on_tls_1_2_with_alias_records(
    enterprise: Synthesized, disposable: Synthesized
) -> None:
    for synthesized in (enterprise, disposable):
        domain = synthesized.settings.domain
        assert domain is not None
        template = _template(synthesized)
        config = _distribution(template)

        assert config["Aliases"] == [domain.name]
        assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
        assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
        for record_type in ("A", "AAAA"):
            template.has_resource_properties(
                "AWS::Route53::RecordSet",
                {
                    "Name": f"{domain.name}.",
                    "Type": record_type,
                    "HostedZoneId": domain.hosted_zone_id,
                    "AliasTarget": Match.object_like({"HostedZoneId": Match.any_value()}),
                },
            )


def test_api_paths_go_to_api_gateway_uncached_with_the_callers_headers(
    default: Synthesized,
) -> None:
    template = _template(default)
    config = _distribution(template)

    (behavior,) = config["CacheBehaviors"]
    assert behavior["PathPattern"] == f"{API_PATH}/*"
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert set(behavior["AllowedMethods"]) >= {"GET", "POST", "PUT", "DELETE", "OPTIONS"}
    # AWS managed policies: CachingDisabled and AllViewerExceptHostHeader
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    api_origin = next(o for o in config["Origins"] if o["Id"] == behavior["TargetOriginId"])
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api_origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    functions = template.find_resources("AWS::CloudFront::Function")
    codes = [f["Properties"]["FunctionCode"] for f in functions.values()]
    assert any(f"substring({len(API_PATH)})" in code for code in codes)
    assert any('"/app/index.html"' in code for code in codes)


def test_responses_carry_the_web_apps_security_headers(default: Synthesized) -> None:
    template = _template(default)

    (policy,) = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "connect-src 'self' https://",
    ):
        assert directive in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 365 * 24 * 3600
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}


def test_the_app_is_deployed_with_a_generated_config_and_a_pkce_client(
    default: Synthesized,
) -> None:
    template = _template(default)

    (deployment,) = template.find_resources("Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    assert properties["DestinationBucketKeyPrefix"] == "app/"
    assert len(properties["SourceObjectKeys"]) == 2  # web/ and the generated config.js
    markers = json.dumps(properties.get("SourceMarkers", []))
    assert "clientId" not in markers  # config goes in the object, tokens in markers
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "AllowedOAuthFlows": ["code"],
            "CallbackURLs": [Match.any_value()],
            "SupportedIdentityProviders": ["COGNITO"],
        },
    )


def test_the_web_app_client_calls_back_to_the_domain_when_there_is_one(
    enterprise: Synthesized,
) -> None:
    domain = enterprise.settings.domain
    assert domain is not None

    _template(enterprise).has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {"CallbackURLs": [f"https://{domain.name}/app/"]},
    )
