"""Logs (Powertools Logger) carrying the request's correlation id on every line: JSON on AWS,
one plain line locally.

The Powertools logger is the stdlib logger named "stoflow": every `logging.getLogger(__name__)` under
the stoflow package propagates to it, so foundation and service code log lines with the
correlation id without knowing about Powertools. The service name comes from
POWERTOOLS_SERVICE_NAME (stoflow.config); on AWS each handler adds the Lambda context (cold start,
request id, function) through `stoflow.observability.traced_handler`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools import Logger

from stoflow import runtime

LOGGER_NAME = "stoflow"


def _logger_from_settings() -> Logger:
    from stoflow.config import get_settings

    # A logger built before a reset keeps serving until this one replaces it (a long-lived
    # process, the local cloud, logs on through a reset); its set-up gives way to this one's.
    _undo_setup()
    settings = get_settings()
    # Powertools names the stdlib logger after `service`: "stoflow", the parent of every module's
    # logger; the service key itself says POWERTOOLS_SERVICE_NAME.
    logger = Logger(service=LOGGER_NAME, level=settings.log_level, json_serializer=serialize)
    logger.append_keys(service=settings.service_name)
    # Lambda's runtime puts its own handler on the root logger: without this every line would be
    # written twice, once without the JSON format.
    logging.getLogger(LOGGER_NAME).propagate = False
    return logger


def _undo_setup() -> None:
    """Powertools keeps its set-up on the stdlib logger (and would not set it up again): undone,
    so that a new logger is built from the settings of then (the level, the service)."""
    stdlib = logging.getLogger(LOGGER_NAME)
    stdlib.handlers.clear()
    for attribute in ("init", "powertools_handler", "powertools_buffer_config", "powertools_buffer_cache"):
        if hasattr(stdlib, attribute):
            delattr(stdlib, attribute)


LOGGER: runtime.Part[Logger] = runtime.Part("logger", _logger_from_settings)


def get_logger() -> Logger:
    return runtime.get(LOGGER)


# Keys every JSON line carries that a person reading a terminal does not need (the Lambda
# context's among them: the local cloud runs every function in one process).
_QUIET_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "sampling_rate",
        "xray_trace_id",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
    }
)


def serialize(log: dict[str, Any]) -> str:
    """One plain line in the local cloud, JSON everywhere else (AWS, and tests, which read it).
    Decided per line: the logger is built once per process, the stage may change in tests."""
    from stoflow.config import get_settings

    if get_settings().environment == "local":
        return plain_line(log)
    return json.dumps(log, default=str, separators=(",", ":"), ensure_ascii=False)


def plain_line(log: dict[str, Any]) -> str:
    """One readable line: time, level, message, then the other keys as key=value."""
    timestamp = str(log.get("timestamp", ""))[11:23]
    extras = " ".join(f"{key}={value}" for key, value in log.items() if key not in _QUIET_KEYS and value is not None)
    line = f"{timestamp} {log.get('level', '')[:4]:<4} {log.get('message', '')}"
    return f"{line}  {extras}" if extras else line


def set_correlation_id(value: str | None) -> None:
    """The correlation id of the request being served, in a context variable: it follows the
    request into the worker threads running sync routes (anyio copies the context), and two
    requests served at once (the local cloud) never see each other's id."""
    logger = get_logger()
    if value is None:
        logger.thread_safe_remove_keys(["correlation_id"])
    else:
        logger.thread_safe_append_keys(correlation_id=value)


def get_correlation_id() -> str | None:
    value = get_logger().thread_safe_get_current_keys().get("correlation_id")
    return value if isinstance(value, str) else None


def stdlib_logger(name: str) -> logging.Logger:
    """A stdlib logger under "stoflow" (so it inherits the JSON handler once get_logger() ran)."""
    return logging.getLogger(name if name.startswith(LOGGER_NAME) else f"{LOGGER_NAME}.{name}")
