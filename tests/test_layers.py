"""Lower layers never import higher ones: the data layer and the models read only their own layer,
the cause enumeration and the error types (and the package version)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LSLIB = Path(__file__).resolve().parents[1] / "lslib"
ALLOWED = {
    "data": ("lslib.data", "lslib.causes", "lslib.errors"),
    "models": ("lslib.models", "lslib.causes", "lslib.errors"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``lslib`` module a file imports, anywhere in it (also inside functions), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("lslib"):
            names = [node.module] if node.module != "lslib" else [f"lslib.{a.name}" for a in node.names]
            found += [(node.lineno, name) for name in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("lslib")]
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_lower_layers_import_no_higher_module(layer):
    offenders = []
    for path in sorted((LSLIB / layer).rglob("*.py")):
        for line, module in _imports(path):
            if module == "lslib.__version__":
                continue
            if not module.startswith(ALLOWED[layer]):
                offenders.append(f"{path.relative_to(LSLIB.parent)}:{line} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_the_layer_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from lslib.metrics import auroc\n")
    assert _imports(source) == [(2, "lslib.metrics")]
