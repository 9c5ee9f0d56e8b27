"""Simple baselines that every learned model is measured against.

Examples
--------
>>> series = np.array([[0.8, 0.8, 0.8, 0.2, 0.2, 0.2], [0.7, 0.7, 0.7, 0.4, 0.4, 0.4]])[:, :, None]
>>> ndvi_drop_score(series, np.ones((2, 6), bool)).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ndvi_drop_score",
    "lhasa_score",
    "STEEP_SLOPE_DEG",
    "LHASA_WINDOW_DAYS",
    "LHASA_HISTORY_DAYS",
    "GBM_DEFAULTS",
    "random_forest_baseline",
    "gradient_boosting_baseline",
    "tuned_gradient_boosting",
    "GBM_GRID",
]


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
#: Days of rain summed by :func:`lhasa_score` (LHASA's antecedent window, Kirschbaum and Stanley 2018), and the
#: days of a site's own history its sum is ranked against.
LHASA_WINDOW_DAYS, LHASA_HISTORY_DAYS = 7, 365


def lhasa_score(
    rain_daily_mm: np.ndarray,
    end_day: np.ndarray,
    slope_deg: np.ndarray,
    window_days: int = LHASA_WINDOW_DAYS,
    history_days: int = LHASA_HISTORY_DAYS,
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


#: The default grid of :func:`tuned_gradient_boosting`: shrinkage and tree size, the two settings that matter most.
GBM_GRID: dict[str, tuple] = {"learning_rate": (0.05, 0.1), "max_leaf_nodes": (7, 15, 31)}


#: The settings of :func:`gradient_boosting_baseline` and their defaults.
GBM_DEFAULTS: dict[str, float] = {
    "learning_rate": 0.1, "max_leaf_nodes": 15, "max_iter": 200, "max_features": 0.5, "min_samples_leaf": 40
}  # fmt: skip


def _check_gbm_names(names: Iterable[str]) -> None:
    """Raise a ValueError naming the first name that is not a setting of :func:`gradient_boosting_baseline`."""
    for name in names:
        if name not in GBM_DEFAULTS:
            raise ValueError(
                f"{name!r} is not a parameter of gradient_boosting_baseline; expected one of {sorted(GBM_DEFAULTS)}"
            )


def _gbm_settings(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """:data:`GBM_DEFAULTS` updated by ``overrides``; a ValueError names an unknown or out-of-range setting."""
    _check_gbm_names(overrides)
    settings = {**GBM_DEFAULTS, **overrides}
    learning_rate = settings["learning_rate"]
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
    for name, least in (("max_leaf_nodes", 2), ("max_iter", 1), ("min_samples_leaf", 1)):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    if not 0.0 < settings["max_features"] <= 1.0:
        raise ValueError(f"max_features must be a share of the features in (0, 1], got {settings['max_features']!r}")
    return settings


def gradient_boosting_baseline(train_x: np.ndarray, train_y: np.ndarray, seed: int = 0, **settings: float):
    """Gradient-boosted trees on tabular window features (scikit-learn's histogram GBM), fitted.

    ``predict_proba(x)[:, 1]`` gives probabilities. There is no early stopping, so ``max_iter`` is the
    number of trees; each split looks at a random ``max_features`` share of the features, so seeds give
    different models (``random_state=seed``) and the same seed the same model.

    Parameters
    ----------
    train_x : numpy.ndarray or pandas.DataFrame, shape (n, features)
        Training features (e.g. :func:`lslib.data.window_features.matched_window_features`).
    train_y : numpy.ndarray, shape (n,)
        Labels, 0 or 1; both classes must be present.
    seed : int
        Random state of the feature subsampling (and of the binning's subsample of large inputs).
    **settings
        Any of :data:`GBM_DEFAULTS` (the defaults in brackets):

        - ``learning_rate`` (0.1): shrinkage of each tree's contribution, > 0;
        - ``max_leaf_nodes`` (15): leaves per tree, an integer >= 2;
        - ``max_iter`` (200): number of boosting iterations (trees), an integer >= 1;
        - ``max_features`` (0.5): share of the features considered at each split, in (0, 1];
        - ``min_samples_leaf`` (40): fewest training rows in a leaf, an integer >= 1 (as for the random
          forest, windows of one site share its label and its site-constant features, so small leaves
          memorise sites).

    Returns
    -------
    sklearn.ensemble.HistGradientBoostingClassifier
        The fitted model.

    Raises
    ------
    ValueError
        ``train_y`` holds one class only, its length differs from ``train_x``'s, or a setting is unknown or out
        of range (the message names it).

    Examples
    --------
    >>> x = np.arange(200, dtype=float)[:, None]
    >>> model = gradient_boosting_baseline(x, (x[:, 0] > 100).astype(int), max_iter=20, min_samples_leaf=5)
    >>> (model.predict_proba([[10.0], [190.0]])[:, 1] > 0.5).tolist()
    [False, True]
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    settings = _gbm_settings(settings)
    labels = np.asarray(train_y)
    if len(labels) != len(train_x):
        raise ValueError(f"train_x has {len(train_x)} rows but train_y has {len(labels)} labels")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(
            f"The gradient-boosting baseline needs both classes in its training labels, got only {classes}"
        )
    model = HistGradientBoostingClassifier(**settings, early_stopping=False, random_state=seed)
    return model.fit(train_x, labels)


def _roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC by scikit-learn (ties count 1/2, as :func:`lslib.evaluation.auroc`, which this layer cannot import)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def tuned_gradient_boosting(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    seed: int = 0,
    grid: Mapping[str, Sequence] | None = None,
    score: Callable[[np.ndarray, np.ndarray], float] | None = None,
    **fixed: Any,
) -> tuple[Any, dict[str, Any], dict[tuple, float]]:
    """The gradient-boosting baseline with its settings chosen on validation windows, by AUROC.

    Every combination of ``grid`` is fitted on the training windows with the same ``seed`` and scored
    on the validation windows; the best one wins (the first in grid order on a tie).

    Parameters
    ----------
    train_x, train_y, val_x, val_y : arrays
        Training and validation features and 0/1 labels (both classes in each).
    seed : int
        Seed of every fit.
    grid : mapping of str to sequence, optional
        Parameter names of :func:`gradient_boosting_baseline` and the values to try; default
        :data:`GBM_GRID` (``learning_rate`` in 0.05, 0.1 and ``max_leaf_nodes`` in 7, 15, 31).
    score : callable, optional
        ``score(labels, scores) -> float``, higher is better; default the AUROC (scikit-learn's, equal to
        :func:`lslib.evaluation.auroc`; pass that one from a higher layer to make it explicit).
    **fixed
        Further parameters of :func:`gradient_boosting_baseline`, the same for every fit (e.g. ``max_iter``).

    Returns
    -------
    model : sklearn.ensemble.HistGradientBoostingClassifier
        The best model, fitted on the training windows.
    chosen : dict
        Its grid setting, e.g. ``{"learning_rate": 0.1, "max_leaf_nodes": 15}``.
    scores : dict
        Validation score of every setting, keyed by the tuple of its values in the grid's key order,
        e.g. ``{(0.05, 7): 0.71, ...}``.

    Raises
    ------
    ValueError
        An empty grid or grid axis, a grid name that is not a parameter (or also in ``fixed``), or
        what :func:`gradient_boosting_baseline` and ``score`` refuse.

    Examples
    --------
    >>> x = np.arange(200, dtype=float)[:, None]
    >>> y = (x[:, 0] > 100).astype(int)
    >>> model, chosen, scores = tuned_gradient_boosting(
    ...     x, y, x, y, grid={"max_leaf_nodes": (3, 7)}, max_iter=10, min_samples_leaf=5
    ... )
    >>> chosen, sorted(scores)
    ({'max_leaf_nodes': 3}, [(3,), (7,)])
    """
    grid = dict(GBM_GRID if grid is None else grid)
    _check_grid(grid, fixed)
    score = _roc_auc if score is None else score
    models, scores = {}, {}
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values))
        models[values] = gradient_boosting_baseline(train_x, train_y, seed=seed, **setting, **fixed)
        scores[values] = float(score(np.asarray(val_y), models[values].predict_proba(val_x)[:, 1]))
    best = max(scores, key=scores.get)
    return models[best], dict(zip(grid, best)), scores


def _check_grid(grid: dict[str, Sequence], fixed: dict[str, Any]) -> None:
    """Raise a ValueError for an empty grid, an empty axis, or a name that is not a tunable parameter."""
    if not grid:
        raise ValueError("grid is empty: give at least one parameter and its values")
    _check_gbm_names((*grid, *fixed))
    for name, values in grid.items():
        if name in fixed:
            raise ValueError(f"{name!r} is both in the grid and fixed")
        if isinstance(values, (str, bytes)) or not len(values):
            raise ValueError(f"grid[{name!r}] must be a non-empty sequence of values, got {values!r}")
