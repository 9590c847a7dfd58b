"""The local dashboard server answers as CloudFront does: files, index.html for the app's routes,
config.json for this cloud, immutable hashed assets, no cache for the rest, the security headers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.dashboard import DashboardServer


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("outside")
    return tmp_path


@pytest.fixture
def server(dist: Path) -> Iterator[DashboardServer]:
    running = DashboardServer(
        "127.0.0.1", 0, lambda: {"apiUrl": "http://127.0.0.1:3000", "wsUrl": "ws://127.0.0.1:3001"}, dist=dist
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def get(server: DashboardServer, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_app_routes_get_index_html_uncached(server: DashboardServer) -> None:
    for path in ("/", "/products/12", "/marketplaces/etsy/callback?code=x&state=y"):
        status, headers, body = get(server, path)
        assert status == 200
        assert b"<title>app</title>" in body
        assert headers["cache-control"] == "no-cache"
        assert "script-src 'self';" in headers["content-security-policy"]
        assert "unsafe-eval" not in headers["content-security-policy"]


def test_hashed_assets_are_immutable_and_missing_ones_404(server: DashboardServer) -> None:
    status, headers, _ = get(server, "/assets/index-abc123.js")
    assert status == 200
    assert "immutable" in headers["cache-control"]
    assert headers["content-type"] in ("text/javascript", "application/javascript")
    assert get(server, "/assets/gone-000.js")[0] == 404


def test_config_json_names_this_cloud(server: DashboardServer) -> None:
    status, headers, body = get(server, "/config.json")
    assert status == 200
    assert headers["cache-control"] == "no-store"
    assert json.loads(body) == {"apiUrl": "http://127.0.0.1:3000", "wsUrl": "ws://127.0.0.1:3001"}
    assert "ws://127.0.0.1:3001" in headers["content-security-policy"]


def test_no_file_outside_the_build_is_served(server: DashboardServer) -> None:
    status, _, body = get(server, "/../secret.txt")
    assert b"outside" not in body
    assert status == 200  # the app's index.html, as for any unknown path


def test_an_unbuilt_dashboard_says_how_to_build_it(tmp_path: Path) -> None:
    running = DashboardServer("127.0.0.1", 0, lambda: {"apiUrl": "http://a", "wsUrl": "ws://b"}, dist=tmp_path / "none")
    running.start()
    try:
        status, _, body = get(running, "/products")
        assert status == 503
        assert b"make dashboard" in body
        assert "not built" in running.describe()[0]
    finally:
        running.stop()
