"""The PACT footprint use cases: list with the v3 filters (or v2's ``$filter``) and
paging, get one by id, find the footprints a request event asks for.

No event shapes here: the routes parse the request into ``FootprintFilters`` and page
numbers, and shape the answer. Filters always look at the v3 document; v2 documents are
the same footprints in v2.3's shape (those v2.3 can express).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pcf.observability import logger
from pcf.pact.conversion import (
    Lifecycle,
    PactCompany,
    PactConversionError,
    PactStatus,
    PublishedFootprint,
    to_pact_v2,
    to_pact_v3,
)

# The lifecycle of a published footprint; until periods close, every one is Active.
LifecycleOf = Callable[[PublishedFootprint], Lifecycle]


def always_active(_: PublishedFootprint) -> Lifecycle:
    return Lifecycle()


class BadFilter(ValueError):
    """A filter value the API cannot read (a date that is no date, an unknown status)."""


class NoSuchFootprint(KeyError):
    """No published footprint has this PACT id."""


@dataclass(frozen=True)
class FootprintFilters:
    """The v3 ListFootprints criteria: OR within one, AND across them; text matches
    ignore case. Empty tuples and None match everything."""

    product_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    geographies: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    valid_on: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    status: PactStatus | None = None

    def matches(self, footprint: dict[str, Any]) -> bool:
        pcf = footprint["pcf"]
        geography = [
            pcf.get(name)
            for name in (
                "geographyCountry",
                "geographyRegionOrSubregion",
                "geographyCountrySubdivision",
            )
        ]
        start = _moment(footprint["validityPeriodStart"])
        end = _moment(footprint["validityPeriodEnd"])
        return (
            _any_of(self.product_ids, footprint["productIds"])
            and _any_of(self.company_ids, footprint["companyIds"])
            and _any_of(self.geographies, [g for g in geography if g])
            and _any_of(self.classifications, footprint.get("productClassifications", []))
            and (self.valid_on is None or start <= self.valid_on <= end)
            and (self.valid_after is None or start > self.valid_after)
            and (self.valid_before is None or end < self.valid_before)
            and (self.status is None or footprint["status"] == self.status.value)
        )


@dataclass(frozen=True)
class FootprintPage:
    footprints: list[dict[str, Any]]
    next_offset: int | None  # None: this is the last page


@dataclass(frozen=True)
class PactCatalogue:
    """The published footprints of one request, as PACT v3 (or v2.3) documents."""

    company: PactCompany
    published: Sequence[PublishedFootprint]
    lifecycle_of: LifecycleOf = field(default=always_active)

    def documents(self) -> list[dict[str, Any]]:
        return [self._v3(f) for f in self.published]

    def page(self, filters: FootprintFilters, offset: int, limit: int | None) -> FootprintPage:
        """The footprints matching ``filters`` from ``offset``, at most ``limit``."""
        return page_of([d for d in self.documents() if filters.matches(d)], offset, limit)

    def get(self, pact_id: str) -> dict[str, Any]:
        for document in self.documents():
            if document["id"] == pact_id.lower():
                return document
        raise NoSuchFootprint(pact_id)

    def v2_documents(self) -> list[dict[str, Any]]:
        """The footprints v2.3 can express, as v2.3 documents (a piece without a mass
        has no v2.3 declared unit: left out, and logged)."""
        return self._v2_of(self.published)

    def get_v2(self, pact_id: str) -> dict[str, Any]:
        for document in self.v2_documents():
            if document["id"] == pact_id.lower():
                return document
        raise NoSuchFootprint(pact_id)

    def requested(self, filters: FootprintFilters, version: int) -> list[dict[str, Any]]:
        """What a request event asks for: the footprints matching ``filters`` (read on
        their v3 documents), as documents of PACT ``version`` (3 or 2)."""
        matching = [f for f in self.published if filters.matches(self._v3(f))]
        if version == 2:
            return self._v2_of(matching)
        return [self._v3(f) for f in matching]

    def _v3(self, footprint: PublishedFootprint) -> dict[str, Any]:
        return to_pact_v3(footprint, self.company, self.lifecycle_of(footprint))

    def _v2_of(self, footprints: Sequence[PublishedFootprint]) -> list[dict[str, Any]]:
        documents = []
        for footprint in footprints:
            try:
                documents.append(to_pact_v2(footprint, self.company, self.lifecycle_of(footprint)))
            except PactConversionError as error:
                logger.warning("footprint left out of PACT v2", reason=str(error))
        return documents


def page_of(documents: list[dict[str, Any]], offset: int, limit: int | None) -> FootprintPage:
    """``documents`` from ``offset``, at most ``limit``."""
    end = len(documents) if limit is None else offset + limit
    return FootprintPage(documents[offset:end], end if end < len(documents) else None)


def parse_moment(name: str, value: str | None) -> datetime | None:
    """A filter's date-time (RFC 3339; a date alone means its midnight UTC)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise BadFilter(f'{name}: "{value}" is not an RFC 3339 date-time') from error
    if moment.tzinfo is None:
        raise BadFilter(f'{name}: "{value}" needs a time zone (e.g. "Z")')
    return moment


def parse_status(value: str | None) -> PactStatus | None:
    if value is None:
        return None
    for status in PactStatus:
        if status.value.lower() == value.lower():
            return status
    raise BadFilter(f'status: "{value}" is neither Active nor Deprecated')


def _any_of(wanted: Sequence[str], present: Sequence[str]) -> bool:
    if not wanted:
        return True
    lowered = {value.lower() for value in present}
    return any(value.lower() in lowered for value in wanted)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
