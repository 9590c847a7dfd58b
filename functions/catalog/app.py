"""The catalog function: GET /catalog/{kind} (shared catalogues, cacheable)."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.catalog import router

app = create_app([router], title="StoFlow catalog", openapi_url="/catalog/openapi.json")
handler = lambda_handler(app)
