"""The PACT API's cloud wiring (``pcf.pact.cloud``): ``/auth/token`` forwarded to a
stand-in for Cognito's token endpoint over real HTTP, discovery, the scope check on the
authorizer's claims, settings, and callback credentials from Secrets Manager (moto)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

from pcf.api.auth import Forbidden, Role, Unauthenticated
from pcf.pact.auth import PactClients
from pcf.pact.cloud import (
    CloudPactApi,
    CloudPactSettings,
    CognitoTokenEndpoint,
    api_base_url,
    callback_credentials,
    run_now,
    scope_authenticator,
    secret_callback_credentials,
)
from pcf.pact.routes import PactDependencies
from pcf.pact.settings import DEFAULT_COMPANY
from tests.api_gateway_events import rest_event
from tests.moto_aws import mocked_aws

SCOPE = "pact/footprints"
ISSUER = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example"
BASIC = "Basic " + base64.b64encode(b"partner-a:secret-a").decode()


@dataclass
class CognitoStandIn:
    """Answers POST /oauth2/token as it is told; keeps what it was sent."""

    status: int = 200
    answer: dict[str, Any] = field(
        default_factory=lambda: {
            "access_token": "eyJ.access.token",
            "expires_in": 3600,
            "token_type": "Bearer",
        }
    )
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def cognito() -> Iterator[CognitoStandIn]:
    stand_in = CognitoStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            stand_in.requests.append((self.path, dict(self.headers.items()), body))
            data = json.dumps(stand_in.answer).encode()
            self.send_response(stand_in.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}/oauth2/token"
    yield stand_in
    server.shutdown()
    server.server_close()


def partner_claims(scope: str = SCOPE) -> dict[str, str]:
    return {
        "sub": "partner-a",
        "client_id": "partner-a",
        "token_use": "access",
        "scope": scope,
        "iss": ISSUER,
    }


def cloud_api(token_url: str) -> CloudPactApi:
    dependencies = PactDependencies(
        company=DEFAULT_COMPANY,
        published=lambda: [],
        authenticate=scope_authenticator(SCOPE),
        clients=PactClients({}),
        tokens=None,
        run_later=run_now,
    )
    return CloudPactApi(dependencies, CognitoTokenEndpoint(token_url), ISSUER)


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response["body"])
    return data


# -- /auth/token -----------------------------------------------------------------------


def test_a_client_credentials_request_is_forwarded_and_answered_in_pacts_shape(
    cognito: CognitoStandIn,
) -> None:
    # Given Cognito issues a token (with a field PACT does not define)
    cognito.answer = {**cognito.answer, "extra": "dropped"}
    api = cloud_api(cognito.url)

    # When a partner asks our /auth/token with Basic credentials and a scope
    event = rest_event(
        "POST",
        "/auth/token",
        headers={"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"},
        body=f"grant_type=client_credentials&scope={urllib.parse.quote(SCOPE)}",
    )
    response = api.resolve(event, None)  # type: ignore[arg-type]

    # Then Cognito got the same credentials, the grant and the scope, nothing else
    ((path, headers, form),) = cognito.requests
    assert path == "/oauth2/token"
    assert headers["Authorization"] == BASIC
    assert urllib.parse.parse_qs(form) == {"grant_type": ["client_credentials"], "scope": [SCOPE]}
    # and the partner gets PACT's token response, not to be cached
    assert response["statusCode"] == 200
    assert body_of(response) == {
        "access_token": "eyJ.access.token",
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    assert response["multiValueHeaders"]["Cache-Control"] == ["no-store"]


def test_cognitos_invalid_client_is_a_401_asking_for_basic(cognito: CognitoStandIn) -> None:
    # Given Cognito refuses the credentials (it answers 400 invalid_client)
    cognito.status, cognito.answer = 400, {"error": "invalid_client"}

    # When
    answer = CognitoTokenEndpoint(cognito.url).exchange(BASIC, "grant_type=client_credentials")

    # Then OAuth2's 401 for failed client authentication
    assert answer.status == 401
    assert answer.body == {"error": "invalid_client", "error_description": "invalid client"}
    assert answer.headers["WWW-Authenticate"] == "Basic"


def test_other_refusals_keep_cognitos_error_as_a_400(cognito: CognitoStandIn) -> None:
    cognito.status = 400
    cognito.answer = {"error": "invalid_scope", "error_description": "scope not allowed"}

    answer = CognitoTokenEndpoint(cognito.url).exchange(BASIC, "grant_type=client_credentials")

    assert (answer.status, answer.body["error"]) == (400, "invalid_scope")
    assert answer.body["error_description"] == "scope not allowed"


@pytest.mark.parametrize(
    ("authorization", "form", "status", "error"),
    [
        (BASIC, "grant_type=password", 400, "unsupported_grant_type"),
        (BASIC, "", 400, "unsupported_grant_type"),
        (None, "grant_type=client_credentials", 401, "invalid_client"),
        ("Bearer abc", "grant_type=client_credentials", 401, "invalid_client"),
    ],
)
def test_requests_cognito_would_refuse_are_refused_without_asking_it(
    cognito: CognitoStandIn, authorization: str | None, form: str, status: int, error: str
) -> None:
    answer = CognitoTokenEndpoint(cognito.url).exchange(authorization, form)

    assert (answer.status, answer.body["error"]) == (status, error)
    assert cognito.requests == []


def test_cognito_failing_or_unreachable_is_the_providers_fault_not_the_clients(
    cognito: CognitoStandIn,
) -> None:
    # Given Cognito fails, then answers without a token, then is not there at all
    cognito.status, cognito.answer = 500, {"error": "internal"}
    failed = CognitoTokenEndpoint(cognito.url).exchange(BASIC, "grant_type=client_credentials")
    cognito.status, cognito.answer = 200, {"token_type": "Bearer"}
    empty = CognitoTokenEndpoint(cognito.url).exchange(BASIC, "grant_type=client_credentials")
    gone = CognitoTokenEndpoint("http://127.0.0.1:9/oauth2/token", timeout_seconds=2).exchange(
        BASIC, "grant_type=client_credentials"
    )

    # Then 502/503 with OAuth2's server error words
    assert (failed.status, failed.body["error"]) == (502, "server_error")
    assert (empty.status, empty.body["error"]) == (502, "server_error")
    assert (gone.status, gone.body["error"]) == (503, "temporarily_unavailable")


def test_the_token_endpoint_is_https_only(cognito: CognitoStandIn) -> None:
    event = rest_event(
        "POST",
        "/auth/token",
        headers={"Authorization": BASIC, "X-Forwarded-Proto": "http"},
        body="grant_type=client_credentials",
    )

    response = cloud_api(cognito.url).resolve(event, None)  # type: ignore[arg-type]

    assert response["statusCode"] == 403
    assert body_of(response)["code"] == "AccessDenied"
    assert cognito.requests == []


# -- discovery -------------------------------------------------------------------------


def test_discovery_names_our_token_endpoint_on_the_stage_and_cognitos_keys(
    cognito: CognitoStandIn,
) -> None:
    response = cloud_api(cognito.url).resolve(
        rest_event("GET", "/.well-known/openid-configuration"),
        None,  # type: ignore[arg-type]
    )

    assert response["statusCode"] == 200
    document = body_of(response)
    host = "https://abc123.execute-api.eu-central-1.amazonaws.com"
    assert document["token_endpoint"] == f"{host}/prod/auth/token"
    assert document["issuer"] == ISSUER
    assert document["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["grant_types_supported"] == ["client_credentials"]


def test_on_a_custom_domain_the_base_url_has_no_stage() -> None:
    event = rest_event("GET", "/.well-known/openid-configuration", stage_path="")
    event["requestContext"]["domainName"] = "api.pcf.example.com"

    assert api_base_url(APIGatewayProxyEvent(event)) == "https://api.pcf.example.com"


# -- the partner's token, as the authorizer verified it --------------------------------


def test_an_access_token_with_the_pact_scope_is_the_partner() -> None:
    event = APIGatewayProxyEvent(
        rest_event("GET", "/3/footprints", claims=partner_claims(f"openid {SCOPE}"))
    )

    principal = scope_authenticator(SCOPE)(event)

    assert principal.subject == "partner-a"
    assert principal.roles == frozenset({Role.PARTNER})


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        (None, Unauthenticated),
        (partner_claims("other/scope"), Forbidden),
        ({**partner_claims(), "token_use": "id"}, Unauthenticated),
        ({**partner_claims(), "client_id": ""}, Unauthenticated),
    ],
)
def test_other_tokens_are_refused(claims: dict[str, str] | None, refusal: type[Exception]) -> None:
    event = APIGatewayProxyEvent(rest_event("GET", "/3/footprints", claims=claims))

    with pytest.raises(refusal):
        scope_authenticator(SCOPE)(event)


def test_footprints_are_served_to_the_partner_and_refused_without_the_scope(
    cognito: CognitoStandIn,
) -> None:
    api = cloud_api(cognito.url)

    listed = api.resolve(rest_event("GET", "/3/footprints", claims=partner_claims()), None)  # type: ignore[arg-type]
    refused = api.resolve(
        rest_event("GET", "/3/footprints", claims=partner_claims("other/scope")),
        None,  # type: ignore[arg-type]
    )

    assert (listed["statusCode"], body_of(listed)) == (200, {"data": []})
    assert refused["statusCode"] == 403
    assert body_of(refused)["code"] == "AccessDenied"


# -- settings and callback credentials --------------------------------------------------


def _environment(**changes: str) -> dict[str, str]:
    return {
        "DATABASE_URL": "postgresql://db.internal:5432/pcf",
        "PCF_PACT_TOKEN_ENDPOINT": "https://pcf-dev.auth.eu-central-1.amazoncognito.com/oauth2/token",
        "PCF_PACT_ISSUER": ISSUER + "/",
        "PCF_PACT_SCOPE": SCOPE,
    } | changes


def test_settings_are_read_from_the_environment() -> None:
    settings = CloudPactSettings.from_environment(_environment())

    assert settings.issuer == ISSUER  # trailing slash dropped
    assert settings.scope == SCOPE
    assert settings.callback_secret_arn is None


@pytest.mark.parametrize(
    "changes",
    [
        {"PCF_PACT_TOKEN_ENDPOINT": "http://insecure.example/oauth2/token"},
        {"PCF_PACT_SCOPE": "footprints"},
        {"DATABASE_URL": ""},
    ],
)
def test_wrong_settings_fail_at_cold_start(changes: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        CloudPactSettings.from_environment(_environment(**changes))


def test_callback_credentials_come_from_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with mocked_aws(monkeypatch, "eu-central-1"):
        # Given the secret holds two partners' entries, one per line
        secret = boto3.client("secretsmanager").create_secret(
            Name="pact-callbacks",
            SecretString=(
                "partner-a=https://auth.a.example/token|our-id-at-a|s3cr3t-a\n"
                "partner-b=https://auth.b.example/oauth2/token|our-id-at-b|s3cr3t-b\n"
            ),
        )

        # When
        credentials = secret_callback_credentials(secret["ARN"])

    # Then
    assert set(credentials) == {"partner-a", "partner-b"}
    assert credentials["partner-b"].token_url == "https://auth.b.example/oauth2/token"
    assert credentials["partner-b"].client_id == "our-id-at-b"
    assert credentials["partner-b"].client_secret == "s3cr3t-b"
    assert "s3cr3t" not in repr(credentials)


def test_no_secret_and_a_blank_secret_mean_no_callback_credentials() -> None:
    assert secret_callback_credentials(None) == {}
    assert callback_credentials(" \n") == {}
