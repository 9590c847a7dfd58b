"""Routers, one module per area; each function's app.py picks the ones it serves."""
