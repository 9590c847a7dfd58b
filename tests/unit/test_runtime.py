"""The composition root: parts built once and lazily, one reset, provided parts, containers."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest

from stoflow import runtime

LAYER = Path(__file__).resolve().parents[2] / "layers" / "core" / "stoflow"


class Built:
    def __init__(self) -> None:
        self.closed = False


def counting_part(per_container: bool = False) -> tuple[runtime.Part[Built], list[Built]]:
    made: list[Built] = []

    def build() -> Built:
        made.append(Built())
        return made[-1]

    def close(value: Built) -> None:
        value.closed = True

    return runtime.Part("counted", build, close, per_container=per_container), made


def test_a_part_is_built_on_first_use_and_once():
    part, made = counting_part()
    assert made == []
    first = runtime.get(part)
    assert runtime.get(part) is first and made == [first]


def test_two_first_uses_at_once_build_one():
    part, made = counting_part()
    barrier = threading.Barrier(4)

    def use() -> None:
        barrier.wait()
        runtime.get(part)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1


def test_reset_closes_what_was_built_and_the_next_use_builds_again():
    part, made = counting_part()
    first = runtime.get(part)
    runtime.reset()
    assert first.closed
    assert runtime.get(part) is not first and len(made) == 2


def test_reset_rereads_the_settings(monkeypatch):
    from stoflow.config import get_settings

    monkeypatch.setenv("STOFLOW_LOG_LEVEL", "ERROR")
    runtime.reset()
    assert get_settings().log_level == "ERROR"
    monkeypatch.setenv("STOFLOW_LOG_LEVEL", "DEBUG")
    runtime.reset()
    assert get_settings().log_level == "DEBUG"


def test_a_provided_part_is_used_instead_and_outlives_a_reset():
    part, made = counting_part()
    fake = Built()
    with runtime.provided(part, fake):
        assert runtime.get(part) is fake
        runtime.reset()
        assert runtime.get(part) is fake and not fake.closed  # not ours to close
    assert runtime.get(part) is not fake and len(made) == 1


def test_each_container_builds_its_own_per_container_parts():
    engine_like, made = counting_part(per_container=True)
    shared, _ = counting_part()
    one, two = runtime.Container(), runtime.Container()
    with runtime.container(one):
        mine, shared_in_one = runtime.get(engine_like), runtime.get(shared)
    with runtime.container(two):
        assert runtime.get(engine_like) is not mine
        assert runtime.get(shared) is shared_in_one, "only per-container parts differ"
    with runtime.container(one):
        assert runtime.get(engine_like) is mine, "a container keeps what it built"
    outside = runtime.get(engine_like)
    assert len(made) == 3 and outside is made[-1], "outside any container: the process's own"


def test_a_container_s_own_part_wins_over_a_provided_one():
    """The local cloud provides its own engine to its own work; a function's container still
    uses the engine it built (one connection per container, as deployed)."""
    engine_like, _ = counting_part(per_container=True)
    process_engine = Built()
    with runtime.provided(engine_like, process_engine):
        scope = runtime.Container()
        with runtime.container(scope):
            assert runtime.get(engine_like) is not process_engine
        assert runtime.get(engine_like) is process_engine


def test_a_container_may_build_a_part_its_own_way():
    engine_like, made = counting_part(per_container=True)
    scope = runtime.Container({engine_like: lambda: pytest.fail("never asked for")})
    with runtime.container(scope):
        pass
    assert scope.built(engine_like) is None and made == []


def _globals_assigned(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names]


# Process-wide patches installed once (they change a library's or the pool's behaviour; they
# hold no object built from the settings).
PATCH_INSTALLERS = {"db/pg8000_wire.py", "db/checkout_guard.py", "db/migrations.py"}


def test_no_module_of_the_product_keeps_a_singleton_of_its_own():
    """What a container builds is held by stoflow.runtime: a module-level `global` assignment
    elsewhere is a cache the one reset would not reach."""
    offenders = {
        str(path.relative_to(LAYER)): names
        for path in sorted(LAYER.rglob("*.py"))
        if str(path.relative_to(LAYER)) not in PATCH_INSTALLERS | {"runtime.py"} and (names := _globals_assigned(path))
    }
    assert offenders == {}
