"""The PACT API behind API Gateway: what the local server wires (``pcf.pact.settings``),
in the cloud.

- **Tokens.** Each partner is a Cognito app client with the client-credentials grant
  and the PACT scope. ``POST /auth/token`` on our API host (PACT wants the token
  endpoint there) forwards the partner's Basic credentials to the user pool domain's
  ``/oauth2/token`` and answers in PACT's shape (``access_token``, ``token_type``,
  ``expires_in``); Cognito's refusals come back as OAuth2 errors (``invalid_client`` is
  401 with ``WWW-Authenticate: Basic``). We never see a secret we could keep.
- **Checking tokens.** API Gateway's Cognito authorizer verifies the access token
  (signature against the pool's JWKS, expiry, issuer) and requires the PACT scope on
  every ``/2/...`` and ``/3/...`` method, before the Lambda runs. The Lambda reads the
  verified claims from the request context (never the header) and admits an access
  token carrying the scope as the partner. Verifying a second time in the Lambda would
  add a JWKS fetch to every cold start and prove nothing API Gateway did not.
- **Discovery.** ``/.well-known/openid-configuration`` names our ``/auth/token`` (with
  the stage or base path the request came through), Cognito's issuer and JWKS, RS256.
- **Events.** A footprint request is answered before the 200 is returned (a Lambda
  freezes once it has answered, so there is no "after"), with short retries that fit in
  API Gateway's 29 s. Our credentials at partners' token endpoints come from a Secrets
  Manager secret (``PCF_PACT_CALLBACK_CREDENTIALS``' format), read at cold start.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field, field_validator

from pcf.adapters.postgres.connection import create_engine
from pcf.api.auth import Forbidden, Principal, Role, Unauthenticated
from pcf.environment import EnvironmentSettings
from pcf.observability import logger
from pcf.pact.auth import PactClients, UnsupportedGrant, check_grant
from pcf.pact.callbacks import CallbackCredentials, EventSender
from pcf.pact.published import lifecycle_of, published_footprints
from pcf.pact.routes import PactDependencies, api_base_url, build_pact_api
from pcf.pact.settings import PactSettings

JSON = content_types.APPLICATION_JSON
TOKEN_PATH = "/auth/token"
DISCOVERY_PATH = "/.well-known/openid-configuration"
# retries of an event delivery inside one API Gateway request (29 s at most)
CLOUD_CALLBACK_RETRY_DELAYS = (1.0, 3.0)
CLOUD_CALLBACK_TIMEOUT_SECONDS = 5.0
# Cognito's token endpoint answers in well under a second; API Gateway waits 29 s
TOKEN_ENDPOINT_TIMEOUT_SECONDS = 10.0


class CloudPactSettings(EnvironmentSettings):
    """The PACT Lambda's environment, parsed at cold start.

    - ``DATABASE_URL`` (+ ``DATABASE_SECRET_ARN``, read by the connection): published
      footprints.
    - ``PCF_PACT_TOKEN_ENDPOINT``: the user pool domain's ``https://.../oauth2/token``.
    - ``PCF_PACT_ISSUER``: the user pool's issuer
      (``https://cognito-idp.<region>.amazonaws.com/<pool id>``).
    - ``PCF_PACT_SCOPE``: the scope a partner's access token must carry
      (``<resource server>/<scope>``).
    - ``PCF_PACT_CALLBACK_SECRET_ARN`` (optional): a secret holding our credentials at
      partners' token endpoints, ``partner=https://token-url|id|secret`` per line or
      space-separated.
    - The company and sites as ``PactSettings.from_environment`` reads them.
    """

    database_url: str = Field(alias="DATABASE_URL", min_length=1)
    token_endpoint: str = Field(alias="PCF_PACT_TOKEN_ENDPOINT")
    issuer: str = Field(alias="PCF_PACT_ISSUER")
    scope: str = Field(alias="PCF_PACT_SCOPE", pattern=r"^\S+/\S+$")
    callback_secret_arn: str | None = Field(alias="PCF_PACT_CALLBACK_SECRET_ARN", default=None)

    @field_validator("token_endpoint", "issuer")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"must be an https URL (got {value!r})")
        return value.rstrip("/")


@dataclass(frozen=True)
class TokenAnswer:
    """What ``/auth/token`` answers: an HTTP status and an OAuth2 JSON body."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class CognitoTokenEndpoint:
    """The user pool domain's token endpoint, asked on a partner's behalf."""

    url: str
    timeout_seconds: float = TOKEN_ENDPOINT_TIMEOUT_SECONDS

    def exchange(self, authorization: str | None, form_body: str) -> TokenAnswer:
        """Forward a client-credentials request (``Authorization: Basic``, the form
        body) and shape the answer as PACT's token response or an OAuth2 error."""
        form = urllib.parse.parse_qs(form_body, keep_blank_values=True)
        scheme, _, credentials = (authorization or "").strip().partition(" ")
        if scheme.lower() != "basic" or not credentials.strip():
            return _oauth_error(
                401, "invalid_client", "send the client id and secret as HTTP Basic authentication"
            )
        try:
            check_grant(form)
        except UnsupportedGrant as error:
            return _oauth_error(400, "unsupported_grant_type", str(error))
        # only what client credentials takes: the grant and, when asked, the scope
        forwarded = {"grant_type": "client_credentials"}
        if form.get("scope"):
            forwarded["scope"] = form["scope"][-1]
        request = urllib.request.Request(
            self.url,
            data=urllib.parse.urlencode(forwarded).encode(),
            headers={
                "Authorization": f"Basic {credentials.strip()}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                answer = _json_object(response.read())
        except urllib.error.HTTPError as error:
            return self._refusal(error.code, _json_object(error.read()))
        except (urllib.error.URLError, OSError) as error:
            logger.error("Cognito token endpoint unreachable", reason=str(error))
            message = "the identity provider did not answer"
            return _oauth_error(503, "temporarily_unavailable", message)
        token = answer.get("access_token")
        expires_in = answer.get("expires_in")
        if not isinstance(token, str) or not isinstance(expires_in, int):
            logger.error("Cognito token endpoint answered without a token")
            return _oauth_error(502, "server_error", "the identity provider gave no token")
        return TokenAnswer(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": expires_in},
            {"Cache-Control": "no-store"},
        )

    def _refusal(self, status: int, answer: Mapping[str, Any]) -> TokenAnswer:
        error = str(answer.get("error") or "")
        if status >= 500 or not error:
            logger.error("Cognito token endpoint failed", status=status)
            return _oauth_error(502, "server_error", "the identity provider failed")
        description = str(answer.get("error_description") or error.replace("_", " "))
        if error == "invalid_client":  # RFC 6749 5.2: 401 for failed Basic authentication
            return _oauth_error(401, error, description)
        return _oauth_error(400, error, description)


def scope_authenticator(scope: str) -> Callable[[APIGatewayProxyEvent], Principal]:
    """The partner named by an access token API Gateway's authorizer verified, when it
    carries ``scope``; its subject is the app client id (the partner's name here)."""

    def authenticate(event: APIGatewayProxyEvent) -> Principal:
        context = event.raw_event.get("requestContext") or {}
        authorizer = context.get("authorizer") or {}
        claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
        if not claims:
            raise Unauthenticated("no verified claims in the request (is the authorizer set?)")
        client_id = str(claims.get("client_id") or "")
        if claims.get("token_use") != "access" or not client_id:
            raise Unauthenticated("a PACT call needs a client-credentials access token")
        if scope not in str(claims.get("scope") or "").split():
            raise Forbidden(f"the token does not carry the scope {scope}")
        return Principal(client_id, frozenset({Role.PARTNER}))

    return authenticate


def run_now(job: Callable[[], None]) -> None:
    """Run ``job`` before the answer: a Lambda has no "after the response"."""
    job()


def cloud_pact_dependencies(
    settings: CloudPactSettings,
    pact: PactSettings,
    callback_credentials: Mapping[str, CallbackCredentials],
) -> PactDependencies:
    """Published footprints from PostgreSQL, tokens issued by Cognito and checked by API
    Gateway, requests answered within the request."""
    engine = create_engine(settings.database_url)
    return PactDependencies(
        company=pact.company,
        published=lambda: published_footprints(engine, pact.site_countries),
        lifecycle_of=lifecycle_of(pact.company),
        authenticate=scope_authenticator(settings.scope),
        clients=PactClients({}),  # no secrets here: /auth/token is Cognito's (below)
        tokens=None,
        send_event=EventSender(
            callback_credentials,
            pact.callback_ca_file,
            CLOUD_CALLBACK_RETRY_DELAYS,
            CLOUD_CALLBACK_TIMEOUT_SECONDS,
        ).send,
        run_later=run_now,
    )


def callback_credentials(text: str) -> dict[str, CallbackCredentials]:
    """``partner=https://token-url|id|secret`` entries, separated by white space."""
    return {
        partner: CallbackCredentials.parse(rest)
        for partner, _, rest in (entry.partition("=") for entry in text.split())
    }


def secret_callback_credentials(secret_arn: str | None) -> dict[str, CallbackCredentials]:
    """The callback credentials kept in the secret ``secret_arn`` (none without one)."""
    if not secret_arn:
        return {}
    import boto3

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    return callback_credentials(secret.get("SecretString") or "")


class CloudPactApi:
    """The PACT resolver, with ``/auth/token`` and discovery answered the cloud's way."""

    def __init__(
        self,
        dependencies: PactDependencies,
        token_endpoint: CognitoTokenEndpoint,
        issuer: str,
    ) -> None:
        self.pact = build_pact_api(dependencies)
        self.identity = _identity_api(token_endpoint, issuer)

    def resolve(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        path = event.get("path") or ""
        resolver = self.identity if path in (TOKEN_PATH, DISCOVERY_PATH) else self.pact
        return resolver.resolve(event, context)


def cloud_pact_api(environment: Mapping[str, str] | None = None) -> CloudPactApi:
    """The PACT API as the Lambda serves it, from its environment."""
    settings = CloudPactSettings.from_environment(environment)
    pact = PactSettings.from_environment()
    credentials = secret_callback_credentials(settings.callback_secret_arn)
    pact = replace(pact, callback_credentials={**pact.callback_credentials, **credentials})
    return CloudPactApi(
        cloud_pact_dependencies(settings, pact, pact.callback_credentials),
        CognitoTokenEndpoint(settings.token_endpoint),
        settings.issuer,
    )


def _identity_api(token_endpoint: CognitoTokenEndpoint, issuer: str) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    def https_only() -> Response[Any] | None:
        proto = app.current_event.headers.get("x-forwarded-proto", "")
        if proto.lower() == "https":
            return None
        body = {"code": "AccessDenied", "message": "the PACT API is served over HTTPS only"}
        return Response(403, JSON, body)

    @app.post(TOKEN_PATH, summary="OAuth2 client credentials, forwarded to Cognito")
    def post_token() -> Response[Any]:
        refusal = https_only()
        if refusal is not None:
            return refusal
        event = app.current_event
        answer = token_endpoint.exchange(
            event.headers.get("authorization"), event.decoded_body or ""
        )
        if answer.status == 200:
            logger.info("PACT token issued by Cognito")
        else:
            logger.info("PACT token refused", status=answer.status, error=answer.body["error"])
        return Response(answer.status, JSON, answer.body, headers=dict(answer.headers))

    @app.get(DISCOVERY_PATH, summary="OpenID Connect discovery")
    def get_openid_configuration() -> Response[Any]:
        refusal = https_only()
        if refusal is not None:
            return refusal
        return Response(200, JSON, discovery_document(app.current_event, issuer))

    return app


def discovery_document(event: APIGatewayProxyEvent, issuer: str) -> dict[str, Any]:
    """Our token endpoint (on the host, stage or base path the request came through) and
    the user pool's issuer and keys, which sign the tokens."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{api_base_url(event)}{TOKEN_PATH}",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _oauth_error(status: int, error: str, description: str) -> TokenAnswer:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Basic"
    return TokenAnswer(status, {"error": error, "error_description": description}, headers)
