"""Sale detection at the default cadence, on a simulated clock (one day, minute ticks):

- from a sale on eBay or Etsy to its delists queued: worst and median over a day of sales at
  random seconds, against the DESIGN budget (5 minutes). A check runs on the first minute tick at
  or after its due time (the schedule fires every minute), reads the orders the marketplace has
  indexed by then (eBay: a minute behind, stoflow.marketplaces.ebay.jobs.INDEX_LAG), and queues
  the delists within SYNC_S of its start;
- marketplace calls per tenant per day at that cadence, for a tenant whose products are
  cross-listed (checked most often), listed on one marketplace only, and with nothing listed; and
  how many such tenants Etsy's default app limit (10,000 requests a day) carries;
- under the app-wide Etsy budget (stoflow.domain.call_budget, default settings): how many
  cross-listed tenants keep the 3-minute cadence, and beyond that the stretched cadence each gets,
  its calls per tenant per day and its worst sale-to-delists time, next to the unbudgeted figures.

The cadence is the code's (stoflow.domain.order_checks.interval); nothing here sleeps.
"""

from __future__ import annotations

import math
import random
import statistics

from stoflow.domain.order_checks import Activity, interval

DAY_S = 86_400
TICK_S = 60
# From a check's start to its delists queued: the job's queue pickup and one orders page (measured
# locally at well under a second through the sandboxes; 10 s leaves room for a cold worker).
SYNC_S = 10
SALES = 2_000
ETSY_DAILY_LIMIT = 10_000
# Token refreshes a day. eBay's access tokens (2 h) are refreshed by the schedule 30 min before
# they expire, for every connected account; Etsy's (1 h) by the check that needs one, within 5 min
# of expiry (the descriptor's refresh_on_use: an account with nothing to check refreshes nothing,
# the schedule only renews its 90-day refresh token a week before it lapses).
REFRESHES = {"ebay": DAY_S // (2 * 3600 - 1800), "etsy": DAY_S // (3600 - 300)}
# The same before refresh_on_use: Etsy's on the schedule too, connected or idle.
SCHEDULED_REFRESHES = {"ebay": REFRESHES["ebay"], "etsy": DAY_S // (3600 - 1800)}
LAG_S = {"ebay": 60, "etsy": 0}
# The baseline: the schedule this replaced, every connected tenant every 15 minutes.
BEFORE_S = 900


def check_times(step_s: int | None) -> list[int]:
    """Simulated check starts over a day: the first tick at or after each due time."""
    if step_s is None:
        return []
    times, due = [], 0
    for tick in range(0, DAY_S + 4 * step_s, TICK_S):
        if tick >= due:
            times.append(tick)
            due = tick + step_s
    return times


def sale_to_delists(marketplace: str, checks: list[int], rng: random.Random) -> list[float]:
    delays = []
    for _ in range(SALES):
        sold = rng.uniform(0, DAY_S)
        # The first check whose read covers the sale (the marketplace has indexed it by then).
        start = next(t for t in checks if t - LAG_S[marketplace] >= sold)
        delays.append(start + SYNC_S - sold)
    return delays


def main() -> None:
    from stoflow.marketplaces.ebay.jobs import INDEX_LAG

    LAG_S["ebay"] = int(INDEX_LAG.total_seconds())
    rng = random.Random(17)
    tenants = {
        "cross-listed": Activity(cross_listed=10, listed=10, recent_sales=0),
        "listed on one marketplace": Activity(cross_listed=0, listed=10, recent_sales=0),
        "nothing listed, no recent sale": Activity(cross_listed=0, listed=0, recent_sales=0),
    }
    steps = {name: interval(activity) for name, activity in tenants.items()}
    cross = steps["cross-listed"]
    assert cross is not None
    checks = check_times(int(cross.total_seconds()))
    print(f"default cadence while cross-listed: a check every {cross.total_seconds() / 60:.0f} min")
    before = check_times(BEFORE_S)
    for marketplace in ("ebay", "etsy"):
        delays = sale_to_delists(marketplace, checks, rng)
        worst, median = max(delays), statistics.median(delays)
        old = sale_to_delists(marketplace, before, rng)
        print(
            f"sale on {marketplace:<5} -> delists queued   worst {worst / 60:5.2f} min   median {median / 60:5.2f} min"
            f"   vs every 15 min: worst {max(old) / 60:5.2f} min   median {statistics.median(old) / 60:5.2f}"
            f" min   budget worst <= 5 min   {'ok' if worst <= 300 else 'OVER BUDGET'}"
        )
    print(f"({SALES} sales at random seconds of a simulated day, for each figure)")
    print("marketplace calls per tenant per day (orders reads of one page + token refreshes):")
    for name, step in steps.items():
        reads = len([t for t in check_times(int(step.total_seconds()) if step else None) if t < DAY_S])
        cells = []
        for marketplace in ("ebay", "etsy"):
            refreshes = REFRESHES[marketplace] if reads or marketplace == "ebay" else 0
            calls = reads + min(refreshes, reads) if marketplace == "etsy" else reads + refreshes
            cells.append(f"{marketplace} {calls:5d}")
        every = f"every {step.total_seconds() / 60:.0f} min" if step else "never"
        print(f"  {name:<32} checked {every:<14} {'   '.join(cells)}")
    reads_before = len([t for t in before if t < DAY_S])
    print(
        f"  {'before: any connected tenant':<32} checked every 15 min  ebay {reads_before + REFRESHES['ebay']:5d}"
        f"   etsy {reads_before + SCHEDULED_REFRESHES['etsy']:5d}"
    )
    print(
        f"  a connected Etsy shop with nothing to check: 0 calls a day (before: {SCHEDULED_REFRESHES['etsy']}, its"
        " scheduled token refreshes)"
    )
    etsy_calls = len([t for t in checks if t < DAY_S]) + REFRESHES["etsy"]
    print(
        f"Etsy's default app limit ({ETSY_DAILY_LIMIT:,}/day) carries {math.floor(ETSY_DAILY_LIMIT / etsy_calls)} "
        f"cross-listed tenants at this cadence (10 requests/s: one check takes one request)"
    )

    budget_figures(rng)


def budget_figures(rng: random.Random) -> None:
    """N cross-listed Etsy tenants at steady state: each refreshes its token REFRESHES["etsy"]
    times a day (upkeep) and wants a check every 3 minutes (demand); sellers' own actions stay
    within the reserve. The pace is the code's (stoflow.domain.call_budget.pace)."""
    from stoflow.config import get_settings
    from stoflow.domain.call_budget import TARGET, Usage, pace
    from stoflow.marketplaces.etsy.calls import limits

    settings, budget = get_settings(), limits()
    cross = Activity(cross_listed=10, listed=10, recent_sales=0)
    base = interval(cross)
    assert base is not None
    base_reads = len([t for t in check_times(int(base.total_seconds())) if t < DAY_S])
    polling = budget.usable - budget.seller_reserve
    # The stretch aims polling at TARGET of its allowance: the tenants that fit below that line.
    carried = math.floor(polling * TARGET / (base_reads + REFRESHES["etsy"]))
    print(
        f"Etsy app budget: {budget.daily_limit:,}/day x {budget.share:.0%} usable, {budget.seller_reserve:,} kept for"
        f" seller actions (publish, update, delist): order checks and token refreshes share {polling:,.0f}/day"
    )
    print(
        f"  before: nothing enforced; {math.floor(budget.daily_limit / (base_reads + REFRESHES['etsy']))} tenants"
        f" at 3 min spend the whole limit, the next ones' publishes and delists are refused by Etsy"
    )
    print(f"  now: {carried} cross-listed tenants keep the 3-minute cadence; beyond, every Etsy check stretches:")
    for tenants in (carried, carried + 1, 18, 25, 50, 100, 140):
        upkeep = tenants * REFRESHES["etsy"]
        current = pace(Usage(tokens=upkeep, demand=float(tenants * base_reads)), budget)
        if current.allowance <= 0:
            print(f"  {tenants:4d} tenants: token refreshes alone spend the polling part; checks deferred")
            continue
        step = interval(cross, stretch=current.stretch)
        assert step is not None
        checks = check_times(int(step.total_seconds()))
        reads = len([t for t in checks if t < DAY_S])
        calls = reads + min(REFRESHES["etsy"], reads)  # refreshed by the checks that need a token
        worst = max(sale_to_delists("etsy", checks, rng))
        print(
            f"  {tenants:4d} tenants: x{current.stretch:6.2f}  due every {step.total_seconds() / 60:5.1f} min"
            f" (on the minute ticks: {math.ceil(step.total_seconds() / 60):3d})"
            f"   etsy {calls:4d} calls/tenant/day   app {tenants * calls:5d}/day"
            f"   sale -> delists worst {worst / 60:6.1f} min"
        )
    print(
        f"  token refreshes (at most {REFRESHES['etsy']}/tenant/day) are made by the checks that need one: they"
        f" slow down with the checks; per second: {settings.etsy_concurrent_callers} callers"
        f" paced {settings.etsy_concurrent_callers / settings.etsy_requests_per_s:.1f} s apart"
        f" = at most {settings.etsy_requests_per_s:.0f} requests/s"
    )


if __name__ == "__main__":
    main()
