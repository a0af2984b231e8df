"""The local server (``pcf serve``): the API and the object store's pre-signed URLs on one
machine, over the standard library's HTTP server.

- ``/objects/<key>?expires=..&signature=..``: what S3 does for pre-signed URLs. A PUT
  stores the file in the object-store folder (never over an existing object) and then
  validates it at once, as the S3 event does in the cloud, so when the PUT returns the
  upload's status is final. A GET returns the object.
- everything else is turned into the API Gateway (REST) event the Lambda would get and
  handed to the same resolver (``pcf.api.routes.build_api``); its answer is written back.
  PACT paths (``/3/...``, ``/auth/token``, ``/.well-known/...``) go to the PACT resolver
  (``pcf.pact.routes.build_pact_api``), which refuses them unless the server runs TLS.
- ``GET /`` and ``GET /app/...``: the web app's static files from ``web/`` (what S3 and
  CloudFront serve in the cloud); see "The web app" at the end of this module.
- with ``tls`` the server speaks HTTPS only; the event's ``X-Forwarded-Proto`` says which
  (set here, as API Gateway does, never taken from the client).

A Powertools resolver keeps the current request (event, context, matched route) on
itself, so two requests must never share one: each request in flight takes a resolver of
its own from a pool (built on demand, reused after), and requests run concurrently, up
to ``max_concurrent_requests`` at once (the rest wait their turn). Each request holds at
most one database connection at a time, so that limit stays within the engine's pool
(SQLAlchemy's default allows 15). Object PUTs and GETs and the web app's files do not
count against it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import (
    LOCAL_OBJECTS_PATH,
    RAW_UPLOADS_PREFIX,
    FolderObjectStore,
    ObjectExistsError,
    ObjectNotFoundError,
    UrlSigner,
    check_key,
)
from pcf.api.auth import LocalTokens, local_authenticator
from pcf.api.routes import ApiDependencies, build_api
from pcf.observability import logger
from pcf.pact.routes import build_pact_api, is_pact_path
from pcf.pact.settings import PactSettings, local_pact_dependencies
from pcf.pact.tls import TlsFiles
from pcf.usecases.uploads import UploadDependencies, UploadLimits, process_landed_object

DEFAULT_OBJECTS_DIR = Path("var/objects")
# API requests run at once; more gain nothing on a few cores (the GIL) and each holds a
# database connection.
DEFAULT_CONCURRENT_REQUESTS = 8
# API Gateway refuses bodies over 10 MB; so does the local server.
MAX_API_BODY_BYTES = 10 * 1024 * 1024

_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class _LocalContext:
    """What the resolver may read of a Lambda context."""

    function_name: str = "pcf-local-api"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:pcf-local-api"
    aws_request_id: str = ""


class _OwnRequestResolver(APIGatewayRestResolver):
    """A resolver that keeps the request it is resolving on itself.

    Powertools stores the current event and Lambda context on the ``BaseRouter`` class,
    shared by every resolver in the process: with two requests in flight, one would read
    the other's headers (its token), path and body. Here both are properties of the
    instance (a data descriptor on the class wins over the class attribute Powertools
    assigns), set before Powertools resolves; the instance serves one request at a time
    (``ResolverPool``)."""

    @property  # type: ignore[override]
    def current_event(self) -> BaseProxyEvent:
        event: BaseProxyEvent = self.__dict__["_own_event"]
        return event

    @current_event.setter
    def current_event(self, event: BaseProxyEvent) -> None:
        self.__dict__["_own_event"] = event

    @property  # type: ignore[override]
    def lambda_context(self) -> LambdaContext:
        context: LambdaContext = self.__dict__["_own_context"]
        return context

    @lambda_context.setter
    def lambda_context(self, context: LambdaContext) -> None:
        self.__dict__["_own_context"] = context

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.current_event = self._to_proxy_event(dict(event))
        self.lambda_context = context
        return super().resolve(event, context)


class ResolverPool:
    """Resolvers built by ``build``, one per request in flight: built when none is idle,
    kept for the next request after. At most as many exist as requests ever ran at once.
    Each keeps its request on itself (``_OwnRequestResolver``)."""

    def __init__(self, build: Callable[[], APIGatewayRestResolver]) -> None:
        self._build = build
        self._idle: queue.SimpleQueue[APIGatewayRestResolver] = queue.SimpleQueue()

    def _new(self) -> APIGatewayRestResolver:
        resolver = self._build()
        if type(resolver) is not APIGatewayRestResolver:
            raise TypeError(f"a pool holds APIGatewayRestResolvers, not {type(resolver)}")
        resolver.__class__ = _OwnRequestResolver
        return resolver

    @contextmanager
    def resolver(self) -> Iterator[APIGatewayRestResolver]:
        try:
            resolver = self._idle.get_nowait()
        except queue.Empty:
            resolver = self._new()
        try:
            yield resolver
        finally:
            self._idle.put(resolver)


class LocalServer:
    """The API and the object store on ``host:port`` (port 0: any free port)."""

    def __init__(
        self,
        engine: Engine,
        secret: bytes,
        *,
        objects_dir: Path = DEFAULT_OBJECTS_DIR,
        host: str = "127.0.0.1",
        port: int = 8080,
        limits: UploadLimits | None = None,
        public_url: str | None = None,
        tls: TlsFiles | None = None,
        pact: PactSettings | None = None,
        max_concurrent_requests: int = DEFAULT_CONCURRENT_REQUESTS,
    ) -> None:
        self.http = _HttpServer((host, port), _RequestHandler)
        self.scheme = "https" if tls is not None else "http"
        if tls is not None:
            # the handshake happens in the request's thread, not in the accept loop
            self.http.socket = tls.server_context().wrap_socket(
                self.http.socket, server_side=True, do_handshake_on_connect=False
            )
        bound_host, bound_port = self.http.server_address[:2]
        self.url = public_url or f"{self.scheme}://{_host_text(bound_host)}:{bound_port}"
        self.tokens = local_tokens(secret)
        self.store = FolderObjectStore(
            objects_dir, UrlSigner(_derived_key(secret, "object-urls")), self.url
        )
        self.uploads = UploadDependencies(engine, self.store, limits or UploadLimits())
        api_dependencies = ApiDependencies(self.uploads, local_authenticator(self.tokens))
        pact_dependencies = local_pact_dependencies(engine, self.tokens, pact or PactSettings())
        self.api = ResolverPool(lambda: build_api(api_dependencies))
        self.pact_api = ResolverPool(lambda: build_pact_api(pact_dependencies))
        self.api_slots = threading.BoundedSemaphore(max_concurrent_requests)
        setattr(self.http, "local_server", self)  # noqa: B010 - read by the request handler

    def serve_forever(self) -> None:
        self.http.serve_forever()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    @contextmanager
    def running(self) -> Iterator[LocalServer]:
        """Serve in a background thread for the duration of the block (tests, demos)."""
        # a short poll, so closing does not wait half a second
        thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, name="pcf-local-server"
        )
        thread.start()
        try:
            yield self
        finally:
            self.close()
            thread.join()

    def handle_api(self, request: _RequestHandler, body: bytes) -> None:
        event = _api_gateway_event(request, body, self.scheme)
        pool = self.pact_api if is_pact_path(event["path"]) else self.api
        context = cast(LambdaContext, _LocalContext(aws_request_id=uuid.uuid4().hex))
        with self.api_slots, pool.resolver() as resolver:
            response = resolver.resolve(event, context)
        content = response.get("body") or ""
        data = base64.b64decode(content) if response.get("isBase64Encoded") else content.encode()
        request.send_response(int(response["statusCode"]))
        headers: dict[str, list[str]] = {
            name: list(values) for name, values in (response.get("multiValueHeaders") or {}).items()
        }
        for name, value in (response.get("headers") or {}).items():
            headers.setdefault(name, [value])
        for name, values in headers.items():
            if name.lower() != "content-length":
                for value in values:
                    request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def handle_object(self, request: _RequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(request.path)
        key = urllib.parse.unquote(parsed.path.removeprefix(LOCAL_OBJECTS_PATH))
        query = urllib.parse.parse_qs(parsed.query)
        try:
            check_key(key)
        except ValueError:
            request.send_plain(HTTPStatus.NOT_FOUND, "no such object")
            return
        refusal = self.store.signer.verify(
            method, key, _first(query, "expires"), _first(query, "signature")
        )
        if refusal is not None:
            request.send_plain(HTTPStatus.FORBIDDEN, refusal)
            return
        if method == "GET":
            try:
                data = self.store.get(key)
            except ObjectNotFoundError:
                request.send_plain(HTTPStatus.NOT_FOUND, "no such object")
                return
            content_type = _CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
            request.send_bytes(HTTPStatus.OK, data, content_type)
            return
        self._put_object(request, key)

    def _put_object(self, request: _RequestHandler, key: str) -> None:
        if not key.startswith(RAW_UPLOADS_PREFIX + "/"):
            request.send_plain(HTTPStatus.FORBIDDEN, "only uploads may be PUT")
            return
        length_header = request.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            request.send_plain(HTTPStatus.LENGTH_REQUIRED, "send Content-Length")
            return
        length = int(length_header)
        limit = self.uploads.limits.max_bytes
        if length > limit:
            request.close_connection = True  # the body is not read
            request.send_plain(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the file is {length:,} bytes; the limit is {limit:,}",
            )
            return
        data = request.rfile.read(length)
        try:
            self.store.put(key, data)
        except ObjectExistsError:
            request.send_plain(HTTPStatus.CONFLICT, "this upload's file was sent already")
            return
        try:
            upload = process_landed_object(self.uploads, key)
            logger.info("upload validated", upload_id=upload.id, status=upload.status.value)
        except Exception:  # the file is stored; the failure is ours, not the sender's
            logger.exception("validating an upload failed", key=key)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()  # as S3 answers
        request.send_response(HTTPStatus.OK)
        request.send_header("ETag", f'"{etag}"')
        request.send_header("Content-Length", "0")
        request.end_headers()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # connections waiting to be accepted (the standard library's 5 refuses bursts of
    # clients connecting at once)
    request_queue_size = 128


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "pcf-local"
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out as two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK of the headers (40 ms on Linux) on every
    # keep-alive request
    disable_nagle_algorithm = True

    @property
    def local(self) -> LocalServer:
        server: LocalServer = getattr(self.server, "local_server")  # noqa: B009
        return server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        if method == "GET" and _is_web_path(self.path):
            self.send_web_file()
            return
        if self.path.startswith(LOCAL_OBJECTS_PATH):
            if method not in ("GET", "PUT"):
                self.send_plain(HTTPStatus.METHOD_NOT_ALLOWED, "GET or PUT")
                return
            self.local.handle_object(self, method)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_API_BODY_BYTES:
            self.close_connection = True
            self.send_plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body over 10 MB")
            return
        self.local.handle_api(self, self.rfile.read(length) if length else b"")

    def send_plain(self, status: HTTPStatus, message: str) -> None:
        self.send_bytes(status, (message + "\n").encode(), "text/plain; charset=utf-8")

    def send_bytes(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_web_file(self) -> None:
        found = web_file(WEB_DIR, self.path)
        if found is None:
            self.send_plain(HTTPStatus.NOT_FOUND, "no such file")
            return
        path, content_type = found
        data = path.read_bytes()
        self.send_response(HTTPStatus.OK)
        for name, value in _WEB_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # the path without its query: a pre-signed URL's signature stays out of the log
        path = urllib.parse.urlsplit(self.path).path
        logger.debug("request", method=self.command, path=path, status=str(code))


def _api_gateway_event(request: _RequestHandler, body: bytes, scheme: str) -> dict[str, Any]:
    """The API Gateway REST (v1 proxy) event for a request that came over ``scheme``."""
    parsed = urllib.parse.urlsplit(request.path)
    path = urllib.parse.unquote(parsed.path) or "/"
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        if name.lower() != "x-forwarded-proto":  # the transport's word, not the client's
            multi_headers.setdefault(name, []).append(value)
    multi_headers["X-Forwarded-Proto"] = [scheme]
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    try:
        text_body: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text_body, encoded = base64.b64encode(body).decode("ascii"), True
    method = request.command
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": path,
            "stage": "local",
            "requestId": uuid.uuid4().hex,
            "identity": {"sourceIp": request.client_address[0]},
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


def local_tokens(secret: bytes) -> LocalTokens:
    """The tokens the local server issues and accepts (``pcf serve --token``)."""
    return LocalTokens(_derived_key(secret, "tokens"))


def _derived_key(secret: bytes, purpose: str) -> bytes:
    # Separate keys for tokens and URLs, both from the one secret: a signed URL is never
    # a valid token, nor the other way round.
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def _first(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def _host_text(host: Any) -> str:
    text = str(host)
    return f"[{text}]" if ":" in text else text


# -- The web app ------------------------------------------------------------------------
# ``GET /`` and ``GET /app/<file>`` serve ``web/`` (no build step: the files as they are).
# Only known file types, only inside ``web/``: anything else is 404, never a file elsewhere.

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
WEB_APP_PREFIX = "/app/"
_WEB_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# What CloudFront's response-headers policy sets in the cloud: no inline script or style.
_WEB_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _is_web_path(raw_path: str) -> bool:
    path = urllib.parse.urlsplit(raw_path).path
    return path == "/" or path == WEB_APP_PREFIX.rstrip("/") or path.startswith(WEB_APP_PREFIX)


def web_file(web_dir: Path, raw_path: str) -> tuple[Path, str] | None:
    """The file under ``web_dir`` a request path names, and its content type: ``/``,
    ``/app`` and ``/app/`` are ``index.html``; ``/app/<relative path>`` that file. None
    for anything outside ``web_dir``, hidden, not a file, or of an unknown type."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(raw_path).path)
    relative = path.removeprefix(WEB_APP_PREFIX.rstrip("/")).lstrip("/") or "index.html"
    parts = relative.split("/")
    if any(
        part in ("", ".", "..") or part.startswith(".") or "\\" in part or "\x00" in part
        for part in parts
    ):
        return None
    root = web_dir.resolve()
    candidate = root.joinpath(*parts).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    content_type = _WEB_CONTENT_TYPES.get(candidate.suffix.lower())
    return None if content_type is None else (candidate, content_type)
