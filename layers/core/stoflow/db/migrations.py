"""Alembic, run by us: shared schemas once, tenant schemas fanned out in parallel.

Each tenant schema migrates in its own transaction on its own connection, with its own version
table (`user_<id>.alembic_version`) and `schema_translate_map` mapping the placeholder `tenant`.
A failure rolls back that schema alone; the others stay at whatever revision they reached, so a
re-run simply carries on.

Alembic's `op` module is a process-wide proxy (Operations.context swaps module globals), which
would let one thread's migration run against another thread's connection. We never use
Operations.context; `alembic.op` is pointed once at a thread-local proxy instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, column, func, select, table

from stoflow.db.tenancy import (
    TENANT_PLACEHOLDER,
    registered_tenants,
    schema_for,
    tenant_engine,
    tenant_options,
    validate_tenant_id,
)
from stoflow.errors import MigrationError

log = logging.getLogger(__name__)

Tree = Literal["shared", "tenant"]
Direction = Literal["upgrade", "downgrade"]
SHARED_VERSION_SCHEMA = "public"
# First key of the transaction-scoped advisory locks that serialise migrators on one schema.
_LOCK_NAMESPACE = 0x5F0F


class _ThreadLocalOperations:
    def __init__(self) -> None:
        self._local = threading.local()

    def bind(self, operations: Operations | None) -> None:
        self._local.operations = operations

    def __getattr__(self, name: str) -> Any:
        operations = getattr(self._local, "operations", None)
        if operations is None:
            raise RuntimeError("alembic.op used outside a migration run by stoflow.db.migrations")
        return getattr(operations, name)


_thread_ops = _ThreadLocalOperations()
_current = threading.local()


def tenant_schema() -> str:
    """The schema a tenant revision is running on, for `schema=` in its operations.

    Alembic translates the placeholder only in operations that compile a Table (create_table,
    drop_table, bulk_insert); add_column, alter_column and friends render the schema name as
    given. Tenant revisions therefore pass `schema=tenant_schema()` everywhere."""
    schema = getattr(_current, "schema", None)
    if schema is None:
        raise RuntimeError("tenant_schema() is only available inside a tenant migration")
    return schema


_install_lock = threading.Lock()
_installed = False


def _install_thread_local_op() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            import alembic.op

            alembic.op._proxy = _thread_ops  # type: ignore[attr-defined]
            _installed = True


@lru_cache(maxsize=8)
def load_scripts(location: Path) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(location))
    script = ScriptDirectory.from_config(config)
    heads = script.get_heads()
    if len(heads) > 1:
        load_scripts.cache_clear()
        raise MigrationError(
            f"{location.name} migrations have {len(heads)} heads ({', '.join(sorted(heads))}); "
            "merge them into one (alembic merge) before migrating",
            code="multiple_heads",
        )
    return script


def scripts_for(tree: Tree, migrations_dir: Path | None = None) -> ScriptDirectory:
    if migrations_dir is None:
        from stoflow.config import get_settings

        migrations_dir = get_settings().migrations_dir
    return load_scripts(Path(migrations_dir) / tree)


def head_revision(tree: Tree, migrations_dir: Path | None = None) -> str | None:
    return scripts_for(tree, migrations_dir).get_current_head()


class _KnownVersionContext(MigrationContext):
    """A migration context for a schema whose version row we have just read, and locked.

    Alembic asks the catalog whether the version table exists on every get_current_heads() call
    (~3 ms each with thousands of schemas, three times per schema: it dominated the fan-out), then
    reads the row again. We already know both answers."""

    known_heads: tuple[str, ...] = ()

    def _has_version_table(self) -> bool:
        return True

    def get_current_heads(self) -> tuple[str, ...]:
        return self.known_heads


def _locked_version(connection: Connection, schema: str, *, check_exists: bool) -> tuple[bool, str | None]:
    """(version table exists, current revision), the row locked for this transaction.

    FOR UPDATE makes two migrators on one schema take turns: the second waits for the first to
    commit, then reads the new revision and finds nothing left to do. Registered tenant schemas
    always have their version table (provisioning creates it, Alembic never drops it), so the
    fan-out skips the existence check and saves a round trip per schema."""
    if check_exists and connection.scalar(select(func.to_regclass(f"{schema}.alembic_version"))) is None:
        return False, None
    versions = table("alembic_version", column("version_num"), schema=schema)
    return True, connection.scalar(select(versions.c.version_num).with_for_update())


def _run(
    connection: Connection,
    script: ScriptDirectory,
    version_schema: str,
    direction: Direction,
    target: str,
    *,
    check_exists: bool = True,
) -> tuple[str | None, str | None]:
    """Migrate one schema on `connection` (already inside its transaction); returns (from, to)."""
    known, before = _locked_version(connection, version_schema, check_exists=check_exists)
    if direction == "upgrade":
        steps = list(script._upgrade_revs(target, before))
    else:
        steps = list(script._downgrade_revs(target, before))
    if not steps:
        return before, before  # already there: a re-run costs two selects

    heads_after: list[set[str]] = []
    opts = {
        "version_table_schema": version_schema,
        "script": script,
        "fn": lambda _rev, _context: steps,
        "transactional_ddl": True,
        "on_version_apply": [lambda heads, **_: heads_after.append(set(heads))],
    }
    # MigrationContext.configure() always builds the base class; the constructor takes the same opts.
    if known:
        context: MigrationContext = _KnownVersionContext(connection.dialect, connection, opts)
        context.known_heads = (before,) if before else ()
    else:
        context = MigrationContext.configure(connection, opts=opts)
    _thread_ops.bind(Operations(context))
    try:
        context.run_migrations()
    finally:
        _thread_ops.bind(None)
    final = heads_after[-1] if heads_after else set()
    return before, next(iter(final)) if final else None


def migrate_shared(
    engine: Engine,
    direction: Direction = "upgrade",
    target: str = "head",
    migrations_dir: Path | None = None,
) -> tuple[str | None, str | None]:
    _install_thread_local_op()
    script = scripts_for("shared", migrations_dir)
    with engine.connect() as connection, connection.begin():
        connection.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, 0)))
        before, after = _run(connection, script, SHARED_VERSION_SCHEMA, direction, target)
        if direction == "upgrade" and after == script.get_current_head():
            # The functions that let the application role create tenant schemas carry this
            # code's tenant head: rewritten at every upgrade, under the same lock.
            from stoflow.db.provisioning import install_provisioning

            install_provisioning(connection)
        return before, after


def _migrate_schema_on(
    connection: Connection,
    script: ScriptDirectory,
    tenant_id: int,
    direction: Direction,
    target: str,
    *,
    registered: bool,
) -> tuple[str | None, str | None]:
    """One tenant schema, in its own transaction, on a connection that may serve several in turn."""
    schema = schema_for(tenant_id)
    # Connection options are replaced per schema: the translate map and the guard's own schema.
    connection.execution_options(**tenant_options(schema))
    with connection.begin():
        _current.schema = schema
        try:
            return _run(connection, script, schema, direction, target, check_exists=not registered)
        finally:
            _current.schema = None


def migrate_tenant_schema(
    engine: Engine,
    tenant_id: int,
    direction: Direction = "upgrade",
    target: str = "head",
    migrations_dir: Path | None = None,
) -> tuple[str | None, str | None]:
    _install_thread_local_op()
    script = scripts_for("tenant", migrations_dir)
    with engine.connect() as connection:
        return _migrate_schema_on(
            connection, script, validate_tenant_id(tenant_id), direction, target, registered=False
        )


@dataclass
class TenantOutcome:
    tenant_id: int
    ok: bool
    before: str | None = None
    after: str | None = None
    error: str | None = None


@dataclass
class FanoutReport:
    direction: Direction
    target: str
    total: int
    outcomes: list[TenantOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def succeeded(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def skipped(self) -> int:
        return self.total - len(self.outcomes)

    @property
    def ok(self) -> bool:
        return not self.failed and self.skipped == 0

    def summary(self) -> str:
        text = (
            f"{self.direction} to {self.target}: {len(self.succeeded)} ok, {len(self.failed)} failed, "
            f"{self.skipped} not attempted, of {self.total} tenant schemas in {self.seconds:.2f}s"
        )
        for outcome in self.failed[:20]:
            text += f"\n  tenant {outcome.tenant_id}: {outcome.error}"
        return text


def migrate_tenants(
    engine: Engine,
    direction: Direction = "upgrade",
    target: str = "head",
    *,
    tenant_ids: Iterable[int] | None = None,
    workers: int = 4,
    continue_on_error: bool = False,
    progress: bool | Callable[[int, int], None] = False,
    migrations_dir: Path | None = None,
) -> FanoutReport:
    """Fan a migration out over tenant schemas, `workers` at a time.

    Each worker keeps one connection and migrates schema after schema on it, each schema in its
    own transaction. At the first failure no new schema is started unless `continue_on_error`;
    schemas already running finish, so none is ever left half-migrated."""
    _install_thread_local_op()
    script = scripts_for("tenant", migrations_dir)  # refuses multiple heads before touching anything
    ids: Sequence[int] = list(tenant_ids) if tenant_ids is not None else registered_tenants(engine)
    report = FanoutReport(direction, target, len(ids))
    started = time.perf_counter()
    stop = threading.Event()
    lock = threading.Lock()
    bar = _progress_bar(progress, len(ids), direction)
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for tenant_id in ids:
        pending.put(tenant_id)

    def record(outcome: TenantOutcome) -> None:
        with lock:
            report.outcomes.append(outcome)
            done = len(report.outcomes)
        bar(done, len(ids))

    def worker() -> None:
        connection: Connection | None = None
        try:
            while not stop.is_set():
                try:
                    tenant_id = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    if connection is None or connection.invalidated:
                        connection = engine.connect()
                    before, after = _migrate_schema_on(
                        connection, script, tenant_id, direction, target, registered=True
                    )
                except Exception as exc:
                    if not continue_on_error:
                        stop.set()
                    log.warning("tenant %s: %s failed: %s", tenant_id, direction, exc)
                    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
                    record(TenantOutcome(tenant_id, False, error=message))
                else:
                    record(TenantOutcome(tenant_id, True, before, after))
        finally:
            if connection is not None:
                connection.close()

    threads = [
        threading.Thread(target=worker, name=f"migrate-{n}", daemon=True) for n in range(max(1, min(workers, len(ids))))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.outcomes.sort(key=lambda o: o.tenant_id)
    report.seconds = time.perf_counter() - started
    bar(-1, len(ids))
    return report


def _progress_bar(progress: bool | Callable[[int, int], None], total: int, label: str) -> Callable[[int, int], None]:
    if callable(progress):
        return progress
    if not progress:
        return lambda done, total: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"tenant {label}", unit="schema")

    def update(done: int, _total: int) -> None:
        if done < 0:
            bar.close()
        else:
            bar.n = done
            bar.refresh()

    return update


@dataclass
class Status:
    shared_current: str | None
    shared_head: str | None
    tenant_head: str | None
    tenants_by_revision: dict[str | None, int]

    @property
    def up_to_date(self) -> bool:
        return self.shared_current == self.shared_head and set(self.tenants_by_revision) <= {self.tenant_head}


def status(engine: Engine, migrations_dir: Path | None = None, workers: int = 4) -> Status:
    def current(connection: Connection, schema: str) -> str | None:
        return MigrationContext.configure(connection, opts={"version_table_schema": schema}).get_current_revision()

    with engine.connect() as connection, connection.begin():
        shared_current = current(connection, SHARED_VERSION_SCHEMA)
    by_revision: dict[str | None, int] = {}
    ids = registered_tenants(engine) if shared_current else []

    def tenant_revision(tenant_id: int) -> str | None:
        with tenant_engine(engine, tenant_id).connect() as connection, connection.begin():
            return current(connection, schema_for(tenant_id))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for revision in pool.map(tenant_revision, ids):
            by_revision[revision] = by_revision.get(revision, 0) + 1
    return Status(
        shared_current,
        head_revision("shared", migrations_dir),
        head_revision("tenant", migrations_dir),
        by_revision,
    )


__all__ = [
    "TENANT_PLACEHOLDER",
    "FanoutReport",
    "Status",
    "TenantOutcome",
    "head_revision",
    "migrate_shared",
    "migrate_tenant_schema",
    "migrate_tenants",
    "registered_tenants",
    "scripts_for",
    "status",
    "tenant_schema",
]
