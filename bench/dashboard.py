"""Dashboard figures, each beside its baseline measured in the same run:

- initial JavaScript + CSS (gzip) of the sign-in and products pages, from the build manifest
  (entry chunk + the page's chunk and the chunks it imports), vs the whole app in one load (what
  a build without route splitting would send); budget <= 150 KB for the products page;
- API calls made to show the products page (budget <= 3) and a product (budget <= 4), counted in
  Chromium against the local cloud (`python -m infra.local` with an embedded PostgreSQL);
- the products page with 500 products (paged): time to the first row, and to 100 rows on one
  page, vs the sign-in page (no API call) in the same browser.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.common import REPO, scratch_database

DASHBOARD = REPO / "dashboard"
DIST = DASHBOARD / "dist"
BUDGET_KB = 150


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def _closure(manifest: dict[str, dict], key: str, seen: set[str]) -> set[str]:
    """The files a chunk needs at once: itself, its CSS, its static imports (not dynamic ones)."""
    if key in seen:
        return set()
    seen.add(key)
    chunk = manifest[key]
    files = {chunk["file"], *chunk.get("css", [])}
    for imported in chunk.get("imports", []):
        files |= _closure(manifest, imported, seen)
    return files


def initial_kb(manifest: dict[str, dict], page: str | None) -> float:
    seen: set[str] = set()
    files = _closure(manifest, "index.html", seen)
    if page is not None:
        files |= _closure(manifest, page, seen)
    return sum(_gzip_size(DIST / f) for f in files) / 1024


def bundle_figures() -> None:
    manifest = json.loads((DIST / ".vite" / "manifest.json").read_text())
    whole = sum(_gzip_size(p) for p in (DIST / "assets").iterdir() if p.suffix in (".js", ".css")) / 1024
    for label, page in (("sign-in page", "src/pages/SignInPage.vue"), ("products page", "src/pages/ProductsPage.vue")):
        size = initial_kb(manifest, page)
        print(
            f"dashboard: initial JS+CSS of the {label:<14} {size:8.1f} KB gzip   vs whole app in one load"
            f" {whole:8.1f} KB   budget <= {BUDGET_KB} KB (products page)"
        )


def browser_figures() -> None:
    from tests.support.local_cloud import CloudProcess

    if not Path(os.environ.get("STOFLOW_CHROMIUM", "/usr/bin/chromium")).exists() or shutil.which("node") is None:
        print("dashboard: API calls and page times skipped (needs node and /usr/bin/chromium)")
        return
    from sqlalchemy import update

    from stoflow.models.public import User
    from tests.conftest import url_string

    with tempfile.TemporaryDirectory() as data, scratch_database() as (engine, url):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith(("STOFLOW_", "AWS_"))}
        env.update(
            DATABASE_URL=url_string(url),
            STOFLOW_DATA_DIR=data,
            STOFLOW_ARGON2_MEMORY_KIB="1024",
            STOFLOW_ARGON2_TIME_COST="1",
        )
        cloud = CloudProcess(env, Path(data) / "cloud.log").start()
        try:
            from infra.local.demo import DEMO_EMAIL, DEMO_PASSWORD

            # 500 products exceed the free tier's allowance.
            with engine.begin() as connection:
                connection.execute(update(User).where(User.email == DEMO_EMAIL).values(tier="ENTERPRISE"))
            out = subprocess.run(
                [
                    "node",
                    "e2e/bench.mjs",
                    "--dashboard",
                    f"http://127.0.0.1:{cloud.dashboard_port}",
                    "--api",
                    cloud.http,
                    "--email",
                    DEMO_EMAIL,
                    "--password",
                    DEMO_PASSWORD,
                    "--products",
                    "500",
                ],
                cwd=DASHBOARD,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        finally:
            cloud.close()
    if out.returncode != 0:
        raise RuntimeError(f"dashboard bench failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for label, key, budget in (
        ("the products page", "products", 3),
        ("a product (first visit)", "product", 4),
        ("a product (catalogues kept)", "productWarm", 4),
    ):
        calls = result[key]["calls"]
        print(f"dashboard: API calls to show {label:<28} {len(calls):3d}   budget <= {budget}   {', '.join(calls)}")
    sign_in = result["signIn"]["ms"]
    for label, key in (("products page, first row", "products"), ("products page, 100 rows", "largePage")):
        ms = result[key]["ms"]
        print(
            f"dashboard: {label} ({result['total']} products) {ms:6d} ms   vs sign-in page {sign_in:6d} ms"
            f"   ratio {ms / max(sign_in, 1):5.2f}x   (paged: 25 rows by default)"
        )


def main() -> None:
    if not (DIST / ".vite" / "manifest.json").exists():
        print("dashboard: not built (make dashboard); skipped")
        return
    bundle_figures()
    browser_figures()


if __name__ == "__main__":
    main()
