"""Tokens and roles: the local HS256 tokens and Cognito's claims reach the same check."""

from __future__ import annotations

import jwt
import pytest

from pcf.api.auth import (
    AUDIENCE,
    LOCAL_ISSUER,
    Forbidden,
    LocalTokens,
    Principal,
    Role,
    Unauthenticated,
    authorize,
    cognito_principal,
)

TOKENS = LocalTokens(b"unit test secret".ljust(32, b"."))


def test_an_issued_token_names_its_subject_and_roles() -> None:
    token = TOKENS.issue("alice", [Role.SME, Role.READER])

    assert TOKENS.principal(f"Bearer {token}") == Principal(
        "alice", frozenset({Role.SME, Role.READER})
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing Authorization"),
        ("Basic abc", "Bearer <token>"),
        ("Bearer not.a.token", "not valid"),
    ],
)
def test_a_missing_or_malformed_header_is_unauthenticated(header: str | None, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        TOKENS.principal(header)


def test_a_token_signed_with_another_secret_or_expired_or_unsigned_is_refused() -> None:
    other = LocalTokens(b"another secret".ljust(32, b".")).issue("mallory", [Role.ADMIN])
    expired = TOKENS.issue("alice", [Role.SME], lifetime_seconds=-10)
    unsigned = jwt.encode(
        {"sub": "mallory", "roles": ["admin"], "iss": LOCAL_ISSUER, "aud": AUDIENCE, "exp": 2**40},
        key=None,
        algorithm="none",
    )

    with pytest.raises(Unauthenticated, match="not valid"):
        TOKENS.principal(f"Bearer {other}")
    with pytest.raises(Unauthenticated, match="expired"):
        TOKENS.principal(f"Bearer {expired}")
    with pytest.raises(Unauthenticated, match="not valid"):
        TOKENS.principal(f"Bearer {unsigned}")


def test_a_token_without_a_known_role_is_forbidden() -> None:
    token = TOKENS.issue("bob", [])
    with pytest.raises(Forbidden, match="no role"):
        TOKENS.principal(f"Bearer {token}")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u1", "roles": "[sme reader]"},
        {"sub": "u1", "roles": "sme,reader"},
        {"sub": "u1", "cognito:groups": ["sme", "reader", "unrelated-group"]},
    ],
)
def test_cognito_claims_from_the_authorizer_give_the_same_principal(
    claims: dict[str, object],
) -> None:
    principal = cognito_principal({"authorizer": {"claims": claims}})

    assert principal == Principal("u1", frozenset({Role.SME, Role.READER}))


def test_without_authorizer_claims_the_cloud_caller_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated):
        cognito_principal({})


def test_roles_are_checked_and_admin_may_do_everything() -> None:
    reader = Principal("r", frozenset({Role.READER}))
    admin = Principal("a", frozenset({Role.ADMIN}))

    authorize(reader, [Role.READER, Role.SME])
    authorize(admin, [Role.SME])
    with pytest.raises(Forbidden, match="admin, sme; your token has reader"):
        authorize(reader, [Role.SME])
