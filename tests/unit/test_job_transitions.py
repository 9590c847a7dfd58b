"""stoflow.jobs.transitions is the only code that changes a job's status, attempts or outcome:
its table of allowed moves, and a scan of the layer for any other writer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stoflow.jobs import transitions
from stoflow.jobs.transitions import TRANSITIONS, IllegalTransition, allowed
from stoflow.models.jobs import FINAL_STATUSES, JOB_STATUSES, MarketplaceJob

LAYER = Path(transitions.__file__).resolve().parents[1]
TRANSITIONS_FILE = Path(transitions.__file__).resolve()
REPOSITORY = LAYER / "repositories" / "jobs.py"
# The repository's statements that move a job; only transitions.py may call them.
MOVING_STATEMENTS = {"claim", "finish", "settle"}


def test_the_table_covers_every_status_and_final_statuses_go_nowhere():
    assert set(TRANSITIONS) == set(JOB_STATUSES)
    for status in FINAL_STATUSES:
        assert TRANSITIONS[status] == frozenset()
    for targets in TRANSITIONS.values():
        assert targets <= set(JOB_STATUSES)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "running"),  # the claim
        ("pending", "cancelled"),  # cancelled before it ran
        ("pending", "failed"),  # expired before it ran
        ("running", "completed"),
        ("running", "pending"),  # a retry, or the reaper taking back a dead worker's attempt
        ("running", "waiting_extension"),  # parked for the browser extension
        ("running", "unknown_outcome"),
        ("waiting_extension", "waiting_extension"),  # a note: sent, offline, queued again
        ("waiting_extension", "completed"),
        ("waiting_extension", "unknown_outcome"),  # a write's deadline missed
        ("unknown_outcome", "pending"),  # requeued to reconcile by a read
        ("unknown_outcome", "completed"),  # the read found the write
        ("unknown_outcome", "cancelled"),
    ],
)
def test_the_moves_the_job_system_makes_are_allowed(current, target):
    assert allowed(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("completed", "pending"),
        ("failed", "running"),
        ("cancelled", "completed"),
        ("pending", "completed"),  # never without an attempt
        ("pending", "waiting_extension"),
        ("running", "running"),  # a second claim of the same attempt
    ],
)
def test_an_illegal_move_raises_before_any_statement(current, target):
    assert not allowed(current, target)

    class NoSession:
        def __getattr__(self, name):
            raise AssertionError("a statement was sent")

    with pytest.raises(IllegalTransition):
        transitions.settle(NoSession(), 1, [current], {"status": target})  # type: ignore[arg-type]
    if current == "running":
        with pytest.raises(IllegalTransition):
            transitions.finish(NoSession(), 1, 1, {"status": target})  # type: ignore[arg-type]


def test_a_new_job_is_pending_and_its_creator_cannot_say_otherwise():
    job = transitions.new_job(marketplace="m", action="a")
    assert (job["status"], job["attempts"]) == ("pending", 0)
    with pytest.raises(IllegalTransition):
        transitions.new_job(marketplace="m", action="a", status="running")


def test_a_note_keeps_the_status_and_changes_only_what_it_may():
    job = MarketplaceJob(status="waiting_extension", attempts=1)
    transitions.note(job, error_code="sent_to_extension", error_message="sent")
    assert (job.status, job.error_code) == ("waiting_extension", "sent_to_extension")
    with pytest.raises(IllegalTransition):
        transitions.note(job, status="completed")
    with pytest.raises(IllegalTransition):
        transitions.note(MarketplaceJob(status="completed"), error_code="x")


def _layer_modules() -> list[Path]:
    return [p for p in LAYER.rglob("*.py") if p != TRANSITIONS_FILE]


def _repository_aliases(tree: ast.AST) -> set[str]:
    """Names under which a module holds stoflow.repositories.jobs."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "stoflow.repositories":
            aliases |= {a.asname or a.name for a in node.names if a.name == "jobs"}
        if isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name == "stoflow.repositories.jobs" and a.asname}
    return aliases


def _statement_calls(tree: ast.AST) -> list[str]:
    """Calls of the repository's moving statements (imported by name or through the module)."""
    aliases = _repository_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "stoflow.repositories.jobs":
            found += [f"imports {a.name}" for a in node.names if a.name in MOVING_STATEMENTS]
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MOVING_STATEMENTS
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{node.lineno} {node.value.id}.{node.attr}")
    return found


def _state_writes(tree: ast.AST, *, repository: bool = False) -> list[str]:
    """`x.<state column> = ...` (attempts, result, error_code, error_message, finished_at,
    needs_reconcile, cancel_requested; `status` on anything named like a job), MarketplaceJob(...),
    and UPDATE of marketplace_jobs outside its repository."""
    job_only = transitions.OUTCOME_COLUMNS | {"attempts", "cancel_requested"}
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if not isinstance(target, ast.Attribute):
                continue
            base = ast.unparse(target.value).lower()
            if target.attr in job_only or (target.attr == "status" and ("job" in base or "settled" in base)):
                found.append(f"{node.lineno} {ast.unparse(target)}")
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "MarketplaceJob":
            found.append(f"{node.lineno} MarketplaceJob(...)")
        if not repository and isinstance(node, ast.Call) and ast.unparse(node) == "update(MarketplaceJob)":
            found.append(f"{node.lineno} update(MarketplaceJob)")
    return found


def test_no_module_but_transitions_calls_the_moving_statements():
    offenders = {
        str(path.relative_to(LAYER)): found
        for path in _layer_modules()
        if path != REPOSITORY and (found := _statement_calls(ast.parse(path.read_text())))
    }
    assert offenders == {}


def test_no_module_but_transitions_writes_a_jobs_state():
    offenders = {
        str(path.relative_to(LAYER)): found
        for path in _layer_modules()
        if path.parent.name != "models"
        and (found := _state_writes(ast.parse(path.read_text()), repository=path == REPOSITORY))
    }
    assert offenders == {}


def test_the_scans_see_a_writer():
    """The scans are not vacuous: they flag a module written the way this project forbids."""
    sample = ast.parse(
        "from stoflow.repositories import jobs as r\n"
        "from stoflow.repositories.jobs import finish\n"
        "def f(job, session):\n"
        "    job.attempts = 2\n"
        "    job.status = 'completed'\n"
        "    r.settle(session, 1, ['pending'], {})\n"
        "    session.execute(update(MarketplaceJob).values(status='failed'))\n"
    )
    assert _statement_calls(sample) == ["imports finish", "6 r.settle"]
    assert _state_writes(sample) == ["4 job.attempts", "5 job.status", "7 update(MarketplaceJob)"]
