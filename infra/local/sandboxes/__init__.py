"""Local stand-ins for eBay, Etsy and Vinted, started by `make run` and used by the tests: one
implementation of each marketplace's behaviour, held to the official OpenAPI files.

`ebay.py`, `etsy.py`: the APIs, each one `handle(httpx.Request) -> httpx.Response`.
`vinted.py`: the Vinted web origin the extension works in (HTTPS, session, CSRF, DataDome, 429).
`server.py`: the local cloud's part serving them over HTTP, with the control page and API
(`control.py`) that make a marketplace act on its own (a sale, a removed listing, a revoked token,
an outage). Nothing here ships: infra/ is not in the Lambda layer.
"""
