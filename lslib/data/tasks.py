"""The forecasting task on a stack: which frames a model may see, and how hard the task is.

A site's *reference time* is its slide's event time, or a matched date for a site that did not
slide. Forecasting windows end before it: a frame acquired on or after the reference time would
leak the outcome.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from lslib.data.indices import ndvi_stack
from lslib.data.splits import split_sites
from lslib.metrics import auroc, roc_curve
from lslib.models.baselines import fs_oracle_score, ndvi_drop_score

__all__ = ["frames_before_reference", "reference_day_index", "difficulty", "assert_no_leak"]


def frames_before_reference(stack: xr.Dataset, lead_days: float = 0.0) -> np.ndarray:
    """``(site, time)`` True for frames acquired more than ``lead_days`` before the reference time."""
    limit = stack["reference_time"].values[:, None] - np.timedelta64(int(round(lead_days * 86400)), "s")
    return stack["date"].values < limit


def reference_day_index(stack: xr.Dataset) -> np.ndarray:
    """Index of each site's reference day on the ``day`` calendar."""
    return ((stack["reference_time"].values - stack["day"].values[0]) / np.timedelta64(1, "D")).astype(int)


def difficulty(stack: xr.Dataset, held_out: bool = True, seed: int = 0) -> dict[str, object]:
    """How hard the forecasting task is: AUROC of an NDVI-drop baseline, with and without cloud
    masking, and of an oracle reading the hidden factor-of-safety history.

    Parameters
    ----------
    stack : xarray.Dataset
        A simulated stack (needs the oracle variables ``fs_min`` and ``fs_unstable_px``).
    held_out : bool
        Score only the validation and test sites of :func:`lslib.data.splits.split_sites`
        (the sites later chapters never train on).
    seed : int
        Seed of the split.

    Returns
    -------
    dict
        ``auroc_ndvi_threshold`` (cloud-masked), ``auroc_ndvi_naive`` (clouds included),
        ``auroc_fs_oracle``, ``n_sites``, ``n_landslides`` and ``roc`` curves per method.
    """
    sites = np.arange(stack.sizes["site"])
    if held_out:
        sites = np.nonzero(split_sites(stack["landslide"].values.astype(int), seed=seed) != "train")[0]
    subset = stack.isel(site=sites)
    labels = subset["landslide"].values.astype(bool)
    usable = frames_before_reference(subset)
    scores = {
        "ndvi_threshold": ndvi_drop_score(ndvi_stack(subset).values, usable),
        "ndvi_naive": ndvi_drop_score(ndvi_stack(subset, masked=False).values, usable),
        "fs_oracle": fs_oracle_score(subset["fs_min"].values, subset["fs_unstable_px"].values,
                                     reference_day_index(subset)),
    }
    result: dict[str, object] = {"n_sites": int(len(sites)), "n_landslides": int(labels.sum())}
    both_classes = 0 < labels.sum() < len(labels)
    if not both_classes:
        warnings.warn(f"The {len(labels)} scored sites hold one class only: AUROC is undefined (NaN)", stacklevel=2)
    result.update({f"auroc_{name}": auroc(labels, value) if both_classes else float("nan")
                   for name, value in scores.items()})
    result["roc"] = {name: roc_curve(labels, value) for name, value in scores.items()} if both_classes else {}
    return result


def assert_no_leak(window_dates: np.ndarray, reference_time) -> None:
    """Refuse a window with a frame acquired on or after the reference (event) time: it would leak the outcome."""
    late = np.asarray(window_dates) >= np.datetime64(reference_time, "ns")
    if late.any():
        raise ValueError(f"The window ends after the event ({str(np.asarray(window_dates)[late][0])[:10]} >= "
                         f"{str(np.datetime64(reference_time, 'D'))}): frames on or after it would leak the outcome")
