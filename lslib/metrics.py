"""Metrics of the study, checked against known values.

Examples
--------
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["auroc", "roc_curve", "ks_distance", "lag1_autocorrelation"]


def auroc(labels, scores) -> float:
    """Area under the ROC curve (the probability that a positive outranks a negative; ties count 1/2).

    Raises
    ------
    ValueError
        When only one class is present, or lengths differ.
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if labels.shape != scores.shape:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} differ in shape")
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"AUROC needs both classes; got {n_pos} positives and {n_neg} negatives")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def ks_distance(sample_a, sample_b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs.

    Examples
    --------
    >>> ks_distance([0.0, 0.1, 0.2], [0.0, 0.1, 0.2])
    0.0
    >>> ks_distance([0.0, 0.1], [5.0, 6.0])
    1.0
    """
    return float(stats.ks_2samp(np.asarray(sample_a, float), np.asarray(sample_b, float)).statistic)


def lag1_autocorrelation(field: np.ndarray) -> float:
    """Mean lag-1 spatial autocorrelation of a 2-D field along rows and columns (Pearson).

    Examples
    --------
    >>> smooth = np.add.outer(np.arange(10.0), np.arange(10.0))
    >>> round(lag1_autocorrelation(smooth), 3)
    1.0
    >>> noise = np.random.default_rng(0).normal(size=(50, 50))
    >>> abs(lag1_autocorrelation(noise)) < 0.1
    True
    """
    field = np.asarray(field, dtype=float)
    pairs = [(field[:, :-1].ravel(), field[:, 1:].ravel()), (field[:-1, :].ravel(), field[1:, :].ravel())]
    values = [np.corrcoef(a, b)[0, 1] for a, b in pairs if a.std() > 0 and b.std() > 0]
    return float(np.mean(values)) if values else float("nan")


def roc_curve(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every threshold, from (0, 0) to (1, 1).

    Examples
    --------
    >>> fpr, tpr = roc_curve([0, 1], [0.2, 0.9])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    thresholds = np.unique(scores)[::-1]
    tpr = [0.0] + [float((scores[labels] >= t).mean()) for t in thresholds]
    fpr = [0.0] + [float((scores[~labels] >= t).mean()) for t in thresholds]
    return np.array(fpr), np.array(tpr)
