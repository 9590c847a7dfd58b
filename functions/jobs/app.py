"""HTTP: /jobs and /batches."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import jobs

app = create_app([jobs.router], title="StoFlow jobs", openapi_url="/jobs/openapi.json")
handler = lambda_handler(app)
