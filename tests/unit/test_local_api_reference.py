"""The local API reference page (/docs): served from the installed Swagger UI files (no CDN), over
the combined document, on the HTTP API's own port, before the template's routes."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from infra.local.api_reference import ASSETS, ApiReference
from infra.local.functions import FunctionRuntime
from infra.local.http_gateway import HttpGateway
from infra.local.routing import RouteTable
from infra.local.template import load_template
from infra.openapi import build_document


@pytest.fixture(scope="module")
def gateway() -> Iterator[HttpGateway]:
    template = load_template()
    gateway = HttpGateway(
        FunctionRuntime(template.functions), RouteTable(template.http_routes()), port=0, reference=ApiReference()
    )
    gateway.start()
    yield gateway
    gateway.stop()


def get(gateway: HttpGateway, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(gateway.url + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_page_loads_only_files_of_its_own_origin(gateway) -> None:
    status, headers, body = get(gateway, "/docs")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references and all(ref.startswith("/docs/") for ref in references), references
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "<script>" not in page  # no inline script: the CSP would refuse it
    for ref in references:
        asset_status, _, asset = get(gateway, ref)
        assert asset_status == 200 and asset, ref
    _, _, init = get(gateway, "/docs/init.js")
    assert b'url: "/docs/openapi.json"' in init


def test_the_assets_are_swagger_ui_5_which_reads_openapi_3_1(gateway) -> None:
    status, headers, bundle = get(gateway, "/docs/assets/swagger-ui-bundle.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert re.search(rb'"5\.\d+\.\d+"', bundle)
    assert set(ASSETS) >= {"swagger-ui-bundle.js", "swagger-ui.css"}


def test_the_document_is_the_combined_one(gateway) -> None:
    status, headers, body = get(gateway, "/docs/openapi.json")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == json.loads(json.dumps(build_document()))


def test_other_paths_under_docs_are_not_files(gateway) -> None:
    for path in ("/docs/assets/../../../pyproject.toml", "/docs/assets/index.html", "/docs/nothing"):
        assert get(gateway, path)[0] == 404, path
    assert get(gateway, "/docs", method="POST")[0] == 405


def test_the_api_routes_still_answer(gateway) -> None:
    status, _, body = get(gateway, "/products")
    assert status == 401 and json.loads(body)["code"] == "missing_token"
