"""Cold start of each function, as deployed (pool of one), against the bare import of its libraries.

Cold start = a new interpreter imports the function's entrypoint and answers one first event
(the auth function has a bench of its own: bench/cold_start_auth.py). The floor is a new
interpreter importing only the libraries that function's path stands on. Both are timed inside the
child from before the first import; medians of RUNS fresh processes each, alternated.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.cold_start_auth import MARK, _child, _prepare_account, bare, event
from bench.common import REPO, figure, scratch_database

RUNS = 7
# What every database-backed function stands on (SQLAlchemy loads its ORM and dialect lazily).
DATABASE = ["sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql.pg8000", "pg8000", "pydantic_settings"]
API = [*DATABASE, "fastapi", "pydantic", "pydantic.v1", "jwt", "aws_lambda_powertools"]


@dataclass(frozen=True)
class Function:
    name: str
    entrypoint: str  # functions/<...>.py
    libraries: list[str]
    event: Any  # the first event, or a callable(token) -> event


def sqs_event(tenant_id: int) -> dict[str, Any]:
    body = json.dumps({"tenant_id": tenant_id, "job_id": 999_999_999, "marketplace": "ebay"})
    return {
        "Records": [
            {
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SequenceNumber": "18849496460467696128",
                    "MessageGroupId": f"{tenant_id}:ebay",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "MessageDeduplicationId": "999999999-0",
                    "ApproximateFirstReceiveTimestamp": "1545082649185",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:stoflow-jobs.fifo",
                "awsRegion": "eu-west-3",
            }
        ]
    }


COLD = f"""
import time
t0 = time.perf_counter()
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("cold_app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter() - t0
response = module.handler(json.loads(sys.argv[2]), None)
# Any other answer (a 401 for an expired token, say) would time another path than the one named.
assert not isinstance(response, dict) or response.get("statusCode", 200) == 200, response
print({MARK!r}, time.perf_counter() - t0, imported)
"""


def functions(token: str, tenant_id: int) -> list[Function]:
    return [
        Function("products: GET /products", "functions/products/app.py", API, event("/products", token)),
        Function("jobs: GET /jobs", "functions/jobs/app.py", API, event("/jobs", token)),
        Function(
            "marketplaces: GET /marketplaces", "functions/marketplaces/app.py", API, event("/marketplaces", token)
        ),
        Function(
            "job_worker: a message for a gone job",
            "functions/job_worker/app.py",
            [*DATABASE, "aws_lambda_powertools.utilities.batch"],
            sqs_event(tenant_id),
        ),
        Function(
            "jobs_maintenance: one run",
            "functions/jobs_maintenance/app.py",
            DATABASE,
            {"task": "jobs_maintenance"},
        ),
        Function("vinted_tick: one run", "functions/extension/tick.py", DATABASE, {"task": "vinted_tick"}),
    ]


@contextmanager
def first_events() -> Iterator[tuple[dict[str, str], list[Function]]]:
    """A scratch database at the deployed pool with one account: the environment of a fresh
    function process, and each function with its first event."""
    from stoflow.db.migrations import migrate_shared

    with scratch_database(pool_size=1) as (engine, url), tempfile.TemporaryDirectory() as data_dir:
        migrate_shared(engine)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "STOFLOW_DATA_DIR": data_dir,
            "STOFLOW_ENVIRONMENT": "local",
            "STOFLOW_LOG_LEVEL": "WARNING",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        token = _prepare_account(env)
        with engine.connect() as connection:
            tenant_id = connection.exec_driver_sql("SELECT max(id) FROM public.tenants").scalar()
        yield env, functions(token, int(tenant_id))


def main() -> None:
    with first_events() as (env, cold_functions):
        print(f"median of {RUNS} fresh processes each, against the bare import of the libraries each path needs")
        for function in cold_functions:
            path, payload = str(REPO / function.entrypoint), json.dumps(function.event)
            _child(bare(function.libraries), env)  # discarded: bytecode written, page cache warm
            _child(COLD, env, path, payload)
            floors, colds = [], []
            for _ in range(RUNS):
                floors.append(_child(bare(function.libraries), env)[0])
                colds.append(_child(COLD, env, path, payload)[0])
            figure(
                f"cold start {function.name}",
                statistics.median(colds),
                "bare import of its libraries",
                statistics.median(floors),
                "<= 1.30x",
            )


if __name__ == "__main__":
    main()
