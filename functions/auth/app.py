"""The auth function: /auth/* (register, login, refresh, logout, me, jwks.json, verify-email,
password forgot / reset / change)."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.auth import router
from stoflow.api.routers.passwords import router as passwords

app = create_app([router, passwords], title="StoFlow auth", openapi_url="/auth/openapi.json")
handler = lambda_handler(app)
