"""What the PACT conformance tests share: the partner's client of our server, the
partner's own server that receives our answers (its token endpoint and events
endpoints, over HTTPS), the worked example's ids and CloudEvents builders."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from pcf.api.local_server import LocalServer
from pcf.pact.auth import PactClients
from pcf.pact.callbacks import CallbackCredentials
from pcf.pact.conversion import PactCompany
from pcf.pact.settings import PactSettings
from pcf.pact.tls import TlsFiles

CLIENT_ID, CLIENT_SECRET = "partner-a", "partner-a-secret"
# our credentials at partner-a's token endpoint, and the token it gives for them
OUR_ID_AT_PARTNER, OUR_SECRET_AT_PARTNER = "sample-manufacturing", "our-secret-at-partner"
PARTNER_TOKEN = "partner-issued-token"
COMPANY = PactCompany(
    name="Sample Manufacturing",
    company_ids=("urn:pact:company:sample.example",),
    product_id_domain="sample.example",
)
P_URN = "urn:pact:sample.example:product-id:P"
A_URN = "urn:pact:sample.example:product-id:A"  # made up from the item id (A has none)
CPC_P = "urn:pact:productclassification:un-cpc:43240"
CLOUDEVENTS = "application/cloudevents+json; charset=UTF-8"


def pact_settings(partner_url: str, tls: TlsFiles) -> PactSettings:
    """Partner A may call us; we answer it at its own endpoints, trusting the test CA."""
    credentials = CallbackCredentials(
        f"{partner_url}/auth/token", OUR_ID_AT_PARTNER, OUR_SECRET_AT_PARTNER
    )
    return PactSettings(
        COMPANY,
        PactClients({CLIENT_ID: CLIENT_SECRET}),
        {"S1": "DE"},
        callback_credentials={CLIENT_ID: credentials},
        callback_ca_file=tls.certificate,
        callback_retry_delays=(0.05,),
    )


def cloud_event(
    event_type: str, data: dict[str, Any], source: str, **fields: Any
) -> dict[str, Any]:
    """A CloudEvent as a partner sends it, with a fresh id."""
    return {
        "specversion": "1.0",
        "id": f"test-run-{uuid.uuid4()}",
        "source": source,
        "time": "2023-05-19T10:30:00Z",
        "type": event_type,
        "data": data,
    }


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

    def post_event(
        self, path: str, event: dict[str, Any] | str, token: str | None = None
    ) -> requests.Response:
        body = event if isinstance(event, str) else json.dumps(event)
        return requests.post(
            self.url + path,
            data=body.encode(),
            headers={
                "Authorization": f"Bearer {token or self.token()}",
                "Content-Type": CLOUDEVENTS,
            },
            verify=self.certificate,
            timeout=10,
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

    def footprints(self, path: str = "/3/footprints", **params: Any) -> list[dict[str, Any]]:
        response = self.get(path, self.token(), **params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@dataclass(frozen=True)
class Received:
    """One event POSTed to the partner."""

    path: str
    headers: dict[str, str]
    event: dict[str, Any]


@dataclass
class PartnerServer:
    """Partner A's side, over HTTPS: ``/auth/token`` (our credentials -> a token) and
    ``/3/events`` and ``/2/events``, which keep what they receive."""

    tls: TlsFiles
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    @contextmanager
    def running(self) -> Iterator[PartnerServer]:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/auth/token":
                    basic = f"{OUR_ID_AT_PARTNER}:{OUR_SECRET_AT_PARTNER}".encode()
                    if (
                        self.headers.get("Authorization")
                        != f"Basic {base64.b64encode(basic).decode()}"
                    ):
                        self._answer(401, {"error": "invalid_client"})
                        return
                    self._answer(200, {"access_token": PARTNER_TOKEN, "token_type": "Bearer"})
                    return
                if self.headers.get("Authorization") != f"Bearer {PARTNER_TOKEN}":
                    self._answer(400, {"code": "BadRequest", "message": "Invalid token"})
                    return
                with partner.arrived:
                    partner.received.append(
                        Received(self.path, dict(self.headers.items()), json.loads(body))
                    )
                    partner.arrived.notify_all()
                self._answer(200, None)

            def _answer(self, status: int, body: dict[str, Any] | None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        http.socket = self.tls.server_context().wrap_socket(http.socket, server_side=True)
        self.url = f"https://127.0.0.1:{http.server_address[1]}"
        thread = threading.Thread(
            target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            http.shutdown()
            http.server_close()
            thread.join()

    def answer_to(self, request_event_id: str, timeout: float = 5.0) -> Received:
        """The event answering the request ``request_event_id``, waiting for it."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for received in self.received:
                    if received.event.get("data", {}).get("requestEventId") == request_event_id:
                        return received
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no answer to {request_event_id} within {timeout} s"
                self.arrived.wait(remaining)
