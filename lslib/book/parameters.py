"""Validate a notebook's parameters at its top, with a message that names the bad value.

Examples
--------
>>> check("epochs", 5, int, minimum=1)
5
>>> check("source", "stac", str, choices=("simulator", "stac"))
'stac'
>>> check("epochs", 0, int, minimum=1)
Traceback (most recent call last):
...
lslib.errors.ParameterError: parameter 'epochs' must be >= 1, got 0
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lslib.errors import ParameterError

__all__ = ["check", "Bound", "check_all", "read_bounds"]


def check(
    name: str,
    value: Any,
    kind: type | tuple[type, ...],
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Iterable[Any] | None = None,
) -> Any:
    """Return ``value`` if it has type ``kind`` and lies within the bounds; raise otherwise.

    Parameters
    ----------
    name : str
        The parameter's name, used in the message.
    value : object
        The value the notebook received.
    kind : type or tuple of types
        Accepted types; ``float`` also accepts ``int``; ``bool`` is never accepted as a number.
    minimum, maximum : float, optional
        Inclusive bounds for numbers.
    choices : iterable, optional
        The allowed values.

    Raises
    ------
    ParameterError
        Naming the parameter, the expectation and the value received.
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = (*kinds, int)
    numeric = any(k in (int, float) for k in kinds)
    if not isinstance(value, kinds) or (numeric and isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ParameterError(f"parameter {name!r} must be {expected}, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"parameter {name!r} must be <= {maximum}, got {value!r}")
    if choices is not None:
        allowed = tuple(choices)
        if value not in allowed:
            raise ParameterError(f"parameter {name!r} must be one of {allowed}, got {value!r}")
    return value


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}


def _evaluate(expression: str, namespace: Mapping[str, Any]) -> float:
    """The value of a bound written as arithmetic over other parameters, e.g. ``"n_times - 3"``."""

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in namespace:
            return namespace[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ParameterError(f"bound {expression!r} may use numbers, parameter names and + - * / // only")

    return value(ast.parse(expression, mode="eval").body)


@dataclass(frozen=True)
class Bound:
    """What one parameter of a chapter may be: its type and, optionally, its range or choices.

    Parameters
    ----------
    kind : type or tuple of types
        Accepted types, as for :func:`check`.
    minimum, maximum : float or str, optional
        Inclusive bounds: a number, or arithmetic over the chapter's other parameters
        (``maximum="n_times - 3"``).
    choices : tuple, optional
        The allowed values.

    Examples
    --------
    >>> Bound(int, minimum=1, maximum="n_times - 3").check("max_lead", 4, {"n_times": 16})
    4
    >>> Bound(int, minimum=1, maximum="n_times - 3").check("max_lead", 14, {"n_times": 16})
    Traceback (most recent call last):
    ...
    lslib.errors.ParameterError: parameter 'max_lead' must be <= 13, got 14 (maximum n_times - 3 = 13)
    """

    kind: type | tuple[type, ...]
    minimum: float | str | None = None
    maximum: float | str | None = None
    choices: tuple | None = None

    def check(self, name: str, value: Any, namespace: Mapping[str, Any]) -> Any:
        """Return ``value`` if it satisfies the bound given the other parameters in ``namespace``."""
        limits = {}
        for side in ("minimum", "maximum"):
            limit = getattr(self, side)
            limits[side] = _evaluate(limit, namespace) if isinstance(limit, str) else limit
        try:
            return check(name, value, self.kind, choices=self.choices, **limits)
        except ParameterError as error:
            notes = [
                f"{side} {getattr(self, side)} = {limits[side]}"
                for side in ("minimum", "maximum")
                if isinstance(getattr(self, side), str)
            ]
            if notes:
                raise ParameterError(f"{error} ({'; '.join(notes)})") from None
            raise


def check_all(bounds: Mapping[str, Bound], namespace: Mapping[str, Any]) -> None:
    """Check every parameter named in ``bounds`` against the values in ``namespace``.

    This is the one check of a chapter: its notebook calls it on ``globals()`` (for a student running
    papermill directly), and the pipeline calls it on the resolved parameters before any kernel starts.

    Raises
    ------
    ParameterError
        For the first parameter that is missing or out of bounds, naming it.
    """
    for name, bound in bounds.items():
        if name not in namespace:
            raise ParameterError(f"parameter {name!r} has bounds but no value")
        bound.check(name, namespace[name], namespace)


_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Name) and node.id in _TYPES:
        return _TYPES[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item) for item in node.elts)
    return ast.literal_eval(node)


def read_bounds(source: str, where: str = "the bounds cell") -> dict[str, Bound]:
    """The ``BOUNDS = {name: Bound(...), ...}`` table of a notebook cell, read without executing it.

    Raises
    ------
    ParameterError
        The cell has no such table, or an entry is not a literal ``Bound(...)``.
    """
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["BOUNDS"]:
            if not isinstance(node.value, ast.Dict):
                break
            bounds = {}
            for key, call in zip(node.value.keys, node.value.values):
                if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Bound"):
                    raise ParameterError(f"{where}: every BOUNDS entry must be Bound(...), got {ast.unparse(call)}")
                try:
                    args = [_literal(a) for a in call.args]
                    kwargs = {k.arg: _literal(k.value) for k in call.keywords}
                except ValueError as error:
                    raise ParameterError(f"{where}: {ast.unparse(call)} is not a literal bound ({error})") from None
                bounds[_literal(key)] = Bound(*args, **kwargs)
            return bounds
    raise ParameterError(f"{where} has no BOUNDS = {{name: Bound(...)}} table")
