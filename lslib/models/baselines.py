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

__all__ = ["ndvi_drop_score", "random_forest_baseline"]


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
