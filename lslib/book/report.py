"""Record a chapter's key numbers for the run report: the machine-readable truth behind the prose.

A notebook calls :func:`record` for every number its prose quotes. When the pipeline runs the
notebook it points ``LSLIB_METRICS_FILE`` at ``<run_dir>/metrics/<chapter>.json`` and copies those
numbers into ``report.json``; a notebook run on its own (plain papermill or Jupyter) writes them
to ``metrics.json`` in its working directory.

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

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["record", "recorded", "metrics_path", "METRICS_ENV", "write_json_atomic"]

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
