"""eBay and Etsy tests: fake marketplaces and the real job system (tests.support.marketplaces), and a
seller connected to both (tests.support.selling)."""

from tests.support.marketplaces import endpoint, job_runner, marketplaces  # noqa: F401 (fixtures)
from tests.support.selling import seller, vinted_delete  # noqa: F401 (fixtures)
