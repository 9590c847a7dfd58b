"""The auth function: /auth/* (register, login, refresh, logout, me, jwks.json, verify-email)."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers.auth import router

app = create_app([router], title="StoFlow auth", openapi_url="/auth/openapi.json")
handler = lambda_handler(app)
