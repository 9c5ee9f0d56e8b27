"""Ceilings and give-aways of a simulated stack: what could be known without imagery (chapter 1).

Two oracles bound the forecasting task from opposite sides:

* :func:`scenario_oracle_auroc` knows only the site's land-use scenario and region. If it scores high,
  the simulator decides the label by construction and no model comparison means much.
* :func:`fs_oracle_auroc_by_lead` reads the hidden factor of safety, but only up to the last frame
  a forecaster would have (no look-ahead): the attainable ceiling at each lead.

:func:`slope_slide_auroc` and :func:`rain_on_undisturbed_share` check that the physics, not the
scenario, makes slides: steep cells fail first, and rain on land nobody disturbed is the commonest
way to slide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from lslib.causes import Cause
from lslib.evaluation.classification import auroc

__all__ = [
    "ORACLE_LEADS",
    "scenario_rates",
    "forecast_windows",
    "scenario_oracle_auroc",
    "fs_oracle_scores",
    "window_end_days",
    "fs_oracle_auroc_by_lead",
    "slope_slide_auroc",
    "rain_on_undisturbed_share",
    "window_day_index",
    "window_fs_oracle",
    "window_scenario_oracle",
]


#: The leads (revisits before the reference time) chapter 4 forecasts at in the quick and full books.
ORACLE_LEADS = tuple(range(1, 7))


def scenario_rates(stack: xr.Dataset, train: np.ndarray, prior: float = 1.0) -> np.ndarray:
    """Every site's P(slide | scenario, region), estimated on the ``train`` sites with a Beta prior of
    ``prior`` pseudo-sites around the training slide rate (a pair never seen in training scores that rate)."""
    keys = np.char.add(np.char.add(stack["scenario"].values.astype(str), "|"), stack["region"].values.astype(str))
    labels = stack["landslide"].values.astype(bool)
    base = float(labels[train].mean())
    rate = {}
    for key in np.unique(keys[train]):
        members = train[keys[train] == key]
        rate[key] = (labels[members].sum() + prior * base) / (len(members) + prior)
    return np.array([rate.get(key, base) for key in keys])


def forecast_windows(
    stack: xr.Dataset, sites: np.ndarray, leads: tuple[int, ...] | list[int], min_frames: int = 2
) -> np.ndarray:
    """``(window, 2)`` int: the (site, lead) pairs of ``sites`` with a window at each lead, by chapter 4's rule
    (:class:`lslib.data.dataset.LandslideDataset`): at least ``min_frames`` frames up to the window's last one;
    site by site, each site's leads in turn, as the dataset orders its windows."""
    dates = stack["date"].values
    before = ((dates < stack["reference_time"].values[:, None]) & ~np.isnat(dates)).sum(axis=1)
    pairs = [(site, lead) for site in sites for lead in leads if before[site] - lead + 1 >= min_frames]
    return np.array(pairs, dtype=int).reshape(-1, 2)


def scenario_oracle_auroc(
    stack: xr.Dataset,
    train: np.ndarray,
    test: np.ndarray,
    prior: float = 1.0,
    leads: tuple[int, ...] | list[int] | None = None,
) -> float:
    """AUROC on ``test`` of P(slide | scenario, region) estimated on ``train`` sites (:func:`scenario_rates`).

    Parameters
    ----------
    stack : xarray.Dataset
        A simulated stack (``scenario``, ``region``, ``landslide``; ``date`` and ``reference_time`` with
        ``leads``).
    train, test : numpy.ndarray
        Site indices.
    prior : float
        Pseudo-count of the Beta prior around the training slide rate.
    leads : sequence of int, optional
        Score chapter 4's forecasting windows of the test sites at these leads (:func:`forecast_windows`)
        instead of the sites themselves.

    Examples
    --------
    >>> stack = xr.Dataset({"scenario": ("site", ["a", "a", "b", "b"] * 2), "region": ("site", ["r"] * 8),
    ...                     "landslide": ("site", [True, True, False, False] * 2)})
    >>> scenario_oracle_auroc(stack, np.arange(4), np.arange(4, 8))
    1.0
    """
    labels = stack["landslide"].values.astype(bool)
    scores = scenario_rates(stack, train, prior)
    cases = test if leads is None else forecast_windows(stack, test, leads)[:, 0]
    return float(auroc(labels[cases], scores[cases]))


def window_end_days(stack: xr.Dataset, lead: int) -> np.ndarray:
    """Per site, the ``day`` index of the last frame a forecaster at ``lead`` revisits sees: the
    ``lead``-th acquisition before the reference time (``-1`` where there is none)."""
    day0 = stack["day"].values[0]
    dates = stack["date"].values
    before = dates < stack["reference_time"].values[:, None]
    ends = np.full(stack.sizes["site"], -1)
    for site in range(stack.sizes["site"]):
        seen = np.nonzero(before[site] & ~np.isnat(dates[site]))[0]
        if len(seen) >= lead:
            ends[site] = int((dates[site, seen[-lead]] - day0) / np.timedelta64(1, "D"))
    return ends


def fs_oracle_scores(
    stack: xr.Dataset, sites: np.ndarray, lead: int, days_before: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """The sites of ``sites`` with a window at ``lead``, and their FS-oracle scores: minus the lowest hidden
    factor of safety in the ``days_before`` days up to the window's last frame (:func:`window_end_days`)."""
    fs_min = stack["fs_min"].values
    ends = window_end_days(stack, lead)
    keep = sites[ends[sites] >= 0]
    scores = np.array([-np.nanmin(fs_min[s, max(0, ends[s] - days_before) : ends[s] + 1], initial=10.0) for s in keep])
    return keep, scores


def fs_oracle_auroc_by_lead(
    stack: xr.Dataset, sites: np.ndarray, leads: range | list[int] | tuple[int, ...], days_before: int = 30
) -> dict[int, float]:
    """AUROC per lead of the lowest hidden factor of safety in the ``days_before`` days up to the window's
    last frame (:func:`fs_oracle_scores`): the physics known exactly, the future not at all.

    Sites without a window at a lead are left out at that lead; NaN where one class is missing.
    """
    labels = stack["landslide"].values.astype(bool)
    result = {}
    for lead in leads:
        keep, scores = fs_oracle_scores(stack, sites, lead, days_before)
        both = 0 < labels[keep].sum() < len(keep)
        result[int(lead)] = float(auroc(labels[keep], scores)) if both else float("nan")
    return result


def slope_slide_auroc(stack: xr.Dataset) -> float:
    """Within sites that slid, how well slope ranks the cells where the slide started above the other
    land cells: the AUROC per site, averaged over sites (0.5: slope says nothing)."""
    values = []
    for site in np.nonzero(stack["landslide"].values)[0]:
        started = stack["initiation_mask"].values[site].ravel()
        if started.any() and (~started).any():
            values.append(auroc(started, stack["slope"].values[site].ravel()))
    return float(np.mean(values)) if values else float("nan")


def rain_on_undisturbed_share(stack: xr.Dataset) -> float:
    """Share of slides caused by rain that started on cells no disturbance had touched by the last frame."""
    slid = np.nonzero(stack["landslide"].values)[0]
    if not len(slid):
        return float("nan")
    rain = stack["cause"].values[slid] == int(Cause.HEAVY_RAINFALL)
    touched = stack["disturbed_mask"].values[slid].any(axis=1) & ~stack["scar_mask"].values[slid]
    clean = ~(touched & stack["initiation_mask"].values[slid]).any(axis=(1, 2))
    return float((rain & clean).mean())


def window_day_index(stack: xr.Dataset, windows: pd.DataFrame) -> np.ndarray:
    """Index on the stack's ``day`` calendar of each window's last frame (``windows["end_date"]``)."""
    days = (windows["end_date"].to_numpy().astype("datetime64[ns]") - stack["day"].values[0]) / np.timedelta64(1, "D")
    return np.floor(days).astype(int)


def window_fs_oracle(stack: xr.Dataset, windows: pd.DataFrame, days_before: int = 30) -> np.ndarray:
    """The lead-matched FS oracle of fixed-horizon windows: minus the lowest hidden factor of safety of the
    window's site in the ``days_before`` days up to and including its last frame (no look-ahead).

    Parameters
    ----------
    stack : xarray.Dataset
        A simulated stack with the oracle variable ``fs_min (site, day)``.
    windows : pandas.DataFrame
        ``site`` and ``end_date`` per window (:func:`lslib.data.tasks.forecast_table`).
    days_before : int
        Days of factor-of-safety history the oracle reads.

    Returns
    -------
    numpy.ndarray
        One score per window; higher is closer to failure.

    Examples
    --------
    >>> day = np.datetime64("2020-01-01") + np.arange(5) * np.timedelta64(1, "D")
    >>> stack = xr.Dataset({"fs_min": (("site", "day"), [[2.0, 1.5, 1.2, 0.9, 0.8]])}, coords={"day": day})
    >>> windows = pd.DataFrame({"site": [0, 0], "end_date": [day[2], day[4]]})
    >>> window_fs_oracle(stack, windows, days_before=1).tolist()
    [-1.2, -0.8]
    """
    fs_min = stack["fs_min"].values
    ends = window_day_index(stack, windows)
    sites = windows["site"].to_numpy()
    return np.array([-np.nanmin(fs_min[s, max(0, e - days_before) : e + 1], initial=10.0) for s, e in zip(sites, ends)])


def window_scenario_oracle(
    train_stack: xr.Dataset, train_sites: np.ndarray, stack: xr.Dataset, windows: pd.DataFrame, prior: float = 1.0
) -> np.ndarray:
    """The scenario oracle of fixed-horizon windows: P(slide | scenario, region) of each window's site, estimated
    on the ``train_sites`` of ``train_stack`` (:func:`scenario_rates`) and read for the sites of ``stack``
    (which may be another stack drawn from the same simulator, e.g. test-only sites)."""
    keys = np.char.add(
        np.char.add(train_stack["scenario"].values.astype(str), "|"), train_stack["region"].values.astype(str)
    )
    rates = scenario_rates(train_stack, train_sites, prior)
    table = dict(zip(keys[train_sites], rates[train_sites]))
    base = float(train_stack["landslide"].values.astype(bool)[train_sites].mean())
    target = np.char.add(np.char.add(stack["scenario"].values.astype(str), "|"), stack["region"].values.astype(str))
    per_site = np.array([table.get(key, base) for key in target])
    return per_site[windows["site"].to_numpy()]
