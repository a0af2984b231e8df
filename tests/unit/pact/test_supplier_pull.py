"""The PACT API client's rules that need no server: HTTPS only, the secret kept out of
sight, next links followed only on the supplier's host."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pcf.pact.supplier_pull import FetchedPage, PactApiClient, PullError, SupplierApi

API = SupplierApi("https://supplier.example/pact", "our-id", "s3cret")


def page_with_link(link: str | None) -> FetchedPage:
    url = "https://supplier.example/pact/3/footprints?limit=1"
    return FetchedPage(url, datetime(2026, 1, 1, tzinfo=UTC), b"{}", link)


def test_only_https_and_known_versions() -> None:
    with pytest.raises(PullError, match="https:// only"):
        SupplierApi("http://supplier.example", "our-id", "s3cret")
    with pytest.raises(PullError, match="3 or 2"):
        SupplierApi("https://supplier.example", "our-id", "s3cret", api_version="1")


def test_the_secret_is_not_in_the_representation() -> None:
    assert "s3cret" not in repr(API)


def test_next_links_are_followed_on_the_suppliers_host_only() -> None:
    client = PactApiClient(API)
    # Given a next link on the same host, relative or absolute, and none
    same = '<https://supplier.example/pact/3/footprints?limit=1&offset=1>; rel="next"'
    assert client._next(page_with_link(same)) == (
        "https://supplier.example/pact/3/footprints?limit=1&offset=1"
    )
    relative = '</pact/3/footprints?offset=2>; rel="next"'
    assert client._next(page_with_link(relative)) == (
        "https://supplier.example/pact/3/footprints?offset=2"
    )
    assert client._next(page_with_link(None)) is None
    assert client._next(page_with_link('<https://x.example/a>; rel="prev"')) is None
    # Then a link to another host is refused: our token would go there
    with pytest.raises(PullError, match=r"leaves https://supplier\.example/pact"):
        client._next(page_with_link('<https://elsewhere.example/3/footprints>; rel="next"'))
