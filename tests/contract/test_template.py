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
def test_every_makefile_built_function_has_its_make_target_in_its_own_folder(function):
    code_uri = TEMPLATE.resources[function.logical_id]["Properties"]["CodeUri"]
    makefile = (REPO_ROOT / code_uri / "Makefile").read_text()
    assert re.search(rf"^build-{function.logical_id}:", makefile, re.MULTILINE)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_no_function_is_built_from_the_repository_root(function):
    # `sam build` copies CodeUri: the root would bring .venv, local data and the database socket.
    code_uri = TEMPLATE.resources[function.logical_id]["Properties"]["CodeUri"]
    folder = (REPO_ROOT / code_uri).resolve()
    assert folder.parent == REPO_ROOT / "functions", code_uri
    assert not (folder / ".venv").exists() and not (folder / ".stoflow-data").exists()


def test_the_migrator_folder_brings_the_alembic_trees():
    migrations = REPO_ROOT / "functions" / "migrator" / "migrations"
    assert migrations.is_symlink() and migrations.resolve() == REPO_ROOT / "migrations"
    assert (migrations / "shared").is_dir() and (migrations / "tenant").is_dir()
