"""Reading PACT CloudEvents and writing the answers (``pcf.pact.events``), checked
against the event schemas of both OpenAPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pcf.pact.conversion import PactStatus
from pcf.pact.events import (
    V2_EVENTS,
    V3_EVENTS,
    BadEvent,
    FootprintRequest,
    PublishedNotice,
    RequestAnswered,
    answer,
    callback_url,
    parse_event,
)
from pcf.pact.footprints import FootprintFilters
from tests.unit.pact.pact_schemas import schema_errors

OUR_SOURCE = "https://pcf.example/3/events"


def _body(event_type: str, data: dict[str, Any], **fields: str) -> str:
    event = {
        "specversion": "1.0",
        "id": "request-1",
        "source": "https://partner.example/3/events",
        "time": "2025-03-05T17:31:00Z",
        "type": event_type,
        "data": data,
    }
    return json.dumps({**event, **fields})


def test_a_v3_request_becomes_the_list_filters_and_the_reply_address() -> None:
    data = {
        "productId": ["urn:gtin:1"],
        "geography": ["DE"],
        "validAfter": "2025-01-01T00:00:00Z",
        "status": "active",
        "comment": "please",
    }
    request = parse_event(_body(V3_EVENTS.request_created, data))
    assert request == FootprintRequest(
        "request-1",
        "https://partner.example/3/events",
        V3_EVENTS,
        FootprintFilters(
            product_ids=("urn:gtin:1",),
            geographies=("DE",),
            valid_after=datetime(2025, 1, 1, tzinfo=UTC),
            status=PactStatus.ACTIVE,
        ),
    )


def test_a_v2_request_matches_its_fragment() -> None:
    data = {"pf": {"productIds": ["urn:gtin:1"], "productCategoryCpc": "43240"}}
    request = parse_event(_body(V2_EVENTS.request_created, data))
    assert isinstance(request, FootprintRequest)
    assert request.types is V2_EVENTS
    assert request.reply_to == "https://partner.example/3/events"  # the source as given
    assert request.filters == FootprintFilters(
        product_ids=("urn:gtin:1",),
        classifications=("urn:pact:productclassification:un-cpc:43240",),
    )


@pytest.mark.parametrize(
    ("source", "version", "url"),
    [
        ("https://partner.example", 3, "https://partner.example/3/events"),
        ("https://partner.example/", 2, "https://partner.example/2/events"),
        ("//api.example.com/3/events", 3, "https://api.example.com/3/events"),
        ("https://partner.example:8443/hooks/pact", 3, "https://partner.example:8443/hooks/pact"),
    ],
)
def test_the_answer_goes_to_the_source(source: str, version: int, url: str) -> None:
    assert callback_url(source, version) == url


@pytest.mark.parametrize("source", ["http://partner.example", "partner.example", "mailto:x@y"])
def test_a_source_that_is_no_https_url_is_refused(source: str) -> None:
    with pytest.raises(BadEvent, match="https"):
        callback_url(source, 3)


def test_published_and_answers_are_read() -> None:
    published = parse_event(
        _body(V3_EVENTS.published, {"pfIds": ["079e425a-464f-528d-341d-4a944a1dfd70"]})
    )
    assert published == PublishedNotice("request-1", ("079e425a-464f-528d-341d-4a944a1dfd70",))
    fulfilled = parse_event(
        _body(V2_EVENTS.request_fulfilled, {"requestEventId": "ours", "pfs": []})
    )
    assert fulfilled == RequestAnswered("request-1", "ours", fulfilled=True)


@pytest.mark.parametrize(
    "pf_id", ["urn:gtin:4712345060507", "urn:uuid:079e425a-464f-528d-341d-4a944a1dfd70", "1"]
)
def test_published_ids_must_be_uuids(pf_id: str) -> None:
    with pytest.raises(BadEvent, match="not a UUID"):
        parse_event(_body(V3_EVENTS.published, {"pfIds": [pf_id]}))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "JSON object"),
        (_body(V3_EVENTS.request_created, {"productId": ["u"]}, specversion="0.3"), "1.0"),
        (_body(V3_EVENTS.request_created, {"productId": ["u"]}, time="soon"), "time"),
        (_body("org.wbcsd.pact.Other.3", {}), "not a PACT event"),
        (_body(V3_EVENTS.request_created, {}), "no criteria"),
        (_body(V3_EVENTS.request_created, {"validOn": "2025-01-01"}), "time zone"),
        (_body(V2_EVENTS.request_created, {"pf": {"pcf": {"declaredUnit": "liter"}}}), "pcf."),
        (_body(V3_EVENTS.request_fulfilled, {"pfs": []}), "requestEventId"),
    ],
)
def test_malformed_events_say_what_is_wrong(body: str, message: str) -> None:
    with pytest.raises(BadEvent, match=message):
        parse_event(body)


def _request(types: Any = V3_EVENTS) -> FootprintRequest:
    return FootprintRequest("request-1", "https://p.example/3/events", types, FootprintFilters())


def test_no_footprints_is_a_not_found_rejection_valid_in_both_versions() -> None:
    now = datetime(2026, 2, 1, 12, tzinfo=UTC)
    for version, types in (("v3", V3_EVENTS), ("v2", V2_EVENTS)):
        event = answer(_request(types), [], OUR_SOURCE, now)
        assert schema_errors(version, "RequestRejectedEvent", event) == []
        assert event["type"] == types.request_rejected
        assert event["time"] == "2026-02-01T12:00:00Z"
        assert event["data"]["requestEventId"] == "request-1"
        assert event["data"]["error"]["code"] == "NotFound"


def test_footprints_are_a_fulfilled_event() -> None:
    event = answer(_request(), [{"id": "x"}], OUR_SOURCE)
    assert event["type"] == V3_EVENTS.request_fulfilled
    assert event["source"] == OUR_SOURCE
    assert event["data"] == {"requestEventId": "request-1", "pfs": [{"id": "x"}]}
