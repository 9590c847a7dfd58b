"""`python -m tests.e2e.fake_marketplace_cloud [infra.local options]`: the local cloud with a
test-only marketplace action, so a job can run end to end without eBay, Etsy or Vinted.

Etsy is declared connected and gets an extra action, `test_echo`, whose handler answers at once
with the product it was given. Nothing here ships: tests/ is not in the layer.
"""

from __future__ import annotations

import sys
from typing import ClassVar

from infra.local.__main__ import main
from stoflow.jobs.handlers import JobContext, JobOutcome

MARKETPLACE = "etsy"
ACTION = "test_echo"


class EchoHandler:
    marketplace: ClassVar[str] = MARKETPLACE
    action: ClassVar[str] = ACTION
    idempotent: ClassVar[bool] = True
    needs_product: ClassVar[bool] = True
    timeout_s: ClassVar[int] = 30

    def run(self, context: JobContext) -> JobOutcome:
        return JobOutcome(result={"echo": context.job.input, "product_id": context.job.product_id})


def install() -> None:
    from stoflow.services.jobs import registry

    registry().set_connection_check(MARKETPLACE, lambda session: True)
    registry().register(EchoHandler())


if __name__ == "__main__":
    install()
    sys.exit(main(sys.argv[1:]))
