"""Which failures mean "a dependency is unavailable, try again shortly" rather than "a bug".

The database, the RDS Proxy in front of it and Secrets Manager can be down, unreachable, starting
up, out of connections or throttling. Such a failure is answered 503 `service_unavailable` with a
Retry-After on every HTTP route and /health, and named plainly by the command line; anything else
stays an internal error. Nothing here imports a driver or botocore: an exception is recognised
by its type's module and attributes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "RETRY_AFTER_S",
    "database_connection_problem",
    "unavailable_dependency",
    "unreachable_database_message",
]

# What a client is told to wait: a proxy failover or a throttling window is a matter of seconds.
RETRY_AFTER_S = 5

# PostgreSQL SQLSTATE classes and codes of a server that cannot serve now: connection exceptions,
# insufficient resources (too many connections), operator intervention (shutting down, starting
# up, cannot connect now) and system errors.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "58")
_PG_UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05"})
# AWS error codes meaning "slow down" or "our side failed": retrying later is the answer.
_AWS_UNAVAILABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServiceError",
        "InternalFailure",
        "InternalServerError",
    }
)


def unavailable_dependency(exc: BaseException) -> str | None:
    """ "database" or "aws" (Secrets Manager, SQS...) when `exc`, or what caused it, says that
    dependency is unavailable; None for anything else (a bug, bad input, a constraint)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _classify(current)
        if found:
            return found
        current = current.__cause__ or current.__context__
    return None


def _classify(exc: BaseException) -> str | None:
    module = type(exc).__module__ or ""
    name = type(exc).__name__
    if module.startswith("sqlalchemy"):
        if name == "TimeoutError":  # no pooled connection came free in time
            return "database"
        if getattr(exc, "connection_invalidated", False):
            return "database"
        if name in ("InterfaceError", "OperationalError"):
            return "database"
        return None  # the wrapped driver error is looked at next (its __cause__)
    if module.startswith("pg8000"):
        if name == "InterfaceError":  # pg8000: cannot connect, network error, timeout
            return "database"
        code = sqlstate(exc)
        if code and (code[:2] in _PG_UNAVAILABLE_CLASSES or code in _PG_UNAVAILABLE_CODES):
            return "database"
        return None
    if module.startswith("botocore"):
        if name == "ClientError":
            error = getattr(exc, "response", {}).get("Error", {})
            return "aws" if error.get("Code") in _AWS_UNAVAILABLE_CODES else None
        # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError...
        if "Connection" in name or "Timeout" in name or name == "EndpointConnectionError":
            return "aws"
        return None
    if isinstance(exc, TimeoutError | ConnectionError):
        # Raw socket errors: pg8000 lets a timeout during connection start-up through unwrapped
        # (HTTP and AWS clients wrap theirs, recognised above or by their callers).
        return "database"
    return None


def sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a pg8000 error (the server's fields travel in its first argument)."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict):
            code = arg.get("C")
            return code if isinstance(code, str) else None
    return None


# SQLSTATEs of a connection refused by the server for a reason the operator fixes in the URL.
_PG_CONFIGURATION_CODES = {"28000": "authentication refused", "28P01": "wrong password", "3D000": "no such database"}


def database_connection_problem(exc: BaseException) -> str | None:
    """Why connecting to PostgreSQL failed, in a few words, if that is what `exc` is about:
    "connection refused", "no answer within 3.0 s", "unknown host", "wrong password"...
    None when `exc` is something else."""
    seen: set[int] = set()
    current: BaseException | None = exc
    found_unavailable = False
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = sqlstate(current)
        if code in _PG_CONFIGURATION_CODES:
            return _PG_CONFIGURATION_CODES[code]
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, TimeoutError):
            return "no answer"
        if type(current).__name__ == "gaierror":
            return "unknown host"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror.lower()
        found_unavailable = found_unavailable or _classify(current) == "database"
        current = current.__cause__ or current.__context__
    return "not reachable" if found_unavailable else None


def database_location(settings: Any) -> str:
    """host:port (or the socket) the settings point at, for a person to check."""
    if settings.database_url:
        from sqlalchemy.engine import make_url

        url = make_url(settings.database_url)
        socket_dir = url.query.get("host") or url.query.get("unix_sock")
        if socket_dir:
            return f"the socket in {socket_dir}"
        return f"{url.host or 'localhost'}:{url.port or 5432}"
    if settings.database_host:
        return f"{settings.database_host}:{settings.database_port}"
    return "the host named in the database secret"


def unreachable_database_message(exc: BaseException, settings: Any, hint: str = "") -> str | None:
    """Two lines for a person when `exc` is a database that cannot be reached, else None."""
    reason = database_connection_problem(exc)
    if reason is None:
        return None
    where = database_location(settings)
    if settings.database_url:
        from sqlalchemy.engine import make_url

        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        check = f"Check that PostgreSQL runs there and that DATABASE_URL is right (now {shown}){hint}."
    else:
        check = f"Check STOFLOW_DATABASE_HOST / STOFLOW_DATABASE_USER (IAM), or set DATABASE_URL{hint}."
    return f"cannot connect to PostgreSQL at {where}: {reason}.\n{check}"
