"""HTTP: /extension (pairing codes, pairing, device tokens, devices)."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import extension

app = create_app([extension.router], title="StoFlow extension", openapi_url="/extension/openapi.json")
handler = lambda_handler(app)
