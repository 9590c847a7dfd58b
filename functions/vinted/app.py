"""The vinted function: /vinted/* (conversations and replies, wardrobe items and their link)."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.vinted import router

app = create_app([router], title="StoFlow Vinted", openapi_url="/vinted/openapi.json")
handler = lambda_handler(app)
