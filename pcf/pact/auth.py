"""PACT partners' credentials: OAuth2 client credentials (RFC 6749 4.4) exchanged at
``/auth/token`` for a bearer token carrying the partner role.

Locally the server checks the client id and secret itself and issues the same kind of
token as every other route accepts (``pcf.api.auth.LocalTokens``), so PACT routes go
through the one token check. In the cloud, ``/auth/token`` forwards to Cognito's token
endpoint (a client-credentials app client per partner).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

PACT_TOKEN_SECONDS = 3600
# PCF_PACT_CLIENTS="client-a:secret-a client-b:secret-b" (local server only)
PACT_CLIENTS_ENV = "PCF_PACT_CLIENTS"


class InvalidClient(Exception):
    """Client authentication failed (OAuth2 ``invalid_client``)."""


class UnsupportedGrant(Exception):
    """Only ``client_credentials`` is granted (OAuth2 ``unsupported_grant_type``)."""


@dataclass(frozen=True)
class PactClients:
    """The partners allowed to ask for tokens: client id -> secret."""

    secrets: Mapping[str, str]

    def client_of(self, authorization: str | None) -> str:
        """The client id of a request with this ``Authorization: Basic`` header, when
        its secret is right; else ``InvalidClient`` (never saying which part was wrong)."""
        scheme, _, encoded = (authorization or "").strip().partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("send the client id and secret as HTTP Basic authentication")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise InvalidClient("the Basic credentials are not base64 'id:secret'") from error
        client_id, separator, secret = decoded.partition(":")
        expected = self.secrets.get(client_id)
        # compared even for an unknown id, so timing does not tell which ids exist
        matches = hmac.compare_digest(secret.encode(), (expected or "\0").encode())
        if not separator or expected is None or not matches:
            raise InvalidClient("client authentication failed")
        return client_id

    @classmethod
    def from_environment(cls) -> PactClients:
        """The clients in ``PCF_PACT_CLIENTS`` ("id:secret id:secret"); none when unset."""
        pairs = os.environ.get(PACT_CLIENTS_ENV, "").split()
        return cls(dict(pair.partition(":")[::2] for pair in pairs if ":" in pair))


def check_grant(form: Mapping[str, list[str]]) -> None:
    """The token request's form asks for client credentials; else ``UnsupportedGrant``."""
    grant = form.get("grant_type", [""])[-1]
    if grant != "client_credentials":
        raise UnsupportedGrant(f'grant_type "{grant}" is not supported; use client_credentials')
