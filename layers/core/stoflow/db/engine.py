"""The database engine: pg8000, a Lambda-friendly pool, and not one session-level statement.

Why no SET of any kind: a session-level setting is lost on COMMIT/ROLLBACK (for SET LOCAL), leaks
across tenants under PgBouncer transaction pooling, and pins RDS Proxy connections. Everything a
connection needs is given in the startup packet (pg8000 sends client_encoding there) or per
statement.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError

from stoflow import runtime
from stoflow.config import Settings, get_settings


@lru_cache(maxsize=4)
def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    # Built once per container: building a context per connection cost about 17 ms each.
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def url_from_secret(secret: dict[str, Any], database: str | None = None) -> URL:
    """An RDS-style Secrets Manager secret (as rotated by AWS) turned into a pg8000 URL."""
    return URL.create(
        "postgresql+pg8000",
        username=secret["username"],
        password=secret["password"],
        host=secret["host"],
        port=int(secret.get("port", 5432)),
        database=database or secret.get("dbname") or "postgres",
    )


def _fetch_secret(settings: Settings) -> dict[str, Any]:
    from stoflow.aws import client

    response = client("secretsmanager").get_secret_value(SecretId=settings.database_secret_arn)
    return json.loads(response["SecretString"])


def normalise_url(url: str | URL) -> URL:
    """Any postgres URL, forced onto the pg8000 driver; `?host=/dir` becomes pg8000's unix_sock."""
    parsed = make_url(url) if isinstance(url, str) else url
    parsed = parsed.set(drivername="postgresql+pg8000")
    query = dict(parsed.query)
    host = query.pop("host", None)
    if isinstance(host, str) and host.startswith("/"):
        port = parsed.port or 5432
        query["unix_sock"] = f"{host}/.s.PGSQL.{port}"
        parsed = parsed.set(host=None, port=None, query=query)
    return parsed


def build_engine(
    url: str | URL,
    *,
    pool_size: int = 1,
    max_overflow: int = 0,
    tls: bool = False,
    tls_ca_file: str | None = None,
    connect_timeout_s: float = 3.0,
    socket_timeout_s: float = 30.0,
    pool_recycle_s: int = 300,
    idle_ping_after_s: float = 10.0,
    password: Callable[[], str] | None = None,
) -> Engine:
    """An engine whose pool suits Lambda: one container serves one request at a time, so one
    connection reused across invocations; a ping after idling because a frozen container wakes up
    to a connection the proxy may have closed; recycle so none outlives the proxy's idle timeout.

    `password`, when given, is asked for each new connection (an IAM token), never per checkout."""
    from stoflow.db import pg8000_wire

    pg8000_wire.install()
    # ssl_context=False, not None: with None pg8000 builds a new unverified context on every
    # connection (~28 ms) and silently uses TLS without checking the server.
    # pg8000 has one `timeout` for everything on its socket: it bounds the connection (TCP, TLS,
    # startup, authentication) here, and _set_socket_timeout widens it once connected.
    connect_args: dict[str, Any] = {
        "timeout": connect_timeout_s,
        "ssl_context": _ssl_context(tls_ca_file) if tls else False,
    }
    from stoflow.db.checkout_guard import GuardedQueuePool

    engine = create_engine(
        normalise_url(url),
        poolclass=GuardedQueuePool,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=pool_recycle_s,
        pool_timeout=connect_timeout_s,
        connect_args=connect_args,
        hide_parameters=not get_settings().database_log_parameters,
    )
    from stoflow.db.guard import install_statement_guard

    install_statement_guard(engine)
    _cache_schema_translation(engine.dialect.identifier_preparer)
    _install_idle_ping(engine, idle_ping_after_s)
    event.listen(engine, "handle_error", invalidate_abandoned)
    if password is not None:
        _install_password(engine, password)
    event.listen(
        engine, "connect", lambda dbapi_connection, record: _set_socket_timeout(dbapi_connection, socket_timeout_s)
    )
    return engine


def _cache_schema_translation(preparer: Any) -> None:
    """Translate each (compiled statement, schema map) once per container.

    SQLAlchemy compiles a statement once for every tenant and writes the tenant's schema into its
    text on each execution, with a regular expression over the whole text (about 20 µs for a job's
    UPDATE ... RETURNING, which names the schema 39 times). The same text object also lets the
    statement guard and the driver's placeholder cache find it without hashing it again."""
    translate = preparer._render_schema_translates

    @lru_cache(maxsize=2048)
    def translated(statement: str, schema_map: tuple[tuple[Any, Any], ...]) -> str:
        return translate(statement, dict(schema_map))

    def render(statement: str, schema_translate_map: Any) -> str:
        return translated(statement, tuple(schema_translate_map.items()))

    preparer._render_schema_translates = render


def _install_password(engine: Engine, password: Callable[[], str]) -> None:
    @event.listens_for(engine, "do_connect")
    def _fresh_password(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["password"] = password()


def _set_socket_timeout(dbapi_connection: Any, seconds: float) -> None:
    """A statement may take longer than a connection may: a database that does not answer within
    the connect timeout is reported unavailable long before a Lambda function's own timeout."""
    dbapi_connection._usock.settimeout(seconds)


def invalidate_abandoned(context: ExceptionContext) -> None:
    """A connection pg8000_wire abandoned mid-protocol is a disconnect, whatever was raised (an
    OverflowError is no DBAPI error): SQLAlchemy then invalidates it instead of returning it to the
    pool, and only it: the pool's other connections are in step."""
    from stoflow.db.pg8000_wire import is_abandoned

    fairy = context.connection.connection if context.connection is not None else None
    dbapi_connection = getattr(fairy, "dbapi_connection", None) if fairy is not None else None
    if dbapi_connection is not None and is_abandoned(dbapi_connection):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def _install_idle_ping(engine: Engine, idle_s: float) -> None:
    """Ping a pooled connection only when it has been idle a while.

    pool_pre_ping pings on every checkout: a round trip per unit of work, which a busy worker or
    a warm API request pays for nothing. A connection that was in use a moment ago is alive; one
    that sat through a frozen Lambda container or a proxy's idle timeout gets a SELECT 1, and a
    dead one is replaced transparently (DisconnectionError makes the pool retry)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_s:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError("pooled connection found dead after idling") from exc


def engine_from_settings(settings: Settings, *, pool_size: int | None = None, user: str | None = None) -> Engine:
    """The one way a container connects: a URL (locally), an IAM token to the RDS Proxy (on AWS),
    or an RDS-style secret. `user` replaces the settings' database user (the migrator logs in as
    the master user to create the roles)."""
    password: Callable[[], str] | None = None
    if settings.database_url:
        url: str | URL = settings.database_url
    elif settings.database_iam_auth:
        login = user or settings.database_user
        if not (settings.database_host and settings.database_name and login):
            raise RuntimeError(
                "IAM authentication needs STOFLOW_DATABASE_HOST, STOFLOW_DATABASE_NAME and STOFLOW_DATABASE_USER"
            )
        from stoflow.db.iam_auth import IamAuthToken

        url = URL.create(
            "postgresql+pg8000",
            username=login,
            host=settings.database_host,
            port=settings.database_port,
            database=settings.database_name,
        )
        password = IamAuthToken(
            settings.database_host,
            settings.database_port,
            login,
            settings.aws_region,
            max_age_s=settings.database_iam_token_max_age_s,
        )
    elif settings.database_secret_arn:
        url = url_from_secret(_fetch_secret(settings), settings.database_name)
        if settings.database_host:
            # The secret (attached to the cluster) names the cluster; functions go through the proxy.
            url = url.set(host=settings.database_host)
    else:
        raise RuntimeError("No database configured: set DATABASE_URL or STOFLOW_DATABASE_SECRET_ARN")
    if user and not settings.database_iam_auth:
        url = normalise_url(url).set(username=user, password=None)
    return build_engine(
        url,
        pool_size=pool_size or settings.database_pool_size,
        tls=settings.database_tls,
        tls_ca_file=settings.database_tls_ca_file,
        connect_timeout_s=settings.database_connect_timeout_s,
        socket_timeout_s=settings.database_socket_timeout_s,
        pool_recycle_s=settings.database_pool_recycle_s,
        password=password,
    )


def _container_engine() -> Engine:
    return engine_from_settings(get_settings())


# One per container, local containers included: the deployed pool is one connection per container.
ENGINE: runtime.Part[Engine] = runtime.Part("database engine", _container_engine, Engine.dispose, per_container=True)


def get_engine() -> Engine:
    """The container's engine, created on first use (never at import time) by stoflow.runtime."""
    return runtime.get(ENGINE)
