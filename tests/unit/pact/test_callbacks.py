"""Sending answers to partners (``pcf.pact.callbacks``): what happens when it fails.
Deliveries that succeed are in ``tests/integration/pact``."""

from __future__ import annotations

import socket

import pytest

from pcf.pact.callbacks import CallbackCredentials, DeliveryFailed, EventSender

EVENT = {"type": "t", "id": "1"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_partner_is_retried_then_given_up() -> None:
    sender = EventSender(retry_delays=(0.01, 0.01), timeout_seconds=1)
    with pytest.raises(DeliveryFailed, match="gave up after 3 attempts"):
        sender.send(f"https://127.0.0.1:{_closed_port()}/3/events", EVENT, "partner-a")


def test_clear_text_is_never_tried_again() -> None:
    sender = EventSender(retry_delays=(60.0,))  # a retry would hang the test
    with pytest.raises(DeliveryFailed, match="not https"):
        sender.send("http://partner.example/3/events", EVENT, "partner-a")


def test_credentials_are_read_as_url_id_secret() -> None:
    credentials = CallbackCredentials.parse("https://auth.p.example/auth/token|us|s|ecret")
    assert credentials == CallbackCredentials("https://auth.p.example/auth/token", "us", "s|ecret")
    assert "ecret" not in repr(credentials)
    with pytest.raises(ValueError, match="https-url"):
        CallbackCredentials.parse("http://auth.p.example|us|secret")
