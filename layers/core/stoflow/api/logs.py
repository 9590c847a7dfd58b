"""Structured JSON logs (Powertools Logger) carrying the request's correlation id on every line.

The Powertools logger is the stdlib logger named "stoflow": every `logging.getLogger(__name__)` under
the stoflow package propagates to it, so foundation and service code log JSON lines with the
correlation id without knowing about Powertools.
"""

from __future__ import annotations

import logging
import threading

from aws_lambda_powertools import Logger

LOGGER_NAME = "stoflow"

_lock = threading.Lock()
_logger: Logger | None = None


def get_logger() -> Logger:
    global _logger
    if _logger is None:
        with _lock:
            if _logger is None:
                from stoflow.config import get_settings

                _logger = Logger(service=LOGGER_NAME, level=get_settings().log_level)
                # Lambda's runtime puts its own handler on the root logger: without this every line
                # would be written twice, once without the JSON format.
                logging.getLogger(LOGGER_NAME).propagate = False
    return _logger


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
