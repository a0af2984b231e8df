"""PACT API v3 conformance cases (``../shared/pact/v3/conformance-test-cases.md``) for
authentication and the footprints, each against the real local server over HTTPS, on
METHOD.md's worked example (fixtures in ``conftest.py``). Events and v2:
``test_pact_events_and_v2.py``."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
import requests

from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from tests.integration.pact.pact_client import (
    A_URN,
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY,
    CPC_P,
    P_URN,
    Pact,
)
from tests.unit.pact.pact_schemas import schema_errors

pytestmark = pytest.mark.integration


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
