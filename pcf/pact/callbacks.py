"""Sending PACT events to partners: the one place the PACT API calls out.

The answer to a footprint request is POSTed (``application/cloudevents+json``) to the
events endpoint the request's ``source`` named, over HTTPS with the certificate
verified. The partner's endpoint wants a bearer token from the partner's own token
endpoint: ``CallbackCredentials`` are the client credentials the partner gave us, kept
per partner (the client id they call us with). Without any, the event goes without a
token (some receivers authenticate otherwise) and the log says so.

A failed delivery is retried after ``retry_delays`` (exponential), then abandoned and
logged: the spec asks for retries up to 72 hours, which the local server (a thread per
answer) does not keep; in the cloud the answer belongs on a queue with its own retries.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcf.observability import logger

CLOUDEVENTS_JSON = "application/cloudevents+json; charset=UTF-8"
# PCF_PACT_CALLBACK_CREDENTIALS="partner-a=https://auth.partner.example/auth/token|our-id|our-secret"
CALLBACK_CREDENTIALS_ENV = "PCF_PACT_CALLBACK_CREDENTIALS"


class DeliveryFailed(Exception):
    """The partner's endpoint did not take the event."""

    def __init__(self, message: str, retry: bool = True) -> None:
        self.retry = retry
        super().__init__(message)


@dataclass(frozen=True)
class CallbackCredentials:
    """Our client credentials at a partner's token endpoint (OAuth2 client credentials)."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> CallbackCredentials:
        """``token_url|client_id|client_secret``."""
        token_url, client_id, secret = [*text.split("|", 2), "", ""][:3]
        if not token_url.startswith("https://") or not client_id:
            raise ValueError(f"{CALLBACK_CREDENTIALS_ENV}: expected https-url|id|secret")
        return cls(token_url, client_id, secret)


def credentials_from_environment() -> dict[str, CallbackCredentials]:
    """``PCF_PACT_CALLBACK_CREDENTIALS``: ``partner=token_url|id|secret``, space-separated."""
    entries = os.environ.get(CALLBACK_CREDENTIALS_ENV, "").split()
    return {
        partner: CallbackCredentials.parse(rest)
        for partner, _, rest in (entry.partition("=") for entry in entries)
    }


@dataclass(frozen=True)
class EventSender:
    """POSTs events to partners' events endpoints, with their tokens, retrying."""

    credentials: Mapping[str, CallbackCredentials] = field(default_factory=dict)
    ca_file: Path | None = None  # trusted besides the system's CAs (a local partner)
    retry_delays: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0)  # seconds
    timeout_seconds: float = 10.0

    def send(self, url: str, event: dict[str, Any], partner: str) -> None:
        """Deliver ``event`` to ``url`` for ``partner``; retried, then ``DeliveryFailed``."""
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            time.sleep(delay)
            try:
                self._post(url, event, partner)
            except DeliveryFailed as failure:
                logger.warning(
                    "PACT event not delivered", url=url, attempt=attempt + 1, reason=str(failure)
                )
                if not failure.retry:
                    raise
                continue
            logger.info("PACT event delivered", url=url, type=event["type"], id=event["id"])
            return
        raise DeliveryFailed(f"{url}: gave up after {len(self.retry_delays) + 1} attempts")

    def _post(self, url: str, event: dict[str, Any], partner: str) -> None:
        headers = {"Content-Type": CLOUDEVENTS_JSON}
        credentials = self.credentials.get(partner)
        if credentials is None:
            logger.warning("no callback credentials for this partner", partner=partner)
        else:
            headers["Authorization"] = f"Bearer {self._token(credentials)}"
        self._call(url, json.dumps(event).encode(), headers)

    def _token(self, credentials: CallbackCredentials) -> str:
        basic = f"{credentials.client_id}:{credentials.client_secret}".encode()
        body = self._call(
            credentials.token_url,
            urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            {
                "Authorization": f"Basic {base64.b64encode(basic).decode()}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            token = json.loads(body)["access_token"]
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryFailed(f"{credentials.token_url} gave no access_token") from error
        if not isinstance(token, str):
            raise DeliveryFailed(f"{credentials.token_url} gave no access_token")
        return token

    def _call(self, url: str, body: bytes, headers: dict[str, str]) -> bytes:
        if not url.startswith("https://"):
            raise DeliveryFailed(f"{url} is not https", retry=False)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        try:
            with _opener(context).open(request, timeout=self.timeout_seconds) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as error:
            # a partner's 4xx will not change by asking again (except 401/408/429)
            retry = error.code >= 500 or error.code in (401, 408, 429)
            raise DeliveryFailed(f"{url} answered {error.code}", retry=retry) from error
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryFailed(f"{url}: {error}") from error


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # an event goes where the partner said, not wherever a redirect points
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener(context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirects())


def in_a_thread(job: Callable[[], None]) -> None:
    """Run ``job`` after returning, in a daemon thread (the local server's queue)."""
    threading.Thread(target=job, name="pact-event-answer", daemon=True).start()
