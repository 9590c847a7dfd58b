"""Queries on marketplace jobs and batches (tenant schema, through a tenant session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Interval,
    Row,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased, make_transient_to_detached

from stoflow.models.jobs import (
    FINAL_STATUSES,
    MarketplaceBatch,
    MarketplaceJob,
    PublicationHistory,
)
from stoflow.models.listings import MarketplaceListing
from stoflow.models.products import Product
from stoflow.repositories.due_work import mark_due
from stoflow.repositories.live_dashboards import dashboards_column, dashboards_read


@dataclass(frozen=True)
class JobFilters:
    status: str | None = None
    marketplace: str | None = None
    action: str | None = None
    batch_id: int | None = None
    product_id: int | None = None


# Built once; `= ANY(:ids)` takes any number of ids in one parameter.
_LIVE_PRODUCT_IDS = select(Product.id).where(
    Product.id == any_(bindparam("ids", type_=ARRAY(BigInteger))), Product.deleted_at.is_(None)
)


def live_product_ids(session: Session, ids: Sequence[int]) -> set[int]:
    return set(session.connection().execute(_LIVE_PRODUCT_IDS, {"ids": list(ids)}).scalars())


# Built once (every POST /jobs creates a batch and its jobs): run on the session's connection.
_BATCHES = MarketplaceBatch.__table__
_JOBS = MarketplaceJob.__table__
_INSERT_BATCH = insert(_BATCHES).returning(*_BATCHES.columns)
_INSERT_JOBS = insert(_JOBS).returning(*_JOBS.columns)


def _as_stored(model: type[Any], row: Any) -> Any:
    """The model instance of a row just written: detached, with every column loaded. Callers read
    it (ids, the API's answer); nothing in the session tracks it, so a commit does not expire it."""
    return _stored(model, row._mapping)


def _stored(model: type[Any], columns: Any) -> Any:
    # As the ORM builds what it loads: the columns put in place without an attribute event each
    # (a fifth of the time), then marked as a stored row of that identity.
    instance = inspect(model).class_manager.new_instance()
    instance.__dict__.update(columns)
    make_transient_to_detached(instance)
    return instance


def insert_batch(session: Session, values: dict[str, Any]) -> MarketplaceBatch:
    """One INSERT ... RETURNING: the ORM's unit of work cost a fifth of a warm POST /jobs."""
    session.flush()  # what the ORM holds goes first, as the ORM's own execute would do
    return _as_stored(MarketplaceBatch, session.connection().execute(_INSERT_BATCH, values).one())


def insert_jobs(session: Session, rows: Sequence[dict[str, Any]]) -> list[MarketplaceJob]:
    """The jobs in one INSERT ... RETURNING, in the order of `rows` (matched by product, since
    RETURNING promises no order)."""
    if not rows:
        return []
    session.flush()
    by_product: dict[int | None, list[Any]] = {}
    for row in session.connection().execute(_INSERT_JOBS, list(rows)):
        by_product.setdefault(row.product_id, []).append(row)
    return [_as_stored(MarketplaceJob, by_product[values.get("product_id")].pop(0)) for values in rows]


def batch_by_key(session: Session, key: str) -> MarketplaceBatch | None:
    return session.scalars(select(MarketplaceBatch).where(MarketplaceBatch.idempotency_key == key)).first()


def jobs_by_keys(session: Session, keys: Sequence[str]) -> dict[str, MarketplaceJob]:
    rows = session.scalars(select(MarketplaceJob).where(MarketplaceJob.idempotency_key.in_(keys)))
    return {job.idempotency_key: job for job in rows if job.idempotency_key}


def batch_jobs(session: Session, batch_id: int) -> list[MarketplaceJob]:
    return list(
        session.scalars(select(MarketplaceJob).where(MarketplaceJob.batch_id == batch_id).order_by(MarketplaceJob.id))
    )


def get_job(session: Session, job_id: int, *, for_update: bool = False) -> MarketplaceJob | None:
    statement = select(MarketplaceJob).where(MarketplaceJob.id == job_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def get_batch(session: Session, batch_id: int) -> MarketplaceBatch | None:
    return session.get(MarketplaceBatch, batch_id)


def page(session: Session, filters: JobFilters, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """A page of jobs, newest first, as plain rows with the job's columns as attributes (read, never
    changed: no ORM bookkeeping, and a function's first GET /jobs configures no mapper)."""
    conditions = [
        column == value
        for column, value in (
            (_JOBS.c.status, filters.status),
            (_JOBS.c.marketplace, filters.marketplace),
            (_JOBS.c.action, filters.action),
            (_JOBS.c.batch_id, filters.batch_id),
            (_JOBS.c.product_id, filters.product_id),
        )
        if value is not None
    ]
    items = select(*_JOBS.columns).where(*conditions).order_by(_JOBS.c.created_at.desc(), _JOBS.c.id.desc())
    count = select(func.count()).select_from(_JOBS).where(*conditions)
    connection = session.connection()
    rows = list(connection.execute(items.limit(limit).offset(offset)))
    return rows, int(connection.execute(count).scalar_one())


@cache
def _claim_statement(dashboards: bool) -> Any:
    # Built once, and Core: the ORM's UPDATE ... RETURNING annotated the statement again on every
    # execution and computed its cache key each time; at job rates that cost more than the round
    # trip. The job is built from the returned row (_as_stored).
    now = bindparam("now")
    return (
        update(_JOBS)
        .where(
            _JOBS.c.id == bindparam("job_id"),
            _JOBS.c.status == "pending",
            _JOBS.c.cancel_requested.is_(False),
            or_(_JOBS.c.next_attempt_at.is_(None), _JOBS.c.next_attempt_at <= now),
            or_(_JOBS.c.expires_at.is_(None), _JOBS.c.expires_at > now),
        )
        .values(
            status="running",
            attempts=_JOBS.c.attempts + 1,
            started_at=now,
            deadline_at=bindparam("deadline"),
            updated_at=now,
        )
        .returning(*_returned(dashboards))
    )


def _returned(dashboards: bool) -> list[Any]:
    return [*_JOBS.columns, dashboards_column()] if dashboards else list(_JOBS.columns)


def _job_of(session: Session, row: Any, dashboards_of: int | None) -> MarketplaceJob | None:
    """The job of a returned row, detached with every column loaded (read it; change it only
    through here), and the tenant's dashboards kept for the unit of work if they came with it."""
    if row is None:
        return None
    columns = dict(row._mapping)
    if dashboards_of is not None:
        dashboards_read(session, dashboards_of, columns.pop("dashboards"))
    return _stored(MarketplaceJob, columns)


def claim(
    session: Session, job_id: int, now: datetime, attempt_timeout: timedelta, *, dashboards_of: int | None = None
) -> MarketplaceJob | None:
    """The one atomic UPDATE that starts an attempt. A duplicate delivery, a job not yet due, a
    cancelled or an expired job matches nothing: at-least-once delivery never runs a job twice.
    `dashboards_of`: the tenant whose dashboard connections come back with the job (see
    stoflow.repositories.live_dashboards)."""
    session.flush()
    parameters = {"job_id": job_id, "now": now, "deadline": now + attempt_timeout, "dashboards_of": dashboards_of}
    row = session.connection().execute(_claim_statement(dashboards_of is not None), parameters).first()
    return _job_of(session, row, dashboards_of)


@cache
def _finish_statement(columns: tuple[str, ...], dashboards: bool) -> Any:
    return (
        update(_JOBS)
        .where(
            _JOBS.c.id == bindparam("job_id"),
            _JOBS.c.status == "running",
            _JOBS.c.attempts == bindparam("attempt"),
        )
        .values({column: bindparam(f"v_{column}", type_=_JOBS.c[column].type) for column in columns})
        .returning(*_returned(dashboards))
    )


def finish(
    session: Session, job_id: int, attempt: int, values: dict[str, Any], *, dashboards_of: int | None = None
) -> MarketplaceJob | None:
    """Record the end of an attempt, only if that attempt still owns the job (the reaper may
    have taken it back, or a cancel settled it). Core, as the claim, and like it may bring the
    tenant's dashboards."""
    session.flush()
    statement = _finish_statement(tuple(sorted(values)), dashboards_of is not None)
    parameters = {
        "job_id": job_id,
        "attempt": attempt,
        "dashboards_of": dashboards_of,
        **{f"v_{k}": v for k, v in values.items()},
    }
    row = session.connection().execute(statement, parameters).first()
    return _job_of(session, row, dashboards_of)


def settle(
    session: Session, job_id: int, from_statuses: Sequence[str], values: dict[str, Any]
) -> MarketplaceJob | None:
    statement = (
        update(MarketplaceJob)
        .where(MarketplaceJob.id == job_id, MarketplaceJob.status.in_(from_statuses))
        .values(**values)
        .returning(MarketplaceJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return session.scalars(statement).first()


@cache
def _count_statement(status: str) -> Any:
    column = _BATCHES.c[status]
    return (
        update(_BATCHES)
        .where(_BATCHES.c.id == bindparam("batch_id"))
        .values({column: column + 1, _BATCHES.c.updated_at: func.now()})
    )


def count_final(session: Session, batch_id: int, status: str) -> None:
    if status not in FINAL_STATUSES:
        raise ValueError(f"a batch counts no {status} jobs")
    session.flush()
    session.connection().execute(_count_statement(status), {"batch_id": batch_id})


def is_cancel_requested(session: Session, job_id: int) -> bool:
    return bool(session.scalar(select(MarketplaceJob.cancel_requested).where(MarketplaceJob.id == job_id)))


def record_history(session: Session, **values: Any) -> None:
    session.execute(insert(PublicationHistory).values(**values))


def upsert_listing(session: Session, product_id: int, marketplace: str, **values: Any) -> None:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    statement = pg_insert(MarketplaceListing).values(product_id=product_id, marketplace=marketplace, **values)
    session.execute(
        statement.on_conflict_do_update(
            constraint="uq_marketplace_listings_product_marketplace",
            set_={**values, "updated_at": func.now()},
        )
    )
    if values.get("status") == "listed":
        from stoflow.repositories import order_checks

        order_checks.wake(session)
        # ... and the tenant is due for the order-sync schedule (kind "orders").
        mark_due(session, "orders", datetime.now(UTC))


def _message_lost() -> Any:
    """A pending job's message is lost (a crash, a purge, the DLQ): re-send it. Bound at run time:
    `now`, `lost_before` (now - lost_after) and `visible_after` (now - the visibility timeout).

    Why each condition keeps a healthy message from being sent twice. The queue is FIFO per
    group (tenant:marketplace, i.e. this tenant's jobs of one marketplace): a message is received
    only once every message sent before it in its group has left the queue, and an idle group's
    next message is received within seconds (the event source long-polls). So a message is
    healthy while:
    - it is in flight: a worker received it (message_received_at, marked for a whole batch when
      the batch arrives) and the visibility timeout since has not passed; a claimed job is running
      and not pending at all;
    - or it waits behind its group: another job of the group, whose message was sent before this
      one (or whose send time a retry has reset), is running, has a message in flight, or was
      handled by a worker less than `lost_after` ago (the group is moving; this one is next).
    Anything else, `lost_after` after its send, is gone: a message sent after it in its group
    was received (so it left the queue unclaimed), or nothing of its group has moved since.
    Worst case: `lost_after` plus the sweep period (one minute) after the message was sent.

    Not covered: a message waiting only for worker capacity (every concurrent worker busy with
    other groups) longer than `lost_after` is sent again; the claim runs the job once anyway."""
    lost_before, visible_after = bindparam("lost_before"), bindparam("visible_after")
    other = aliased(MarketplaceJob)
    moving = or_(
        other.status == "running",
        and_(other.message_received_at > visible_after, other.message_received_at >= other.message_sent_at),
        and_(other.started_at.is_not(None), other.updated_at > lost_before),
        other.message_received_at > lost_before,
    )
    ahead = or_(other.message_sent_at.is_(None), other.message_sent_at < MarketplaceJob.message_sent_at)
    in_flight = and_(
        MarketplaceJob.message_received_at >= MarketplaceJob.message_sent_at,
        MarketplaceJob.message_received_at > visible_after,
    )
    return and_(
        MarketplaceJob.message_sent_at <= lost_before,
        or_(MarketplaceJob.message_received_at.is_(None), ~in_flight),
        ~exists().where(other.marketplace == MarketplaceJob.marketplace, other.id != MarketplaceJob.id, ahead, moving),
    )


@cache
def _due_for_sending_statement() -> Any:
    # Built once (as the claim): at scale the maintenance runs it for many tenants a minute.
    now = bindparam("now")
    return (
        select(MarketplaceJob)
        .where(
            MarketplaceJob.status == "pending",
            MarketplaceJob.cancel_requested.is_(False),
            or_(
                and_(
                    MarketplaceJob.message_sent_at.is_(None),
                    or_(
                        and_(
                            MarketplaceJob.next_attempt_at.is_(None), MarketplaceJob.created_at <= bindparam("sent_by")
                        ),
                        MarketplaceJob.next_attempt_at <= now,
                    ),
                ),
                _message_lost(),
            ),
        )
        .order_by(MarketplaceJob.priority.desc(), MarketplaceJob.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )


def due_for_sending(
    session: Session,
    now: datetime,
    grace: timedelta,
    lost_after: timedelta,
    limit: int,
    visibility: timedelta = timedelta(seconds=1440),
) -> list[MarketplaceJob]:
    """Pending jobs whose message was never sent (the API died after commit), whose retry is due,
    or whose message was lost (see _message_lost); locked."""
    parameters = {
        "now": now,
        "sent_by": now - grace,
        "lost_before": now - lost_after,
        "visible_after": now - visibility,
        "limit": limit,
    }
    return list(session.scalars(_due_for_sending_statement(), parameters))


def mark_received(session: Session, job_ids: Sequence[int], now: datetime) -> None:
    """The worker holds these jobs' messages (a batch it has not worked through yet)."""
    if job_ids:
        session.execute(
            update(MarketplaceJob)
            .where(MarketplaceJob.id.in_(job_ids), MarketplaceJob.status == "pending")
            .values(message_received_at=now)
            .execution_options(synchronize_session=False)
        )


# Built once (every POST /jobs stamps its jobs): run on the session's connection, after a flush.
_MARK_SENT = (
    update(MarketplaceJob)
    .where(MarketplaceJob.id == any_(bindparam("ids", type_=ARRAY(BigInteger))), MarketplaceJob.status == "pending")
    .values(message_sent_at=bindparam("now"))
)


def mark_sent(session: Session, job_ids: Sequence[int], now: datetime) -> None:
    if job_ids:
        session.flush()  # what the ORM holds goes first, as the ORM's own execute would do
        session.connection().execute(_MARK_SENT, {"ids": list(job_ids), "now": now})


def unmark_sent(session: Session, job_ids: Sequence[int], stamped: datetime) -> None:
    """The messages stamped sent at `stamped` did not go: unsent again (a later stamp stands)."""
    if job_ids:
        session.execute(
            update(MarketplaceJob)
            .where(MarketplaceJob.id.in_(job_ids), MarketplaceJob.message_sent_at == stamped)
            .values(message_sent_at=None)
            .execution_options(synchronize_session=False)
        )


def overdue_running(session: Session, now: datetime, limit: int) -> list[MarketplaceJob]:
    statement = (
        select(MarketplaceJob)
        .where(MarketplaceJob.status == "running", MarketplaceJob.deadline_at < now)
        .order_by(MarketplaceJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def unknown_outcomes(session: Session, limit: int) -> list[MarketplaceJob]:
    statement = (
        select(MarketplaceJob)
        .where(MarketplaceJob.status == "unknown_outcome", MarketplaceJob.cancel_requested.is_(False))
        .order_by(MarketplaceJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


@cache
def _next_maintenance_statement() -> Any:
    grace, visibility = bindparam("grace", type_=Interval()), bindparam("visibility", type_=Interval())
    received = and_(
        MarketplaceJob.message_received_at.is_not(None),
        MarketplaceJob.message_received_at >= MarketplaceJob.message_sent_at,
    )
    lost_from = MarketplaceJob.message_sent_at + bindparam("lost_after", type_=Interval())
    moment = case(
        (MarketplaceJob.status == "running", MarketplaceJob.deadline_at),
        (
            MarketplaceJob.message_sent_at.is_(None),
            func.coalesce(MarketplaceJob.next_attempt_at, MarketplaceJob.created_at + grace),
        ),
        (
            received,
            func.greatest(lost_from, MarketplaceJob.message_received_at + visibility),
        ),
        else_=lost_from,
    )
    return select(func.min(moment)).where(
        or_(
            MarketplaceJob.status == "running",
            and_(MarketplaceJob.status == "pending", MarketplaceJob.cancel_requested.is_(False)),
        ),
        MarketplaceJob.id.not_in(bindparam("exclude", expanding=True)),
    )


def next_maintenance_at(
    session: Session,
    grace: timedelta,
    lost_after: timedelta,
    visibility: timedelta,
    exclude: Sequence[int] = (),
) -> datetime | None:
    """The earliest moment the maintenance schedule may have something to do for this tenant's
    jobs (None: no job it looks after): a running attempt's deadline (the reaper), a pending job's
    unsent message or retry (the sweeper), or the moment a sent message would count as lost (see
    _message_lost: never before `lost_after` after the send, nor while a worker holds it).
    `exclude`: jobs being sent right now, whose moment the caller knows."""
    parameters = {"grace": grace, "lost_after": lost_after, "visibility": visibility, "exclude": list(exclude)}
    return session.scalar(_next_maintenance_statement(), parameters)
