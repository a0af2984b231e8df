"""The us-east-1 stack: CloudFront's web ACL, and the certificate when a domain is given."""

from __future__ import annotations

from aws_cdk.assertions import Match

from stacks.global_edge import MANAGED_RULE_GROUPS, WEB_RATE_LIMIT_PER_5_MINUTES
from stacks.settings import CLOUDFRONT_REGION
from tests.infrastructure.conftest import Synthesized


def test_the_web_acl_is_for_cloudfront_with_managed_rules_and_a_rate_limit(
    each_configuration: Synthesized,
) -> None:
    stack = each_configuration.system.global_edge
    template = each_configuration.template(stack)

    assert stack.region == CLOUDFRONT_REGION
    (acl,) = template.find_resources("AWS::WAFv2::WebACL").values()
    properties = acl["Properties"]
    assert properties["Scope"] == "CLOUDFRONT"
    assert properties["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in properties["Rules"]}
    for group in MANAGED_RULE_GROUPS:
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
        assert rules[group]["OverrideAction"] == {"None": {}}
    rate = rules["rate-limit-per-ip"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": WEB_RATE_LIMIT_PER_5_MINUTES,
        "AggregateKeyType": "IP",
    }
    assert all(rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] for rule in rules.values())


def test_no_domain_no_certificate(default: Synthesized) -> None:
    template = default.template(default.system.global_edge)

    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    assert default.system.global_edge.certificate is None


def test_a_domain_without_a_certificate_gets_one_validated_in_its_zone(
    enterprise: Synthesized,
) -> None:
    domain = enterprise.settings.domain
    assert domain is not None and domain.certificate_arn is None
    template = enterprise.template(enterprise.system.global_edge)

    template.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": domain.name,
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [
                Match.object_like(
                    {"DomainName": domain.name, "HostedZoneId": domain.hosted_zone_id}
                )
            ],
        },
    )


def test_a_given_certificate_is_used_as_it_is(disposable: Synthesized) -> None:
    domain = disposable.settings.domain
    assert domain is not None and domain.certificate_arn is not None
    template = disposable.template(disposable.system.global_edge)

    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    certificate = disposable.system.global_edge.certificate
    assert certificate is not None
    assert certificate.certificate_arn == domain.certificate_arn
