"""PACT Action Events (v3 cases 12-17 and 40) and the v2.3 API (v2 cases 3-8, 10-17,
20, 21), against the real local server over HTTPS; partner A's own HTTPS server
(``PartnerServer``) receives the answers to its requests, with the token its own token
endpoint gave us."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from pcf.api.local_server import LocalServer
from pcf.pact.events import V2_EVENTS, V3_EVENTS
from tests.integration.pact.pact_client import (
    A_URN,
    CLOUDEVENTS,
    P_URN,
    PARTNER_TOKEN,
    Pact,
    PartnerServer,
    cloud_event,
)
from tests.unit.pact.pact_schemas import schema_errors

pytestmark = pytest.mark.integration

A_UUID = "3a6c14a7-4deb-498a-b5ea-16ce2535b576"


def _accepted(response: requests.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == b""


# -- v3 events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{partner}/3/events",  # the conformance service's webhook URL
        "{partner}",  # a host only (case 12's example): its /3/events
        "//{host}/3/events",  # scheme-relative, as the OpenAPI's examples write it
    ],
)
def test_cases_12_13_request_is_accepted_then_fulfilled_at_the_source(
    pact: Pact, partner: PartnerServer, source: str
) -> None:
    # Given partner A asks for P's footprint
    where = source.format(partner=partner.url, host=partner.url.removeprefix("https://"))
    request = cloud_event(
        V3_EVENTS.request_created,
        {"productId": [P_URN], "comment": "Please send PCF data for this year."},
        where,
    )

    # When it POSTs the request
    _accepted(pact.post_event("/3/events", request))

    # Then a fulfilled event with P's v3 footprint arrives at its /3/events, with its token
    received = partner.answer_to(request["id"])
    assert received.path == "/3/events"
    assert received.headers["Authorization"] == f"Bearer {PARTNER_TOKEN}"
    assert received.headers["Content-Type"] == CLOUDEVENTS
    event = received.event
    assert event["type"] == V3_EVENTS.request_fulfilled
    assert event["specversion"] == "1.0"
    assert event["source"] == f"{pact.url}/3/events"
    assert [pf["productIds"] for pf in event["data"]["pfs"]] == [[P_URN]]
    assert schema_errors("v3", "RequestFulfilledEvent", event) == []


def test_cases_14a_14b_request_for_an_unknown_product_is_rejected_not_found(
    pact: Pact, partner: PartnerServer
) -> None:
    request = cloud_event(
        V3_EVENTS.request_created, {"productId": ["urn:null"]}, partner.url + "/3/events"
    )
    _accepted(pact.post_event("/3/events", request))

    event = partner.answer_to(request["id"]).event
    assert schema_errors("v3", "RequestRejectedEvent", event) == []
    assert event["type"] == V3_EVENTS.request_rejected
    assert event["data"]["error"]["code"] == "NotFound"
    assert event["data"]["error"]["message"]


def test_case_15_published_event_with_uuids_is_accepted(pact: Pact, partner: PartnerServer) -> None:
    event = cloud_event(V3_EVENTS.published, {"pfIds": [A_UUID]}, partner.url)
    _accepted(pact.post_event("/3/events", event))


def test_case_15_published_event_with_an_urn_is_bad_request_as_the_openapi_says(
    pact: Pact, partner: PartnerServer
) -> None:
    # case 15's example sends "urn:gtin:..." as a pfId; the OpenAPI (and case 40's text)
    # say pfIds are UUIDs, and the conformance service sends UUIDs
    event = cloud_event(V3_EVENTS.published, {"pfIds": ["urn:gtin:4712345060507"]}, partner.url)
    response = pact.post_event("/3/events", event)
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_case_16_events_with_invalid_token(pact: Pact, partner: PartnerServer) -> None:
    event = cloud_event(V3_EVENTS.published, {"pfIds": [A_UUID]}, partner.url)
    response = pact.post_event("/3/events", event, token="invalid-access-token")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


@pytest.mark.parametrize("path", ["/3/events", "/2/events"])
def test_case_17_events_over_http_are_refused(
    pact: Pact, partner: PartnerServer, plain_http: LocalServer, path: str
) -> None:
    event = cloud_event(V3_EVENTS.request_created, {"productId": [P_URN]}, partner.url)
    response = requests.post(
        plain_http.url + path,
        data=json.dumps(event),
        headers={"Authorization": f"Bearer {pact.token()}", "Content-Type": CLOUDEVENTS},
        timeout=10,
    )
    assert response.status_code == 403
    assert "data" not in response.json()
    assert not [r for r in partner.received if r.event["data"].get("requestEventId") == event["id"]]


def test_case_40_v3_refuses_odata_filter(pact: Pact) -> None:
    response = pact.get("/3/footprints", pact.token(), **{"$filter": "created ge '2023-01-15'"})
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"
    assert "data" not in response.json()


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("not JSON", "{not json"),
        ("no source", {"specversion": "1.0", "id": "x", "time": "2023-05-19T10:30:00Z"}),
        ("unknown type", {"type": "com.example.Other"}),
        ("time is no date", {"time": "yesterday"}),
        ("source in clear text", {"source": "http://partner.example/3/events"}),
        ("no criteria", {"data": {"comment": "anything"}}),
        ("unknown criterion", {"data": {"productName": ["P"]}}),
        ("criterion not a list of strings", {"data": {"productId": [1]}}),
        ("status unknown", {"data": {"productId": [P_URN], "status": "Bogus"}}),
    ],
)
def test_a_malformed_event_is_bad_request_and_never_answered(
    pact: Pact, partner: PartnerServer, case: str, body: dict[str, Any] | str
) -> None:
    event: dict[str, Any] | str = body
    if isinstance(body, dict) and "specversion" not in body:
        event = {
            **cloud_event(V3_EVENTS.request_created, {"productId": [P_URN]}, partner.url),
            **body,
        }
    response = pact.post_event("/3/events", event)
    assert response.status_code == 400, case
    assert response.json()["code"] == "BadRequest"


def test_answers_from_the_partner_are_accepted(pact: Pact, partner: PartnerServer) -> None:
    event = cloud_event(
        V3_EVENTS.request_rejected,
        {"requestEventId": "ours-1", "error": {"code": "NotFound", "message": "none"}},
        partner.url,
    )
    _accepted(pact.post_event("/3/events", event))


# -- v2.3 footprints -------------------------------------------------------------------


def test_v2_case_03_get_footprint_is_valid_v2(pact: Pact) -> None:
    p = next(f for f in pact.footprints("/2/footprints") if f["productIds"] == [P_URN])
    response = pact.get(f"/2/footprints/{p['id']}", pact.token())
    assert response.status_code == 200
    data = response.json()["data"]
    assert schema_errors("v2", "ProductFootprint", data) == []
    # P per kilogram of its 2 kg: 10.1207884 kg CO2e per piece / 2
    assert (data["pcf"]["declaredUnit"], data["pcf"]["unitaryProductAmount"]) == ("kilogram", "2")
    assert data["pcf"]["pCfExcludingBiogenic"] == "5.0603942"


def test_v2_case_04_list_gives_every_footprint_valid_with_the_v3_ids(pact: Pact) -> None:
    v2 = pact.footprints("/2/footprints")
    assert {f["productIds"][0] for f in v2} == {P_URN, A_URN}
    for footprint in v2:
        assert schema_errors("v2", "ProductFootprint", footprint) == []
    assert {f["id"] for f in v2} == {f["id"] for f in pact.footprints()}


def test_v2_case_05_pagination_link(pact: Pact) -> None:
    token = pact.token()
    first = pact.get("/2/footprints", token, limit=1)
    link = first.headers["Link"]
    assert link.startswith(f"<{pact.url}/2/footprints?") and link.endswith('>; rel="next"')
    second = requests.get(
        link[1 : link.index(">")],
        headers={"Authorization": f"Bearer {token}"},
        verify=pact.certificate,
        timeout=10,
    )
    assert second.status_code == 200
    assert second.json()["data"][0]["id"] != first.json()["data"][0]["id"]
    assert "Link" not in second.headers


@pytest.mark.parametrize("path", ["/2/footprints", f"/2/footprints/{A_UUID}"])
def test_v2_cases_06_07_invalid_token(pact: Pact, path: str) -> None:
    response = pact.get(path, "invalid-access-token")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_v2_case_08_non_existent_id(pact: Pact) -> None:
    response = pact.get("/2/footprints/non-existent-id", pact.token())
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


@pytest.mark.parametrize("path", ["/auth/token", "/2/footprints", f"/2/footprints/{A_UUID}"])
def test_v2_cases_09_10_11_over_http_give_neither_token_nor_data(
    pact: Pact, plain_http: LocalServer, path: str
) -> None:
    response = requests.request(
        "POST" if path == "/auth/token" else "GET",
        plain_http.url + path,
        headers={"Authorization": f"Bearer {pact.token()}"},
        timeout=10,
    )
    assert response.status_code == 403
    assert "data" not in response.json() and "access_token" not in response.json()


@pytest.mark.parametrize(
    ("case", "odata", "expected"),
    [
        ("20 created ge", "created ge '2023-01-15T10:15:30Z'", {P_URN, A_URN}),
        ("created in the future", "created ge '2099-01-01T00:00:00Z'", set()),
        ("productIds any", f"productIds/any(productId:(productId eq '{P_URN}'))", {P_URN}),
        (
            "companyIds any",
            "companyIds/any(c:c eq 'urn:pact:company:sample.example')",
            {P_URN, A_URN},
        ),
        (
            "geography and CPC",
            "pcf/geographyCountry eq 'DE' and productCategoryCpc eq '43240'",
            {P_URN},
        ),
        ("geography negative", "(pcf/geographyCountry eq 'FR')", set()),
        (
            "reference period",
            "pcf/referencePeriodStart ge '2025-12-31T23:00:00Z' and "
            "pcf/referencePeriodEnd le '2026-01-31T23:00:00Z'",
            {P_URN, A_URN},
        ),
    ],
)
def test_v2_case_20_odata_filters(pact: Pact, case: str, odata: str, expected: set[str]) -> None:
    found = pact.footprints("/2/footprints", **{"$filter": odata})
    assert {f["productIds"][0] for f in found} == expected, case


@pytest.mark.parametrize(
    "odata", ["created gte '2023'", "created ge", "productIds/any(x:y eq 'a')"]
)
def test_v2_an_unreadable_filter_is_bad_request(pact: Pact, odata: str) -> None:
    response = pact.get("/2/footprints", pact.token(), **{"$filter": odata})
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_v2_case_21_post_to_list_footprints_is_bad_request(pact: Pact) -> None:
    response = requests.post(
        pact.url + "/2/footprints",
        params={"$filter": "created ge '2023-01-15T10:15:30Z'"},
        headers={"Authorization": f"Bearer {pact.token()}"},
        verify=pact.certificate,
        timeout=10,
    )
    assert response.status_code == 400
    assert "data" not in response.json()


# -- v2.3 events -----------------------------------------------------------------------


def test_v2_cases_12_13_request_is_fulfilled_with_v2_footprints(
    pact: Pact, partner: PartnerServer
) -> None:
    request = cloud_event(
        V2_EVENTS.request_created,
        {"pf": {"productIds": [P_URN]}, "comment": "Please send PCF data for this year."},
        partner.url,
    )
    _accepted(pact.post_event("/2/events", request))

    received = partner.answer_to(request["id"])
    assert received.path == "/2/events"
    assert received.headers["Authorization"] == f"Bearer {PARTNER_TOKEN}"
    assert received.event["type"] == V2_EVENTS.request_fulfilled
    assert received.event["source"] == f"{pact.url}/2/events"
    (pf,) = received.event["data"]["pfs"]
    assert pf["productIds"] == [P_URN]
    assert schema_errors("v2", "RequestFulfilledEvent", received.event) == []


def test_v2_cases_14a_14b_unknown_product_is_rejected_even_on_the_v3_endpoint(
    pact: Pact, partner: PartnerServer
) -> None:
    # case 14.A's text POSTs the v2 type with v3's "productId" to /3/events
    request = cloud_event(V2_EVENTS.request_created, {"productId": ["urn:null"]}, partner.url)
    _accepted(pact.post_event("/3/events", request))

    received = partner.answer_to(request["id"])
    assert received.path == "/2/events"
    assert received.event["type"] == V2_EVENTS.request_rejected
    assert schema_errors("v2", "RequestRejectedEvent", received.event) == []
    assert received.event["data"]["error"]["code"] == "NotFound"


def test_v2_case_15_published_event(pact: Pact, partner: PartnerServer) -> None:
    _accepted(
        pact.post_event("/2/events", cloud_event(V2_EVENTS.published, {"pfIds": [A_UUID]}, "x"))
    )
    urn = cloud_event(V2_EVENTS.published, {"pfIds": ["urn:gtin:4712345060507"]}, "x")
    assert pact.post_event("/2/events", urn).status_code == 400  # v2 case 21's text


def test_v2_case_16_events_with_invalid_token(pact: Pact) -> None:
    event = cloud_event(V2_EVENTS.published, {"pfIds": [A_UUID]}, "x")
    response = pact.post_event("/2/events", event, token="invalid-access-token")
    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"


def test_v2_a_fragment_we_cannot_match_on_is_bad_request(
    pact: Pact, partner: PartnerServer
) -> None:
    request = cloud_event(
        V2_EVENTS.request_created, {"pf": {"pcf": {"declaredUnit": "liter"}}}, partner.url
    )
    assert pact.post_event("/2/events", request).status_code == 400
