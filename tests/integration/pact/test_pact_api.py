"""PACT API v3 conformance cases (``../shared/pact/v3/conformance-test-cases.md``), each
against the real local server over HTTPS (a self-signed certificate made for the test,
verified by the client), on METHOD.md's worked example calculated into PostgreSQL."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from pcf.pact.auth import PactClients
from pcf.pact.conversion import PactCompany
from pcf.pact.settings import PactSettings
from pcf.pact.tls import TlsFiles, self_signed_certificate
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from tests.unit.pact.pact_schemas import schema_errors

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "partner-a", "partner-a-secret"
COMPANY = PactCompany(
    name="Sample Manufacturing",
    company_ids=("urn:pact:company:sample.example",),
    product_id_domain="sample.example",
)
P_URN = "urn:pact:sample.example:product-id:P"
A_URN = "urn:pact:sample.example:product-id:A"  # made up from the item id (A has none)
CPC_P = "urn:pact:productclassification:un-cpc:43240"
SETTINGS = PactSettings(COMPANY, PactClients({CLIENT_ID: CLIENT_SECRET}), {"S1": "DE"})


@dataclass(frozen=True)
class Pact:
    """A PACT client of one running server."""

    server: LocalServer
    certificate: str  # the CA file the client trusts

    @property
    def url(self) -> str:
        return self.server.url

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            self.url + path, params=params, headers=headers, verify=self.certificate, timeout=10
        )

    def token_response(self, client_id: str, secret: str, url: str = "") -> requests.Response:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return requests.post(
            url or self.url + "/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
            verify=self.certificate,
            timeout=10,
        )

    def token(self) -> str:
        response = self.token_response(CLIENT_ID, CLIENT_SECRET)
        assert response.status_code == 200, response.text
        access_token: str = response.json()["access_token"]
        return access_token

    def footprints(self, **params: Any) -> list[dict[str, Any]]:
        response = self.get("/3/footprints", self.token(), **params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'schema_migration'"
            )
        ).scalars()
        connection.execute(text("SET LOCAL pcf.allow_audit_tamper = on"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def worked_example(engine: Engine) -> Engine:
    """METHOD.md's worked example calculated once for the module (P gets a CPC code)."""
    _empty(engine)
    files = worked_example_files()
    files["items"] = files["items"].replace(b"product-id:P,", b"product-id:P,43240")
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    store.write_windows(worked_example_telemetry())
    calculate_site_period(engine, store, "S1", "2026-01")
    return engine


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def pact(
    worked_example: Engine, tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pact]:
    server = LocalServer(
        worked_example,
        b"pact-test-secret",
        objects_dir=tmp_path_factory.mktemp("objects"),
        port=0,
        tls=tls,
        pact=SETTINGS,
    )
    with server.running():
        yield Pact(server, str(tls.certificate))


@pytest.fixture(scope="module")
def plain_http(
    worked_example: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    server = LocalServer(
        worked_example,
        b"pact-test-secret",
        objects_dir=tmp_path_factory.mktemp("objects"),
        port=0,
        pact=SETTINGS,
    )
    with server.running():
        yield server


def _by_product(footprints: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["productIds"][0]: f for f in footprints}


# -- authentication ----------------------------------------------------------------


def test_case_01_auth_token_with_valid_credentials(pact: Pact) -> None:
    response = pact.token_response(CLIENT_ID, CLIENT_SECRET)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # a JWT


@pytest.mark.parametrize(
    ("client_id", "secret"), [(CLIENT_ID, "wrong"), ("nobody", CLIENT_SECRET), ("", "")]
)
def test_case_02_auth_token_with_invalid_credentials(
    pact: Pact, client_id: str, secret: str
) -> None:
    response = pact.token_response(client_id, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def test_case_18_openid_discovery_names_the_token_endpoint_which_grants_tokens(pact: Pact) -> None:
    discovery = pact.get("/.well-known/openid-configuration")
    assert discovery.status_code == 200
    token_endpoint = discovery.json()["token_endpoint"]
    assert token_endpoint == pact.url + "/auth/token"
    assert pact.token_response(CLIENT_ID, CLIENT_SECRET, token_endpoint).status_code == 200


def test_case_19_openid_token_endpoint_with_incorrect_credentials(pact: Pact) -> None:
    token_endpoint = pact.get("/.well-known/openid-configuration").json()["token_endpoint"]
    response = pact.token_response(CLIENT_ID, "wrong", token_endpoint)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_request_for_another_grant_is_refused(pact: Pact) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = requests.post(
        pact.url + "/auth/token",
        data={"grant_type": "password"},
        headers={"Authorization": f"Basic {basic}"},
        verify=pact.certificate,
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# -- GetFootprint and ListFootprints ---------------------------------------------------


def test_case_03_get_footprint_is_valid_v3_with_method_md_numbers(pact: Pact) -> None:
    p = _by_product(pact.footprints())[P_URN]
    response = pact.get(f"/3/footprints/{p['id']}", pact.token())
    assert response.status_code == 200
    data = response.json()["data"]
    assert schema_errors("v3", "ProductFootprint", data) == []
    assert data["pcf"]["pcfExcludingBiogenicUptake"] == "10.1207884"
    assert data["pcf"]["primaryDataShare"].startswith("27.7724")
    assert data["pcf"]["referencePeriodStart"] == "2025-12-31T23:00:00Z"  # January in Berlin


def test_case_04_list_footprints_gives_every_published_footprint_valid(pact: Pact) -> None:
    response = pact.get("/3/footprints", pact.token())
    assert response.status_code == 200
    data = response.json()["data"]
    assert {f["productIds"][0] for f in data} == {P_URN, A_URN}
    for footprint in data:
        assert schema_errors("v3", "ProductFootprint", footprint) == []
    a = _by_product(data)[A_URN]
    assert a["pcf"]["pcfExcludingBiogenicUptake"] == "4.1070942"


def test_case_05_pagination_links_are_absolute_on_the_request_host(pact: Pact) -> None:
    token = pact.token()
    first = pact.get("/3/footprints", token, limit=1)
    assert first.status_code == 200
    assert len(first.json()["data"]) == 1
    link = first.headers["Link"]
    assert link.startswith(f"<{pact.url}/3/footprints?") and link.endswith('>; rel="next"')
    second = requests.get(
        link[1 : link.index(">")],
        headers={"Authorization": f"Bearer {token}"},
        verify=pact.certificate,
        timeout=10,
    )
    assert second.status_code == 200
    assert len(second.json()["data"]) == 1
    assert second.json()["data"][0]["id"] != first.json()["data"][0]["id"]
    assert "Link" not in second.headers  # the last page


def test_case_06_list_footprints_with_invalid_token(pact: Pact) -> None:
    response = pact.get("/3/footprints", "invalid-access-token")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"
    assert "data" not in response.json()


def test_case_07_get_footprint_with_invalid_token(pact: Pact) -> None:
    p = _by_product(pact.footprints())[P_URN]
    response = pact.get(f"/3/footprints/{p['id']}", "invalid-access-token")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_case_08_get_footprint_with_non_existent_id(pact: Pact) -> None:
    for missing in ("non-existent-id", "00000000-0000-5000-8000-000000000000"):
        response = pact.get(f"/3/footprints/{missing}", pact.token())
        assert response.status_code == 404
        assert response.json() == {
            "code": "NotFound",
            "message": f"Footprint with ID '{missing}' does not exist",
        }


def test_expired_token_is_token_expired(pact: Pact) -> None:
    expired = pact.server.tokens.issue(CLIENT_ID, [Role.PARTNER], lifetime_seconds=-10)
    response = pact.get("/3/footprints", expired)
    assert response.status_code == 401
    assert response.json()["code"] == "TokenExpired"


def test_a_token_without_the_partner_role_is_access_denied(pact: Pact) -> None:
    reader = pact.server.tokens.issue("alice", [Role.READER])
    response = pact.get("/3/footprints", reader)
    assert response.status_code == 403
    assert response.json()["code"] == "AccessDenied"


def test_the_upload_api_does_not_take_partner_tokens(pact: Pact) -> None:
    response = pact.get("/datasets", pact.token())
    assert response.status_code == 403


# -- plain HTTP -----------------------------------------------------------------------


def test_case_09_authentication_over_http_gives_no_token(
    pact: Pact, plain_http: LocalServer
) -> None:
    response = pact.token_response(CLIENT_ID, CLIENT_SECRET, plain_http.url + "/auth/token")
    assert response.status_code == 403
    assert "access_token" not in response.json()


def test_case_10_list_footprints_over_http_gives_no_data(
    pact: Pact, plain_http: LocalServer
) -> None:
    token = pact.token()
    response = requests.get(
        plain_http.url + "/3/footprints", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 403
    assert "data" not in response.json()


def test_case_11_get_footprint_over_http_gives_no_data(pact: Pact, plain_http: LocalServer) -> None:
    token = pact.token()
    p = _by_product(pact.footprints())[P_URN]
    response = requests.get(
        f"{plain_http.url}/3/footprints/{p['id']}",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"},
        timeout=10,
    )
    assert response.status_code == 403  # a client cannot claim HTTPS
    assert "data" not in response.json()


def test_plain_http_to_the_https_server_gets_no_answer(pact: Pact) -> None:
    with pytest.raises(requests.ConnectionError):
        requests.get(pact.url.replace("https://", "http://") + "/3/footprints", timeout=10)


# -- filters (cases 20-39) ------------------------------------------------------------


def _products(pact: Pact, **params: Any) -> set[str]:
    return {f["productIds"][0] for f in pact.footprints(**params)}


@pytest.mark.parametrize(
    ("case", "params", "expected"),
    [
        ("20 productId", {"productId": P_URN}, {P_URN}),
        (
            "20 productId ignores case",
            {"productId": P_URN.upper().replace("URN:", "urn:")},
            {P_URN},
        ),
        ("21 companyId", {"companyId": COMPANY.company_ids[0]}, {P_URN, A_URN}),
        ("22 geography", {"geography": "DE"}, {P_URN, A_URN}),
        ("23 classification", {"classification": CPC_P}, {P_URN}),
        ("24 validOn", {"validOn": "2027-06-01T00:00:00Z"}, {P_URN, A_URN}),
        ("25 validAfter", {"validAfter": "2026-01-01T00:00:00Z"}, {P_URN, A_URN}),
        ("26 validBefore", {"validBefore": "2030-01-01T00:00:00Z"}, {P_URN, A_URN}),
        ("27 status", {"status": "Active"}, {P_URN, A_URN}),
        ("28 status and productId", {"status": "Active", "productId": P_URN}, {P_URN}),
        (
            "29 OR within a criterion",
            {"productId": [P_URN, "urn:uuid:other-company", A_URN]},
            {P_URN, A_URN},
        ),
        ("30 productId negative", {"productId": "urn:bogus:product:nonexistent123"}, set()),
        ("31 companyId negative", {"companyId": "urn:bogus:company:nonexistent"}, set()),
        ("32 geography negative", {"geography": "FR"}, set()),
        ("33 classification negative", {"classification": "urn:bogus:class:none"}, set()),
        ("34 validOn negative", {"validOn": "2020-01-01T00:00:00Z"}, set()),
        ("35 validAfter negative", {"validAfter": "2030-01-01T00:00:00Z"}, set()),
        ("36 validBefore negative", {"validBefore": "2026-01-01T00:00:00Z"}, set()),
        ("37 status negative", {"status": "Deprecated"}, set()),
        ("38 AND across criteria negative", {"productId": P_URN, "geography": "FR"}, set()),
        (
            "39 OR negative",
            {"productId": ["urn:bogus:product:1", "urn:bogus:product:2"]},
            set(),
        ),
    ],
)
def test_cases_20_to_39_filters(
    pact: Pact, case: str, params: dict[str, Any], expected: set[str]
) -> None:
    assert _products(pact, **params) == expected, case


def test_a_filter_that_is_no_date_is_bad_request(pact: Pact) -> None:
    response = pact.get("/3/footprints", pact.token(), validOn="yesterday")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_list_answers_within_a_second(pact: Pact) -> None:
    token = pact.token()
    started = time.perf_counter()
    assert pact.get("/3/footprints", token).status_code == 200
    assert time.perf_counter() - started < 1.0
