"""The marketplaces function: /marketplaces/* (connections, OAuth, settings, eBay policies) and /orders."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.marketplaces import router as marketplaces
from stoflow.api.routers.orders import router as orders

app = create_app([marketplaces, orders], title="StoFlow marketplaces", openapi_url="/marketplaces/openapi.json")
handler = lambda_handler(app)
