"""template.yaml: it lints offline with cfn-lint, and every function it declares can be run."""

import re

import pytest

from infra.local.functions import load_handler
from infra.local.template import REPO_ROOT, TEMPLATE_PATH, load_template
from tests.support.template import lint


def test_the_template_passes_cfn_lint():
    assert lint(TEMPLATE_PATH) == []


def test_cfn_lint_does_catch_a_broken_template(tmp_path):
    # The check above is only worth something if the linter really reads this kind of template.
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE_PATH.read_text().replace("MemorySize: 512", "MemorySize: lots", 1))
    assert lint(broken) != []


TEMPLATE = load_template()
FUNCTIONS = TEMPLATE.functions
MAKEFILE_BUILT = [
    f for f in FUNCTIONS if (TEMPLATE.resources[f.logical_id].get("Metadata") or {}).get("BuildMethod") == "makefile"
]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_handler_imports_to_a_callable(function):
    assert callable(load_handler(function))


@pytest.mark.parametrize("function", MAKEFILE_BUILT, ids=lambda f: f.logical_id)
def test_every_makefile_built_function_has_its_make_target(function):
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(rf"^build-{function.logical_id}:", makefile, re.MULTILINE)
    assert f"functions/{function.code_uri.name}/" in makefile
