"""The composition root: every expensive object of a container, built once, lazily, and held here.

A Lambda container keeps what it built between invocations. What is costly to build (the
database engine, boto3 clients, the signing keys, the token cipher, the job queue and notifier,
the job processor...) is a `Part`: declared beside the code that knows how to build it from the
settings (`ENGINE` in stoflow.db.engine, `QUEUE` in stoflow.jobs.queue, ...), built on first use
and held by this module, the only one that keeps such objects. So:

- nothing is built at import: a cold start pays only for what its first invocation uses;
- no entrypoint wires anything: the first `get(part)` builds the part from the settings;
- `reset()` forgets every part built and the settings with them (tests, the local cloud after
  changing the environment); no module keeps a cache of its own to be remembered;
- `provide(part, value)` replaces one part until it is provided again (tests: a fake queue, a
  recording notifier); a reset leaves it, as it was not built from the environment;
- `container()` runs a block as one container: the local cloud serves every function in one
  process, and gives each function's containers their own database engine, as Lambda does, so
  the pool of one connection per container holds locally too (parts marked `per_container`).

This module imports nothing of the product but the settings: parts are declared in their own
modules, at their own level, and importing this one costs nothing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from stoflow.config import get_settings

__all__ = ["Container", "Part", "container", "get", "provide", "provided", "reset"]

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Part(Generic[T]):
    """One expensive object: how to build it and, if it holds resources, how to release it.

    `per_container`: a container of the local cloud builds its own (the database engine: one pool
    per container); other parts are one per process, which on Lambda is the container anyway."""

    name: str
    build: Callable[[], T]
    close: Callable[[T], None] | None = None
    per_container: bool = False

    def __repr__(self) -> str:
        return f"Part({self.name!r})"


class Container:
    """The parts one container has built. Thread-safe: two first uses build a part once."""

    def __init__(self, builds: dict[Part[Any], Callable[[], Any]] | None = None) -> None:
        # How this container builds some parts instead of their own `build` (the local cloud's
        # tests: an engine factory that must never be called).
        self._builds = dict(builds or {})
        # Re-entrant: building a part may get another one (the secrets provider needs a client).
        self._lock = threading.RLock()
        self._built: dict[Part[Any], Any] = {}
        _containers.add(self)

    def get(self, part: Part[T]) -> T:
        try:
            return cast(T, self._built[part])
        except KeyError:
            pass
        with self._lock:
            if part not in self._built:
                self._built[part] = self._builds.get(part, part.build)()
            return cast(T, self._built[part])

    def built(self, part: Part[T]) -> T | None:
        """The part if this container built it, without building it."""
        return cast("T | None", self._built.get(part))

    def close(self) -> None:
        """Release and forget every part built here (the next use builds them again)."""
        with self._lock:
            built, self._built = self._built, {}
        for part, value in built.items():
            if part.close is not None:
                part.close(value)


_containers: weakref.WeakSet[Container] = weakref.WeakSet()
_process = Container()
_current: ContextVar[Container | None] = ContextVar("stoflow_runtime_container", default=None)
_provided: dict[Part[Any], Any] = {}


def get(part: Part[T]) -> T:
    """The part, built now if need be: inside `container()`, a per-container part is that
    container's own (whatever was provided: the local cloud's own engine is not a function's);
    otherwise the one provided, else the process's."""
    if part.per_container:
        scoped = _current.get()
        if scoped is not None:
            return scoped.get(part)
    if part in _provided:
        return cast(T, _provided[part])
    return _process.get(part)


def provide(part: Part[T], value: T | None) -> T | None:
    """Use `value` for `part` everywhere (None: build it again from the settings); returns what
    was provided before. For tests and benchmarks: production code never provides."""
    previous = _provided.pop(part, None)
    if value is not None:
        _provided[part] = value
    return cast("T | None", previous)


@contextmanager
def provided(part: Part[T], value: T) -> Iterator[T]:
    """`provide` for the duration of a block."""
    previous = provide(part, value)
    try:
        yield value
    finally:
        provide(part, previous)


@contextmanager
def container(scope: Container) -> Iterator[Container]:
    """Run a block as the container `scope` (the local cloud: one per function container)."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def reset() -> None:
    """Forget the settings and every part any container built (closing those that hold
    resources): the next use builds them again from the current environment."""
    get_settings.cache_clear()
    for scope in list(_containers):
        scope.close()
