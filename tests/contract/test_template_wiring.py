"""template.yaml against the code: routes, environment, queue and WebSocket wiring, cold starts.

Everything here reads files and imports modules; nothing reaches AWS."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from infra.local.functions import module_name_for
from infra.local.template import REPO_ROOT, TEMPLATE_PATH, FunctionSpec, load_template
from stoflow.config import Settings
from tests.support.template import lint

TEMPLATE = load_template()
RESOURCES = TEMPLATE.resources
HTTP_FUNCTIONS = [f for f in TEMPLATE.functions if f.events_of_type("HttpApi")]
# Functions that must start without a web framework (docs/performance.md, budgets).
NO_WEB_FRAMEWORK = [
    "WsConnectFunction",
    "WsDisconnectFunction",
    "WsMessageFunction",
    "JobWorkerFunction",
    "JobsMaintenanceFunction",
]
# Functions that change job states: each must push job_status to the dashboards on AWS, where a
# container loads only its own entrypoint (locally one process hides a missing install).
JOB_CHANGERS = [
    "JobsFunction",
    "JobWorkerFunction",
    "JobsMaintenanceFunction",
    "WsMessageFunction",
    "VintedTickFunction",
]
# Variables read by libraries rather than by stoflow.config (documented in their own manuals).
# HTTP functions written as a plain handler rather than a FastAPI app, and the one route each
# serves (a plain handler cannot tell routes apart).
PLAIN_HTTP_HANDLERS = {"HealthFunction": {("GET", "/health")}}
LIBRARY_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE"}


@pytest.mark.parametrize("nested", sorted((REPO_ROOT / "infra").glob("*.yaml")), ids=lambda p: p.name)
def test_nested_stacks_pass_cfn_lint(nested):
    assert lint(nested) == []


def test_every_nested_stack_is_a_file_in_infra():
    locations = [
        r["Properties"]["Location"] for r in RESOURCES.values() if r.get("Type") == "AWS::Serverless::Application"
    ]
    assert locations, "the network and database stacks are nested applications"
    for location in locations:
        assert (REPO_ROOT / location).is_file(), location


# --- HTTP routes -------------------------------------------------------------------------------


def load_module(function: FunctionSpec) -> Any:
    name = module_name_for(function) + "_contract"
    spec = importlib.util.spec_from_file_location(name, function.module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fastapi_apps(function: FunctionSpec) -> list[FastAPI]:
    return [value for value in vars(load_module(function)).values() if isinstance(value, FastAPI)]


def fastapi_app(function: FunctionSpec) -> FastAPI:
    apps = fastapi_apps(function)
    assert len(apps) == 1, f"{function.logical_id}: an HTTP function's app.py builds one FastAPI app"
    return apps[0]


def template_path(path: str) -> str:
    # FastAPI's {name:path} is API Gateway's greedy {name+}.
    return path.replace(":path}", "+}")


def _paths_and_methods(routes: list[Any]) -> list[tuple[str, set[str]]]:
    found = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            # FastAPI >= 0.16x keeps included routers as one entry that expands on demand.
            found += [(context.path, set(context.methods or ())) for context in route.effective_route_contexts()]
        elif isinstance(route, APIRoute | Route):
            found.append((route.path, set(route.methods or ())))
    return found


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    routes = set()
    for path, methods in _paths_and_methods(list(app.routes)):
        for method in methods:
            if method not in ("HEAD", "OPTIONS"):  # HEAD rides on GET; API Gateway answers CORS preflights
                routes.add((method, template_path(path)))
    return routes


def declared_routes(function: FunctionSpec) -> set[tuple[str, str]]:
    return {(route.method, route.path) for route in function.http_routes()}


def route_mismatch(
    served: set[tuple[str, str]], declared: set[tuple[str, str]]
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(served but not declared in the template, declared but not served)."""
    return served - declared, declared - served


@pytest.mark.parametrize(
    "function", [f for f in HTTP_FUNCTIONS if f.logical_id not in PLAIN_HTTP_HANDLERS], ids=lambda f: f.logical_id
)
def test_every_app_route_is_declared_and_every_declared_route_exists(function):
    undeclared, unserved = route_mismatch(app_routes(fastapi_app(function)), declared_routes(function))
    assert undeclared == set(), f"routes of {function.logical_id}'s app missing from template.yaml"
    assert unserved == set(), f"template.yaml routes to {function.logical_id} that its app does not serve"


@pytest.mark.parametrize("logical_id", sorted(PLAIN_HTTP_HANDLERS))
def test_a_plain_http_handler_builds_no_app_and_is_routed_its_one_route(logical_id):
    function = TEMPLATE.function(logical_id)
    assert fastapi_apps(function) == [], f"{logical_id} builds an app: check its routes like the others'"
    assert callable(getattr(load_module(function), function.handler_name))
    assert declared_routes(function) == PLAIN_HTTP_HANDLERS[logical_id]


def test_the_route_check_does_catch_a_missing_and_an_unserved_route():
    function = TEMPLATE.function("WsTicketsFunction")
    served, declared = app_routes(fastapi_app(function)), declared_routes(function)
    assert ("POST", "/ws/tickets") in served
    assert route_mismatch(served, declared - {("POST", "/ws/tickets")}) == ({("POST", "/ws/tickets")}, set())
    assert route_mismatch(served, declared | {("GET", "/ws/nowhere")}) == (set(), {("GET", "/ws/nowhere")})


def test_no_route_is_declared_twice():
    keys = [route.route_key for route in TEMPLATE.http_routes()]
    assert sorted(keys) == sorted(set(keys))


def test_the_design_routes_of_this_issue_are_declared():
    keys = {route.route_key for route in TEMPLATE.http_routes()}
    assert {"POST /ws/tickets", "GET /health", "POST /jobs", "GET /jobs/{job_id}"} <= keys


# --- environment ------------------------------------------------------------------------------


def settings_variables() -> set[str]:
    names = set()
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias.upper() if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def function_variables(function: FunctionSpec) -> set[str]:
    return set((function.properties.get("Environment") or {}).get("Variables") or {})


def unknown_variables(variables: set[str]) -> set[str]:
    return variables - settings_variables() - LIBRARY_VARIABLES


@pytest.mark.parametrize("function", TEMPLATE.functions, ids=lambda f: f.logical_id)
def test_every_environment_variable_is_read_by_config(function):
    unknown = unknown_variables(function_variables(function))
    assert unknown == set(), f"{function.logical_id} gets variables stoflow.config does not read"


def test_the_environment_check_does_catch_a_changed_letter():
    """Every function's own variables, one letter changed, are reported: the check above compares
    names with what config reads, it does not wave them through."""
    checked = 0
    for function in TEMPLATE.functions:
        variables = function_variables(function)
        for variable in sorted(variables - LIBRARY_VARIABLES):
            changed = variable[:-1] + ("X" if variable[-1] != "X" else "Y")
            assert unknown_variables(variables - {variable} | {changed}) == {changed}, variable
            checked += 1
    assert checked > len(TEMPLATE.functions)


# --- cold starts --------------------------------------------------------------------------------


@pytest.mark.parametrize("logical_id", NO_WEB_FRAMEWORK)
def test_websocket_and_worker_functions_import_no_web_framework(logical_id):
    function = TEMPLATE.function(logical_id)
    script = (
        "import sys, json\n"
        "from infra.local.functions import load_handler\n"
        "from infra.local.template import load_template\n"
        f"load_handler(load_template().function({logical_id!r}))\n"
        "print(json.dumps(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [], f"{function.logical_id} imports a web framework"


@pytest.mark.parametrize("logical_id", JOB_CHANGERS)
def test_functions_that_change_jobs_push_job_status_to_the_dashboards(logical_id):
    """The notifier is the runtime's, built from the settings: it pushes wherever the template
    gives the function the WebSocket API's @connections URL, with nothing for the function to
    install."""
    if logical_id not in {f.logical_id for f in TEMPLATE.functions}:
        pytest.fail(f"{logical_id} is not in template.yaml any more: update JOB_CHANGERS")
    function = TEMPLATE.function(logical_id)
    assert "STOFLOW_WS_CALLBACK_URL" in ((function.properties.get("Environment") or {}).get("Variables") or {})
    script = (
        "from infra.local.functions import load_handler\n"
        "from infra.local.template import load_template\n"
        f"load_handler(load_template().function({logical_id!r}))\n"
        "from stoflow import runtime\n"
        "from stoflow.jobs.notifier import NOTIFIER\n"
        "print(type(runtime.get(NOTIFIER)).__name__)\n"
    )
    env = {**os.environ, "STOFLOW_WS_CALLBACK_URL": "https://abc123.execute-api.eu-west-3.amazonaws.com/dev"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "DashboardNotifier"


# --- queue, worker, schedules ------------------------------------------------------------------


def props(logical_id: str) -> dict[str, Any]:
    return RESOURCES[logical_id]["Properties"]


def test_the_jobs_queue_is_fifo_with_explicit_dedup_and_a_dlq():
    queue = props("JobsQueue")
    assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is False
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert props("JobsDeadLetterQueue")["FifoQueue"] is True  # a FIFO queue's DLQ must be FIFO


def test_the_worker_reports_partial_batch_failures_and_stays_under_an_attempts_deadline():
    worker = TEMPLATE.function("JobWorkerFunction")
    (trigger,) = worker.events_of_type("SQS")
    assert trigger.properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert trigger.properties["Queue"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert worker.timeout < Settings().jobs_attempt_timeout_s


def test_job_timings_are_ordered_handler_worker_visibility_attempt():
    """Each handler fits in the worker with the time to record its outcome; the worker's messages
    stay invisible while it runs (else a second worker would get them); the reaper never takes a
    live attempt; and a message that keeps failing reaches the DLQ in minutes, not hours."""
    from stoflow.jobs import worker as job_worker
    from stoflow.marketplaces.registry import build_job_handlers

    queue = props("JobsQueue")
    function = TEMPLATE.function("JobWorkerFunction")
    handlers = build_job_handlers()
    longest_handler = max(handlers.longest_timeout_s(marketplace) for marketplace in handlers.marketplaces)
    visibility = queue["VisibilityTimeout"]
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert longest_handler + job_worker.FINISH_MARGIN_S <= function.timeout
    assert function.timeout <= visibility
    assert function.timeout < Settings().jobs_attempt_timeout_s
    assert 1 <= receives <= 5
    assert receives * job_worker.FAILED_VISIBILITY_S <= 5 * 60  # a failing message: DLQ within 5 minutes
    assert receives * visibility <= 30 * 60  # a message whose invocation dies: within 30 minutes
    assert job_worker.HANDED_BACK_VISIBILITY_S < job_worker.FAILED_VISIBILITY_S < visibility


def test_the_proxy_gives_up_waiting_for_a_connection_within_the_connect_timeout():
    from infra.local.template import load_yaml

    database = load_yaml((REPO_ROOT / "infra" / "database.yaml").read_text())
    (targets,) = [r for r in database["Resources"].values() if r["Type"] == "AWS::RDS::DBProxyTargetGroup"]
    borrow = targets["Properties"]["ConnectionPoolConfigurationInfo"]["ConnectionBorrowTimeout"]
    assert borrow <= Settings().database_connect_timeout_s <= 3
    shortest = min(f.timeout for f in TEMPLATE.functions)
    assert Settings().database_connect_timeout_s < shortest


def test_schedules_are_valid_expressions_with_json_input():
    from infra.local.scheduler import parse_schedule

    schedules = [(f, e) for f in TEMPLATE.functions for e in f.events_of_type("ScheduleV2")]
    assert schedules
    for function, event in schedules:
        parse_schedule(event.properties["ScheduleExpression"])
        assert isinstance(json.loads(event.properties.get("Input", "{}")), dict), function.logical_id


# --- WebSocket API --------------------------------------------------------------------------------


def ws_routes() -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::ApiGatewayV2::Route"
    }


def test_the_websocket_api_routes_on_action_with_the_three_special_routes():
    (api,) = [r["Properties"] for r in RESOURCES.values() if r.get("Type") == "AWS::ApiGatewayV2::Api"]
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert {"$connect", "$disconnect", "$default"} <= set(ws_routes())


def test_every_named_websocket_route_is_an_action_of_the_message_router():
    from stoflow.services.ws import message_router

    named = {key for key in ws_routes() if not key.startswith("$")}
    assert {"hello", "heartbeat"} <= named
    assert named - set(message_router().actions) == set()


def test_every_ws_function_may_be_invoked_by_the_websocket_api():
    permitted = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    assert {"WsConnectFunction", "WsDisconnectFunction", "WsMessageFunction"} <= permitted


def test_functions_that_push_may_manage_connections_and_know_the_callback_url():
    from tests.support.iam import function_roles, role_permissions

    roles = function_roles()
    managers = {p.role for p in role_permissions() if p.source == "managed:WsManageConnections"}
    for function in TEMPLATE.functions:
        variables = (function.properties.get("Environment") or {}).get("Variables") or {}
        pushes = "STOFLOW_WS_CALLBACK_URL" in variables
        assert pushes == (roles[function.logical_id] in managers), function.logical_id


def test_the_template_path_is_the_repository_template():
    assert TEMPLATE_PATH == REPO_ROOT / "template.yaml"


# --- samconfig ------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_samconfig_deploys_each_environment_with_the_capabilities_nested_stacks_need(environment):
    import tomllib

    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    deploy = config[environment]["deploy"]["parameters"]
    assert deploy["stack_name"] == f"stoflow-{environment}"
    assert {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"} <= set(deploy["capabilities"].split())
    assert f'Stage="{environment}"' in deploy["parameter_overrides"]
    declared = set(TEMPLATE.document.get("Parameters") or {})
    overridden = {part.split("=", 1)[0] for part in deploy["parameter_overrides"].split()}
    assert overridden <= declared, "samconfig overrides a parameter the template does not declare"
