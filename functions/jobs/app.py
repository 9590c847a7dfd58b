"""HTTP: /jobs and /batches."""

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import jobs

app = create_app([jobs.router], title="StoFlow jobs", openapi_url="/jobs/openapi.json")
handler = lambda_handler(app)
