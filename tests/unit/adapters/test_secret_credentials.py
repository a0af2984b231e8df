"""Database credentials from the rotated secret: read at most every refresh period, read
again at once when asked (a refused login), never more often."""

from __future__ import annotations

import json

from pcf.adapters.postgres.credentials import SecretCredentials

ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pcf/database-AbCdEf"


class RotatingSecret:
    def __init__(self) -> None:
        self.password = "first"
        self.reads = 0

    def __call__(self, secret_arn: str) -> str:
        assert secret_arn == ARN
        self.reads += 1
        return json.dumps({"username": "pcf_admin", "password": self.password, "port": 5432})


def test_the_secret_is_read_once_per_refresh_period_and_again_when_asked() -> None:
    secret, now = RotatingSecret(), [1000.0]
    credentials = SecretCredentials(ARN, secret, refresh_seconds=300, clock=lambda: now[0])

    assert credentials.current() == ("pcf_admin", "first")
    secret.password = "second"  # rotated
    now[0] += 299
    assert credentials.current() == ("pcf_admin", "first")  # still within the period
    assert secret.reads == 1
    now[0] += 1
    assert credentials.current() == ("pcf_admin", "second")  # the period is over
    assert secret.reads == 2
    secret.password = "third"
    assert credentials.current(refresh=True) == ("pcf_admin", "third")  # a refused login
    assert secret.reads == 3
