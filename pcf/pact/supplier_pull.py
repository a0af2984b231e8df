"""Pull supplier footprints from a supplier's PACT API (``pcf pact pull``).

1. A token: OAuth2 client credentials, HTTP Basic ``client id:secret``, at the supplier's
   ``/auth/token`` (PACT puts the token endpoint on the API host).
2. The footprints: ``GET /3/footprints`` (or ``/2/footprints``), narrowed to the product
   ids asked for (v3 ``productId``, v2 ``$filter``) and to Active ones (v3 ``status``),
   following the ``Link: <...>; rel="next"`` pages; or ``GET /3/footprints/{id}`` per
   footprint id asked for.
3. Every response body goes to the raw tier as it came (``raw/pact_pulls/<pull id>/``,
   with a manifest of URLs, retrieval times and checksums), then the footprints are
   loaded exactly as an uploaded PACT file is (``load_pact_footprints``), each with the
   URL and time it was fetched as its source.

HTTPS only, the certificate verified (``ca_file`` adds a trusted CA, e.g. a supplier's
test server), no redirects followed, and a next link to another host is refused: the
token goes nowhere but the supplier's API. The secret is never logged, and the command
line takes the name of the environment variable holding it, never the secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from pcf.adapters.object_store import ObjectStore
from pcf.adapters.postgres.connection import transaction
from pcf.adapters.postgres.datasets import DatasetVersion
from pcf.observability import logger
from pcf.pact.supplier_import import (
    DEFAULT_SUPPLIER_FIGURE,
    FootprintSource,
    SupplierFigure,
    footprints_in,
)
from pcf.usecases.uploads import load_pact_footprints

RAW_PULLS_PREFIX = "raw/pact_pulls"
DEFAULT_PAGE_SIZE = 100
MAX_PAGES = 10_000  # a supplier whose next links never end is stopped
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel\s*=\s*"?next"?', re.IGNORECASE)


class PullError(RuntimeError):
    """The supplier's API could not be read (network, TLS, an HTTP error, an answer that
    is not PACT's); nothing was loaded."""


@dataclass(frozen=True)
class SupplierApi:
    """A supplier's PACT API and our client credentials there."""

    base_url: str  # https://supplier.example (the API host, maybe with a path prefix)
    client_id: str
    client_secret: str = field(repr=False)
    api_version: str = "3"  # "3" or "2"
    ca_file: Path | None = None  # an extra trusted CA; the system's are always trusted
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.netloc:
            raise PullError(f"{self.base_url}: a PACT API is reached over https:// only")
        if self.api_version not in ("2", "3"):
            raise PullError(f"PACT API version {self.api_version!r}: 3 or 2")

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class FetchedPage:
    url: str
    retrieved_at: datetime
    body: bytes
    link: str | None = None  # the Link header


@dataclass(frozen=True)
class PullResult:
    pull_id: str
    version: DatasetVersion  # the new supplier_footprints version
    item_ids: tuple[str, ...]  # the items whose supplier footprint it replaced or added
    raw_keys: tuple[str, ...]  # the response bodies in the raw tier, then the manifest
    notes: tuple[str, ...]


class PactApiClient:
    """Reads footprints from one supplier's PACT API (see the module docstring)."""

    def __init__(self, api: SupplierApi) -> None:
        self.api = api
        context = ssl.create_default_context()
        if api.ca_file is not None:
            context.load_verify_locations(cafile=str(api.ca_file))
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirects()
        )
        self._token: str | None = None

    def token(self) -> str:
        """An access token for our client credentials, fetched once."""
        if self._token is None:
            credentials = f"{self.api.client_id}:{self.api.client_secret}".encode()
            body = self._call(
                self.api.url("/auth/token"),
                data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                headers={
                    "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            ).body
            try:
                token = json.loads(body)["access_token"]
            except (ValueError, KeyError, TypeError) as error:
                raise PullError("the token endpoint's answer has no access_token") from error
            if not isinstance(token, str) or not token:
                raise PullError("the token endpoint's answer has no access_token")
            self._token = token
        return self._token

    def footprint_pages(
        self,
        *,
        product_ids: Sequence[str] = (),
        footprint_ids: Sequence[str] = (),
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[FetchedPage]:
        """The response bodies: one per footprint id when ids are given, else the list
        (narrowed to ``product_ids``) page by page."""
        version = self.api.api_version
        if footprint_ids:
            for footprint_id in footprint_ids:
                quoted = urllib.parse.quote(footprint_id, safe="")
                yield self._get(self.api.url(f"/{version}/footprints/{quoted}"))
            return
        query: list[tuple[str, str]] = [("limit", str(page_size))]
        if version == "3":
            query += [("productId", urn) for urn in product_ids]
            query.append(("status", "Active"))
        elif product_ids:
            query.append(("$filter", _v2_product_filter(product_ids)))
        url: str | None = self.api.url(f"/{version}/footprints?{urllib.parse.urlencode(query)}")
        for _ in range(MAX_PAGES):
            if url is None:
                return
            page = self._get(url)
            yield page
            url = self._next(page)
        raise PullError(f"more than {MAX_PAGES} pages: stopped")

    def _get(self, url: str) -> FetchedPage:
        return self._call(
            url, headers={"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        )

    def _next(self, page: FetchedPage) -> str | None:
        if not page.link:
            return None
        match = _NEXT_LINK.search(page.link)
        if match is None:
            return None
        target: str = urllib.parse.urljoin(page.url, str(match[1]))
        if _origin(target) != _origin(self.api.base_url):
            raise PullError(
                f"the next page link {target} leaves {self.api.base_url}: not "
                "followed (our token goes to the supplier's API only)"
            )
        return target

    def _call(self, url: str, *, data: bytes | None = None, headers: dict[str, str]) -> FetchedPage:
        request = urllib.request.Request(
            url, data=data, headers=headers, method="POST" if data is not None else "GET"
        )
        try:
            with self._opener.open(request, timeout=self.api.timeout_seconds) as response:
                body = response.read()
                return FetchedPage(url, datetime.now(UTC), body, response.headers.get("Link"))
        except urllib.error.HTTPError as error:
            raise PullError(f"{_shown_url(url)}: HTTP {error.code} {_pact_error(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PullError(f"{_shown_url(url)}: {reason}") from None


def pull_supplier_footprints(
    engine: Engine,
    store: ObjectStore,
    api: SupplierApi,
    *,
    product_ids: Sequence[str] = (),
    footprint_ids: Sequence[str] = (),
    page_size: int = DEFAULT_PAGE_SIZE,
    figure: SupplierFigure = DEFAULT_SUPPLIER_FIGURE,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> PullResult:
    """Fetch the supplier's footprints, keep every response body in the raw tier, and
    load them as the next version of supplier_footprints (``load_pact_footprints``).
    ``PullError`` when the API cannot be read, ``SupplierImportError`` (every problem)
    when a footprint cannot be imported; either way nothing is loaded (the bodies stay in
    the raw tier, to look at)."""
    client = PactApiClient(api)
    pull_id = uuid.uuid4().hex
    pages = list(
        client.footprint_pages(
            product_ids=product_ids, footprint_ids=footprint_ids, page_size=page_size
        )
    )
    keys: list[str] = []
    manifest_pages: list[dict[str, Any]] = []
    for number, page in enumerate(pages, start=1):
        key = f"{RAW_PULLS_PREFIX}/{pull_id}/{number:04d}.json"
        store.put(key, page.body)
        keys.append(key)
        manifest_pages.append(
            {
                "url": page.url,
                "retrieved_at": page.retrieved_at.isoformat(),
                "sha256": hashlib.sha256(page.body).hexdigest(),
                "key": key,
            }
        )
    manifest = json.dumps(
        {
            "pull_id": pull_id,
            "base_url": api.base_url,
            "client_id": api.client_id,
            "api_version": api.api_version,
            "product_ids": list(product_ids),
            "footprint_ids": list(footprint_ids),
            "figure": figure.value,
            "pages": manifest_pages,
        },
        indent=2,
    ).encode()
    manifest_key = f"{RAW_PULLS_PREFIX}/{pull_id}/manifest.json"
    store.put(manifest_key, manifest)
    keys.append(manifest_key)
    logger.info(
        "pulled PACT footprints",
        extra={"pull_id": pull_id, "base_url": api.base_url, "pages": len(pages)},
    )

    footprints = []
    for page in pages:
        try:
            document = json.loads(page.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise PullError(f"{_shown_url(page.url)}: the answer is not JSON ({error})") from None
        source = FootprintSource(page.url, page.retrieved_at)
        footprints += [(footprint, source) for footprint in footprints_in(document)]
    with transaction(engine) as connection:
        version, imported = load_pact_footprints(
            connection,
            store,
            footprints,
            file_name=f"PACT pull {pull_id} from {api.base_url}",
            sha256=hashlib.sha256(manifest).hexdigest(),
            valid_from=valid_from,
            valid_to=valid_to,
            figure=figure,
        )
    return PullResult(
        pull_id,
        version,
        tuple(imported.table.column("item_id").to_pylist()),
        tuple(keys),
        imported.notes,
    )


def _v2_product_filter(product_ids: Sequence[str]) -> str:
    """v2's OData filter for footprints naming any of ``product_ids``."""
    terms = ["productIds/any(p:p eq '{}')".format(urn.replace("'", "''")) for urn in product_ids]
    return " or ".join(terms)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _shown_url(url: str) -> str:
    """A URL for messages, without any user:password part."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _pact_error(error: urllib.error.HTTPError) -> str:
    """PACT's {code, message} of an error answer, when it has one."""
    try:
        body = json.loads(error.read(4096))
    except (ValueError, OSError):
        return str(error.reason)
    if isinstance(body, dict) and "code" in body:
        return f"{body.get('code')}: {body.get('message', '')}"
    if isinstance(body, dict) and "error" in body:  # OAuth2's token endpoint
        return str(body["error"])
    return str(error.reason)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the token must not follow it elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
