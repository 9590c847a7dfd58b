"""eBay: OAuth (authorization code with the RuName), Sell Inventory / Account / Fulfillment clients,
the product converter and the job handlers. The descriptor below is all the core knows of it."""

from stoflow.marketplaces.descriptor import Marketplace

MARKETPLACE = Marketplace(
    name="ebay",
    title="eBay",
    jobs="stoflow.marketplaces.ebay.jobs:register",
    connection="stoflow.marketplaces.ebay.connection:is_connected",
    status="stoflow.marketplaces.ebay.status:connection_status",
    listings="stoflow.marketplaces.ebay.listings",
    connector="stoflow.marketplaces.ebay.connect:EbayConnector",
    orders="stoflow.marketplaces.ebay.orders",
    policies="stoflow.marketplaces.ebay.connect:policies",
    sync_action="sync_orders",
    notifications="stoflow.marketplaces.ebay.notifications:handle",
    forget_accounts="stoflow.marketplaces.ebay.account_deletion:forget",
    readiness="stoflow.marketplaces.ebay.readiness:check",
    setup="stoflow.marketplaces.ebay.setup:setup_steps",
    requirements="stoflow.marketplaces.ebay.requirements:refresh",
    suggestions="stoflow.marketplaces.ebay.suggestions:suggest",
    photo_limit=24,
)
