"""The local HTTP API's CORS: preflights answered by the gateway, headers set on responses."""

from infra.local.aws import template_parameters
from infra.local.cors import CorsConfig, cors_from_template
from infra.local.http_events import HttpRequest, HttpResponse
from infra.local.intrinsics import Resolver
from infra.local.template import load_template

CORS = CorsConfig(
    allow_origins=("http://localhost:5173",),
    allow_methods=("GET", "POST"),
    allow_headers=("authorization", "content-type"),
    expose_headers=("x-correlation-id",),
    max_age=600,
)


def request(method: str, *headers: tuple[str, str]) -> HttpRequest:
    return HttpRequest(method=method, target="/products", headers=list(headers))


def test_the_templates_configuration_is_read_with_its_parameters():
    template = load_template()
    config = cors_from_template(template, Resolver(template_parameters(template), "eu-west-3"))
    assert config.allow_origins == ("http://localhost:5173",)
    assert "authorization" in config.allow_headers and "PATCH" in config.allow_methods


def test_a_preflight_from_the_dashboard_is_answered():
    answer = CORS.preflight(
        request("OPTIONS", ("Origin", "http://localhost:5173"), ("Access-Control-Request-Method", "POST"))
    )
    headers = dict(answer.headers)
    assert answer.status == 204
    assert headers["access-control-allow-origin"] == "http://localhost:5173"
    assert headers["access-control-allow-headers"] == "authorization,content-type"
    assert headers["access-control-max-age"] == "600"


def test_a_preflight_from_elsewhere_gets_no_cors_headers():
    answer = CORS.preflight(
        request("OPTIONS", ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST"))
    )
    assert answer.status == 204 and answer.headers == []


def test_a_plain_options_is_not_a_preflight():
    assert CORS.preflight(request("OPTIONS", ("Origin", "http://localhost:5173"))) is None


def test_responses_carry_the_configured_headers_only():
    response = HttpResponse(200, [("access-control-allow-origin", "*"), ("content-type", "application/json")])
    decorated = CORS.decorate(request("GET", ("Origin", "http://localhost:5173")), response)
    headers = dict(decorated.headers)
    assert headers["access-control-allow-origin"] == "http://localhost:5173"  # the function's "*" replaced
    assert headers["access-control-expose-headers"] == "x-correlation-id"
    other = CORS.decorate(request("GET", ("Origin", "https://evil.example")), HttpResponse(200, []))
    assert other.headers == []
