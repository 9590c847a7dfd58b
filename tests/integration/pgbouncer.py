"""Start a real PgBouncer in transaction pooling mode in front of the test database.

PgBouncer refuses to run as root: as root it is started with `-u` as an unprivileged user that can
reach the database (any user over TCP; the owner of the socket folder for the embedded server).
Its exit code is not trusted: we wait for its port.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

POOL_SIZE = 4

INSTALL_HINT = (
    "PgBouncer is needed for the transaction-pooling isolation tests: `make test` installs the Debian "
    "package `pgbouncer` (or run: apt-get install -y pgbouncer)"
)


def binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if found is None:
        raise RuntimeError(INSTALL_HINT)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target(url: URL) -> tuple[str, int, str | None]:
    """(host or socket folder, port, user who must run pgbouncer when we are root)."""
    unix_sock = url.query.get("unix_sock")
    if isinstance(unix_sock, str):
        folder = Path(unix_sock).parent
        owner = pwd.getpwuid(folder.stat().st_uid).pw_name
        return str(folder), int(unix_sock.rsplit(".", 1)[1]), owner
    return url.host or "127.0.0.1", url.port or 5432, "nobody"


@contextmanager
def running(url: URL) -> Iterator[URL]:
    """PgBouncer proxying `url`'s database; yields the URL to reach it."""
    exe = binary()
    host, port, run_as = _target(url)
    listen = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    user = url.username or "postgres"
    (workdir / "userlist.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {listen}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {workdir / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {POOL_SIZE}\n"
        "max_client_conn = 500\n"
        f"logfile = {workdir / 'pgbouncer.log'}\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    command = [exe, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(run_as)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
        for child in workdir.iterdir():
            os.chown(child, entry.pw_uid, entry.pw_gid)
        command[1:1] = ["-u", run_as]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = workdir / "pgbouncer.log"
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise RuntimeError(
                        f"pgbouncer did not start: {output} {log.read_text() if log.exists() else ''}"
                    ) from None
                time.sleep(0.05)
        yield URL.create("postgresql+pg8000", username=user, host="127.0.0.1", port=listen, database=url.database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)
