"""Use cases: what the API, the CLI and the scheduled functions call. Services may import the
marketplace registry and everything below it; nothing below imports services."""
