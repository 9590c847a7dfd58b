"""Marketplace adapters: one package per marketplace, each described by a `Marketplace` descriptor
in its `__init__.py` (job handlers, connection check and status, OAuth connector, WebSocket
routes, order table, listings, scheduled sync, photo limit), listed by `registry.py`.

The rest of StoFlow asks the registry and never names a marketplace. `common` holds what the
OAuth marketplaces share: the HTTP client with retries, token encryption and refresh, OAuth
states, the OAuth connector base. Adapters import `domain`, `realtime`, `jobs` and what is below
them, never `services` or `api` (import-linter contracts in pyproject.toml).
"""
