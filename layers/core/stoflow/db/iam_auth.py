"""IAM authentication to the RDS Proxy: a signed token in place of a password.

A token is a presigned request (made locally by boto3, no call to AWS) that the proxy checks when
a connection opens; it is valid 15 minutes and plays no part once the connection is open. So a
container signs one token, presents it on every new connection while it is younger than
`max_age_s` (well inside the 15 minutes, so none is presented near expiry), and signs a new one
after that. Pooled connections outlive their token without harm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["IamAuthToken"]


def _sign(host: str, port: int, user: str, region: str) -> str:
    from stoflow.aws import client

    return str(client("rds").generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region))


class IamAuthToken:
    """The token a new connection to `host:port` as `user` presents, reused until `max_age_s`."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        region: str,
        *,
        max_age_s: float,
        clock: Callable[[], float] = time.monotonic,
        sign: Callable[[str, int, str, str], str] = _sign,
    ) -> None:
        if not 0 < max_age_s < 15 * 60:
            raise ValueError("an IAM token lives 15 minutes: reuse it for less than that")
        self.host, self.port, self.user, self.region = host, port, user, region
        self._max_age_s = max_age_s
        self._clock = clock
        self._sign = sign
        self._lock = threading.Lock()
        self._token: str | None = None
        self._signed_at = 0.0

    def __call__(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is None or now - self._signed_at >= self._max_age_s:
                self._token = self._sign(self.host, self.port, self.user, self.region)
                self._signed_at = now
            return self._token
