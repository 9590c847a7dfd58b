"""The API reference page of the local cloud: GET /docs on the HTTP API's port.

Swagger UI over the combined OpenAPI document (infra.openapi), from the files the `swagger-ui-py`
package ships (installed by `make install`): nothing is loaded from a CDN, so the page works
offline, and on the API's own origin "Try it out" needs no CORS. The page exists only locally;
on AWS the document is the file openapi/stoflow.json.

    GET /docs                 the page
    GET /docs/openapi.json    the combined document, built from the running code
    GET /docs/assets/<file>   Swagger UI's script, style sheet and icon
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from infra.local.http_events import HttpResponse

__all__ = ["ASSETS", "PREFIX", "ApiReference"]

PREFIX = "/docs"
# The only files served, with their types: a fixed list, never a path from the request.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_SECURITY_HEADERS = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    # Scripts and styles from this origin only (Swagger UI sets inline styles on its elements).
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'",
    ),
]
_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>StoFlow API reference</title>
  <link rel="icon" type="image/png" href="{prefix}/assets/favicon-32x32.png">
  <link rel="stylesheet" href="{prefix}/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="{prefix}/assets/swagger-ui-bundle.js"></script>
  <script src="{prefix}/init.js"></script>
</body>
</html>
"""
_INIT = """window.ui = SwaggerUIBundle({
  url: "%s/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false
});
"""


def _assets_dir() -> Path:
    import swagger_ui  # the swagger-ui-py package: Swagger UI's built files under static/

    return Path(swagger_ui.__file__).resolve().parent / "static"


class ApiReference:
    """Answers the /docs paths; `answer` returns None for any other path (the API's routes)."""

    def __init__(self, assets_dir: Path | None = None) -> None:
        self._assets_dir = assets_dir
        self._document: bytes | None = None
        self._lock = threading.Lock()

    def document(self) -> bytes:
        with self._lock:
            if self._document is None:
                from infra.openapi import build_document

                self._document = json.dumps(build_document()).encode()
            return self._document

    def answer(self, method: str, path: str) -> HttpResponse | None:
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return None
        if method not in ("GET", "HEAD"):
            return _reply(405, "text/plain; charset=utf-8", b"Method Not Allowed")
        rest = path[len(PREFIX) :]
        if rest in ("", "/"):
            return _reply(200, "text/html; charset=utf-8", _PAGE.format(prefix=PREFIX).encode())
        if rest == "/init.js":
            return _reply(200, "text/javascript; charset=utf-8", (_INIT % PREFIX).encode())
        if rest == "/openapi.json":
            return _reply(200, "application/json", self.document())
        name = rest.removeprefix("/assets/")
        if rest.startswith("/assets/") and name in ASSETS:
            directory = self._assets_dir or _assets_dir()
            return _reply(200, ASSETS[name], (directory / name).read_bytes(), cache=True)
        return _reply(404, "text/plain; charset=utf-8", b"Not Found")


def _reply(status: int, content_type: str, body: bytes, *, cache: bool = False) -> HttpResponse:
    headers: list[tuple[str, Any]] = [
        ("content-type", content_type),
        ("content-length", str(len(body))),
        ("cache-control", "public, max-age=3600" if cache else "no-store"),
        *_SECURITY_HEADERS,
    ]
    return HttpResponse(status, headers, body)
