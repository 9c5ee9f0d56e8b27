"""Chapter 1's checks of the simulator itself: what decides a simulated slide, and how the sensors err.

Every number here is one of the goals of LandslideSim v2 (SIMULATOR.md), computed on a stack that
carries the oracle variables (``fs_min``, ``initiation_mask``, ``disturbed_mask``, ``cloud_truth``,
``shadow_truth``, ``land_cover``, ``sar_clearcut``). No model reads those variables; these checks do,
to say whether the task the later chapters learn is neither given away nor impossible:

* a give-away and a reference oracle (:mod:`lslib.analysis.oracles`) on chapter 4's test sites, in windows
  that end a few revisits before each site's reference time, with bootstrap intervals over sites
  (:func:`lslib.evaluation.resampling.bootstrap`);
* where slides start (slope) and what starts them (rain on undisturbed land), and how many slides each
  cause has;
* the QA's cloud and shadow errors against the true sky, the radar's clear-cut contrast, and the clear-sky
  NDVI noise of stable forest.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lslib.analysis.oracles import (
    ORACLE_LEADS,
    forecast_windows,
    fs_oracle_scores,
    rain_on_undisturbed_share,
    scenario_rates,
    slope_slide_auroc,
)
from lslib.causes import Cause
from lslib.data.calibration import simulated_stable_ndvi_noise
from lslib.data.qa import SHADOW_FLAG_BITS, qa_error_rates
from lslib.data.sim.render import sar_clearcut_contrast_db
from lslib.data.splits import FORECAST_FRACTIONS, split_sites
from lslib.evaluation.classification import auroc
from lslib.evaluation.resampling import bootstrap

__all__ = ["ORACLE_NEEDS", "chapter4_test_windows", "simulator_checks", "slides_per_cause"]

#: The oracle variables :func:`simulator_checks` reads.
ORACLE_NEEDS = (
    "fs_min",
    "initiation_mask",
    "disturbed_mask",
    "cloud_truth",
    "shadow_truth",
    "land_cover",
    "sar_clearcut",
    "scenario",
)


def slides_per_cause(stack: xr.Dataset) -> dict[str, int]:
    """Number of slid sites per cause (every cause but the negative class, zeros included)."""
    slid = stack["cause"].values[stack["landslide"].values.astype(bool)]
    return {cause.key: int((slid == int(cause)).sum()) for cause in Cause if cause is not Cause.THRIVING_FOREST}


def _auroc_with_interval(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, n_boot: int, seed: int
) -> tuple[float, float, float]:
    """AUROC and its 95 % bootstrap interval, resampling ``groups`` (sites) whole; NaN without both classes."""
    if not 0 < labels.sum() < len(labels):
        return float("nan"), float("nan"), float("nan")
    return bootstrap(lambda idx: auroc(labels[idx], scores[idx]), len(labels), groups=groups, n_boot=n_boot, seed=seed)


def chapter4_test_windows(
    stack: xr.Dataset, seed: int, leads: tuple[int, ...], fractions: tuple[float, float, float] = FORECAST_FRACTIONS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chapter 4's test windows: the site and lead of each, in the order :class:`lslib.data.dataset.LandslideDataset`
    gives them for the forecasting split at ``seed`` (:func:`lslib.analysis.oracles.forecast_windows`, the same
    rule, without encoding any image), and the training sites."""
    split = split_sites(stack["landslide"].values.astype(int), fractions=fractions, seed=seed)
    windows = forecast_windows(stack, np.nonzero(split == "test")[0], leads)
    return windows[:, 0], windows[:, 1], np.nonzero(split == "train")[0]


def simulator_checks(
    stack: xr.Dataset,
    seed: int = 0,
    leads: tuple[int, ...] = ORACLE_LEADS,
    n_boot: int = 1000,
    fractions: tuple[float, float, float] = FORECAST_FRACTIONS,
) -> dict[str, object]:
    """The simulator's own numbers for chapter 1's report.

    Parameters
    ----------
    stack : xarray.Dataset
        A simulated stack with the oracle variables :data:`ORACLE_NEEDS`.
    seed : int
        Seed of the site split and of the bootstrap (chapter 4 splits with the same seed).
    leads : tuple of int
        Leads (revisits before the reference time) of the forecasting windows: chapter 4's ``1..max_lead``.
    n_boot : int
        Bootstrap resamples of the intervals.
    fractions : tuple of float
        Train, validation and test shares of the split (chapter 4's :data:`FORECAST_FRACTIONS`).

    Returns
    -------
    dict
        ``oracle_scenario_auroc`` (P(slide | scenario, region) fitted on chapter 4's training sites, scored on
        its test windows at ``leads``) and ``oracle_fs_auroc_lead<k>`` (the hidden factor of safety up to the
        window's last frame, on the test windows at lead k: fewer sites have windows at longer leads), each
        with ``_low`` and ``_high``; ``oracle_fs_common_sites`` (test sites with a window at every lead) and
        ``oracle_fs_common_auroc_lead<k>`` (the same oracle on those sites only, so that leads compare);
        ``slope_slide_auroc``, ``positives_rain_undisturbed_share``, ``qa_omission_rate``, ``qa_commission_rate``,
        ``qa_shadow_omission_rate``, ``sar_clearcut_contrast_db`` (dB), ``ndvi_noise_stable_sim`` (NDVI
        units), ``slides_per_cause`` (dict), ``min_slides_per_cause`` and ``n_test_sites``.

    Raises
    ------
    KeyError
        The stack lacks an oracle variable (a real stack, or one simulated before LandslideSim v2).
    """
    missing = [name for name in ORACLE_NEEDS if name not in stack]
    if missing:
        raise KeyError(f"simulator_checks needs the simulator's oracle variables; the stack lacks {missing}")
    labels = stack["landslide"].values.astype(bool)
    window_sites, window_leads, train = chapter4_test_windows(stack, seed, leads, fractions)
    result: dict[str, object] = {"n_test_sites": int(len(np.unique(window_sites))), "n_test_windows": len(window_sites)}

    rates = scenario_rates(stack, train)
    value, low, high = _auroc_with_interval(labels[window_sites], rates[window_sites], window_sites, n_boot, seed)
    result.update(oracle_scenario_auroc=value, oracle_scenario_auroc_low=low, oracle_scenario_auroc_high=high)
    per_lead = {lead: np.unique(window_sites[window_leads == lead]) for lead in leads}
    common = np.unique(window_sites)
    for sites in per_lead.values():
        common = np.intersect1d(common, sites)
    result["oracle_fs_common_sites"] = int(len(common))
    for lead in leads:
        for name, candidates in (
            (f"oracle_fs_auroc_lead{lead}", per_lead[lead]),
            (f"oracle_fs_common_auroc_lead{lead}", common),
        ):
            sites, scores = fs_oracle_scores(stack, candidates, lead)
            value, low, high = _auroc_with_interval(labels[sites], scores, sites, n_boot, seed)
            result.update({name: value, f"{name}_low": low, f"{name}_high": high})

    result["slope_slide_auroc"] = slope_slide_auroc(stack)
    result["positives_rain_undisturbed_share"] = rain_on_undisturbed_share(stack)
    qa = stack["qa_pixel"].values
    clouds = qa_error_rates(qa, stack["cloud_truth"].values)
    shadows = qa_error_rates(qa, stack["shadow_truth"].values, bits=SHADOW_FLAG_BITS)
    result.update(
        qa_omission_rate=clouds["omission"],
        qa_commission_rate=clouds["commission"],
        qa_shadow_omission_rate=shadows["omission"],
    )
    state = stack["sar_clearcut"].values
    result["sar_clearcut_contrast_db"] = sar_clearcut_contrast_db(stack["sar"].values, state == 1, state == 2)
    result["ndvi_noise_stable_sim"] = simulated_stable_ndvi_noise(stack)
    counts = slides_per_cause(stack)
    result["slides_per_cause"] = counts
    result["min_slides_per_cause"] = int(min(counts.values()))
    return result
