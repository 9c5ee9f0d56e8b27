"""Shortcut checks: can the label be read from when a window was taken rather than from what it shows?

A forecasting window carries timing a model can see without looking at the land: how many valid frames it
holds, how long it spans, where it sits in the series and in the year, how many radar frames fall inside it.
If those alone separate the classes, a model may learn the bookkeeping of how windows were cut instead of
the precursors of a slide. :func:`timing_features` tabulates that timing for any window table, and
:func:`timing_shortcut_auroc` scores a classifier that sees nothing else, cross-validated with a site's
windows kept in one fold (chapter 4 records it as ``shortcut_auroc_timing``; about 0.5 is the aim).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from lslib.evaluation.classification import auroc

__all__ = ["TIMING_FEATURES", "BOOKKEEPING_FEATURES", "timing_features", "timing_shortcut_auroc"]

#: The timing a model could read from a window without its pixels.
TIMING_FEATURES = (
    "valid_frames",
    "span_days",
    "days_from_series_start",
    "end_doy_sin",
    "end_doy_cos",
    "sar_frames",
)
#: The timing that says only how a window was cut, without the season: rain-triggered slides do cluster in the wet
#: months, in the real world as in the simulator, so the day of year is information, not only bookkeeping.
BOOKKEEPING_FEATURES = ("valid_frames", "span_days", "days_from_series_start", "sar_frames")


def timing_features(stack: xr.Dataset, windows: pd.DataFrame) -> pd.DataFrame:
    """Timing of each window: valid Landsat frames, span (days, first to last frame), days from the site's first
    acquisition to the window's end, the end's day of year (as sine and cosine), and Sentinel-1 frames inside
    the span.

    Parameters
    ----------
    stack : xarray.Dataset
        The stack the windows come from (``date``; ``sar_date`` when present).
    windows : pandas.DataFrame
        One row per window with integer columns ``site``, ``start`` and ``end`` (indices on the ``time`` axis of
        the window's first and last frame, both included).

    Returns
    -------
    pandas.DataFrame
        The columns :data:`TIMING_FEATURES`, one row per window, in the order of ``windows``.

    Raises
    ------
    KeyError
        ``windows`` lacks one of ``site``, ``start``, ``end``.

    Examples
    --------
    >>> dates = np.array([["2017-01-01", "2017-01-17", "NaT", "2017-02-18"]], dtype="datetime64[ns]")
    >>> stack = xr.Dataset({"date": (("site", "time"), dates)})
    >>> table = timing_features(stack, pd.DataFrame({"site": [0], "start": [0], "end": [3]}))
    >>> table[["valid_frames", "span_days", "days_from_series_start", "sar_frames"]].iloc[0].tolist()
    [3.0, 48.0, 48.0, 0.0]
    """
    missing = [column for column in ("site", "start", "end") if column not in windows]
    if missing:
        raise KeyError(f"the window table lacks {missing}; it has {list(windows.columns)}")
    dates = stack["date"].values
    sar = stack["sar_date"].values if "sar_date" in stack else None
    rows = []
    for site, start, end in windows[["site", "start", "end"]].itertuples(index=False):
        frames = dates[site, start : end + 1]
        seen = frames[~np.isnat(frames)]
        first, last = seen.min(), seen.max()
        series_start = dates[site][~np.isnat(dates[site])].min()
        doy = pd.Timestamp(last).day_of_year
        inside = 0 if sar is None else int(((sar[site] >= first) & (sar[site] <= last)).sum())
        rows.append(
            {
                "valid_frames": float(len(seen)),
                "span_days": float((last - first) / np.timedelta64(1, "D")),
                "days_from_series_start": float((last - series_start) / np.timedelta64(1, "D")),
                "end_doy_sin": float(np.sin(2 * np.pi * doy / 365.25)),
                "end_doy_cos": float(np.cos(2 * np.pi * doy / 365.25)),
                "sar_frames": float(inside),
            }
        )
    return pd.DataFrame(rows, columns=list(TIMING_FEATURES), index=windows.index)


def timing_shortcut_auroc(
    stack: xr.Dataset,
    windows: pd.DataFrame,
    n_folds: int = 5,
    seed: int = 0,
    n_trees: int = 200,
    features: tuple[str, ...] = TIMING_FEATURES,
) -> float:
    """AUROC of a classifier that sees only the windows' timing (:func:`timing_features`).

    A gradient-boosted tree ensemble (scikit-learn's ``HistGradientBoostingClassifier``) is fitted and scored in
    ``n_folds`` folds that keep every window of a site in one fold (``StratifiedGroupKFold``), so a site's other
    windows never tell it the answer; the out-of-fold scores of all windows give one AUROC. About 0.5 means the
    timing carries no label; well above it, a model could forecast from how the windows were cut.

    Parameters
    ----------
    stack : xarray.Dataset
        The stack the windows come from.
    windows : pandas.DataFrame
        Columns ``site``, ``start``, ``end`` (as in :func:`timing_features`) and ``label`` (0 or 1).
    n_folds : int
        Folds of the grouped cross-validation (at least 2).
    seed : int
        Seed of the folds and of the classifier.
    n_trees : int
        Boosting iterations.
    features : tuple of str
        Which of :data:`TIMING_FEATURES` the classifier sees (:data:`BOOKKEEPING_FEATURES`: all but the season).

    Returns
    -------
    float
        Out-of-fold AUROC.

    Raises
    ------
    ValueError
        ``n_folds`` below 2, a single class, fewer sites than folds, or an unknown feature.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold

    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    unknown = [name for name in features if name not in TIMING_FEATURES]
    if unknown or not features:
        raise ValueError(f"unknown timing features {unknown or features}; choose from {TIMING_FEATURES}")
    labels = windows["label"].to_numpy().astype(int)
    groups = windows["site"].to_numpy()
    if len(np.unique(labels)) < 2:
        raise ValueError("the shortcut check needs windows of both classes")
    if len(np.unique(groups)) < n_folds:
        raise ValueError(f"{len(np.unique(groups))} sites cannot fill {n_folds} folds")
    table = timing_features(stack, windows)[list(features)].to_numpy()
    scores = np.zeros(len(labels))
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for train, test in folds.split(table, labels, groups):
        model = HistGradientBoostingClassifier(max_iter=n_trees, learning_rate=0.05, random_state=seed)
        model.fit(table[train], labels[train])
        scores[test] = model.predict_proba(table[test])[:, 1]
    return float(auroc(labels, scores))
