"""Metrics of the study, checked against known values.

Examples
--------
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["auroc", "roc_curve", "auprc", "brier", "reliability", "expected_calibration_error", "f1_at", "best_threshold",
           "bootstrap_ci", "fit_temperature", "ks_distance", "lag1_autocorrelation"]


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


def auprc(labels, scores) -> float:
    """Area under the precision-recall curve as average precision (step-wise, no interpolation).

    Examples
    --------
    >>> auprc([0, 1, 1], [0.1, 0.8, 0.9])
    1.0
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if not labels.any():
        raise ValueError("AUPRC needs at least one positive")
    thresholds = np.unique(scores)[::-1]  # tied scores form one threshold, whatever their order
    positives = labels.sum()
    area, previous_recall = 0.0, 0.0
    for threshold in thresholds:
        predicted = scores >= threshold
        true_positives = (predicted & labels).sum()
        recall = true_positives / positives
        area += (recall - previous_recall) * true_positives / predicted.sum()
        previous_recall = recall
    return float(area)


def brier(labels, probabilities) -> float:
    """Mean squared error of probabilities against 0/1 outcomes (lower is better).

    Examples
    --------
    >>> brier([0, 1], [0.0, 1.0]), brier([0, 1], [0.5, 0.5])
    (0.0, 0.25)
    """
    labels = np.asarray(labels, dtype=float)
    return float(np.mean((np.asarray(probabilities, dtype=float) - labels) ** 2))


def reliability(labels, probabilities, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Per equal-width probability bin: mean predicted probability, observed frequency and count."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0, 1)
    edges = np.linspace(0, 1, n_bins + 1)
    index = np.clip(np.digitize(probabilities, edges[1:-1]), 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    predicted = np.bincount(index, weights=probabilities, minlength=n_bins) / np.maximum(count, 1)
    observed = np.bincount(index, weights=labels, minlength=n_bins) / np.maximum(count, 1)
    return {"edges": edges, "predicted": predicted, "observed": observed, "count": count}


def expected_calibration_error(labels, probabilities, n_bins: int = 10) -> float:
    """ECE: the count-weighted mean gap between predicted probability and observed frequency per bin.

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0])
    0.0
    >>> round(expected_calibration_error([0, 0, 0, 0], [0.9, 0.9, 0.9, 0.9]), 3)
    0.9
    """
    table = reliability(labels, probabilities, n_bins)
    weights = table["count"] / max(table["count"].sum(), 1)
    return float(np.sum(weights * np.abs(table["predicted"] - table["observed"])))


def f1_at(labels, probabilities, threshold: float) -> float:
    """F1 score of ``probabilities >= threshold`` (0 when nothing is predicted positive)."""
    labels = np.asarray(labels).astype(bool)
    predicted = np.asarray(probabilities, dtype=float) >= threshold
    tp = float((predicted & labels).sum())
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted.sum(), tp / labels.sum()
    return 2 * precision * recall / (precision + recall)


def best_threshold(labels, probabilities) -> float:
    """The threshold (among the observed probabilities) that maximises F1, chosen on validation data."""
    candidates = np.unique(np.asarray(probabilities, dtype=float))
    scores = [f1_at(labels, probabilities, t) for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def bootstrap_ci(metric, labels, scores, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """``(value, low, high)``: the metric and its percentile bootstrap interval over resampled cases.

    Resamples that lack a class the metric needs are skipped.

    Examples
    --------
    >>> value, low, high = bootstrap_ci(auroc, [0, 0, 1, 1] * 10, [0.1, 0.4, 0.35, 0.8] * 10, n_boot=200)
    >>> value, low <= value <= high
    (0.75, True)
    """
    labels, scores = np.asarray(labels), np.asarray(scores)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(labels), len(labels))
        try:
            values.append(metric(labels[pick], scores[pick]))
        except ValueError:
            continue
    low, high = np.percentile(values, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(metric(labels, scores)), float(low), float(high)


def fit_temperature(logits, labels) -> float:
    """Temperature T > 0 minimising the negative log-likelihood of ``sigmoid(logits / T)`` (Platt-style
    temperature scaling, fitted on validation data)."""
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels, dtype=float)

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        return float(np.mean(np.logaddexp(0, z) - labels * z))

    return float(np.exp(minimize_scalar(nll, bounds=(-4, 4), method="bounded").x))
