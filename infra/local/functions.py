"""Lambda functions run in-process: each handler loaded once, lazily, with a Lambda-like context.

Every function's entrypoint is a module called `app`, so a plain `import app` would give every
function the first one loaded. Each is loaded from its file under its own module name instead.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from sqlalchemy import Engine

from infra.local.template import FunctionSpec
from stoflow import runtime
from stoflow.config import get_settings
from stoflow.db.engine import ENGINE

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]

LOCAL_ACCOUNT_ID = "123456789012"


class HandlerNotFound(ImportError):
    """A function's Handler does not name a callable in its code."""


def module_name_for(function: FunctionSpec) -> str:
    return "stoflow_local_fn_" + re.sub(r"\W", "_", function.logical_id)


def load_handler(function: FunctionSpec) -> Handler:
    """Import the function's module from its file (fresh, under a unique name) and return the
    handler. Raises HandlerNotFound when the file or the callable is missing."""
    path = function.module_file
    if not path.is_file():
        raise HandlerNotFound(f"{function.logical_id}: {path} does not exist (Handler {function.handler})")
    name = module_name_for(function)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HandlerNotFound(f"{function.logical_id}: cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    # Registered before running it, as a normal import would (dataclasses and pickling need it).
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    handler = getattr(module, function.handler_name, None)
    if not callable(handler):
        raise HandlerNotFound(f"{function.logical_id}: {path} has no callable {function.handler_name!r}")
    return handler


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = "eu-west-3"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self._deadline:
            self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def make_context(function: FunctionSpec) -> LambdaContext:
    return LambdaContext(
        function_name=function.logical_id,
        memory_limit_in_mb=function.memory_size,
        timeout_s=float(function.timeout),
        region=get_settings().aws_region,
    )


class Containers:
    """Each function's database engines, one per container, built from the settings exactly as
    on AWS (the deployed pool: one connection, no overflow). An invocation takes an idle
    container of its function or starts a new one, as Lambda does under concurrent requests, so
    code that would need two connections in one container fails here as it would there."""

    def __init__(self, make_engine: Callable[[], Engine] | None = None) -> None:
        # Each container is a stoflow.runtime.Container: its engine is built by the product's own
        # ENGINE part (from the settings), unless a test gives another factory.
        self._builds: dict[runtime.Part[Any], Callable[[], Any]] = {ENGINE: make_engine} if make_engine else {}
        self._idle: dict[str, list[runtime.Container]] = {}
        self._all: list[runtime.Container] = []
        self._lock = threading.Lock()

    @contextmanager
    def serving(self, logical_id: str) -> Iterator[None]:
        with self._lock:
            idle = self._idle.setdefault(logical_id, [])
            container = idle.pop() if idle else None
            if container is None:
                container = runtime.Container(self._builds)
                self._all.append(container)
        try:
            with runtime.container(container):
                yield
        finally:
            with self._lock:
                self._idle.setdefault(logical_id, []).append(container)

    def engines(self) -> list[Engine]:
        with self._lock:
            engines = [container.built(ENGINE) for container in self._all]
        return [engine for engine in engines if engine is not None]

    def dispose(self) -> None:
        with self._lock:
            containers, self._all, self._idle = self._all, [], {}
        for container in containers:
            container.close()


class FunctionRuntime:
    """The functions of a template, each imported on its first invocation (a cold start) and
    kept for the next ones (warm), as a Lambda container keeps its module; each invocation runs
    in a container of its function, with that container's own database engine."""

    def __init__(
        self, functions: list[FunctionSpec] | tuple[FunctionSpec, ...], containers: Containers | None = None
    ) -> None:
        self._functions = {function.logical_id: function for function in functions}
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.containers = containers or Containers()

    def spec(self, logical_id: str) -> FunctionSpec:
        return self._functions[logical_id]

    def handler(self, logical_id: str) -> Handler:
        handler = self._handlers.get(logical_id)
        if handler is None:
            # One lock for all loads: two first requests at once must not import a module twice.
            with self._lock:
                handler = self._handlers.get(logical_id)
                if handler is None:
                    handler = load_handler(self._functions[logical_id])
                    self._handlers[logical_id] = handler
        return handler

    def invoke(self, logical_id: str, event: Any) -> Any:
        function = self._functions[logical_id]
        handler = self.handler(logical_id)
        with self.containers.serving(logical_id):
            return handler(event, make_context(function))

    # A Part of the local cloud: the containers' engines are closed when it stops.
    name = "functions"

    def start(self) -> None:
        from stoflow.db import checkout_guard

        # A second checkout while one is held waits for itself on AWS; here it fails at once.
        checkout_guard.install()

    def stop(self) -> None:
        self.containers.dispose()

    def describe(self) -> list[str]:
        return [f"Functions    {len(self._functions)}, one database connection per container, as deployed"]
