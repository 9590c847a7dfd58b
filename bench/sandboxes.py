"""Marketplace sandbox figures, each beside its baseline measured in the same run:

- one eBay call answered by the sandbox in process (request checked against the official OpenAPI
  file, answer checked too) vs the same call with both checks left out;
- the same call over the sandbox's HTTP port with a kept-alive client (what the local cloud's
  backend does) vs the in-process call.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from bench.common import figure, timed
from infra.local.sandboxes.ebay import EbaySandbox
from infra.local.sandboxes.server import SandboxServer

CALLS = 200
PATH = "/sell/account/v1/return_policy?marketplace_id=EBAY_FR"


def main() -> None:
    checked, unchecked = EbaySandbox(strict=True), EbaySandbox(strict=True)
    # Every path unchecked: the same sandbox behaviour without the contract.
    unchecked.unchecked_paths = frozenset({"/sell/account/v1/return_policy"})
    tokens = {id(s): s.issue_access_token("bench", 3600) for s in (checked, unchecked)}

    def calls(sandbox: EbaySandbox) -> None:
        for _ in range(CALLS):
            request = httpx.Request(
                "GET", "https://api.ebay.com" + PATH, headers={"authorization": f"Bearer {tokens[id(sandbox)]}"}
            )
            assert sandbox.handle(request).status_code == 200

    calls(checked)  # specs loaded, validators built
    in_process = timed(lambda: calls(checked), repeat=3) / CALLS
    bare = timed(lambda: calls(unchecked), repeat=3) / CALLS
    figure("eBay sandbox call, contract-checked", in_process, "same call, no contract checks", bare, "< 5 ms")

    server = SandboxServer(port=0, vinted_port=0, data_dir=Path(tempfile.mkdtemp()))
    server.start()
    try:
        assert server.sandboxes is not None
        token = server.sandboxes.ebay.issue_access_token("bench", 3600)
        with httpx.Client(base_url=f"{server.url}/ebay/api", headers={"authorization": f"Bearer {token}"}) as client:
            client.get(PATH)

            def over_http() -> None:
                for _ in range(CALLS):
                    assert client.get(PATH).status_code == 200

            http = timed(over_http, repeat=3) / CALLS
    finally:
        server.stop()
    figure("eBay sandbox call over HTTP (kept alive)", http, "the same call in process", in_process, "< 10 ms")
