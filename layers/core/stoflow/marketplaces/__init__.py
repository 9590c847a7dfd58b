"""Marketplace adapters: clients, OAuth, converters and job handlers, one package per marketplace.

Each marketplace package has `jobs.register(registry)` (handlers for the job processor) and
`connection.register_connection_check()` (is this tenant connected?). `common` holds what eBay
and Etsy share: the HTTP client with retries, token encryption, token refresh, OAuth states.
"""
