"""Etsy: OAuth with PKCE (S256), Open API v3 client (x-api-key keystring:shared_secret), the
product converter and the job handlers. The descriptor below is all the core knows of it."""

from stoflow.marketplaces.descriptor import Marketplace

MARKETPLACE = Marketplace(
    name="etsy",
    title="Etsy",
    jobs="stoflow.marketplaces.etsy.jobs:register",
    connection="stoflow.marketplaces.etsy.connection:is_connected",
    status="stoflow.marketplaces.etsy.status:connection_status",
    listings="stoflow.marketplaces.etsy.listings",
    connector="stoflow.marketplaces.etsy.connect:EtsyConnector",
    orders="stoflow.marketplaces.etsy.orders",
    sync_action="sync_orders",
    readiness="stoflow.marketplaces.etsy.readiness:check",
    setup="stoflow.marketplaces.etsy.setup:setup_steps",
    photo_limit=10,
    # The properties of each taxonomy node our mapping uses, read daily into the shared cache.
    requirements="stoflow.marketplaces.etsy.requirements:refresh",
    # One API key for every tenant: 10,000 requests a day for the whole app.
    call_budget="stoflow.marketplaces.etsy.calls:pace",
    # Access tokens last an hour; refreshing them on a schedule cost 48 calls a day per connected
    # shop, busy or not. Refresh tokens last 90 days: the schedule keeps those alive.
    refresh_on_use=True,
)
