"""`python -m infra.local` (`make run`): the local cloud, until Ctrl-C or SIGTERM.

    python -m infra.local [--http-port 3000] [--host 127.0.0.1] [--template template.yaml]

Without DATABASE_URL an embedded PostgreSQL is started with its data in <data_dir>/pg
(STOFLOW_DATA_DIR, default .stoflow-data). STOFLOW_LOCAL_HTTP_PORT overrides the HTTP port.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from infra.local.database import Database, EmbeddedPostgres
from infra.local.functions import FunctionRuntime
from infra.local.http_gateway import HttpGateway
from infra.local.parts import Part, Stack
from infra.local.routing import RouteTable
from infra.local.template import TEMPLATE_PATH, Template, load_template
from stoflow.config import get_settings

log = logging.getLogger("stoflow.local")

DEFAULT_HTTP_PORT = 3000


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description="Run StoFlow's local cloud.")
    try:
        default_port = _port(os.environ.get("STOFLOW_LOCAL_HTTP_PORT") or str(DEFAULT_HTTP_PORT))
    except (ValueError, argparse.ArgumentTypeError):
        parser.error(f"STOFLOW_LOCAL_HTTP_PORT={os.environ['STOFLOW_LOCAL_HTTP_PORT']!r} is not a TCP port")
    parser.add_argument(
        "--http-port", type=_port, default=default_port,
        help="HTTP API port (env STOFLOW_LOCAL_HTTP_PORT, default %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address the gateways listen on")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="the SAM template to run")
    return parser.parse_args(argv)


def build_parts(args: argparse.Namespace, template: Template) -> list[Part]:
    parts: list[Part] = []
    if not get_settings().database_url:
        parts.append(EmbeddedPostgres(get_settings().data_dir / "pg"))
    parts.append(Database())
    runtime = FunctionRuntime(template.functions)
    parts.append(HttpGateway(runtime, RouteTable(template.http_routes()), host=args.host, port=args.http_port))
    return parts


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same clean path as Ctrl-C.
    raise KeyboardInterrupt


def _ignore_signals() -> None:
    # Stopping is bounded; a second Ctrl-C must not leave PostgreSQL half stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # pgserver narrates every pg_ctl call at INFO; its warnings are what matter here.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = Stack([])
    failed = False
    try:
        stack = Stack(build_parts(args, load_template(args.template)))
        stack.start()
        print("\nStoFlow local cloud", flush=True)
        for part in stack.parts:
            for line in part.describe():
                print(f"  {line}", flush=True)
        print("Ctrl-C stops every part.\n", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the local cloud…", flush=True)
    except Exception:
        failed = True
        log.exception("the local cloud could not start")
    finally:
        _ignore_signals()
        clean = stack.stop()  # a part that failed to start has already stopped the others
    return 0 if clean and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
