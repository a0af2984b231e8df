"""cdk-nag: every stack is checked with ``AwsSolutionsChecks`` during synthesis (a CDK
policy-validation plugin: a finding fails `cdk synth`).

A finding is either fixed or acknowledged with ``acknowledge`` next to the construct it
is about, with the reason (recorded in the construct's metadata and in the cloud
assembly's validation report). An IAM finding is acknowledged per wildcard
(``applies_to``), so a wildcard added later is still reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def check_with_nag(app: cdk.App) -> None:
    """Run the AWS Solutions rules on every construct of ``app`` at synthesis."""
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(
    construct: IConstruct,
    rule_id: str,
    reason: str,
    *,
    applies_to: Sequence[str] | None = None,
) -> None:
    """Acknowledge ``rule_id`` on ``construct`` and its children, for ``reason``;
    with ``applies_to``, only those findings (``Resource::*``, ``Action::s3:Get*``...)."""
    if len(reason) < 20:
        raise ValueError(f"say why {rule_id} is acknowledged, in a sentence: {reason!r}")
    ids = [f"{rule_id}[{finding}]" for finding in applies_to] if applies_to else [rule_id]
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=reason) for rule in ids)
    )
