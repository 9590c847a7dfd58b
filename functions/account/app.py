"""The account function: /account/export (a download link to everything) and /account/delete."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.account import router

app = create_app([router], title="StoFlow account", openapi_url="/account/openapi.json")
handler = lambda_handler(app)
