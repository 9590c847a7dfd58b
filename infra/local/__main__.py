"""`python -m infra.local` (`make run`): the local cloud, until Ctrl-C or SIGTERM.

    python -m infra.local [--http-port 3000] [--ws-port 3001] [--aws-port 4566] [--host 127.0.0.1]
                          [--template template.yaml] [--no-demo] [--sandbox-port 3002]
                          [--vinted-port 3003] [--no-sandboxes] [--dashboard-port 5173]

Without DATABASE_URL an embedded PostgreSQL is started with its data in <data_dir>/pg
(STOFLOW_DATA_DIR, default .stoflow-data). STOFLOW_LOCAL_HTTP_PORT, STOFLOW_LOCAL_WS_PORT and
STOFLOW_LOCAL_AWS_PORT override the ports (0: any free port); STOFLOW_LOCAL_DASHBOARD_PORT the
dashboard's (its origin is the template's DashboardOrigin here: CORS, email links, OAuth returns).

Parts, started in this order and stopped in reverse: PostgreSQL, migrations, moto with the
template's queues, bucket and secrets, the demo user, the marketplace sandboxes (eBay, Etsy and
Vinted stand-ins the backend is pointed at; STOFLOW_LOCAL_SANDBOXES=false or --no-sandboxes turns
them off), the HTTP API, the WebSocket API, the SQS poller, the scheduler.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from infra.local.api_reference import ApiReference
from infra.local.aws import LocalAws, template_parameters
from infra.local.cors import cors_from_template
from infra.local.dashboard import DashboardServer
from infra.local.database import Database, EmbeddedPostgres
from infra.local.demo import DemoUser
from infra.local.environment import export
from infra.local.functions import FunctionRuntime
from infra.local.http_gateway import HttpGateway
from infra.local.intrinsics import Resolver
from infra.local.parts import Part, Stack
from infra.local.routing import RouteTable
from infra.local.sandboxes.server import SandboxServer
from infra.local.scheduler import Scheduler
from infra.local.sqs_poller import SqsPoller
from infra.local.template import TEMPLATE_PATH, Template, load_template
from infra.local.ws_gateway import WebSocketGateway
from infra.local.ws_routes import websocket_api
from stoflow.config import get_settings

log = logging.getLogger("stoflow.local")

DEFAULT_HTTP_PORT = 3000
DEFAULT_WS_PORT = 3001
DEFAULT_AWS_PORT = 4566
DEFAULT_SANDBOX_PORT = 3002
DEFAULT_VINTED_PORT = 3003
DEFAULT_DASHBOARD_PORT = 5173


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def _env_port(parser: argparse.ArgumentParser, name: str, default: int) -> int:
    try:
        return _port(os.environ.get(name) or str(default))
    except (ValueError, argparse.ArgumentTypeError):
        parser.error(f"{name}={os.environ[name]!r} is not a TCP port")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description="Run StoFlow's local cloud.")
    parser.add_argument(
        "--http-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_HTTP_PORT", DEFAULT_HTTP_PORT),
        help="HTTP API port (env STOFLOW_LOCAL_HTTP_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--ws-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_WS_PORT", DEFAULT_WS_PORT),
        help="WebSocket API and @connections port (env STOFLOW_LOCAL_WS_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--aws-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_AWS_PORT", DEFAULT_AWS_PORT),
        help="moto's port: SQS, S3, Secrets Manager, SES (env STOFLOW_LOCAL_AWS_PORT, default %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address the gateways listen on")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="the SAM template to run")
    parser.add_argument("--no-demo", action="store_true", help="do not register the demo user")
    parser.add_argument(
        "--sandbox-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_SANDBOX_PORT", DEFAULT_SANDBOX_PORT),
        help="eBay and Etsy sandboxes and their control page (env STOFLOW_LOCAL_SANDBOX_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--vinted-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_VINTED_PORT", DEFAULT_VINTED_PORT),
        help="the Vinted sandbox's HTTPS origin (env STOFLOW_LOCAL_VINTED_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--no-sandboxes", action="store_true", help="no marketplace sandboxes (also STOFLOW_LOCAL_SANDBOXES=false)"
    )
    parser.add_argument(
        "--dashboard-port",
        type=_port,
        default=_env_port(parser, "STOFLOW_LOCAL_DASHBOARD_PORT", DEFAULT_DASHBOARD_PORT),
        help="the dashboard (env STOFLOW_LOCAL_DASHBOARD_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--dashboard-origin",
        default=os.environ.get("STOFLOW_LOCAL_DASHBOARD_ORIGIN"),
        help="the origin the API trusts (CORS, email links) when not the served dashboard's, e.g. "
        "`npm run dev` on http://127.0.0.1:5173 (env STOFLOW_LOCAL_DASHBOARD_ORIGIN)",
    )
    return parser.parse_args(argv)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def build_parts(args: argparse.Namespace, template: Template) -> list[Part]:
    # The dashboard's URL is the first line printed (see main), but the database starts first: a
    # database that cannot be reached is said in two lines before anything else has started. Its
    # origin must be known before the API's CORS is set up, so port 0 is resolved to a free port here.
    dashboard_port = args.dashboard_port or _free_port(args.host)
    dashboard = DashboardServer(
        args.host,
        dashboard_port,
        lambda: {"apiUrl": f"http://{args.host}:{args.http_port}", "wsUrl": f"ws://{args.host}:{args.ws_port}"},
    )
    parts: list[Part] = []
    dashboard_origin = args.dashboard_origin or f"http://{args.host}:{dashboard_port}"
    # Email links (verification, password reset) open the dashboard.
    export(STOFLOW_PUBLIC_BASE_URL=dashboard_origin, STOFLOW_DASHBOARD_ORIGIN=dashboard_origin)
    settings = get_settings()
    if not settings.database_url:
        parts.append(EmbeddedPostgres(settings.data_dir / "pg"))
    parts.append(Database())
    parts.append(dashboard)
    resolver = Resolver({**template_parameters(template), "DashboardOrigin": dashboard_origin}, settings.aws_region)
    local_aws = LocalAws(template, resolver, port=args.aws_port, data_dir=settings.data_dir)
    parts.append(local_aws)
    if not args.no_demo:
        parts.append(DemoUser())
    runtime = FunctionRuntime(template.functions)
    parts.append(runtime)
    gateway = HttpGateway(
        runtime,
        RouteTable(template.http_routes()),
        host=args.host,
        port=args.http_port,
        cors=cors_from_template(template, resolver),
        reference=ApiReference(),
    )
    if settings.local_sandboxes and not args.no_sandboxes:
        parts.append(
            SandboxServer(
                host=args.host,
                port=args.sandbox_port,
                vinted_port=args.vinted_port,
                data_dir=settings.data_dir,
                api_url=lambda: gateway.url,
                dashboard_origin=dashboard_origin,
            )
        )
    parts.append(gateway)
    api = websocket_api(template)
    if api is not None:
        parts.append(WebSocketGateway(runtime, api, host=args.host, port=args.ws_port))
    parts.append(_LazySqsPoller(runtime, template, resolver, local_aws))
    parts.append(Scheduler(runtime, template))
    return parts


class _LazySqsPoller(SqsPoller):
    """The poller's SQS client is moto's, known once the AWS part has started."""

    def __init__(self, runtime: FunctionRuntime, template: Template, resolver: Resolver, local_aws: LocalAws) -> None:
        super().__init__(runtime, template, resolver, client=None)
        self._local_aws = local_aws

    def start(self) -> None:
        self.client = self._local_aws.client("sqs")
        super().start()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same clean path as Ctrl-C.
    raise KeyboardInterrupt


def _ignore_signals() -> None:
    # Stopping is bounded; a second Ctrl-C must not leave PostgreSQL half stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# Each port the local cloud listens on, with the flag and the variable that move it.
PORT_OPTIONS = (
    ("http_port", "HTTP API", "--http-port", "STOFLOW_LOCAL_HTTP_PORT"),
    ("ws_port", "WebSocket API", "--ws-port", "STOFLOW_LOCAL_WS_PORT"),
    ("aws_port", "local AWS (moto)", "--aws-port", "STOFLOW_LOCAL_AWS_PORT"),
)


def busy_port_message(args: argparse.Namespace) -> str | None:
    """Before anything starts: a port already taken, said in two lines (which port, what moves it)."""
    for attribute, what, flag, variable in PORT_OPTIONS:
        port = getattr(args, attribute)
        if port == 0:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the servers themselves bind: a port whose last connections are in TIME_WAIT (a
            # restart) is free; only a listener makes it busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((args.host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                return (
                    f"port {port} ({what}) is already in use on {args.host}.\n"
                    f"Stop what uses it, or choose another: {flag} N or {variable}=N (0: any free port)."
                )
    return None


def startup_problem(exc: BaseException) -> str | None:
    """A failure a person can act on, in two lines (None: show the traceback)."""
    from stoflow.availability import unreachable_database_message

    return unreachable_database_message(exc, get_settings(), hint=", or unset it to use the embedded PostgreSQL")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # pgserver narrates every pg_ctl call at INFO; its warnings are what matter here.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # moto's server logs every request (the poller's long polls among them); websockets logs the
    # internal server's ephemeral port, which is not where clients connect.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    # SQLAlchemy names a pool's logger after its class: GuardedQueuePool's sits under stoflow.db
    # and would narrate every dispose at INFO.
    logging.getLogger("stoflow.db.checkout_guard.GuardedQueuePool").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    # Also when started in the background by a shell, which starts it with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    busy = busy_port_message(args)
    if busy is not None:
        print(f"make run: {busy}", file=sys.stderr, flush=True)
        return 1
    stack = Stack([])
    failed = False
    try:
        stack = Stack(build_parts(args, load_template(args.template)))
        stack.start()
        print("\nStoFlow local cloud", flush=True)
        # The dashboard is what a person opens: its URL comes first.
        for part in sorted(stack.parts, key=lambda part: part.name != "dashboard"):
            for line in part.describe():
                print(f"  {line}", flush=True)
        print("Ctrl-C stops every part.\n", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the local cloud…", flush=True)
    except Exception as exc:
        failed = True
        message = startup_problem(exc)
        if message is None:
            part = f" ({stack.failed.name})" if stack.failed else ""
            log.exception("the local cloud could not start%s", part)
        else:
            print(f"make run: {message}", file=sys.stderr, flush=True)
    finally:
        _ignore_signals()
        clean = stack.stop()  # a part that failed to start has already stopped the others
    return 0 if clean and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
