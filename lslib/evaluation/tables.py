"""Intervals for reading: ``"value [low, high]"`` text, for one number or for whole tables.

Every table of the book that shows an estimate with its interval turns it into text here, so that all of
them read alike: the estimate, then its interval in brackets, with the same number of digits.

Examples
--------
>>> format_interval(0.8123, 0.75, 0.866)
'0.812 [0.750, 0.866]'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["format_interval", "interval_text"]


def format_interval(
    value: float, low: float | None = None, high: float | None = None, digits: int = 3, signed: bool = False
) -> str:
    """One estimate with its interval as text.

    Parameters
    ----------
    value : float
        The estimate.
    low, high : float, optional
        The bounds of its interval; without them only the value is written.
    digits : int, default 3
        Digits after the decimal point, for all three numbers.
    signed : bool, default False
        Write a ``+`` before positive numbers (for differences).

    Returns
    -------
    str
        ``"value [low, high]"``, or ``"value"``. Missing numbers (NaN) are written ``nan``, as Python does.

    Examples
    --------
    >>> format_interval(0.8123, 0.75, 0.866)
    '0.812 [0.750, 0.866]'
    >>> format_interval(0.05, -0.01, 0.11, digits=2, signed=True)
    '+0.05 [-0.01, +0.11]'
    >>> format_interval(0.5)
    '0.500'
    """
    spec = f"{'+' if signed else ''}.{digits}f"
    if low is None and high is None:
        return f"{value:{spec}}"
    return f"{value:{spec}} [{low:{spec}}, {high:{spec}}]"


def interval_text(
    table: pd.DataFrame,
    metrics: Sequence[str],
    digits: int = 3,
    *,
    bounds: Mapping[str, tuple[str, str]] | None = None,
    blank_degenerate: Collection[str] = (),
) -> pd.DataFrame:
    """A table of estimates and bounds for reading: one ``"value [low, high]"`` text column per metric.

    Parameters
    ----------
    table : pandas.DataFrame
        Numeric columns ``<metric>``, and for a metric with an interval ``<metric> low`` and
        ``<metric> high``.
    metrics : sequence of str
        The metrics to write, in this order; those that are not columns of ``table`` are left out.
    digits : int, default 3
        Digits after the decimal point.
    bounds : mapping of str to (str, str), optional
        The (low, high) columns of metrics whose bounds are named otherwise, e.g.
        ``{"ΔAUROC": ("Δ low", "Δ high")}``.
    blank_degenerate : collection of str, default ()
        Metrics whose rows with an empty interval (low equal to high, such as a reference model's
        difference to itself) are left blank rather than written as the value alone.

    Returns
    -------
    pandas.DataFrame
        Index of ``table``, one str column per metric written: ``"value [low, high]"``; the value alone
        where the metric has no bound columns or the interval is empty; ``""`` where the value is missing
        (not finite).

    Examples
    --------
    >>> table = pd.DataFrame({"AUROC": [0.81, 0.7], "AUROC low": [0.75, 0.7], "AUROC high": [0.87, 0.7],
    ...                       "ECE": [0.04, np.nan]}, index=["model", "baseline"])
    >>> interval_text(table, ["AUROC", "ECE", "F1"]).to_dict("list")
    {'AUROC': ['0.810 [0.750, 0.870]', '0.700'], 'ECE': ['0.040', '']}
    """
    bounds = dict(bounds or {})
    out = pd.DataFrame(index=table.index)
    for metric in metrics:
        if metric not in table:
            continue
        low, high = bounds.get(metric, (f"{metric} low", f"{metric} high"))
        if low not in table or high not in table:
            out[metric] = [
                format_interval(v, digits=digits) if np.isfinite(v) else "" for v in table[metric].to_numpy(float)
            ]
            continue
        blank = metric in blank_degenerate
        out[metric] = [
            format_interval(v, lo, hi, digits)
            if np.isfinite(v) and lo != hi
            else (format_interval(v, digits=digits) if np.isfinite(v) and not blank else "")
            for v, lo, hi in table[[metric, low, high]].to_numpy(float)
        ]
    return out
