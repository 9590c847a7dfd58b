"""The dashboard in Chromium against `python -m infra.local` (the stack `make run` starts, serving
the built dashboard): one browser, with the extension loaded, runs every scenario of
dashboard/e2e/journey.mjs once (sign up and verify, a product with three photos and a label, an
optimistic-lock conflict, a refused job's reason, eBay and Etsy connected through the sandboxes'
consent pages, the extension paired, the product published on all three, a sale on Etsy that
marks it sold and delists it from the other two, one token refresh for two tabs, a revoked
session, axe-core on every page), saving
screenshots of the main pages under .stoflow-data/screenshots (dashboard/e2e/screenshots, the
README's, with STOFLOW_UPDATE_SCREENSHOTS=1).

The guard below only keeps a hung browser from hanging the suite; nothing is asserted about time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import url_string
from tests.support.local_cloud import CloudProcess

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "dashboard"
CHROMIUM = "/usr/bin/chromium"
GUARD_S = 900


def require_tools() -> None:
    missing = []
    if not Path(os.environ.get("STOFLOW_CHROMIUM", CHROMIUM)).exists():
        missing.append("Debian chromium (make system-deps)")
    if shutil.which("node") is None:
        missing.append("node")
    if not (DASHBOARD / "node_modules" / "playwright-core").exists():
        missing.append("the dashboard's node_modules (make dashboard-deps)")
    if not (DASHBOARD / "dist" / "index.html").exists():
        missing.append("the dashboard's build (make dashboard)")
    if missing:
        pytest.fail("the dashboard end-to-end tests need: " + "; ".join(missing))


@pytest.fixture(scope="module")
def cloud(database_url, engine, tmp_path_factory) -> Iterator[CloudProcess]:
    require_tools()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith(("STOFLOW_", "AWS_"))}
    env.update(
        DATABASE_URL=url_string(database_url),
        STOFLOW_DATA_DIR=str(tmp_path_factory.mktemp("dashboard-cloud-data")),
        STOFLOW_ARGON2_MEMORY_KIB="1024",
        STOFLOW_ARGON2_TIME_COST="1",
        # Vinted commands a second apart at most (the pacing itself is tested elsewhere).
        STOFLOW_VINTED_GAP_MIN_S="0",
        STOFLOW_VINTED_GAP_MAX_S="1",
    )
    running = CloudProcess(env, tmp_path_factory.mktemp("dashboard-cloud-log") / "cloud.log")
    try:
        yield running.start()
    finally:
        running.close()


def screenshots_folder() -> Path:
    """Where the run saves its screenshots: a data folder (a test run leaves the tree clean), or the
    README's folder when STOFLOW_UPDATE_SCREENSHOTS=1 asks to refresh the committed ones."""
    if os.environ.get("STOFLOW_UPDATE_SCREENSHOTS") == "1":
        return DASHBOARD / "e2e" / "screenshots"
    return REPO / ".stoflow-data" / "screenshots"


def test_the_dashboard_journey_in_a_browser(cloud: CloudProcess) -> None:
    result = subprocess.run(
        [
            "node",
            "e2e/journey.mjs",
            "--dashboard",
            f"http://127.0.0.1:{cloud.dashboard_port}",
            "--api",
            cloud.http,
            "--cloud-log",
            str(cloud.log_path),
            "--sandbox",
            cloud.sandbox,
            "--vinted-port",
            str(cloud.vinted_port),
            "--extension",
            str(REPO / "extension"),
            "--screenshots",
            str(screenshots_folder()),
        ],
        cwd=DASHBOARD,
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    failures = [line for line in lines if not line.get("ok")]
    assert result.returncode == 0 and not failures, (
        "\n".join(f"{f['scenario']}: {f.get('error')}" for f in failures) or result.stderr[-4000:]
    )
    names = {line["scenario"] for line in lines if not line.get("skipped")}
    for part in (
        "consent pages",
        "pair the extension",
        "publish to Vinted, eBay and Etsy",
        "a sale on Etsy",
        "two tabs",
        "axe",
    ):
        assert any(part in name for name in names), (part, sorted(names))
