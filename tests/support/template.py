"""Template checks shared by the contract tests: cfn-lint's findings on a template file."""

from __future__ import annotations

from pathlib import Path

import pytest


def lint(path: Path) -> list[str]:
    try:
        from cfnlint.api import lint_file
    except ImportError:  # pragma: no cover - a dev dependency
        pytest.fail("cfn-lint is missing: run `make install` (it is in the dev extras)")
    return [f"{match.rule.id} line {match.linenumber}: {match.message}" for match in lint_file(path)]
