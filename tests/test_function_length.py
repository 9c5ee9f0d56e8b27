"""No function of lslib is longer than 80 lines of code (its docstring aside): long functions split at their
seams. A function listed in :data:`TO_SPLIT` is known and waiting to be split; the list may only shrink."""

from __future__ import annotations

import ast
from pathlib import Path

LSLIB = Path(__file__).resolve().parents[1] / "lslib"
MAX_LINES = 80
#: Functions over the limit today (``path::name``), to be split; a new long function fails the test.
TO_SPLIT: set[str] = set()


def code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's last line, less its docstring's."""
    lines = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def long_functions(source: str, name: str) -> dict[str, int]:
    """``name::function`` of every function in ``source`` longer than :data:`MAX_LINES`, with its length."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and code_lines(node) > MAX_LINES:
            found[f"{name}::{node.name}"] = code_lines(node)
    return found


def test_no_function_is_longer_than_80_lines():
    found = {}
    for path in sorted(LSLIB.rglob("*.py")):
        found.update(long_functions(path.read_text(), path.relative_to(LSLIB).as_posix()))
    new = {name: lines for name, lines in found.items() if name not in TO_SPLIT}
    assert not new, f"functions over {MAX_LINES} lines of code; split them at their seams: {new}"
    done = TO_SPLIT - set(found)
    assert not done, f"these are short now: remove them from TO_SPLIT: {sorted(done)}"


def test_the_check_finds_a_long_function_and_ignores_docstrings():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    docstring = '    """' + "\n" * 30 + '    """\n'
    assert long_functions(f"def f():\n{body}\n", "m.py") == {"m.py::f": MAX_LINES + 1}
    assert long_functions(f"def g():\n{docstring}{body[: body.rindex(chr(10))]}\n", "m.py") == {}
