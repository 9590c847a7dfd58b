"""Tiers, quotas and AI credit usage (public schema)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.identity import AiCreditUsage, SubscriptionQuota
from stoflow.models.public import User


class Quota(NamedTuple):
    tier: str
    max_products: int | None
    ai_credits_monthly: int
    ai_credits_used: int


def quota_for(session: Session, user_id: int, period_start: date) -> Quota | None:
    """The user's tier and limits with this month's AI credit usage: one statement."""
    row = session.execute(
        select(
            SubscriptionQuota.tier,
            SubscriptionQuota.max_products,
            SubscriptionQuota.ai_credits_monthly,
            AiCreditUsage.used,
        )
        .select_from(User)
        .join(SubscriptionQuota, SubscriptionQuota.tier == User.tier)
        .outerjoin(AiCreditUsage, (AiCreditUsage.user_id == User.id) & (AiCreditUsage.period_start == period_start))
        .where(User.id == user_id)
    ).first()
    if row is None:
        return None
    tier, max_products, monthly, used = row
    return Quota(tier, max_products, monthly, used or 0)


def spend_ai_credits(session: Session, user_id: int, amount: int, period_start: date) -> int | None:
    """Spend `amount` credits of this month's allowance in one atomic statement; the credits left,
    or None (and nothing spent) when the allowance would be exceeded. Concurrent spenders cannot
    overdraw: the check and the increment are the same upsert."""
    allowance = (
        select(SubscriptionQuota.ai_credits_monthly)
        .join(User, User.tier == SubscriptionQuota.tier)
        .where(User.id == user_id)
        .scalar_subquery()
    )
    table = AiCreditUsage.__table__
    stmt = insert(table).from_select(
        ["user_id", "period_start", "used"],
        select(literal(user_id), literal(period_start), literal(amount)).where(literal(amount) <= allowance),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.period_start],
        set_={"used": table.c.used + stmt.excluded.used},
        where=table.c.used + stmt.excluded.used <= allowance,
    ).returning(allowance - table.c.used)
    return session.execute(stmt).scalar_one_or_none()
