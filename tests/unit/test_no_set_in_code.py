"""A static check beside the wire test: the code never names search_path nor a SET statement."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


# SQL keywords are written in capitals in this code base; "Set up ..." in prose is not SQL.
SEARCH_PATH = re.compile(r"search_path", re.IGNORECASE)
SET_STATEMENT = re.compile(
    r"\bSET\s+(LOCAL\s+|SESSION\s+)?(?!NULL\b|DEFAULT\b)\w+\s*(=|\bTO\b)|\bRESET\s+\w+|\bSET\s+ROLE\b"
    r"|\bDISCARD\s+ALL\b"
)
AUTOCOMMIT = re.compile(r"isolation_level\s*=\s*[\"']AUTOCOMMIT")


def offenders(folders: tuple[str, ...], pattern: re.Pattern[str]) -> list[str]:
    found = []
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_the_code_never_names_search_path_or_a_set_statement():
    folders = ("layers", "functions", "infra", "migrations")
    assert offenders(folders, SEARCH_PATH) == []
    assert offenders(folders, SET_STATEMENT) == []


def test_the_application_never_runs_in_autocommit():
    # The local cloud may create its database (CREATE DATABASE cannot run in a transaction); the
    # application and its migrations never leave transactions.
    assert offenders(("layers", "functions", "migrations"), AUTOCOMMIT) == []


def test_the_patterns_catch_what_they_are_for():
    for line in (
        'text("SET search_path TO user_1")',
        'conn.exec_driver_sql("SET LOCAL statement_timeout = 5")',
        '"SET ROLE tenant"',
        '"RESET ALL"',
        'isolation_level="AUTOCOMMIT"',
    ):
        assert SEARCH_PATH.search(line) or SET_STATEMENT.search(line) or AUTOCOMMIT.search(line), line
    for line in ('ForeignKey("x.id", ondelete="SET NULL")', "# Set up a WebSocket API", '"UPDATE t SET DEFAULT"'):
        assert not (SEARCH_PATH.search(line) or SET_STATEMENT.search(line)), line


def test_the_run_wide_wire_check_classifies_statements():
    from tests.conftest import wire_breach

    assert wire_breach("SET search_path TO user_1", True, False)
    assert wire_breach("set local statement_timeout = 5", True, False)
    assert wire_breach("SELECT 1", False, False)  # a statement outside a transaction
    assert wire_breach("SELECT 1", True, False) is None
    assert wire_breach("begin transaction", False, False) is None
    assert wire_breach("CREATE DATABASE x", False, True) is None  # the admin connection
    assert wire_breach("SET search_path TO x", False, True)  # never, even there
