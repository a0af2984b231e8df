"""cdk-nag: every stack is checked with ``AwsSolutionsChecks`` during synthesis.

A finding is either fixed or acknowledged with ``acknowledge`` next to the construct it
is about, with the reason; ``tests/infrastructure`` fails on any finding left
unacknowledged (cdk-nag reports them as error annotations).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct


def acknowledge(
    construct: IConstruct,
    rule_id: str,
    reason: str,
    *,
    applies_to: Sequence[str] | None = None,
    children: bool = True,
) -> None:
    """Acknowledge ``rule_id`` on ``construct`` (and its children) for ``reason``.

    ``applies_to`` narrows an IAM finding to the named wildcard resources or actions, so
    a wildcard added later is still reported."""
    if len(reason) < 20:
        raise ValueError(f"say why {rule_id} is acknowledged, in a sentence: {reason!r}")
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(id=rule_id, reason=reason, applies_to=list(applies_to))
            if applies_to
            else NagPackSuppression(id=rule_id, reason=reason)
        ],
        apply_to_children=children,
    )
