"""The process environment in-process functions read through stoflow.config.

On AWS each function gets its variables from the template; here every function shares one process,
so the local cloud exports what the template would give them (queue URL, bucket, @connections URL,
the moto endpoint) and resets the product's runtime (stoflow.runtime.reset): what was built from
the previous values (settings, boto3 clients, the queue...) is built again from the new ones.
layers/ itself never touches os.environ: that stays config.py's job.
"""

from __future__ import annotations

import os

from stoflow import runtime


def export(**variables: str | None) -> dict[str, str | None]:
    """Set (or, for None, remove) variables; returns their previous values for restore()."""
    previous: dict[str, str | None] = {}
    for name, value in variables.items():
        previous[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    runtime.reset()
    return previous


def restore(previous: dict[str, str | None]) -> None:
    export(**previous)
