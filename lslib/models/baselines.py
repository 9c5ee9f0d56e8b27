"""Simple baselines that every learned model is measured against.

Examples
--------
>>> series = np.array([[0.8, 0.8, 0.8, 0.2, 0.2, 0.2], [0.7, 0.7, 0.7, 0.4, 0.4, 0.4]])[:, :, None]
>>> ndvi_drop_score(series, np.ones((2, 6), bool)).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["ndvi_drop_score", "lhasa_score", "STEEP_SLOPE_DEG", "random_forest_baseline"]


def ndvi_drop_score(
    ndvi: np.ndarray, usable: np.ndarray, recent: int = 3, drop: float = 0.2, bare: float = 0.28
) -> np.ndarray:
    """Fraction of a site's pixels that lost their vegetation within the window.

    The classic change-detection cue: compare a "before" composite (median of the earlier usable
    frames) with "now" (each pixel's latest clear value among the last ``recent`` usable frames),
    ignoring cloudy pixels (NaN). A pixel counts when its NDVI fell by more than ``drop`` *and* is
    now below ``bare`` (bare soil), so the seasonal browning of crops and grass does not count.

    Parameters
    ----------
    ndvi : numpy.ndarray, shape (site, time, y, x) or (site, time)
        NDVI with NaN where a pixel is cloudy or missing.
    usable : numpy.ndarray of bool, shape (site, time)
        Frames inside the forecasting window (before the reference time).
    recent : int
        Frames in the "now" composite.
    drop : float
        NDVI decrease that counts as vegetation loss.
    bare : float
        NDVI below which a pixel is bare ground.

    Returns
    -------
    numpy.ndarray, shape (site,)
        Fraction in [0, 1] (higher: more suspicious); 0 when the window has too few frames.
    """
    values = ndvi.reshape(ndvi.shape[0], ndvi.shape[1], -1)
    scores = np.zeros(values.shape[0])
    for site in range(values.shape[0]):
        frames = values[site][usable[site]]
        if len(frames) < recent + 1:
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            before = np.nanmedian(frames[: max(1, len(frames) - recent)], axis=0)
            now = _latest_clear(frames[-recent:])
        change = before - now
        valid = np.isfinite(change)
        lost = (change > drop) & (now < bare)
        scores[site] = float(lost[valid].mean()) if valid.any() else 0.0
    return scores


def _latest_clear(frames: np.ndarray) -> np.ndarray:
    """Per pixel, the last finite value along the first axis (NaN if none)."""
    latest = np.full(frames.shape[1:], np.nan)
    for frame in frames:
        latest = np.where(np.isfinite(frame), frame, latest)
    return latest


#: Slope (degrees) above which a pixel counts as susceptible in :func:`lhasa_score` (SIMULATOR.md: shallow slides
#: mostly start on 25-45 degree slopes).
STEEP_SLOPE_DEG = 25.0


def lhasa_score(
    rain_daily_mm: np.ndarray,
    end_day: np.ndarray,
    slope_deg: np.ndarray,
    window_days: int = 7,
    history_days: int = 365,
    steep_deg: float = STEEP_SLOPE_DEG,
) -> np.ndarray:
    """A LHASA-style nowcast: how extreme the recent rain is, times how susceptible the slope is.

    NASA's Landslide Hazard Assessment for Situational Awareness (Kirschbaum and Stanley 2018) flags places where
    recent rain is extreme for that place and a static susceptibility map is moderate or high. This continuous
    version scores each window by the percentile (0-1) of its ``window_days``-day rain up to and including
    ``end_day`` among the same sums over the preceding ``history_days`` days of that site (so no look-ahead and
    each site against its own climate), times the share of its pixels steeper than ``steep_deg``.

    Parameters
    ----------
    rain_daily_mm : numpy.ndarray, shape (window, day)
        Daily rain of each window's site, mm/day (for windows of a stack: ``rain_daily[sites]``).
    end_day : numpy.ndarray of int, shape (window,)
        Day index of each window's last frame.
    slope_deg : numpy.ndarray, shape (window, y, x) or (window,)
        Slope maps of each window's site (degrees), or a precomputed susceptible share in [0, 1] when
        one-dimensional.
    window_days, history_days : int
        Length of the recent-rain sum and of the record it is ranked in, days.
    steep_deg : float
        Slope counted as susceptible, degrees.

    Returns
    -------
    numpy.ndarray, shape (window,)
        Scores in [0, 1]; higher is more hazardous.

    Raises
    ------
    ValueError
        Lengths that do not match, or ``window_days``/``history_days`` below 1.

    Examples
    --------
    >>> rain = np.zeros((2, 40)); rain[0, 35:38] = 50.0  # a storm at the first site only
    >>> slope = np.stack([np.full((4, 4), 30.0), np.full((4, 4), 30.0)])
    >>> lhasa_score(rain, np.array([37, 37]), slope, window_days=3, history_days=30).round(2).tolist()
    [1.0, 0.0]
    """
    rain = np.asarray(rain_daily_mm, dtype=float)
    end_day = np.asarray(end_day, dtype=int)
    slope = np.asarray(slope_deg, dtype=float)
    if window_days < 1 or history_days < 1:
        raise ValueError(f"window_days and history_days must be >= 1, got {window_days} and {history_days}")
    if not len(rain) == len(end_day) == len(slope):
        raise ValueError(f"rain ({len(rain)}), end_day ({len(end_day)}) and slope ({len(slope)}) rows differ")
    susceptible = slope if slope.ndim == 1 else (slope.reshape(len(slope), -1) > steep_deg).mean(axis=1)
    sums = np.cumsum(np.concatenate([np.zeros((len(rain), 1)), np.nan_to_num(rain)], axis=1), axis=1)
    scores = np.zeros(len(rain))
    for row, end in enumerate(end_day):
        first = max(window_days - 1, end - history_days)
        days = np.arange(first, end + 1)
        recent = sums[row, days + 1] - sums[row, days + 1 - window_days]  # the window_days days up to each day
        scores[row] = float((recent[:-1] < recent[-1]).mean()) if len(recent) > 1 else 0.0
    return scores * susceptible


def random_forest_baseline(
    train_x: np.ndarray, train_y: np.ndarray, seed: int = 0, n_trees: int = 300, min_samples_leaf: int = 3
):
    """A random forest on hand features (scikit-learn), fitted; ``predict_proba(x)[:, 1]`` gives probabilities.

    ``min_samples_leaf`` bounds how closely the trees may fit: forecasting windows of one site share
    its label and its site-constant features (slope), so small leaves memorise sites."""
    from sklearn.ensemble import RandomForestClassifier

    if len(np.unique(train_y)) < 2:
        raise ValueError("The random forest needs both classes in its training labels")
    forest = RandomForestClassifier(
        n_estimators=n_trees, min_samples_leaf=min_samples_leaf, random_state=seed, n_jobs=1
    )
    return forest.fit(train_x, train_y)
