"""The HTTP API pattern every area function follows: an app built from routers (stoflow.api.app),
errors as problem+json (stoflow.api.problems), and auth dependencies (stoflow.api.deps).

Nothing is imported here: workers and WebSocket functions import stoflow.auth without FastAPI."""
