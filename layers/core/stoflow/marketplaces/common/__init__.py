"""What the OAuth marketplace adapters share: HTTP with retries, token encryption and refresh,
OAuth states, the connector base, app credentials."""
