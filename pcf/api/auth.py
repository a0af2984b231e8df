"""Who is calling, and may they: one token check for every route.

A request is turned into a ``Principal`` (subject and roles) by one of two
authenticators, and every route goes through the same role check:

- locally (``LocalTokens``), the ``Authorization: Bearer`` header holds an HS256 JWT this
  server issued (``pcf serve --token ROLE``), signed with a secret from
  ``PCF_TOKEN_SECRET`` or a file generated under ``var/`` (never logged);
- in the cloud (``cognito_principal``), API Gateway's Cognito authorizer has verified the
  token already and passes its claims in the request context; they are read from there,
  never from the header.

Both read the same claims: ``sub`` and ``roles`` (Cognito: a ``roles`` claim added by the
pre-token-generation trigger, or the user's ``cognito:groups``).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

TOKEN_SECRET_ENV = "PCF_TOKEN_SECRET"
DEFAULT_SECRET_FILE = Path("var/token_secret")
LOCAL_ISSUER = "pcf-local"
AUDIENCE = "pcf-api"
DEFAULT_TOKEN_SECONDS = 8 * 3600


class Role(StrEnum):
    ADMIN = "admin"  # everything
    SME = "sme"  # uploads and reading
    READER = "reader"  # footprints, dashboards, data sets
    AUDITOR = "auditor"  # reading and the audit trail
    PARTNER = "partner"  # PACT routes, published footprints only


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]


class AuthError(Exception):
    """Refused: ``status`` 401 (who are you?) or 403 (not allowed)."""

    status = 401

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Unauthenticated(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The caller named by verified claims. Unknown role names are ignored; a caller
    with no known role is refused."""
    subject = str(claims.get("sub") or claims.get("username") or claims.get("client_id") or "")
    if not subject:
        raise Unauthenticated("the token names no subject (sub)")
    raw = claims.get("roles", claims.get("cognito:groups"))
    known = {role.value for role in Role}
    roles = frozenset(Role(name) for name in _names(raw) if name in known)
    if not roles:
        raise Forbidden(f"the token carries no role this API knows ({', '.join(known)})")
    return Principal(subject, roles)


def authorize(principal: Principal, allowed: Iterable[Role]) -> None:
    """Nothing when one of the principal's roles is allowed (admin always is); else
    ``Forbidden`` naming the roles that are."""
    allowed_roles = {Role.ADMIN, *allowed}
    if principal.roles.isdisjoint(allowed_roles):
        names = ", ".join(sorted(role.value for role in allowed_roles))
        held = ", ".join(sorted(role.value for role in principal.roles))
        raise Forbidden(f"this needs one of the roles {names}; your token has {held}")


@dataclass(frozen=True)
class LocalTokens:
    """HS256 tokens issued and checked by the local server."""

    secret: bytes

    def issue(
        self, subject: str, roles: Iterable[Role], lifetime_seconds: int = DEFAULT_TOKEN_SECONDS
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "roles": sorted(Role(role).value for role in roles),
            "iat": now,
            "exp": now + lifetime_seconds,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def principal(self, authorization: str | None) -> Principal:
        """The caller of a request with this ``Authorization`` header."""
        if not authorization:
            raise Unauthenticated("missing Authorization header; send 'Bearer <token>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=["HS256"],  # pinned: never "none", never the token's own choice
                audience=AUDIENCE,
                issuer=LOCAL_ISSUER,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("the token has expired; get a new one") from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"the token is not valid ({error})") from error
        return principal_from_claims(claims)


def cognito_principal(request_context: Mapping[str, Any]) -> Principal:
    """The caller as API Gateway's Cognito user pool authorizer verified them: claims
    under ``requestContext.authorizer.claims`` (REST API)."""
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not claims:
        raise Unauthenticated("no verified claims in the request (is the authorizer set?)")
    return principal_from_claims(claims)


def token_secret(secret_file: Path = DEFAULT_SECRET_FILE) -> bytes:
    """The local signing secret: ``PCF_TOKEN_SECRET`` when set, else the content of
    ``secret_file``, created with 32 random bytes (mode 0600) the first time."""
    configured = os.environ.get(TOKEN_SECRET_ENV, "").strip()
    if configured:
        return configured.encode("utf-8")
    if not secret_file.exists():
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return secret_file.read_text(encoding="utf-8").strip().encode("utf-8")


def _names(raw: Any) -> list[str]:
    """Role names from a claim: a JSON list, or the text API Gateway makes of one
    (``"[admin sme]"``, ``"admin,sme"``)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return raw.strip("[]").replace(",", " ").split()
    if isinstance(raw, list | tuple):
        return [str(name) for name in raw]
    return []


def local_authenticator(tokens: LocalTokens) -> Callable[[APIGatewayProxyEvent], Principal]:
    """The local server's check: the bearer token in the request's headers."""

    def authenticate(event: APIGatewayProxyEvent) -> Principal:
        return tokens.principal(event.headers.get("authorization"))

    return authenticate


def cognito_authenticator(event: APIGatewayProxyEvent) -> Principal:
    """The cloud's check: the claims API Gateway's Cognito authorizer verified."""
    return cognito_principal(event.raw_event.get("requestContext") or {})
