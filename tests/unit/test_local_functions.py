"""infra.local.functions: each function's `app` module loaded apart from the others, once."""

from pathlib import Path

import pytest

from infra.local.functions import FunctionRuntime, HandlerNotFound, LambdaContext, load_handler, make_context
from infra.local.template import FunctionSpec


def write_function(root: Path, name: str, source: str) -> FunctionSpec:
    folder = root / name
    folder.mkdir()
    (folder / "app.py").write_text(source)
    return FunctionSpec(
        logical_id=f"{name.title()}Function",
        code_uri=folder,
        handler="app.handler",
        environment={},
        events=(),
        memory_size=256,
        timeout=7,
    )


COUNTING = """
LOADS = [0]
LOADS[0] += 1
NAME = {name!r}

def handler(event, context):
    return {{"name": NAME, "loads": LOADS[0], "event": event, "function": context.function_name}}
"""


def test_two_app_modules_stay_apart_and_each_loads_once(tmp_path):
    first = write_function(tmp_path, "first", COUNTING.format(name="first"))
    second = write_function(tmp_path, "second", COUNTING.format(name="second"))
    runtime = FunctionRuntime([first, second])
    assert runtime.invoke("FirstFunction", {"n": 1}) == {
        "name": "first",
        "loads": 1,
        "event": {"n": 1},
        "function": "FirstFunction",
    }
    assert runtime.invoke("SecondFunction", {})["name"] == "second"
    assert runtime.invoke("FirstFunction", {})["loads"] == 1  # warm: not imported again
    assert runtime.handler("FirstFunction") is runtime.handler("FirstFunction")


def test_nothing_is_imported_before_the_first_invocation(tmp_path):
    broken = write_function(tmp_path, "broken", "raise RuntimeError('imported')\n")
    runtime = FunctionRuntime([broken])
    with pytest.raises(RuntimeError, match="imported"):
        runtime.invoke("BrokenFunction", {})


def test_a_missing_file_or_callable_is_handler_not_found(tmp_path):
    spec = write_function(tmp_path, "empty", "handler = 'not callable'\n")
    with pytest.raises(HandlerNotFound, match="no callable"):
        load_handler(spec)
    with pytest.raises(HandlerNotFound, match="does not exist"):
        load_handler(FunctionSpec("GoneFunction", tmp_path / "gone", "app.handler", {}, ()))


def test_the_context_looks_like_lambdas(tmp_path):
    spec = write_function(tmp_path, "ctx", "def handler(e, c):\n    return c\n")
    context = make_context(spec)
    assert context.function_name == "CtxFunction"
    assert context.memory_limit_in_mb == 256
    assert context.invoked_function_arn.startswith("arn:aws:lambda:")
    assert context.invoked_function_arn.endswith(":function:CtxFunction")
    assert context.log_group_name == "/aws/lambda/CtxFunction"
    assert len(context.aws_request_id) == 36
    assert 0 < context.get_remaining_time_in_millis() <= 7000
    assert make_context(spec).aws_request_id != context.aws_request_id


def test_the_remaining_time_never_goes_below_zero():
    assert LambdaContext("f", 128, timeout_s=0.0, _deadline=1.0).get_remaining_time_in_millis() == 0
