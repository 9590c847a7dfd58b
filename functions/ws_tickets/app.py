"""POST /ws/tickets: a single-use, 60-second ticket for the WebSocket $connect."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.ws import router

app = create_app([router], title="StoFlow WebSocket tickets", openapi_url="/ws/openapi.json")
handler = lambda_handler(app)
