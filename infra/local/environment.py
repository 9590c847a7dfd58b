"""The process environment in-process functions read through stoflow.config.

On AWS each function gets its variables from the template; here every function shares one process,
so the local cloud exports what the template would give them (queue URL, bucket, @connections URL,
the moto endpoint) and drops whatever was cached from the previous values. layers/ itself never
touches os.environ: that stays config.py's job.
"""

from __future__ import annotations

import os

from stoflow.config import get_settings


def export(**variables: str | None) -> dict[str, str | None]:
    """Set (or, for None, remove) variables; returns their previous values for restore()."""
    previous: dict[str, str | None] = {}
    for name, value in variables.items():
        previous[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    forget_cached_settings()
    return previous


def restore(previous: dict[str, str | None]) -> None:
    export(**previous)


def forget_cached_settings() -> None:
    from stoflow import aws
    from stoflow.realtime import connections

    get_settings.cache_clear()
    # boto3 clients keep the endpoint they were built with.
    aws.reset_clients()
    connections.reset_clients()
    try:
        from stoflow.jobs import queue

        queue.set_queue(None)  # built from STOFLOW_JOBS_QUEUE_URL on first use
    except ImportError:  # pragma: no cover - the jobs package is always there
        pass
