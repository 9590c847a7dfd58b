"""Etsy: OAuth with PKCE (S256), Open API v3 client (x-api-key keystring:shared_secret), the
product converter and the job handlers."""
