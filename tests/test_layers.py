"""The allowed imports of lslib form a DAG, checked for every package and module.

Layers, from the bottom up (each may import the layers above it in this list, never those below):

1. ``causes`` and ``errors``;
2. ``data`` and ``models`` (independent of each other);
3. ``evaluation`` (numpy and scipy only: never torch);
4. ``training``;
5. ``analysis``;
6. ``chapters``: one module per notebook, which never import one another (shared parts move down
   a layer); besides the layers below they may use the run report and the parameter check of
   ``book``;
7. ``figures``: ``figures/<stem>`` imports its own chapter and the layers below, and the shared
   figure helpers (``provenance``, ``common``, ``notebook``), never another chapter's figures.

``book`` (pipeline, build, check, report) runs notebooks and imports no chapter, figure or workflow.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LSLIB = Path(__file__).resolve().parents[1] / "lslib"
BASE = ("lslib.causes", "lslib.errors", "lslib.__version__")
BOOK_FOR_CHAPTERS = ("lslib.book.report", "lslib.book.parameters")
FIGURE_HELPERS = ("lslib.figures.provenance", "lslib.figures.common", "lslib.figures.notebook")
BELOW = {
    "data": BASE + ("lslib.data",),
    "models": BASE + ("lslib.models",),
    "evaluation": BASE + ("lslib.data", "lslib.evaluation"),
    "training": BASE + ("lslib.data", "lslib.models", "lslib.evaluation", "lslib.training"),
    "analysis": BASE + ("lslib.data", "lslib.models", "lslib.evaluation", "lslib.training", "lslib.analysis"),
    "book": BASE + ("lslib.book",),
}
CHAPTER_BASE = BELOW["analysis"] + BOOK_FOR_CHAPTERS
#: Top-level modules: what each may import.
TOP = {"causes": BASE, "errors": BASE, "__init__": BASE, "__main__": ("lslib.book.cli",)}


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


def _allowed(relative: Path) -> tuple[str, ...]:
    """The module prefixes that the file at ``relative`` (inside ``lslib/``) may import."""
    parts = relative.with_suffix("").parts
    if len(parts) == 1:
        if parts[0] not in TOP:
            raise KeyError(f"lslib/{relative} is a top-level module without a layer: add it to TOP")
        return TOP[parts[0]]
    package, stem = parts[0], parts[-1]
    if package == "chapters":
        return CHAPTER_BASE + ((f"lslib.chapters.{stem}",) if stem != "__init__" else ())
    if package == "figures":
        own = (f"lslib.figures.{stem}", f"lslib.chapters.{stem}")
        return CHAPTER_BASE + FIGURE_HELPERS + (own if stem != "__init__" else ())
    if package not in BELOW:
        raise KeyError(f"lslib/{package} is a package without a layer: add it to BELOW")
    return BELOW[package]


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(root: Path = LSLIB) -> list[str]:
    """Every import under ``root`` (an ``lslib`` folder) that its layer does not allow."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        allowed = _allowed(relative)
        for line, module in _imports(path):
            if not _matches(module, allowed):
                offenders.append(f"lslib/{relative}:{line} imports {module}")
    return offenders


def test_every_import_follows_the_layers():
    assert violations() == []


def test_every_package_has_a_layer():
    packages = {p.parent.relative_to(LSLIB).parts[0] for p in LSLIB.rglob("__init__.py") if p.parent != LSLIB}
    assert packages == set(BELOW) | {"chapters", "figures"}


@pytest.fixture
def planted(tmp_path) -> Path:
    copy = tmp_path / "lslib"
    shutil.copytree(LSLIB, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_chapter_importing_another_chapter_fails(planted):
    module = planted / "chapters" / "cross_continent.py"
    module.write_text(module.read_text() + "\nfrom lslib.chapters.predictor import window_datasets  # planted\n")
    found = violations(planted)
    assert len(found) == 1 and found[0].startswith("lslib/chapters/cross_continent.py:")
    assert found[0].endswith("imports lslib.chapters.predictor")


def test_a_lower_layer_importing_a_higher_one_fails(planted):
    (planted / "data" / "planted.py").write_text("def f():\n    from lslib.training.loop import fit\n")
    (planted / "figures" / "vae.py").write_text("from lslib.figures.predictor import lead_figure\n")
    (planted / "book" / "planted.py").write_text("import lslib.chapters.vae\n")
    assert violations(planted) == [
        "lslib/book/planted.py:1 imports lslib.chapters.vae",
        "lslib/data/planted.py:2 imports lslib.training.loop",
        "lslib/figures/vae.py:1 imports lslib.figures.predictor",
    ]


def test_a_new_package_without_a_layer_is_refused(planted):
    (planted / "extras").mkdir()
    (planted / "extras" / "__init__.py").write_text("")
    with pytest.raises(KeyError, match="lslib/extras is a package without a layer"):
        violations(planted)


def test_the_layer_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from lslib.evaluation import auroc\n")
    assert _imports(source) == [(2, "lslib.evaluation")]


def test_evaluation_loads_without_torch():
    code = "import sys, lslib.evaluation; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
