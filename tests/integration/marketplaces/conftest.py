"""eBay and Etsy tests: fake marketplaces and the real job system (tests.support.marketplaces)."""

from tests.support.marketplaces import job_runner, marketplaces  # noqa: F401 (fixtures)
