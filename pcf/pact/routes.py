"""The PACT API v3 (``/3/footprints``, ``/3/events``) and v2.3 (``/2/...``), its token
endpoint and OpenID discovery, on Powertools' REST resolver: the same for API Gateway
and the local server.

- Every PACT route is HTTPS only: a request the transport did not mark as HTTPS
  (``X-Forwarded-Proto``, set by API Gateway and by the local server, never taken from
  the client) is refused before anything else, and gets neither token nor data.
- ``/3/...`` and ``/2/...`` need a bearer token with the partner role (admin also
  passes), checked by the same authenticator as the rest of the API.
- Errors are the spec's: ``{"code": ..., "message": ...}`` with ``BadRequest`` (400),
  ``TokenExpired`` (401), ``AccessDenied`` (403), ``NotFound`` (404),
  ``InternalError`` (500); the token endpoint answers in OAuth2's words
  (``invalid_client``, ``unsupported_grant_type``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from pcf.api.auth import AuthError, Forbidden, LocalTokens, Principal, Role, authorize
from pcf.observability import logger
from pcf.pact.auth import (
    PACT_TOKEN_SECONDS,
    InvalidClient,
    PactClients,
    UnsupportedGrant,
    check_grant,
)
from pcf.pact.callbacks import DeliveryFailed, in_a_thread
from pcf.pact.conversion import PactCompany, PublishedFootprint
from pcf.pact.events import (
    BadEvent,
    FootprintRequest,
    PublishedNotice,
    answer,
    parse_event,
    rejection,
)
from pcf.pact.footprints import (
    BadFilter,
    FootprintFilters,
    FootprintPage,
    LifecycleOf,
    NoSuchFootprint,
    PactCatalogue,
    always_active,
    page_of,
    parse_moment,
    parse_status,
)
from pcf.pact.odata import parse_filter

JSON = content_types.APPLICATION_JSON
API_PREFIXES = ("/3/", "/2/")
PACT_PREFIXES = (*API_PREFIXES, "/auth/token", "/.well-known/")
PARTNERS = (Role.PARTNER,)

Authenticator = Callable[[APIGatewayProxyEvent], Principal]
# (events endpoint URL, CloudEvent, partner's client id): delivers or raises
EventSend = Callable[[str, dict[str, Any], str], None]


@dataclass(frozen=True)
class PactDependencies:
    company: PactCompany
    published: Callable[[], Sequence[PublishedFootprint]]  # the publication filter
    authenticate: Authenticator
    clients: PactClients
    tokens: LocalTokens | None  # None in the cloud: Cognito issues the tokens
    lifecycle_of: LifecycleOf = field(default=always_active)
    send_event: EventSend | None = None  # None: footprint requests cannot be answered
    run_later: Callable[[Callable[[], None]], None] = field(default=in_a_thread)


class PactError(Exception):
    """An answer in the spec's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def is_pact_path(path: str) -> bool:
    return path.startswith(PACT_PREFIXES) or path in ("/3", "/2")


def build_pact_api(dependencies: PactDependencies) -> APIGatewayRestResolver:
    """The resolver with the PACT routes, the HTTPS and token checks and the errors."""
    app = APIGatewayRestResolver(enable_validation=True)

    def require_https() -> None:
        proto = app.current_event.headers.get("x-forwarded-proto", "")
        if proto.lower() != "https":
            raise PactError(403, "AccessDenied", "the PACT API is served over HTTPS only")

    def caller() -> Principal:
        try:
            principal = dependencies.authenticate(app.current_event)
            authorize(principal, PARTNERS)
        except Forbidden as error:
            raise PactError(403, "AccessDenied", error.message) from error
        except AuthError as error:
            if "expired" in error.message:
                raise PactError(401, "TokenExpired", error.message) from error
            raise PactError(
                400, "BadRequest", f"Invalid token provided: {error.message}"
            ) from error
        return principal

    def checks(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        require_https()
        if app.current_event.path.startswith(API_PREFIXES):
            app.append_context(principal=caller())  # type: ignore[no-untyped-call]
        return next_middleware(app)

    app.use(middlewares=[checks])

    @app.exception_handler(PactError)  # type: ignore[untyped-decorator]
    def pact_error(error: PactError) -> Response[Any]:
        return _error(error.status, error.code, error.message)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid_request(error: RequestValidationError) -> Response[Any]:
        # validation runs before the middleware: the same checks first
        try:
            require_https()
            caller()
        except PactError as refusal:
            return _error(refusal.status, refusal.code, refusal.message)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in error.errors()
        )
        return _error(400, "BadRequest", f"the request does not match the API ({problems})")

    @app.exception_handler(BadFilter)  # type: ignore[untyped-decorator]
    def bad_filter(error: BadFilter) -> Response[Any]:
        return _error(400, "BadRequest", str(error))

    @app.exception_handler(BadEvent)  # type: ignore[untyped-decorator]
    def bad_event(error: BadEvent) -> Response[Any]:
        return _error(400, "BadRequest", f"the event cannot be accepted: {error}")

    @app.exception_handler(NoSuchFootprint)  # type: ignore[untyped-decorator]
    def no_such_footprint(error: NoSuchFootprint) -> Response[Any]:
        return _error(404, "NotFound", f"Footprint with ID '{error.args[0]}' does not exist")

    @app.not_found  # type: ignore[untyped-decorator]
    def not_found(_: Exception) -> Response[Any]:
        try:
            require_https()
        except PactError as refusal:
            return _error(refusal.status, refusal.code, refusal.message)
        return _error(404, "NotFound", f"no such resource: {app.current_event.path}")

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def internal_error(error: Exception) -> Response[Any]:
        logger.exception("PACT request failed")
        return _error(500, "InternalError", "the request failed on our side")

    def catalogue() -> PactCatalogue:
        return PactCatalogue(
            dependencies.company, dependencies.published(), dependencies.lifecycle_of
        )

    @app.post("/auth/token", summary="OAuth2 client credentials -> bearer token (partner)")
    def post_token() -> Response[Any]:
        body = app.current_event.decoded_body or ""
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        try:
            client_id = dependencies.clients.client_of(
                app.current_event.headers.get("authorization")
            )
            check_grant(form)
        except InvalidClient as error:
            return _oauth_error(401, "invalid_client", str(error), {"WWW-Authenticate": "Basic"})
        except UnsupportedGrant as error:
            return _oauth_error(400, "unsupported_grant_type", str(error))
        if dependencies.tokens is None:  # the cloud's token endpoint is Cognito's
            raise PactError(501, "NotImplemented", "tokens are issued by the identity provider")
        token = dependencies.tokens.issue(client_id, PARTNERS, PACT_TOKEN_SECONDS)
        logger.info("PACT token issued", client_id=client_id)
        body_out = {"access_token": token, "token_type": "Bearer", "expires_in": PACT_TOKEN_SECONDS}
        return Response(200, JSON, body_out, headers={"Cache-Control": "no-store"})

    @app.get("/.well-known/openid-configuration", summary="OpenID Connect discovery")
    def get_openid_configuration() -> dict[str, Any]:
        base = _base_url(app.current_event)
        return {
            "issuer": base,
            "token_endpoint": f"{base}/auth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
        }

    @app.get("/3/footprints", summary="Action ListFootprints")
    def list_footprints(
        limit: Annotated[int | None, Query(ge=1)] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
        product_id: Annotated[list[str] | None, Query(alias="productId")] = None,
        company_id: Annotated[list[str] | None, Query(alias="companyId")] = None,
        geography: Annotated[list[str] | None, Query()] = None,
        classification: Annotated[list[str] | None, Query()] = None,
        valid_on: Annotated[str | None, Query(alias="validOn")] = None,
        valid_after: Annotated[str | None, Query(alias="validAfter")] = None,
        valid_before: Annotated[str | None, Query(alias="validBefore")] = None,
        status: Annotated[str | None, Query()] = None,
    ) -> Response[Any]:
        if "$filter" in (app.current_event.multi_value_query_string_parameters or {}):
            raise BadFilter(
                "$filter (OData) is v2's and was deprecated in v3: filter with productId, "
                "companyId, geography, classification, validOn, validAfter, validBefore, status"
            )
        filters = FootprintFilters(
            product_ids=tuple(product_id or ()),
            company_ids=tuple(company_id or ()),
            geographies=tuple(geography or ()),
            classifications=tuple(classification or ()),
            valid_on=parse_moment("validOn", valid_on),
            valid_after=parse_moment("validAfter", valid_after),
            valid_before=parse_moment("validBefore", valid_before),
            status=parse_status(status),
        )
        return _page_response(app.current_event, catalogue().page(filters, offset, limit))

    @app.get("/3/footprints/<footprint_id>", summary="Action GetFootprint")
    def get_footprint(footprint_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
        return {"data": catalogue().get(footprint_id)}

    @app.post("/3/events", summary="Action Events")
    def post_event_v3() -> Response[Any]:
        return accept_event()

    @app.get("/2/footprints", summary="Action ListFootprints (v2.3)")
    def list_footprints_v2(
        limit: Annotated[int | None, Query(ge=1)] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
        odata_filter: Annotated[str | None, Query(alias="$filter")] = None,
    ) -> Response[Any]:
        documents = catalogue().v2_documents()
        if odata_filter:
            matches = parse_filter(odata_filter).matches
            documents = [document for document in documents if matches(document)]
        return _page_response(app.current_event, page_of(documents, offset, limit))

    @app.post("/2/footprints", summary="not an action: 400")
    def post_footprints_v2() -> Response[Any]:
        # v2 conformance case 21 POSTs here (a "malformed request") and expects 400
        raise BadFilter("ListFootprints is GET /2/footprints; events go to POST /2/events")

    @app.get("/2/footprints/<footprint_id>", summary="Action GetFootprint (v2.3)")
    def get_footprint_v2(footprint_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
        return {"data": catalogue().get_v2(footprint_id)}

    @app.post("/2/events", summary="Action Events (v2.3)")
    def post_event_v2() -> Response[Any]:
        return accept_event()

    def accept_event() -> Response[Any]:
        """Either version's events on either endpoint: the event's type says which."""
        event = parse_event(app.current_event.decoded_body)
        if isinstance(event, FootprintRequest):
            partner: Principal = app.context["principal"]
            our_source = f"{_base_url(app.current_event)}/{event.types.version}/events"
            answer_later(event, partner.subject, our_source)
            logger.info("PACT footprint request accepted", event_id=event.event_id)
        elif isinstance(event, PublishedNotice):
            # we keep no partners' footprints: a notice asks nothing of us
            logger.info("PACT published event received", pf_ids=list(event.pf_ids))
        else:
            logger.info("PACT request answer received", event_id=event.event_id)
        return Response(200, None, "")

    def answer_later(request: FootprintRequest, partner: str, our_source: str) -> None:
        send = dependencies.send_event
        if send is None:
            raise PactError(501, "NotImplemented", "footprint requests are not answered here")

        def find_and_send() -> None:
            try:
                found = catalogue().requested(request.filters, request.types.version)
                event = answer(request, found, our_source)
            except Exception:
                logger.exception("answering a PACT request failed", event_id=request.event_id)
                message = "the request could not be processed"
                event = rejection(request, "InternalError", message, our_source)
            try:
                send(request.reply_to, event, partner)
            except DeliveryFailed:
                logger.error("PACT answer abandoned", event_id=request.event_id)

        dependencies.run_later(find_and_send)

    return app


def _page_response(event: APIGatewayProxyEvent, page: FootprintPage) -> Response[Any]:
    headers: dict[str, str] = {}
    if page.next_offset is not None:
        headers["Link"] = f'<{_next_link(event, page.next_offset)}>; rel="next"'
    return Response(200, JSON, {"data": page.footprints}, headers=headers)


def api_base_url(event: APIGatewayProxyEvent) -> str:
    """``https://<host>`` plus whatever the caller's path had before the API's own path:
    the stage on an execute-api host (``/prod``), a base path on a custom domain, nothing
    on the local server."""
    context = event.raw_event.get("requestContext") or {}
    host = str(context.get("domainName") or event.headers.get("host") or "localhost")
    full_path = str(context.get("path") or event.path)
    prefix = full_path[: -len(event.path)] if full_path.endswith(event.path) else ""
    return f"https://{host}{prefix.rstrip('/')}"


_base_url = api_base_url


def _next_link(event: APIGatewayProxyEvent, offset: int) -> str:
    """The request's own URL (absolute, on the host it was sent to) at ``offset``."""
    query = [
        (name, value)
        for name, values in (event.multi_value_query_string_parameters or {}).items()
        for value in values
        if name != "offset"
    ]
    query.append(("offset", str(offset)))
    return f"{_base_url(event)}{event.path}?{urllib.parse.urlencode(query)}"


def _error(status: int, code: str, message: str) -> Response[Any]:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
    return Response(status, JSON, {"code": code, "message": message}, headers=headers)


def _oauth_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> Response[Any]:
    body = {"error": error, "error_description": description}
    return Response(status, JSON, body, headers=dict(headers or {}))
