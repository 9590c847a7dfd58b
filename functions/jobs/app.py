"""HTTP: /jobs and /batches."""

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.routers import jobs
from stoflow.realtime.notifier import install

install()  # a cancelled job reaches the tenant's dashboards at once

app = create_app([jobs.router], title="StoFlow jobs", openapi_url="/jobs/openapi.json")
handler = lambda_handler(app)
