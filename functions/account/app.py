"""The account function: /account/export (a download link to everything) and /account/delete."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.account import router

app = create_app([router], title="StoFlow account", openapi_url="/account/openapi.json")
handler = lambda_handler(app)
