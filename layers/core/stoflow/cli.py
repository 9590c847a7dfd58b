"""`stoflow`: database and tenant administration.

stoflow db upgrade [--target REV] [--shared-only | --tenants-only] [--workers N] [--continue]
stoflow db downgrade (--shared REV | --tenants REV) [--workers N] [--continue]
stoflow db status
stoflow db roles   (as an administrator, before the first upgrade)
stoflow db revision --tree shared|tenant -m MESSAGE
stoflow tenants create ID | list | drop ID --confirm user_ID
stoflow images audit [--tenant ID]
stoflow sandbox sell|remove MARKETPLACE LISTING | cancel ebay ORDER | close ebay USER
                | revoke|recover MARKETPLACE
                | fail MARKETPLACE [--minutes N] [--status 503|429] | state
    (the local cloud's marketplace sandboxes, over HTTP at STOFLOW_LOCAL_SANDBOX_URL)
stoflow jobs dlq list [--limit N] | redrive [--limit N]   (STOFLOW_JOBS_QUEUE_URL or --queue-url)
stoflow secrets init --stage dev|prod
stoflow secrets rotate --stage dev|prod jwt-keys|marketplace-token-keys
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stoflow.errors import StoflowError


def _engine(workers: int = 1, *, admin: bool = False) -> object:
    """The database as the migrator role (stoflow.db.roles), which owns the schema: whatever user
    DATABASE_URL names, migrations never leave tables the application role has no rights on.
    `admin`: as DATABASE_URL's own user (creating the roles)."""
    from stoflow.config import get_settings
    from stoflow.db.engine import engine_from_settings
    from stoflow.db.roles import MIGRATOR_ROLE

    settings = get_settings()
    user = None if admin or settings.database_iam_auth else MIGRATOR_ROLE
    return engine_from_settings(settings, pool_size=max(workers, 1) + 1, user=user)


def _cmd_upgrade(args: argparse.Namespace) -> int:
    from stoflow.db import migrations

    engine = _engine(args.workers)
    if not args.tenants_only:
        before, after = migrations.migrate_shared(engine, "upgrade", args.target if args.shared_only else "head")
        print(f"shared: {before or 'base'} -> {after}")
    if args.shared_only:
        return 0
    report = migrations.migrate_tenants(
        engine,
        "upgrade",
        args.target,
        workers=args.workers,
        continue_on_error=args.continue_on_error,
        progress=sys.stderr.isatty(),
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_downgrade(args: argparse.Namespace) -> int:
    from stoflow.db import migrations

    engine = _engine(args.workers)
    code = 0
    if args.tenants:
        report = migrations.migrate_tenants(
            engine,
            "downgrade",
            args.tenants,
            workers=args.workers,
            continue_on_error=args.continue_on_error,
            progress=sys.stderr.isatty(),
        )
        print(report.summary())
        code = 0 if report.ok else 1
    if args.shared and code == 0:
        before, after = migrations.migrate_shared(engine, "downgrade", args.shared)
        print(f"shared: {before} -> {after or 'base'}")
    return code


def _cmd_status(args: argparse.Namespace) -> int:
    from stoflow.db import migrations

    result = migrations.status(_engine(4))
    print(f"shared: at {result.shared_current or 'base'} (head {result.shared_head})")
    total = sum(result.tenants_by_revision.values())
    print(f"tenants: {total} registered, head {result.tenant_head}")
    for revision, count in sorted(result.tenants_by_revision.items(), key=lambda kv: str(kv[0])):
        marker = "" if revision == result.tenant_head else "  <- behind"
        print(f"  {revision or 'base'}: {count}{marker}")
    return 0 if result.up_to_date else 3


def _cmd_roles(args: argparse.Namespace) -> int:
    """Create the database roles and their rights (as an administrator: DATABASE_URL's user)."""
    from stoflow.db.roles import ROLES, ensure_roles

    engine = _engine(admin=True)
    ensure_roles(engine)  # type: ignore[arg-type]
    print(f"roles {', '.join(ROLES)} ready on database {engine.url.database}")  # type: ignore[attr-defined]
    return 0


def _cmd_revision(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    from stoflow.config import get_settings

    config = Config()
    config.set_main_option("script_location", str(get_settings().migrations_dir / args.tree))
    command.revision(config, message=args.message)
    return 0


def _cmd_tenants(args: argparse.Namespace) -> int:
    from stoflow.db import provisioning as tenants

    engine = _engine()
    if args.action == "create":
        print(f"created {tenants.create_tenant(args.tenant_id, engine=engine)}")
    elif args.action == "list":
        for row in tenants.list_tenants(engine=engine):
            print(f"{row.id}\t{row.schema_name}\t{row.created_at:%Y-%m-%d %H:%M}")
    elif args.action == "drop":
        tenants.drop_tenant(args.tenant_id, confirm=args.confirm or "", engine=engine)
        print(f"dropped tenant {args.tenant_id}")
    return 0


def _cmd_images(args: argparse.Namespace) -> int:
    """Products whose migrated label guess is doubtful, and the counts per tenant schema."""
    from stoflow.db.tenancy import schema_for
    from stoflow.services.images_audit import audit

    results = audit(_engine(), [int(args.tenant)] if args.tenant else None)
    for tenant in results:
        print(
            f"{schema_for(tenant.tenant_id)}: {tenant.products} products with migrated images, "
            f"{tenant.images} images, {tenant.labels} labels, {len(tenant.findings)} doubtful"
        )
        for finding in tenant.findings:
            print(f"  product {finding.product_id}\t{finding.reason}\t{finding.images} images")
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    """Make a sandboxed marketplace act on its own, through the local cloud's control API."""
    import json

    import httpx

    from stoflow.config import get_settings

    base = get_settings().local_sandbox_url.rstrip("/")
    try:
        if args.action == "state":
            response = httpx.get(f"{base}/sandbox/api/state", timeout=10.0)
        else:
            params: dict[str, object] = {}
            if getattr(args, "listing", None):
                params["listing"] = args.listing
            if args.action == "fail":
                params.update(minutes=args.minutes, status=args.status)
            response = httpx.post(f"{base}/sandbox/api/{args.marketplace}/{args.action}", json=params, timeout=10.0)
    except httpx.TransportError:
        print(f"stoflow: no sandbox answers at {base}: is `make run` running?", file=sys.stderr)
        return 1
    body = response.json()
    if response.status_code >= 400:
        print(f"stoflow: {body.get('error', response.text)}", file=sys.stderr)
        return 1
    print(json.dumps(body, indent=2, default=str))
    return 0


def _cmd_dlq(args: argparse.Namespace) -> int:
    from stoflow.config import get_settings
    from stoflow.jobs import dead_letters

    queue_url = args.queue_url or get_settings().jobs_queue_url
    if not queue_url:
        print(
            "stoflow: set STOFLOW_JOBS_QUEUE_URL (the stack's JobsQueueUrl output) or pass --queue-url", file=sys.stderr
        )
        return 2
    if args.action == "list":
        letters = dead_letters.list_dead_letters(queue_url, args.limit or 100)
        for letter in letters:
            print(letter.describe())
        print(f"{len(letters)} message(s) in the dead-letter queue")
        return 0
    moved = dead_letters.redrive(queue_url, args.limit)
    print(f"{moved} message(s) sent back to the jobs queue")
    return 0


def _cmd_secrets(args: argparse.Namespace) -> int:
    from stoflow.config import get_settings
    from stoflow.services import secrets

    if args.action == "init":
        ask = None
        if sys.stdin.isatty():
            import getpass

            ask = getpass.getpass  # never echoed: these are credentials
        results = secrets.init_secrets(args.stage, get_settings(), ask)
        for result in results:
            print(result.line())
        return 0 if all(r.outcome != "skipped" for r in results) else 3
    name = secrets.secret_name(args.stage, args.kind)
    if args.kind == "jwt-keys":
        print(f"{name}: new signing key {secrets.rotate_jwt_keys(name)}; the previous one stays accepted")
    elif args.kind == "marketplace-token-keys":
        print(f"{name}: new key first, {secrets.rotate_token_keys(name)} key(s) kept")
    else:
        print(f"{name}: application keys are not rotated here (they come from eBay / Etsy)", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stoflow", description="StoFlow administration")
    areas = parser.add_subparsers(dest="area", required=True)

    db = areas.add_parser("db", help="migrations").add_subparsers(dest="command", required=True)
    up = db.add_parser("upgrade", help="migrate shared schemas, then every tenant schema")
    up.add_argument("--target", default="head")
    scope = up.add_mutually_exclusive_group()
    scope.add_argument("--shared-only", action="store_true")
    scope.add_argument("--tenants-only", action="store_true")
    down = db.add_parser("downgrade", help="downgrade tenant schemas and/or shared schemas")
    down.add_argument("--tenants", metavar="REV", help="tenant revision to go down to (or 'base')")
    down.add_argument("--shared", metavar="REV", help="shared revision to go down to (or 'base')")
    for sub in (up, down):
        sub.add_argument("--workers", type=int, default=4)
        sub.add_argument(
            "--continue",
            dest="continue_on_error",
            action="store_true",
            help="carry on past failing tenant schemas and report them at the end",
        )
    up.set_defaults(run=_cmd_upgrade)
    down.set_defaults(run=_cmd_downgrade)
    db.add_parser("status", help="where shared and tenant schemas stand").set_defaults(run=_cmd_status)
    roles_help = "create the database roles (as an administrator), before the first upgrade"
    db.add_parser("roles", help=roles_help).set_defaults(run=_cmd_roles)
    rev = db.add_parser("revision", help="write a new revision file")
    rev.add_argument("--tree", choices=["shared", "tenant"], required=True)
    rev.add_argument("-m", "--message", required=True)
    rev.set_defaults(run=_cmd_revision)

    tenants_parser = areas.add_parser("tenants", help="tenant schemas")
    tenants_parser.set_defaults(run=_cmd_tenants)
    tenants = tenants_parser.add_subparsers(dest="action", required=True)
    create = tenants.add_parser("create")
    create.add_argument("tenant_id")
    tenants.add_parser("list")
    drop = tenants.add_parser("drop", help="drop a tenant schema and all its data")
    drop.add_argument("tenant_id")
    drop.add_argument("--confirm", metavar="SCHEMA", help="repeat the schema name (user_<id>) to confirm")

    images = areas.add_parser("images", help="product images").add_subparsers(dest="action", required=True)
    audit = images.add_parser("audit", help="products whose migrated label guess is doubtful")
    audit.add_argument("--tenant", metavar="ID", help="one tenant only")
    audit.set_defaults(run=_cmd_images)

    sandbox = areas.add_parser("sandbox", help="the local cloud's marketplace sandboxes").add_subparsers(
        dest="action", required=True
    )
    from stoflow.marketplaces.registry import NAMES

    marketplaces = list(NAMES)
    for action, text in (("sell", "a buyer purchases the listing"), ("remove", "the marketplace removes it")):
        sub = sandbox.add_parser(action, help=text)
        sub.add_argument("marketplace", choices=marketplaces)
        sub.add_argument("listing", help="eBay: SKU, offer or listing id; Etsy: listing id or SKU; Vinted: item id")
    cancel = sandbox.add_parser("cancel", help="the order is cancelled (the sale falls through)")
    cancel.add_argument("marketplace", choices=marketplaces)
    cancel.add_argument("listing", metavar="order", help="the order id `sell` printed (eBay)")
    close = sandbox.add_parser("close", help="an account is closed: the marketplace's signed deletion notice (eBay)")
    close.add_argument("marketplace", choices=marketplaces)
    close.add_argument("listing", metavar="user", help="the username (a buyer's, or the seller's)")
    for action, text in (("revoke", "the seller revokes our access"), ("recover", "the marketplace works again")):
        sandbox.add_parser(action, help=text).add_argument("marketplace", choices=marketplaces)
    fail = sandbox.add_parser("fail", help="the marketplace fails every call for a while")
    fail.add_argument("marketplace", choices=marketplaces)
    fail.add_argument("--minutes", type=float, default=5.0)
    fail.add_argument("--status", type=int, choices=(429, 500, 502, 503, 504), default=503)
    sandbox.add_parser("state", help="listings, outages and contract problems of every sandbox")
    for sub in sandbox.choices.values():
        sub.set_defaults(run=_cmd_sandbox)
    jobs = areas.add_parser("jobs", help="the jobs queue").add_subparsers(dest="what", required=True)
    dlq = jobs.add_parser("dlq", help="the jobs dead-letter queue")
    dlq.add_argument("action", choices=["list", "redrive"])
    dlq.add_argument("--limit", type=int, default=None, help="at most this many messages")
    dlq.add_argument("--queue-url", help="the jobs queue (default: STOFLOW_JOBS_QUEUE_URL)")
    dlq.set_defaults(run=_cmd_dlq)

    secrets_parser = areas.add_parser("secrets", help="the stack's secrets (after the first deployment)")
    secrets_actions = secrets_parser.add_subparsers(dest="action", required=True)
    init = secrets_actions.add_parser("init", help="fill the stage's empty secrets (never overwrites)")
    rotate = secrets_actions.add_parser("rotate", help="rotate the signing or encryption keys now")
    rotate.add_argument("kind", choices=["jwt-keys", "marketplace-token-keys"])
    for sub in (init, rotate):
        sub.add_argument("--stage", choices=["dev", "prod"], required=True)
        sub.set_defaults(run=_cmd_secrets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.area == "db" and args.command == "downgrade" and not (args.tenants or args.shared):
        print("stoflow: downgrade needs --tenants REV and/or --shared REV", file=sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except StoflowError as exc:
        print(f"stoflow: {exc.code}: {exc.detail}", file=sys.stderr)
        return 1
    except Exception as exc:
        from stoflow.availability import unreachable_database_message
        from stoflow.config import get_settings

        message = unreachable_database_message(exc, get_settings())
        if message is None:
            raise
        print(f"stoflow: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
