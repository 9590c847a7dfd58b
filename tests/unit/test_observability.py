"""Logs, metrics and traces as Powertools intends: JSON with the Lambda context on AWS, one plain
line locally, EMF metrics on AWS only, and nothing of Tracer/X-Ray imported locally."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from infra.local.template import REPO_ROOT
from stoflow import logs, observability, runtime
from stoflow.config import get_settings


@dataclass
class Context:
    function_name: str = "stoflow-dev-AuthFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-3:123456789012:function:stoflow-dev-AuthFunction"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"


@pytest.fixture
def stage(monkeypatch):
    """Settings for a stage, and a fresh Logger built from them."""

    def set_stage(environment: str) -> None:
        monkeypatch.setenv("STOFLOW_ENVIRONMENT", environment)
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "stoflow-test")
        get_settings.cache_clear()
        runtime.reset()

    yield set_stage
    monkeypatch.undo()
    get_settings.cache_clear()
    runtime.reset()


def test_on_aws_a_handlers_log_lines_are_json_with_the_lambda_context(stage, capsys):
    stage("dev")

    class NoTracer:
        def capture_lambda_handler(self, handler):
            return handler

    with runtime.provided(observability.TRACER, NoTracer()):

        @observability.traced_handler
        def handler(event, context):
            logging.getLogger("stoflow.something").info("working", extra={"job_id": 7})
            return {"ok": True}

        assert handler({}, Context()) == {"ok": True}
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "working" and line["job_id"] == 7
    assert line["service"] == "stoflow-test"
    assert line["function_request_id"] == Context.aws_request_id
    assert line["cold_start"] in (True, False)


def test_locally_a_log_line_is_one_plain_line(stage, capsys):
    stage("local")
    logs.get_logger()
    logging.getLogger("stoflow.something").info("GET /products -> 200", extra={"duration_ms": 3.2})
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert "GET /products -> 200" in line and "duration_ms=3.2" in line
    assert not line.startswith("{")


def test_metrics_are_emf_on_aws_and_nothing_locally(stage, capsys):
    stage("local")
    observability.count_job("failed", "ebay", "publish")
    assert capsys.readouterr().out == ""
    stage("prod")
    observability.count_job("failed", "ebay", "publish")
    total, detailed = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert total["JobsFailed"] == [1.0] or total["JobsFailed"] == 1.0
    directives = total["_aws"]["CloudWatchMetrics"][0]
    assert directives["Namespace"] == "StoFlow"
    assert sorted(directives["Dimensions"][0]) == ["service", "stage"]
    assert total["stage"] == "prod" and total["service"] == "stoflow-test"
    assert detailed["marketplace"] == "ebay" and detailed["action"] == "publish"


def test_an_unknown_metric_is_refused():
    with pytest.raises(ValueError):
        observability.metric("Typo", 1)


@pytest.mark.parametrize("function", ["job_worker", "ws_message", "health", "auth"])
def test_a_function_imports_neither_the_xray_sdk_nor_boto3_locally(function):
    script = (
        "import sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('f', 'functions/{function}/app.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(sorted(m for m in ('aws_xray_sdk', 'boto3') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_function_collects_garbage_again_after_its_first_event():
    """Each function's module pauses the collector first thing (stoflow.cold_start); it stays
    paused through the import and starts again once the wrapped handler has had its first event,
    failed or not: a function that forgot would never collect a cycle."""
    functions = sorted(str(p.relative_to(REPO_ROOT / "functions")) for p in (REPO_ROOT / "functions").glob("*/*.py"))
    script = (
        "import gc, importlib.util, sys\n"
        "import stoflow.cold_start\n"
        "print('@@', 'paused' if not gc.isenabled() else 'running')\n"
        "for function in sys.argv[1:]:\n"
        "    gc.disable()  # as the first import of a fresh container does\n"
        "    name = 'f_' + function[:-3].replace('/', '_')\n"
        "    spec = importlib.util.spec_from_file_location(name, 'functions/' + function)\n"
        "    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "    imported = 'collecting' if gc.isenabled() else 'paused'\n"
        "    try:\n"
        "        module.handler({'not': 'an event'}, None)\n"
        "    except Exception:\n"
        "        pass  # refused: the first event all the same\n"
        "    print('@@', function, imported, 'collecting' if gc.isenabled() else 'paused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *functions],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DATABASE_URL": "postgresql+pg8000://nobody@127.0.0.1:1/none"},
    )
    assert result.returncode == 0, result.stderr
    lines = [line[3:] for line in result.stdout.splitlines() if line.startswith("@@ ")]  # not the log lines
    assert lines[0] == "paused"
    assert lines[1:] == [f"{function} paused collecting" for function in functions]
    for function in functions:
        imports = [
            line
            for line in (REPO_ROOT / "functions" / function).read_text().splitlines()
            if line.startswith(("import ", "from ")) and "__future__" not in line
        ]
        first_of_ours = next(line for line in imports if "stoflow" in line)
        assert first_of_ours.startswith("import stoflow.cold_start"), function


class RecordingTracer:
    """Powertools' Tracer as far as subsegment() uses it: the names of the subsegments opened."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, dict[str, object]]] = []
        self.provider = self

    @contextmanager
    def in_subsegment(self, name: str):
        annotations: dict[str, object] = {}
        self.opened.append((name, annotations))
        yield SimpleNamespace(put_annotation=lambda key, value: annotations.__setitem__(key, value))


def test_every_database_unit_of_work_is_a_subsegment_on_aws(stage):
    from sqlalchemy import create_engine

    from stoflow.db.tenancy import shared_session, tenant_session

    stage("dev")
    tracer = RecordingTracer()
    # Never connected: a unit of work that sends nothing opens no connection.
    engine = create_engine("postgresql+pg8000://nobody@127.0.0.1:1/none")
    with runtime.provided(observability.TRACER, tracer):
        with shared_session(engine=engine):
            pass
        with tenant_session(7, engine=engine, verify=False):
            pass
    assert tracer.opened == [("db.shared_unit_of_work", {}), ("db.tenant_unit_of_work", {"tenant": 7})]
