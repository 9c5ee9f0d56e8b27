"""The forecasting task on a stack: which frames a model may see (how hard the task is lives in
:mod:`lslib.analysis.difficulty`).

A site's *reference time* is its slide's event time, or a matched date for a site that did not
slide. Forecasting windows end before it: a frame acquired on or after the reference time would
leak the outcome.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["frames_before_reference", "reference_day_index", "assert_no_leak"]


def frames_before_reference(stack: xr.Dataset, lead_days: float = 0.0) -> np.ndarray:
    """``(site, time)`` True for frames acquired more than ``lead_days`` before the reference time."""
    limit = stack["reference_time"].values[:, None] - np.timedelta64(int(round(lead_days * 86400)), "s")
    return stack["date"].values < limit


def reference_day_index(stack: xr.Dataset) -> np.ndarray:
    """Index of each site's reference day on the ``day`` calendar."""
    return ((stack["reference_time"].values - stack["day"].values[0]) / np.timedelta64(1, "D")).astype(int)


def assert_no_leak(window_dates: np.ndarray, reference_time) -> None:
    """Refuse a window with a frame acquired on or after the reference (event) time: it would leak the outcome."""
    late = np.asarray(window_dates) >= np.datetime64(reference_time, "ns")
    if late.any():
        raise ValueError(
            f"The window ends after the event ({str(np.asarray(window_dates)[late][0])[:10]} >= "
            f"{str(np.datetime64(reference_time, 'D'))}): frames on or after it would leak the outcome"
        )
