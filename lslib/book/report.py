"""Record a chapter's key numbers for the run report: the machine-readable truth behind the prose.

A notebook calls :func:`record` for every number its prose quotes. When the pipeline runs the
notebook it points ``LSLIB_METRICS_FILE`` at ``<run_dir>/metrics/<chapter>.json`` and copies those
numbers into ``report.json``; a notebook run on its own (plain papermill or Jupyter) writes them
to ``metrics.json`` in its working directory.

:func:`publish` records a number and glues it for the prose in one call, and each chapter ends in a
list of :class:`Finding` (its ``summary``), which the book's introduction renders as one table.

Examples
--------
>>> import os, tempfile
>>> os.environ[METRICS_ENV] = os.path.join(tempfile.mkdtemp(), "m.json")
>>> record("n_events", 11032)
11032
>>> record("share", np.float32(0.5))
np.float32(0.5)
>>> recorded()
{'n_events': 11032, 'share': 0.5}
>>> del os.environ[METRICS_ENV]
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "record",
    "recorded",
    "publish",
    "metrics_path",
    "METRICS_ENV",
    "write_json_atomic",
    "Finding",
    "Answer",
    "answers",
    "PROVENANCES",
    "format_number",
    "findings_table",
    "value_of",
    "interval_of",
]

METRICS_ENV = "LSLIB_METRICS_FILE"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def metrics_path() -> Path:
    """Where :func:`record` writes: ``$LSLIB_METRICS_FILE``, else ``./metrics.json``."""
    return Path(os.environ.get(METRICS_ENV) or "metrics.json")


def _to_json(value: Any, name: str) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_to_json(v, name) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, dict):
        return {str(k): _to_json(v, name) for k, v in value.items()}
    if value is None:
        return None
    raise TypeError(f"Metric {name!r} has type {type(value).__name__}, which the run report cannot hold")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=2, sort_keys=False)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def recorded(path: Path | None = None) -> dict[str, Any]:
    """All metrics recorded so far in ``path`` (default :func:`metrics_path`)."""
    target = path or metrics_path()
    if not target.is_file():
        return {}
    return json.loads(target.read_text(encoding="utf-8"))


def record(name: str, value: Any) -> Any:
    """Record one named number (or short list/dict of numbers) and return ``value`` unchanged.

    Parameters
    ----------
    name : str
        A Python-identifier-like key, e.g. ``"auroc_ndvi_threshold"``; recording it again replaces it.
    value : number, str, bool, list or dict
        NumPy scalars and arrays are converted; NaN and infinity are stored as ``null``.

    Raises
    ------
    ValueError
        ``name`` is not identifier-like.
    TypeError
        ``value`` cannot be stored as JSON.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"Metric name {name!r} must look like a Python identifier")
    converted = _to_json(value, name)
    target = metrics_path()
    metrics = recorded(target)
    metrics[name] = converted
    write_json_atomic(target, metrics)
    return value


def publish(name: str, value: Any, text: str | None = None, display: bool = False) -> Any:
    """Record ``value`` in the run report as :func:`record` does and glue it for the prose under the same name.

    One call replaces a :func:`record` and a ``myst_nb.glue`` of the same quantity: the prose quotes
    ``{glue:text}`name``` and the run report holds ``name``.

    Parameters
    ----------
    name : str
        The metric's name (identifier-like), used for the report and for the glue.
    value : number, str, bool, list or dict
        What the run report records (see :func:`record`).
    text : str, optional
        What the prose shows, e.g. ``f"{value:.3f}"``; the value itself when None.
    display : bool
        Whether the glued value is also shown in the cell's output (default: no).

    Returns
    -------
    object
        ``value``, unchanged.

    Raises
    ------
    ValueError, TypeError
        As :func:`record`; nothing is glued then.
    """
    record(name, value)
    from myst_nb import glue  # imported here: lslib.book loads without a Jupyter kernel

    glue(name, value if text is None else text, display=display)
    return value


PROVENANCES = ("real", "simulated")


def value_of(metrics: dict[str, Any], name: str, index: int | str | None = None) -> float:
    """``metrics[name]`` (or its element ``index``: a position in a list, a key of a dict) as a float;
    NaN when it is missing or was recorded as null (a chapter's ``summary`` reads it this way, so a
    section that could not run reads as not measured).

    Examples
    --------
    >>> value_of({"ci": [0.1, 0.4], "recall": {"mining": 0.5}, "ece": None}, "ci", 1)
    0.4
    >>> value_of({"recall": {"mining": 0.5}}, "recall", "mining"), value_of({"ece": None}, "ece")
    (0.5, nan)
    """
    value = metrics.get(name)
    if index is not None and value is not None:
        try:
            value = value[index]
        except (IndexError, KeyError, TypeError):
            value = None
    return float("nan") if value is None else float(value)


def interval_of(metrics: Mapping[str, Any], name: str, scale: float = 1.0) -> tuple[float, float] | None:
    """The interval recorded as ``metrics[name]`` (a pair low, high), each end times ``scale``; None when
    either end is missing or NaN (read by :func:`value_of`), so a :class:`Finding` then has no interval.

    Examples
    --------
    >>> interval_of({"ci": [0.1, 0.4]}, "ci"), interval_of({"ci": [0.1, None]}, "ci"), interval_of({}, "ci")
    ((0.1, 0.4), None, None)
    >>> interval_of({"ci": [0.25, 0.5]}, "ci", scale=100)
    (25.0, 50.0)
    """
    low, high = (value_of(metrics, name, i) for i in (0, 1))
    return None if math.isnan(low) or math.isnan(high) else (scale * low, scale * high)


def format_number(value: float | None) -> str:
    """A number as a findings table shows it: whole numbers with thousands separators, three
    significant digits otherwise, ``n/a`` when missing.

    Examples
    --------
    >>> [format_number(v) for v in (11032, 0.46153, -0.0412, 54.597, 277.9, None, float("nan"))]
    ['11,032', '0.462', '-0.0412', '54.6', '278', 'n/a', 'n/a']
    """
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Finding:
    """One answer of a chapter, generated from the numbers of its run.

    Parameters
    ----------
    question : str
        The question, e.g. "Does the ensemble beat the random forest?".
    answer : str
        A sentence built from the numbers (a goal missed reads as missed).
    key_number : float or None
        The number the answer rests on (None when the run could not measure it).
    interval : tuple of float, or None
        Its 95 % interval ``(low, high)``, when the chapter has one.
    provenance : {"real", "simulated"}
        Whether the number comes from real data or from the simulator.
    metric : str
        What ``key_number`` is, with its unit where it has one, e.g. "AUROC" or "percentile".

    Examples
    --------
    >>> finding = Finding("Rain?", "Mostly.", 0.97, None, "real", metric="share of known triggers")
    >>> finding.key_text()
    'share of known triggers 0.97'
    >>> Finding.from_json(finding.as_json()) == finding
    True
    """

    question: str
    answer: str
    key_number: float | None
    interval: tuple[float, float] | None
    provenance: str
    metric: str = ""

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"provenance must be one of {PROVENANCES}, got {self.provenance!r}")
        if self.key_number is not None:
            object.__setattr__(self, "key_number", float(self.key_number))
        if self.interval is not None:
            low, high = self.interval
            object.__setattr__(self, "interval", (float(low), float(high)))

    def as_json(self) -> dict[str, Any]:
        """The finding as plain JSON types, for :func:`record` (NaN stays NaN until recorded, then null)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "key_number": self.key_number,
            "interval": None if self.interval is None else list(self.interval),
            "provenance": self.provenance,
            "metric": self.metric,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The finding :meth:`as_json` wrote (as read back from a run report)."""
        interval = data.get("interval")
        return cls(
            data["question"],
            data["answer"],
            data.get("key_number"),
            None if interval is None or None in interval else tuple(interval),
            data["provenance"],
            data.get("metric", ""),
        )

    def key_text(self) -> str:
        """``metric value [low, high]``, e.g. ``AUROC 0.462 [0.238, 0.678]``."""
        text = format_number(self.key_number)
        if self.interval is not None:
            text += f" [{format_number(self.interval[0])}, {format_number(self.interval[1])}]"
        return f"{self.metric} {text}".strip()


class Answer(NamedTuple):
    """What a chapter's answering function returns; :func:`answers` adds the question and makes it a :class:`Finding`.

    Attributes
    ----------
    text : str
        The answer, a sentence built from the numbers.
    key_number : float or None
        The number it rests on (NaN or None when not measured).
    interval : tuple of float, or None
        Its 95 % interval, when the chapter has one.
    context : mapping of str to str, or None
        Names that fill the question's ``{fields}`` (e.g. the chapter's target region, a parameter).
    """

    text: str
    key_number: float | None
    interval: tuple[float, float] | None = None
    context: Mapping[str, str] | None = None


def answers(
    question: str, provenance: str, metric: str = ""
) -> Callable[[Callable[..., Answer]], Callable[..., Finding]]:
    """Declare the question a function answers, above the function: calling it then returns a :class:`Finding`.

    The question, its provenance and the key number's metric are fixed text, read before the code that
    builds the answer from the run's numbers (a question's ``{fields}`` are filled from the answer's
    ``context``); the decorated function keeps its name and docstring, and ``question`` is its attribute.

    Parameters
    ----------
    question : str
        The question, e.g. "Are the simulator's clouds like real clouds?".
    provenance : {"real", "simulated"}
        Whether the key number comes from real data or from the simulator (checked here, at import).
    metric : str
        What the key number is, with its unit where it has one.

    Returns
    -------
    callable
        A decorator of a function returning an :class:`Answer`.

    Examples
    --------
    >>> @answers("Rain?", "real", metric="share of known triggers")
    ... def rain(metrics):
    ...     return Answer(f"Mostly: {metrics['rain']:.0%}.", metrics["rain"])
    >>> finding = rain({"rain": 0.97})
    >>> finding.answer, finding.key_text(), rain.question
    ('Mostly: 97%.', 'share of known triggers 0.97', 'Rain?')
    """
    if provenance not in PROVENANCES:
        raise ValueError(f"provenance must be one of {PROVENANCES}, got {provenance!r}")

    def decorate(function: Callable[..., Answer]) -> Callable[..., Finding]:
        @functools.wraps(function)
        def finding(*args: Any, **kwargs: Any) -> Finding:
            text, key_number, interval, context = function(*args, **kwargs)
            return Finding(question.format_map(context or {}), text, key_number, interval, provenance, metric)

        finding.question = question
        return finding

    return decorate


NOT_MEASURED = "Not measured in this run."


def _measured(metrics: Mapping[str, Any], name: str) -> bool:
    """Whether ``metrics[name]`` was recorded: a number that is not NaN, or a list (an interval)
    none of whose elements is missing or NaN."""
    value = metrics.get(name)
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(not math.isnan(value_of(metrics, name, i)) for i in range(len(value)))
    return not math.isnan(value_of(metrics, name))


def needs(*names: str, missing: str = NOT_MEASURED) -> Callable[[Callable[..., Answer]], Callable[..., Answer]]:
    """Declare the metrics an answering function cannot answer without, below its :func:`answers`.

    When one of them is missing or NaN in the metrics (the function's first argument; a recorded
    interval, a list, when either end is), the answer is ``missing`` with a NaN key number and the
    function is not called, so its body may assume them measured.

    Parameters
    ----------
    *names : str
        The metrics, e.g. ``"cloud_ks"``.
    missing : str, default "Not measured in this run."
        The answer without them, e.g. "Not measured: the catalog could not be read in this run.".

    Returns
    -------
    callable
        A decorator that keeps the function's signature and returns its :class:`Answer`, or the
        ``missing`` one.

    Examples
    --------
    Below :func:`answers`, so the question is still asked when the metrics are missing:

    >>> @answers("Rain?", "real", metric="share of known triggers")
    ... @needs("rain", missing="Not measured: no catalog.")
    ... def rain(metrics):
    ...     return Answer(f"Mostly: {metrics['rain']:.0%}.", metrics["rain"])
    >>> rain({"rain": 0.97}).answer, rain({"rain": None}).answer, rain({}).key_text()
    ('Mostly: 97%.', 'Not measured: no catalog.', 'share of known triggers n/a')
    """
    if not names:
        raise ValueError("needs() takes at least one metric name")

    def decorate(function: Callable[..., Answer]) -> Callable[..., Answer]:
        @functools.wraps(function)
        def answer(metrics: Mapping[str, Any], *args: Any, **kwargs: Any) -> Answer:
            if all(_measured(metrics, name) for name in names):
                return function(metrics, *args, **kwargs)
            return Answer(missing, math.nan)

        return answer

    return decorate


def findings_table(findings: Iterable[Finding]):
    """The findings as a table to show in a notebook: a pandas ``Styler`` (which, unlike a plain
    DataFrame, shows long answers in full) of question, answer, key number and data; its ``.data``
    is the DataFrame."""
    import pandas as pd

    rows = [
        {"question": f.question, "answer": f.answer, "key number": f.key_text(), "data": f.provenance} for f in findings
    ]
    frame = pd.DataFrame(rows, columns=["question", "answer", "key number", "data"]).set_index("question")
    return frame.style.set_properties(**{"text-align": "left"})
