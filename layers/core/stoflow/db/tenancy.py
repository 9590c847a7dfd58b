"""Tenancy: one PostgreSQL schema per tenant, reached only through a tenant session.

Every tenant model lives in the placeholder schema `tenant`; a tenant session maps it to
`user_<id>` with schema_translate_map on an option engine, so every statement the ORM or Core
compiles (flushes included) names the right schema, and nothing is set on the connection itself:
a pooled connection carries no tenant from one request into the next.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from stoflow.db.engine import get_engine
from stoflow.db.guard import TENANT_SCHEMA_OPTION
from stoflow.errors import InvalidTenantId, TenantNotFound
from stoflow.observability import subsegment

TENANT_PLACEHOLDER = "tenant"
TENANT_ID_MAX = 2**31 - 1


def validate_tenant_id(value: object) -> int:
    """A tenant id is a positive 32-bit integer, given as an int or a string of digits; nothing else.

    Checked before any SQL is built: the schema name is derived from it."""
    if isinstance(value, bool):
        raise InvalidTenantId(f"tenant id must be an integer, not {type(value).__name__}")
    if isinstance(value, int):
        tenant_id = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        tenant_id = int(value)
        if str(tenant_id) != value:
            raise InvalidTenantId(f"tenant id must be written without leading zeros, got {value!r}")
    else:
        raise InvalidTenantId(f"tenant id must be a positive integer, got {value!r:.40}")
    if not 1 <= tenant_id <= TENANT_ID_MAX:
        raise InvalidTenantId(f"tenant id out of range: {tenant_id}")
    return tenant_id


def registered_tenants(engine: Engine) -> list[int]:
    """Every tenant of the registry, in id order (here, not with the migrations: reading the
    registry must not import Alembic into a function's cold start)."""
    from stoflow.models.public import Tenant

    with engine.connect() as connection, connection.begin():
        return list(connection.scalars(select(Tenant.id).order_by(Tenant.id)))


def schema_for(tenant_id: object) -> str:
    return f"user_{validate_tenant_id(tenant_id)}"


def tenant_options(schema: str) -> dict[str, Any]:
    """The execution options of every statement run for one tenant schema: the placeholder mapped
    to it, and the guard told whose schema it is (the one place both are built)."""
    return {"schema_translate_map": {TENANT_PLACEHOLDER: schema}, TENANT_SCHEMA_OPTION: schema}


def tenant_engine(engine: Engine, tenant_id: object) -> Engine:
    """An option engine sharing `engine`'s pool whose every statement targets the tenant's schema."""
    return _option_engine(engine, schema_for(tenant_id))


# Where an engine keeps its tenants' option engines, and how many at most.
_OPTION_ENGINES = "_stoflow_tenant_engines"
_KEPT_OPTION_ENGINES = 1024


def _option_engine(engine: Engine, schema: str) -> Engine:
    # One per engine and schema, not one per unit of work: building it is a tenth of an empty
    # unit of work's own time. Kept on the engine itself, so that they go with it (a cache of the
    # module's would keep a dropped engine, and its connections, alive).
    kept: dict[str, Engine] = engine.__dict__.setdefault(_OPTION_ENGINES, {})
    found = kept.get(schema)
    if found is None:
        if len(kept) >= _KEPT_OPTION_ENGINES:
            kept.clear()
        found = kept[schema] = engine.execution_options(**tenant_options(schema))
    return found


def session_tenant_id(session: Session) -> int:
    """The tenant a session from tenant_session() works for (a service needs the session alone)."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("not a tenant session: open it with tenant_session()")
    return int(tenant_id)


class _KnownTenants:
    """Tenants this container has seen in the registry recently, per connection pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: weakref.WeakKeyDictionary[Any, dict[int, float]] = weakref.WeakKeyDictionary()

    def fresh(self, pool: Any, tenant_id: int, ttl_s: float) -> bool:
        seen_at = self._seen.get(pool, {}).get(tenant_id)
        return seen_at is not None and time.monotonic() - seen_at < ttl_s

    def mark(self, pool: Any, tenant_id: int) -> None:
        with self._lock:
            self._seen.setdefault(pool, {})[tenant_id] = time.monotonic()

    def forget(self, tenant_id: int) -> None:
        with self._lock:
            for tenants in self._seen.values():
                tenants.pop(tenant_id, None)


known_tenants = _KnownTenants()


def _ensure_registered(session: Session, engine: Engine, tenant_id: int) -> None:
    from stoflow.config import get_settings
    from stoflow.models.public import Tenant

    ttl = get_settings().tenant_cache_ttl_s
    if known_tenants.fresh(engine.pool, tenant_id, ttl):
        return
    if session.scalar(select(Tenant.id).where(Tenant.id == tenant_id)) is None:
        raise TenantNotFound(f"tenant {tenant_id} is not registered")
    known_tenants.mark(engine.pool, tenant_id)


_AFTER_PENDING = "stoflow_after_pending"
_AFTER_COMMITTED = "stoflow_after_committed"


def after_unit_of_work(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the work done so far is committed and the session has given its
    connection back: commit, then send. Nothing runs for work that is rolled back.

    Not SQLAlchemy's after_commit: that fires while the session still holds the container's only
    connection, so a callback needing the database would check out a second one and wait for
    itself. Only for sessions opened by tenant_session or shared_session, which run the callbacks."""
    if _AFTER_COMMITTED not in session.info:
        raise RuntimeError("after_unit_of_work needs a session from tenant_session() or shared_session()")
    session.info[_AFTER_PENDING].append(callback)


class _UnitOfWorkSession(Session):
    """The sessions of tenant_session and shared_session: their commit hooks are listened to once,
    on the class (listening on each session cost a tenth of a warm request's ORM time)."""


@event.listens_for(_UnitOfWorkSession, "after_commit")
def _promote_committed(session: Session) -> None:
    session.info[_AFTER_COMMITTED].extend(session.info[_AFTER_PENDING])
    session.info[_AFTER_PENDING].clear()


@event.listens_for(_UnitOfWorkSession, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:  # a savepoint's rollback leaves the outer work standing
        session.info[_AFTER_PENDING].clear()


@contextmanager
def _unit_of_work(session: Session) -> Iterator[None]:
    """Commit when the block ends, roll back if it raises, always close; then run the callbacks
    of what was committed (after_unit_of_work)."""
    session.info[_AFTER_PENDING] = []
    session.info[_AFTER_COMMITTED] = []
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        callbacks = session.info[_AFTER_COMMITTED]
        session.info[_AFTER_COMMITTED] = []
        for callback in callbacks:
            callback()


@contextmanager
def tenant_session(tenant_id: object, *, engine: Engine | None = None, verify: bool = True) -> Iterator[Session]:
    """A unit of work in one tenant's schema: commits when the block ends, rolls back on error.

    Unknown tenants fail closed (TenantNotFound) before the caller's first statement."""
    tid = validate_tenant_id(tenant_id)
    base = engine if engine is not None else get_engine()
    session = _UnitOfWorkSession(
        bind=tenant_engine(base, tid),
        expire_on_commit=False,
        info={"tenant_id": tid, "tenant_schema": schema_for(tid), "base_engine": base},
    )
    with subsegment("db.tenant_unit_of_work", tenant=tid), _unit_of_work(session):
        if verify:
            _ensure_registered(session, base, tid)
        yield session


@contextmanager
def shared_session(*, engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work on the shared schemas (public, product_attributes)."""
    session = _UnitOfWorkSession(bind=engine if engine is not None else get_engine(), expire_on_commit=False)
    with subsegment("db.shared_unit_of_work"), _unit_of_work(session):
        yield session
