"""Tiers, quotas and AI credit usage (public schema)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
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
        .outerjoin(
            AiCreditUsage, (AiCreditUsage.user_id == User.id) & (AiCreditUsage.period_start == period_start)
        )
        .where(User.id == user_id)
    ).first()
    if row is None:
        return None
    tier, max_products, monthly, used = row
    return Quota(tier, max_products, monthly, used or 0)
