"""The dependency contracts (pyproject's [tool.importlinter], run by `make test` and `make lint`)
hold, and they would see a function-local import: most of the layer's lazy imports are inside
functions, and a contract blind to them could not fail."""

from __future__ import annotations

import ast
import inspect

import grimp

from stoflow.marketplaces import registry
from stoflow.realtime import router


def test_the_import_graph_includes_function_local_imports():
    source = inspect.getsource(router.MessageRouter._connection)
    local = [node for node in ast.walk(ast.parse(source.strip())) if isinstance(node, ast.ImportFrom)]
    assert [node.module for node in local] == ["stoflow.realtime.presence"]  # inside the method body
    graph = grimp.build_graph("stoflow")
    lines = {d["line_contents"] for d in graph.get_import_details(importer=router.__name__, imported=local[0].module)}
    assert "from stoflow.realtime.presence import seen" in lines


def test_the_package_graph_has_no_cycle():
    graph = grimp.build_graph("stoflow")
    packages = {m.split(".")[1] for m in graph.modules if m.count(".") >= 1}
    for a in packages:
        for b in packages:
            if a < b:
                assert not (
                    graph.chain_exists(f"stoflow.{a}", f"stoflow.{b}", as_packages=True)
                    and graph.chain_exists(f"stoflow.{b}", f"stoflow.{a}", as_packages=True)
                ), f"stoflow.{a} and stoflow.{b} import each other"


def test_the_contracts_hold():
    import subprocess
    import sys
    from pathlib import Path

    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint)], capture_output=True, text=True, check=False, cwd=Path(__file__).parents[2])
    assert out.returncode == 0, out.stdout[-3000:]
    assert "0 broken" in out.stdout


def test_importing_the_registry_loads_no_adapter():
    import subprocess
    import sys

    code = (
        "import sys, stoflow.marketplaces.registry as r; "
        "print(sorted(m for m in sys.modules if m.startswith(('httpx', 'stoflow.marketplaces.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == sorted(  # our own child's repr of a list of names
        ["stoflow.marketplaces.descriptor", "stoflow.marketplaces.registry"]
        + [f"stoflow.marketplaces.{m.name}" for m in registry.all_marketplaces()]
    )
