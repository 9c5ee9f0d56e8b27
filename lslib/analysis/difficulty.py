"""How hard the forecasting task of a stack is: the AUROC of simple baselines beside the ceiling of an
oracle that reads the simulator's hidden physics up to the last frame a forecaster sees (chapter 1).
Kept out of :mod:`lslib.data.tasks` so the data layer never imports models or metrics."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from lslib.analysis.oracles import fs_oracle_scores
from lslib.data.indices import ndvi_stack
from lslib.data.splits import split_sites
from lslib.data.tasks import frames_before_reference
from lslib.evaluation.classification import auroc, roc_curve
from lslib.models.baselines import ndvi_drop_score

__all__ = ["difficulty"]


def difficulty(stack: xr.Dataset, held_out: bool = True, seed: int = 0) -> dict[str, object]:
    """How hard the forecasting task is: AUROC of an NDVI-drop baseline, with and without cloud
    masking, beside the lead-1 oracle that reads the hidden factor of safety up to the last frame before
    the reference time (:func:`lslib.analysis.oracles.fs_oracle_scores`; no look-ahead).

    Parameters
    ----------
    stack : xarray.Dataset
        A simulated stack (needs the oracle variable ``fs_min``).
    held_out : bool
        Score only the validation and test sites of :func:`lslib.data.splits.split_sites`
        (the sites later chapters never train on).
    seed : int
        Seed of the split.

    Returns
    -------
    dict
        ``auroc_ndvi_threshold`` (cloud-masked), ``auroc_ndvi_naive`` (clouds included),
        ``auroc_fs_oracle_lead1`` (a site with no frame before its reference time scores lowest),
        ``n_sites``, ``n_landslides`` and ``roc`` curves per method.
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
    }
    with_window, oracle = fs_oracle_scores(subset, np.arange(len(sites)), lead=1)
    floor = float(np.min(oracle, initial=0.0)) - 1.0  # a site with no frame before its reference scores lowest
    scores["fs_oracle_lead1"] = np.full(len(sites), floor)
    scores["fs_oracle_lead1"][with_window] = oracle
    result: dict[str, object] = {"n_sites": int(len(sites)), "n_landslides": int(labels.sum())}
    both_classes = 0 < labels.sum() < len(labels)
    if not both_classes:
        warnings.warn(f"The {len(labels)} scored sites hold one class only: AUROC is undefined (NaN)", stacklevel=2)
    result.update(
        {f"auroc_{name}": auroc(labels, value) if both_classes else float("nan") for name, value in scores.items()}
    )
    result["roc"] = {name: roc_curve(labels, value) for name, value in scores.items()} if both_classes else {}
    return result
