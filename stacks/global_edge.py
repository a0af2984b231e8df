"""Global edge (us-east-1): what CloudFront takes from that region only.

- The web ACL of the web app's distribution (scope CLOUDFRONT): AWS managed rule groups
  (common, known bad inputs, Amazon IP reputation) and a rate limit per client IP.
- The distribution's certificate when a domain is given: the one named by
  ``domain.certificateArn``, or a new one validated through the hosted zone (DNS).

The web stack reads both through ``cross_region_references``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.base import PcfStack
from stacks.settings import DeploymentSettings

# Requests per client IP in any 5-minute window before the rate rule blocks it: far above
# what a person clicking through the web app sends, low enough to stop a flood.
WEB_RATE_LIMIT_PER_5_MINUTES = 2000
API_RATE_LIMIT_PER_5_MINUTES = 1000

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


def managed_web_acl(
    scope: Construct,
    construct_id: str,
    *,
    waf_scope: str,
    name: str,
    rate_limit_per_5_minutes: int,
    large_bodies: bool = False,
) -> wafv2.CfnWebACL:
    """A web ACL that allows by default, with the AWS managed rule groups and a rate
    limit per client IP. ``large_bodies``: the common rule set's 8 KB body limit is
    counted, not enforced (the API takes small files inline in the body, and the
    Lambda behind it checks sizes itself)."""

    def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
        )

    rules: list[wafv2.CfnWebACL.RuleProperty] = [
        wafv2.CfnWebACL.RuleProperty(
            name="rate-limit-per-ip",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=rate_limit_per_5_minutes, aggregate_key_type="IP"
                )
            ),
            visibility_config=visibility(f"{name}-rate-limit"),
        )
    ]
    for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        overrides = (
            [
                wafv2.CfnWebACL.RuleActionOverrideProperty(
                    name="SizeRestrictions_BODY",
                    action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}),
                )
            ]
            if large_bodies and group == "AWSManagedRulesCommonRuleSet"
            else None
        )
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group, rule_action_overrides=overrides
                    )
                ),
                visibility_config=visibility(f"{name}-{group}"),
            )
        )
    return wafv2.CfnWebACL(
        scope,
        construct_id,
        name=name,
        scope=waf_scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(name),
        rules=rules,
    )


class GlobalEdgeStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        self.web_acl = managed_web_acl(
            self,
            "WebAcl",
            waf_scope="CLOUDFRONT",
            name=f"{settings.prefix}-web",
            rate_limit_per_5_minutes=WEB_RATE_LIMIT_PER_5_MINUTES,
            large_bodies=True,
        )
        self.certificate: acm.ICertificate | None = None
        domain = settings.domain
        if domain is not None and domain.certificate_arn is not None:
            self.certificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", domain.certificate_arn
            )
        elif domain is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=domain.hosted_zone_id,
                zone_name=domain.hosted_zone_name,
            )
            self.certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=domain.name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
