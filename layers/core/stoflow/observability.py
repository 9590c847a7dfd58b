"""Traces and metrics as Powertools intends, at the edge, and nothing imported before it is needed.

- Metrics: CloudWatch embedded metric format (Powertools `single_metric`), namespace StoFlow,
  dimensions service and stage, and again per marketplace and action where that is what an
  operator filters on. Written only on AWS (dev, prod): locally and in tests a metric is a
  no-op, and Powertools' metrics module is never imported.
- Traces: X-Ray through Powertools Tracer, on AWS only (the template turns tracing on); handlers
  are wrapped by `traced_handler`, units of work and marketplace calls open a `subsegment`.
  Locally neither the Tracer nor the X-Ray SDK is imported.

The names here are the ones template.yaml's alarms and dashboard read (a contract test checks).
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from stoflow import runtime

__all__ = [
    "METRIC_NAMES",
    "NAMESPACE",
    "count_job",
    "metric",
    "on_aws",
    "subsegment",
    "traced_handler",
]

NAMESPACE = "StoFlow"
JOB_METRICS = {"completed": "JobsCompleted", "failed": "JobsFailed", "unknown_outcome": "JobsUnknownOutcome"}
METRIC_NAMES = (
    *JOB_METRICS.values(),
    "PublishDuration",
    "SaleToDelistSeconds",
    "WebSocketConnected",
    "VintedPaused",
)


def on_aws() -> bool:
    from stoflow.config import get_settings

    return get_settings().environment in ("dev", "prod")


def _dimensions() -> dict[str, str]:
    from stoflow.config import get_settings

    settings = get_settings()
    return {"service": settings.service_name, "stage": settings.environment}


def metric(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    """One metric value (EMF, written to stdout where Lambda's log shipping picks it up)."""
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}: add it to METRIC_NAMES and the dashboard")
    if not on_aws():
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(
        name=name, unit=MetricUnit(unit), value=value, namespace=NAMESPACE, default_dimensions=_dimensions()
    ) as emitted:
        for key, dimension in dimensions.items():
            emitted.add_dimension(name=key, value=dimension)


def count_job(status: str, marketplace: str, action: str) -> None:
    """A job that reached `status`: counted in total (alarms) and per marketplace and action."""
    name = JOB_METRICS.get(status)
    if name is None:
        return
    metric(name, 1)
    metric(name, 1, marketplace=marketplace, action=action)


def _tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer()  # service from POWERTOOLS_SERVICE_NAME


TRACER: runtime.Part[Any] = runtime.Part("X-Ray tracer", _tracer)


def _get_tracer() -> Any:
    return runtime.get(TRACER)


@contextmanager
def subsegment(name: str, **annotations: str | int) -> Iterator[None]:
    """An X-Ray subsegment around a unit of work or a marketplace call (on AWS only)."""
    if not on_aws():
        yield
        return
    with _get_tracer().provider.in_subsegment(name) as segment:
        for key, value in annotations.items():
            segment.put_annotation(key=key, value=value)
        yield


def _warm() -> None:
    """After a function's first event: what the import and that event built (modules, the app, its
    routes, models, compiled statements, the connection) lives as long as the container. Frozen,
    the collector no longer walks it on each full collection (one fell on the first request: tens
    of milliseconds of a cold start); and the collector, paused by stoflow.cold_start, runs again."""
    gc.freeze()
    gc.enable()


def traced_handler(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """On AWS, the Lambda handler with Logger's Lambda context (cold start, request id, function
    name) on every log line and a traced segment. Costs nothing at import: both are built on the
    first invocation on AWS, where that cost is paid (Powertools' import, about 150 ms on this
    machine, for a function that did not import it already; the X-Ray SDK for the Tracer)."""
    built: list[Callable[[Any, Any], Any]] = []
    lock = threading.Lock()
    cold = [True]

    def build() -> Callable[[Any, Any], Any]:
        from stoflow.logs import get_logger

        logged = get_logger().inject_lambda_context(handler, clear_state=False)
        return _get_tracer().capture_lambda_handler(logged)

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        # Called directly (tests, scripts), or in the local cloud, where one process runs every
        # function: no Lambda context worth a log key, and no Powertools import for it (a
        # function that logs through stoflow.logs still gets its plain lines).
        try:
            if context is None or not on_aws():
                return handler(event, context)
            if not built:
                with lock:
                    if not built:
                        built.append(build())
            return built[0](event, context)
        finally:
            if cold:
                _warm()
                cold.clear()

    return wrapper
