"""Cold start of the products and job worker functions, each against the bare import of the
libraries it stands on, all in fresh processes (timed inside the child, as bench.cold_start_auth).

- products: import functions/products/app.py and answer a first GET /products (token check,
  tenant session, one page of products);
- job_worker: import functions/job_worker/app.py and process a first SQS batch of one message
  (claim the job, look its handler up, run it, record the outcome). The job is an eBay order sync
  for a tenant without eBay: it fails at once, without a network call, as a real first job might.

The worker's baseline has no web framework: the budget says worker functions import none.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile

from bench.cold_start_auth import LIBRARIES, LIBRARIES_IN_USE, MARK, _child, bare, event
from bench.common import REPO, figure, scratch_database

RUNS = 7
WORKER_LIBRARIES = ["pydantic", "sqlalchemy", "pg8000", "boto3", "aws_lambda_powertools"]
WORKER_LIBRARIES_IN_USE = [
    *WORKER_LIBRARIES,
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql.pg8000",
    "pydantic_settings",
    "aws_lambda_powertools.utilities.batch",
    "httpx",  # the worker calls marketplaces: its first job loads the marketplace's client
]


def cold(function: str) -> str:
    return f"""
import time
t0 = time.perf_counter()
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", {str(REPO / "functions" / function / "app.py")!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter() - t0
event = json.loads(sys.argv[1])
response = module.handler(event, None)
assert response.get("statusCode", 200) == 200 and not response.get("batchItemFailures"), response
print({MARK!r}, time.perf_counter() - t0, imported)
"""


def _prepare(env: dict[str, str], jobs: int) -> tuple[str, int, list[int]]:
    """A user with a tenant, a token, and `jobs` pending jobs to hand one by one to the worker."""
    code = f"""
from stoflow.db.tenancy import tenant_session
from stoflow.jobs.service import JobRequest, enqueue_in_session
from stoflow.services.accounts import register
from stoflow.services.auth import login
register("bench@example.com", "bench password 123", "192.0.2.1")
tokens = login("bench@example.com", "bench password 123", "192.0.2.1")
import jwt
tenant = int(jwt.decode(tokens.access_token, options={{"verify_signature": False}})["tid"])
ids = []
with tenant_session(tenant) as session:
    for _ in range({jobs}):
        ids.extend(job.id for job in enqueue_in_session(
            session, tenant, JobRequest("ebay", "sync_orders"), validate=False).jobs)
print({MARK!r}, tokens.access_token, tenant, *ids)
"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            _, token, tenant, *ids = line.split()
            return token, int(tenant), [int(i) for i in ids]
    raise RuntimeError(f"setup failed:\n{out.stderr[-4000:]}")


def sqs_event(tenant_id: int, job_id: int) -> dict:
    body = json.dumps({"tenant_id": tenant_id, "job_id": job_id, "marketplace": "ebay"})
    return {
        "Records": [
            {
                "messageId": f"bench-{job_id}",
                "receiptHandle": "bench",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795230000000",
                    "MessageGroupId": f"{tenant_id}:ebay",
                    "MessageDeduplicationId": str(job_id),
                    "SequenceNumber": "1",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:stoflow-jobs.fifo",
                "awsRegion": "eu-west-3",
            }
        ]
    }


def main() -> None:
    from stoflow.db.migrations import migrate_shared

    with scratch_database(pool_size=1) as (engine, url), tempfile.TemporaryDirectory() as data_dir:
        migrate_shared(engine)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "STOFLOW_DATA_DIR": data_dir,
            "STOFLOW_ENVIRONMENT": "local",
            "STOFLOW_LOG_LEVEL": "WARNING",
            "STOFLOW_WS_CALLBACK_URL": "",
        }
        token, tenant, job_ids = _prepare(env, RUNS + 1)
        products = json.dumps(event("/products", token))
        batches = [json.dumps(sqs_event(tenant, job_id)) for job_id in job_ids]
        _child(bare(LIBRARIES_IN_USE), env)
        _child(cold("products"), env, products)
        _child(cold("job_worker"), env, batches.pop())
        api_bare, worker_bare, api_cold, worker_cold, api_imports, worker_imports = [], [], [], [], [], []
        for _ in range(RUNS):
            api_bare.append(_child(bare(LIBRARIES_IN_USE), env)[0])
            worker_bare.append(_child(bare(WORKER_LIBRARIES_IN_USE), env)[0])
            total, imported = _child(cold("products"), env, products)
            api_cold.append(total)
            api_imports.append(imported)
            total, imported = _child(cold("job_worker"), env, batches.pop())
            worker_cold.append(total)
            worker_imports.append(imported)
        median = statistics.median
        print(f"median of {RUNS} fresh processes each; API baseline: {', '.join(LIBRARIES)} and what they load")
        print(f"worker baseline: {', '.join(WORKER_LIBRARIES_IN_USE)}")
        figure(
            "products cold start: import + GET /products",
            median(api_cold),
            "bare import, API libraries",
            median(api_bare),
            "<= 1.30x",
        )
        figure(
            "  of which: import the handler (app built)",
            median(api_imports),
            "bare import, API libraries",
            median(api_bare),
            "(part)",
        )
        figure(
            "worker cold start: import + first batch",
            median(worker_cold),
            "bare import, worker libraries",
            median(worker_bare),
            "report",
        )
        figure(
            "  of which: import the handler",
            median(worker_imports),
            "bare import, worker libraries",
            median(worker_bare),
            "(part)",
        )


if __name__ == "__main__":
    main()
