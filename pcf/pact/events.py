"""PACT Action Events (``POST /3/events``, ``POST /2/events``): CloudEvents in, the
answer to a footprint request out. Pure: reading events and writing answers; sending
them is ``pcf.pact.callbacks``.

- A request (v3 ``RequestCreatedEvent``, v2 ``ProductFootprintRequest.Created``) names
  criteria and a ``source``; it is accepted (200) when both can be read, and answered
  later at the source with a fulfilled event (the matching footprints, in the request's
  PACT version) or a rejected one (``NotFound`` when nothing matches).
- A published event (the data owner's notice) is accepted when its ``pfIds`` are UUIDs,
  as both OpenAPIs say: we keep no partners' footprints, so there is nothing to fetch.
- Fulfilled and rejected events are accepted: we never ask partners for footprints.
- Anything else (not JSON, a field missing, an unknown type, a criterion we cannot
  read) is ``BadEvent``, a 400.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pcf.pact.conversion import PactStatus
from pcf.pact.footprints import BadFilter, FootprintFilters, parse_moment, parse_status

CPC_URN_PREFIX = "urn:pact:productclassification:un-cpc:"


@dataclass(frozen=True)
class EventTypes:
    """The CloudEvents types of one PACT version."""

    version: int
    request_created: str
    request_fulfilled: str
    request_rejected: str
    published: str


V3_EVENTS = EventTypes(
    3,
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
)
V2_EVENTS = EventTypes(
    2,
    "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1",
    "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1",
    "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1",
    "org.wbcsd.pathfinder.ProductFootprint.Published.v1",
)
_TYPES = {
    getattr(types, kind): (types, kind)
    for types in (V3_EVENTS, V2_EVENTS)
    for kind in ("request_created", "request_fulfilled", "request_rejected", "published")
}
# v3's request criteria: ListFootprints' filters, by name
_V3_LISTS = ("productId", "companyId", "geography", "classification")
_V3_MOMENTS = ("validOn", "validAfter", "validBefore")
# the form both OpenAPIs give pfIds (format uuid): 8-4-4-4-12 hex digits, nothing else
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class BadEvent(ValueError):
    """An event we cannot accept (400), with what is wrong in it."""


@dataclass(frozen=True)
class FootprintRequest:
    """A partner asks for footprints; the answer goes to ``reply_to``."""

    event_id: str
    reply_to: str  # the request's source as an https URL of an events endpoint
    types: EventTypes  # the request's PACT version: the answer's shape
    filters: FootprintFilters


@dataclass(frozen=True)
class PublishedNotice:
    event_id: str
    pf_ids: tuple[str, ...]


@dataclass(frozen=True)
class RequestAnswered:
    event_id: str
    request_event_id: str
    fulfilled: bool


PactEvent = FootprintRequest | PublishedNotice | RequestAnswered


def parse_event(body: str | None) -> PactEvent:
    """The event in a request body (CloudEvents JSON, structured mode); else ``BadEvent``."""
    try:
        event = json.loads(body or "")
    except json.JSONDecodeError as error:
        raise BadEvent(f"the body is not JSON: {error}") from error
    if not isinstance(event, dict):
        raise BadEvent("the body must be a CloudEvent (a JSON object)")
    for name in ("type", "specversion", "id", "source", "time"):
        if not isinstance(event.get(name), str) or not event[name].strip():
            raise BadEvent(f'"{name}" is missing or not a non-empty string')
    if event["specversion"] != "1.0":
        raise BadEvent(f'specversion "{event["specversion"]}" is not CloudEvents 1.0')
    _moment("time", event["time"])
    data = event.get("data")
    if not isinstance(data, dict):
        raise BadEvent('"data" must be an object')
    known = _TYPES.get(event["type"])
    if known is None:
        raise BadEvent(f'event type "{event["type"]}" is not a PACT event')
    types, kind = known
    if kind == "request_created":
        return FootprintRequest(
            event["id"],
            callback_url(event["source"], types.version),
            types,
            _request_filters(data, types),
        )
    if kind == "published":
        return PublishedNotice(event["id"], _uuids(data.get("pfIds")))
    request_event_id = data.get("requestEventId")
    if not isinstance(request_event_id, str) or not request_event_id:
        raise BadEvent('"data.requestEventId" is missing')
    return RequestAnswered(event["id"], request_event_id, kind == "request_fulfilled")


def callback_url(source: str, version: int) -> str:
    """Where the answer to a request from ``source`` goes: the source itself when it
    names a path (``https://partner.example/3/events``, or ``//partner.example/3/events``
    as the spec's examples write it), else that host's ``/<version>/events``. HTTPS only:
    footprints are not sent in clear text."""
    text = source.strip()
    if text.startswith("//"):
        text = "https:" + text
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise BadEvent(f'source "{source}" must be an https URL to send the answer to')
    if parts.path in ("", "/"):
        parts = parts._replace(path=f"/{version}/events")
    return urllib.parse.urlunsplit(parts)


def answer(
    request: FootprintRequest,
    footprints: Sequence[dict[str, Any]],
    our_source: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The event answering ``request``: fulfilled with ``footprints`` (documents of the
    request's version), or rejected as ``NotFound`` when there are none."""
    if footprints:
        return _event(
            request.types.request_fulfilled,
            our_source,
            {"requestEventId": request.event_id, "pfs": list(footprints)},
            now,
        )
    nothing = "no published footprint matches the request"
    return rejection(request, "NotFound", nothing, our_source, now)


def rejection(
    request: FootprintRequest,
    code: str,
    message: str,
    our_source: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The rejected event for ``request`` with the spec's error ``code``."""
    error = {"code": code, "message": message}
    data = {"requestEventId": request.event_id, "error": error}
    return _event(request.types.request_rejected, our_source, data, now)


def _event(
    event_type: str, source: str, data: dict[str, Any], now: datetime | None
) -> dict[str, Any]:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "type": event_type,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "data": data,
    }


def _request_filters(data: Mapping[str, Any], types: EventTypes) -> FootprintFilters:
    # v2 asks with a footprint fragment ("pf"); a v2 request without one is read as v3
    # criteria (v2 case 14.A sends v3's "productId" with the v2 type)
    if types.version == 2 and "pf" in data:
        fragment = data["pf"]
        if not isinstance(fragment, dict):
            raise BadEvent('"data.pf" must be an object (a ProductFootprint fragment)')
        return _fragment_filters(fragment)
    return _v3_filters(data)


def _v3_filters(data: Mapping[str, Any]) -> FootprintFilters:
    lists: dict[str, tuple[str, ...]] = {}
    moments: dict[str, datetime | None] = {}
    for name, value in data.items():
        if name in _V3_LISTS:
            lists[name] = _texts(f"data.{name}", value)
        elif name in _V3_MOMENTS:
            moments[name] = _moment(f"data.{name}", value)
        elif name not in ("status", "comment") and not name.startswith("x-"):
            raise BadEvent(f'"data.{name}" is not a criterion we can match')
    status = data.get("status")
    if status is not None and not isinstance(status, str):
        raise BadEvent('"data.status" must be a string')
    filters = FootprintFilters(
        product_ids=lists.get("productId", ()),
        company_ids=lists.get("companyId", ()),
        geographies=lists.get("geography", ()),
        classifications=lists.get("classification", ()),
        valid_on=moments.get("validOn"),
        valid_after=moments.get("validAfter"),
        valid_before=moments.get("validBefore"),
        status=_status(status),
    )
    if filters == FootprintFilters():
        raise BadEvent("the request names no criteria (productId, companyId, ...)")
    return filters


def _fragment_filters(fragment: Mapping[str, Any]) -> FootprintFilters:
    product_ids = _texts("data.pf.productIds", fragment.get("productIds", []))
    company_ids = _texts("data.pf.companyIds", fragment.get("companyIds", []))
    cpc = fragment.get("productCategoryCpc")
    pcf = fragment.get("pcf", {})
    geography = pcf.get("geographyCountry") if isinstance(pcf, dict) else None
    unreadable = set(fragment) - {"productIds", "companyIds", "productCategoryCpc", "pcf"}
    unreadable |= {f"pcf.{n}" for n in (pcf if isinstance(pcf, dict) else {})} - {
        "pcf.geographyCountry"
    }
    if unreadable:
        raise BadEvent(f"cannot match footprints on {', '.join(sorted(unreadable))}")
    filters = FootprintFilters(
        product_ids=product_ids,
        company_ids=company_ids,
        classifications=(f"{CPC_URN_PREFIX}{cpc}",) if isinstance(cpc, str) else (),
        geographies=(geography,) if isinstance(geography, str) else (),
    )
    if filters == FootprintFilters():
        raise BadEvent("the request's footprint fragment names no productIds or companyIds")
    return filters


def _texts(name: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise BadEvent(f'"{name}" must be a list of strings')
    return tuple(values)


def _moment(name: str, value: Any) -> datetime | None:
    if not isinstance(value, str):
        raise BadEvent(f'"{name}" must be an RFC 3339 date-time')
    try:
        return parse_moment(name, value)
    except BadFilter as error:
        raise BadEvent(str(error)) from error


def _status(value: str | None) -> PactStatus | None:
    try:
        return parse_status(value)
    except BadFilter as error:
        raise BadEvent(str(error)) from error


def _uuids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise BadEvent('"data.pfIds" must be a non-empty list of footprint ids (UUIDs)')
    for pf_id in value:
        if not isinstance(pf_id, str) or not _UUID.fullmatch(pf_id):
            raise BadEvent(f'"data.pfIds": "{pf_id}" is not a UUID')
    return tuple(value)
