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

from typing import Any, Iterable

from lslib.errors import ParameterError

__all__ = ["check"]


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
