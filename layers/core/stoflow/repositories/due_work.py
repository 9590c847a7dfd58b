"""The shared index of due work (public.due_work): marked where work is created, leased and
settled by the scheduled runs. See stoflow.models.scheduling.

A mark never moves a row later: the row says "look at this tenant no later than due_at". A run
recomputes the real next time from the tenant's own rows, so an early visit costs one look and
never loses work. Every mark bumps the version, so a run that settles a row it leased before a
new mark leaves the row due (the new work may postdate what the run saw)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.scheduling import KINDS, DueWork

__all__ = ["Leased", "forget_tenant", "lease", "mark_due", "mark_due_for", "settle"]


@dataclass(frozen=True)
class Leased:
    tenant_id: int
    version: int


@cache
def _mark_statement() -> Any:
    statement = insert(DueWork).values(
        tenant_id=bindparam("tenant_id"), kind=bindparam("kind"), due_at=bindparam("due_at")
    )
    return statement.on_conflict_do_update(
        index_elements=[DueWork.tenant_id, DueWork.kind],
        set_={
            "due_at": func.least(DueWork.due_at, statement.excluded.due_at),
            "version": DueWork.version + 1,
            "marked_at": func.now(),
        },
    )


def mark_due_for(session: Session | Connection, tenant_id: int, kind: str, due_at: datetime) -> None:
    """The tenant has work of `kind` to look at from `due_at` on (earlier marks stand)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of due work {kind!r}")
    # Core execution on the session's connection: the ORM's insert path is most of the cost of a
    # mark, and a mark returns nothing to map.
    connection = session.connection() if isinstance(session, Session) else session
    connection.execute(_mark_statement(), {"tenant_id": tenant_id, "kind": kind, "due_at": due_at})


def mark_due(session: Session, kind: str, due_at: datetime) -> None:
    """`mark_due_for` the tenant of a tenant session, in the transaction creating the work."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("mark_due needs a tenant session (tenant_session())")
    mark_due_for(session, int(tenant_id), kind, due_at)


def lease(session: Session, kind: str, now: datetime, until: datetime, limit: int) -> list[Leased]:
    """Take up to `limit` rows of `kind` due by `now`, earliest first, moving them to `until`
    (a run that dies leaves them due again then). Rows another run holds are skipped."""
    due = (
        select(DueWork.tenant_id, DueWork.kind)
        .where(DueWork.kind == kind, DueWork.due_at <= now)
        .order_by(DueWork.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(DueWork)
        .where(tuple_(DueWork.tenant_id, DueWork.kind).in_(due.scalar_subquery()))
        .values(due_at=until)
        .returning(DueWork.tenant_id, DueWork.version)
        .execution_options(synchronize_session=False)
    )
    return [Leased(int(row.tenant_id), int(row.version)) for row in session.execute(statement)]


def settle(session: Session, tenant_id: int, kind: str, version: int, next_due: datetime | None) -> None:
    """After a run looked at a tenant: due again at `next_due`, or gone when None. A row marked
    since the lease (another version) keeps its mark's time if earlier, and is never deleted."""
    where = (DueWork.tenant_id == tenant_id, DueWork.kind == kind)
    if next_due is None:
        session.execute(delete(DueWork).where(*where, DueWork.version == version))
        return
    session.execute(
        update(DueWork)
        .where(*where)
        .values(
            due_at=case(
                (DueWork.version == version, next_due),
                else_=func.least(DueWork.due_at, next_due),
            )
        )
        .execution_options(synchronize_session=False)
    )


def forget_tenant(connection: Connection, tenant_id: int) -> None:
    """A dropped tenant has nothing due."""
    connection.execute(delete(DueWork).where(DueWork.tenant_id == tenant_id))
