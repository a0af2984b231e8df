"""Database credentials from AWS Secrets Manager, for the Lambda functions.

In AWS, ``DATABASE_URL`` names the host, port, database and TLS mode but no user or
password; ``DATABASE_SECRET_ARN`` names the secret RDS keeps them in (and rotates).
``create_engine`` then attaches ``SecretCredentials`` to the engine: each new connection
takes the user and password from the secret, read at most every ``refresh_seconds`` and
read again at once when the database refuses a login, so a rotation never strands a
warm function with an old password.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

DATABASE_SECRET_ARN_ENV = "DATABASE_SECRET_ARN"


class SecretCredentials:
    """The user and password of an RDS-managed secret, cached for ``refresh_seconds``."""

    def __init__(
        self,
        secret_arn: str,
        fetch: Callable[[str], str] | None = None,
        refresh_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.secret_arn = secret_arn
        self._fetch = fetch or _secrets_manager_fetch()
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, str, str] | None = None

    def current(self, *, refresh: bool = False) -> tuple[str, str]:
        """(user, password), read from the secret when stale or when ``refresh``."""
        with self._lock:
            now = self._clock()
            if refresh or self._cached is None or now - self._cached[0] >= self.refresh_seconds:
                secret = json.loads(self._fetch(self.secret_arn))
                self._cached = (now, str(secret["username"]), str(secret["password"]))
            return self._cached[1], self._cached[2]

    def attach(self, engine: Any) -> None:
        """Give every new connection of ``engine`` the secret's user and password."""
        from sqlalchemy import event

        @event.listens_for(engine, "do_connect")
        def _with_secret(dialect: Any, record: Any, args: Any, parameters: Any) -> Any:
            user, password = self.current()
            parameters.update(user=user, password=password)
            try:
                return dialect.dbapi.connect(*args, **parameters)
            except dialect.dbapi.OperationalError as error:
                if "password authentication failed" not in str(error):
                    raise
                # rotated since the last read: read again once and retry
                user, password = self.current(refresh=True)
                parameters.update(user=user, password=password)
                return dialect.dbapi.connect(*args, **parameters)


def _secrets_manager_fetch() -> Callable[[str], str]:
    import boto3

    client = boto3.client("secretsmanager")

    def fetch(secret_arn: str) -> str:
        value: str = client.get_secret_value(SecretId=secret_arn)["SecretString"]
        return value

    return fetch
