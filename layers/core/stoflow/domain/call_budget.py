"""A per-app daily call limit shared by every tenant (Etsy: 10,000 requests a day for the app's
one API key), and how fast order checks may poll within it.

Calls are recorded by kind, by the hour, for the whole app (stoflow.repositories.marketplace_calls):

- "seller": what a seller asked for (publish, update, delist, connect). Never held back here: a
  delist after a sale is the point of polling at all;
- "tokens": the scheduled token refreshes that keep connections usable;
- "orders": order checks, the only kind that adapts. Their calls are also recorded as "base
  calls", each call times the stretch in force, i.e. what they would have cost at the unstretched
  cadence: the demand, known however much polling was slowed.

Polling may use what is left of the usable part of the limit (`share` of it) once the day's token
refreshes and the seller reserve (or the sellers' actual use, if higher) are set aside. When the
demand at the unstretched cadence is above that allowance, every interval is multiplied by
demand / allowance (aiming a little below it: TARGET), so the polling settles within it; when the
day's order checks have already spent it, checks are deferred (looked at again later, never failed) until older hours
leave the window. Pure arithmetic: the callers read the buckets and the settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from stoflow.repositories.marketplace_calls import hour_of

__all__ = ["ORDERS", "SELLER", "TOKENS", "Limits", "Pace", "Usage", "pace", "usage_from"]

ORDERS, TOKENS, SELLER = "orders", "tokens", "seller"
DAY = timedelta(days=1)
# The window whose demand is extrapolated to a day, so that a sudden rise in polling (many
# tenants cross-listing at once) stretches the cadence within the hour, not over a day.
RECENT = timedelta(hours=1)
# The stretch aims polling at this part of its allowance, not all of it: at exactly the allowance
# the day's checks would keep touching the deferral line and tenants would flap into 30-minute
# waits; the margin keeps a steady state below it.
TARGET = 0.95


@dataclass(frozen=True)
class Limits:
    daily_limit: int
    share: float  # of the daily limit we let ourselves use (the rest is headroom)
    seller_reserve: int  # calls a day polling leaves to the sellers' own actions
    deferred_check_s: int  # how much later a deferred check is looked at again

    @property
    def usable(self) -> float:
        return self.daily_limit * self.share


@dataclass(frozen=True)
class Usage:
    """The app's calls in the rolling day, by kind, and the order checks' demand per day."""

    orders: int = 0
    tokens: int = 0
    seller: int = 0
    demand: float = 0.0  # base calls of order checks in the rolling day
    recent_demand: float = 0.0  # base calls of the last hour or two, extrapolated to a day

    @property
    def total(self) -> int:
        return self.orders + self.tokens + self.seller


@dataclass(frozen=True)
class Pace:
    """How order checks go: every interval times `stretch`, or none at all while `deferred`."""

    stretch: float = 1.0
    deferred: bool = False
    allowance: float = 0.0  # order-check calls a day the budget leaves
    demand: float = 0.0  # order-check calls a day at the unstretched cadence
    defer_s: int = 0  # while deferred: how much later the check is looked at again

    @property
    def adapted(self) -> bool:
        return self.deferred or self.stretch > 1.0


UNLIMITED = Pace()


def usage_from(buckets: Iterable[tuple[datetime, str, int, float]], now: datetime) -> Usage:
    """Sum hourly buckets (hour, kind, calls, base calls) into the rolling day ending `now`.

    The bucket the window's start falls in counts whole (25 buckets: 24 to 25 hours): a little
    too much is counted, never too little."""
    day_start = hour_of(now - DAY)
    recent_start = hour_of(now - RECENT)
    per_kind = {ORDERS: 0, TOKENS: 0, SELLER: 0}
    demand = recent = 0.0
    for hour, kind, calls, base in buckets:
        if hour < day_start:
            continue
        per_kind[kind if kind in per_kind else SELLER] += calls
        if kind == ORDERS:
            demand += base
            if hour >= recent_start:
                recent += base
    # The recent buckets cover from the start of the previous hour to now: 1 to 2 hours.
    covered = max((now - recent_start).total_seconds(), RECENT.total_seconds())
    return Usage(
        orders=per_kind[ORDERS],
        tokens=per_kind[TOKENS],
        seller=per_kind[SELLER],
        demand=demand,
        recent_demand=recent * DAY.total_seconds() / covered,
    )


def pace(usage: Usage, limits: Limits) -> Pace:
    """The order checks' pace for this usage (see the module's docstring)."""
    allowance = limits.usable - usage.tokens - max(limits.seller_reserve, usage.seller)
    demand = max(usage.demand, usage.recent_demand)
    stretch = max(1.0, demand / (allowance * TARGET)) if allowance > 0 else 1.0
    if allowance <= 0 or usage.orders >= allowance:
        return Pace(
            stretch=stretch,
            deferred=True,
            allowance=max(allowance, 0.0),
            demand=demand,
            defer_s=limits.deferred_check_s,
        )
    return Pace(stretch=stretch, allowance=allowance, demand=demand)
