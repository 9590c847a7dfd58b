"""Vinted, through the seller's browser extension (no public API for ordinary sellers).

- converter: product -> the extension's item payload (Vinted catalogue ids, price rules, photos
  as presigned URLs chosen by stoflow.domain.photos, never a label);
- lane: the per-tenant command lane (one command in flight, a randomised gap, a doubling pause
  after DataDome / 429 / captcha, deadlines) and execute_job over the WebSocket;
- lane_schedule: when a lane is next due, and the tick that visits only the due lanes;
- jobs: the job handlers (they park a job in waiting_extension; the lane sends it);
- ws: the extension's routes of the WebSocket protocol (job_progress, job_result,
  vinted_session_update, datadome_detected);
- results: what each command's answer changes in the tenant's tables.
- orders, listings, connection: its rows in GET /orders, its items, "is an extension paired?".

The descriptor below is all the core knows of it.
"""

from stoflow.marketplaces.descriptor import Marketplace

MARKETPLACE = Marketplace(
    name="vinted",
    title="Vinted",
    jobs="stoflow.marketplaces.vinted.jobs:register",
    connection="stoflow.marketplaces.vinted.connection:is_connected",
    status="stoflow.marketplaces.vinted.connection:connection_status",
    listings="stoflow.marketplaces.vinted.listings",
    ws="stoflow.marketplaces.vinted.ws:register",
    orders="stoflow.marketplaces.vinted.orders",
    # Order syncs run in the browser extension (the lane paces them like any Vinted command).
    sync_action="orders",
    readiness="stoflow.marketplaces.vinted.readiness:check",
    setup="stoflow.marketplaces.vinted.setup:setup_steps",
    photo_limit=20,
    quantities=False,  # one Vinted item is one unit
    # Scheduled order reads queue a browser command each: at most every 15 minutes, so the
    # extension's read budget is left to the seller's own work.
    min_order_check_s=900,
    # The lane's scheduled tick visits only the tenants whose lane is due.
    due_work={"lane": "stoflow.marketplaces.vinted.lane_schedule:visit"},
)
