"""POST /ws/tickets: a single-use, 60-second ticket for the WebSocket $connect."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.ws import router

app = create_app([router], title="StoFlow WebSocket tickets", openapi_url="/ws/openapi.json")
handler = lambda_handler(app)
