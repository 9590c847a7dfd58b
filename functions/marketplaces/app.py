"""The marketplaces function: /marketplaces/* (connections, OAuth, settings, eBay policies), /orders,
/sales (each sale's delist chain, restore) and /alerts."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.marketplaces import router as marketplaces
from stoflow.api.routers.orders import router as orders
from stoflow.api.routers.sales import router as sales

app = create_app([marketplaces, orders, sales], title="StoFlow marketplaces", openapi_url="/marketplaces/openapi.json")
handler = lambda_handler(app)
