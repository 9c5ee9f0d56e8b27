"""Metrics of the study, checked against known values.

Examples
--------
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from lslib.data.distributions import ks_distance, lag1_autocorrelation  # noqa: F401  (re-exported: metrics of the study)

__all__ = ["auroc", "roc_curve", "auprc", "brier", "reliability", "expected_calibration_error", "f1_at", "best_threshold",
           "bootstrap_ci", "fit_temperature", "ks_distance", "lag1_autocorrelation", "bootstrap_resamples",
           "paired_bootstrap", "resample_draws", "ece_floor", "confusion_matrix", "per_class_recall", "mean_rank_correlation"]


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
    # One step per distinct score, from the highest down: tied scores form one threshold, whatever their order.
    distinct, step = np.unique(-scores, return_inverse=True)
    true_positives = np.cumsum(np.bincount(step, weights=labels, minlength=len(distinct)))
    predicted = np.cumsum(np.bincount(step, minlength=len(distinct)))
    recall = true_positives / labels.sum()
    return float(np.sum(np.diff(recall, prepend=0.0) * true_positives / predicted))


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


def bootstrap_resamples(n: int, groups=None, n_boot: int = 1000, seed: int = 0) -> list[np.ndarray]:
    """Index arrays of ``n_boot`` bootstrap resamples of ``n`` cases, shared by every model compared.

    With ``groups`` (for example the site of each forecasting window) whole groups are drawn with
    replacement (a cluster bootstrap), so that windows of one site, which are not independent, never
    narrow the interval as if they were.

    Examples
    --------
    >>> picks = bootstrap_resamples(6, groups=[0, 0, 1, 1, 2, 2], n_boot=50, seed=0)
    >>> all(len(set(p.tolist()) & {0, 1}) in (0, 2) for p in picks)  # a site's windows travel together
    True
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        return [rng.integers(0, n, n) for _ in range(n_boot)]
    groups = np.asarray(groups)
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} entries for {n} cases")
    unique, inverse = np.unique(groups, return_inverse=True)
    members = [np.nonzero(inverse == g)[0] for g in range(len(unique))]
    return [np.concatenate([members[g] for g in rng.integers(0, len(unique), len(unique))]) for _ in range(n_boot)]


def resample_draws(statistic, resamples: list[np.ndarray]) -> list:
    """``statistic(pick)`` for each resample ``pick`` (an index array), skipping the resamples where it
    is undefined (it raises ``ValueError``, e.g. a class is missing).

    Raises
    ------
    ValueError
        The statistic is undefined on every resample.
    """
    draws = []
    for pick in resamples:
        try:
            draws.append(statistic(pick))
        except ValueError:
            continue
    if not draws:
        raise ValueError(f"The statistic is undefined on every one of the {len(resamples)} resamples: "
                         "too few cases to bootstrap")
    return draws


def paired_bootstrap(metric, labels, scores: dict[str, np.ndarray], resamples: list[np.ndarray],
                     reference: str | None = None, level: float = 0.95) -> dict[str, dict[str, float]]:
    """Each model's metric with a percentile interval, all on the *same* resamples; with ``reference``
    also each model's difference to it (``diff``, ``diff_low``, ``diff_high``), paired per resample.

    Resamples where the metric is undefined (a class missing) are skipped for every model alike.

    Examples
    --------
    >>> labels = np.array([0, 1] * 50); good = labels + 0.1 * np.arange(100) % 0.3; bad = np.arange(100) % 7
    >>> table = paired_bootstrap(auroc, labels, {"good": good, "bad": bad}, bootstrap_resamples(100, n_boot=200),
    ...                          reference="bad")
    >>> table["good"]["value"] == 1.0 and table["good"]["diff_low"] > 0
    True
    """
    labels = np.asarray(labels)
    names = list(scores)
    draws = {name: [] for name in names}
    for pick in resamples:
        try:
            values = {name: metric(labels[pick], np.asarray(scores[name])[pick]) for name in names}
        except ValueError:
            continue
        for name in names:
            draws[name].append(values[name])
    if not draws[names[0]]:
        raise ValueError(f"The metric is undefined on every one of the {len(resamples)} resamples "
                         "(a class is missing from all of them): too few cases to bootstrap")
    tail = 50 * (1 - level)
    table: dict[str, dict[str, float]] = {}
    for name in names:
        value = float(metric(labels, np.asarray(scores[name])))
        low, high = np.percentile(draws[name], [tail, 100 - tail])
        row = {"value": value, "low": float(low), "high": float(high)}
        if reference is not None:
            differences = np.asarray(draws[name]) - np.asarray(draws[reference])
            row["diff"] = value - float(metric(labels, np.asarray(scores[reference])))
            row["diff_low"], row["diff_high"] = (float(v) for v in np.percentile(differences, [tail, 100 - tail]))
        table[name] = row
    return table


def ece_floor(probabilities, n_bins: int = 10, n_draws: int = 1000, seed: int = 0, quantile: float = 0.9,
              groups=None) -> float:
    """The ECE a *perfectly calibrated* model would show by chance with these predicted probabilities.

    Labels are drawn from Bernoulli(p) ``n_draws`` times and the ECE recomputed with the same bins;
    the ``quantile`` of those values is the noise floor (an ECE below it cannot be told apart from
    perfect calibration at this sample size). With ``groups`` (the site of each forecasting window)
    the cases of a group share one outcome, as the windows of one site do: one uniform number per
    group is compared with each case's p, so each case is still Bernoulli(p) but the group's cases
    move together, and the floor reflects the number of groups, not of cases.

    Examples
    --------
    >>> few, many = ece_floor(np.full(100, 0.3)), ece_floor(np.full(10000, 0.3))
    >>> bool(few > many > 0)
    True
    >>> shared = ece_floor(np.full(600, 0.3), groups=np.repeat(np.arange(100), 6))
    >>> bool(shared > ece_floor(np.full(600, 0.3)))
    True
    """
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0, 1)
    rng = np.random.default_rng(seed)
    if groups is None:
        inverse, n_groups = np.arange(len(probabilities)), len(probabilities)
    else:
        _, inverse = np.unique(np.asarray(groups), return_inverse=True)
        n_groups = int(inverse.max()) + 1 if len(inverse) else 0
    values = [expected_calibration_error(rng.random(n_groups)[inverse] < probabilities, probabilities, n_bins)
              for _ in range(n_draws)]
    return float(np.quantile(values, quantile))


def confusion_matrix(true, predicted, n_classes: int) -> np.ndarray:
    """``(n_classes, n_classes)`` counts: row = true class, column = predicted class.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3).tolist()
    [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    """
    true, predicted = np.asarray(true, dtype=int), np.asarray(predicted, dtype=int)
    if true.size and (min(true.min(), predicted.min()) < 0 or max(true.max(), predicted.max()) >= n_classes):
        raise ValueError(f"class labels must lie in [0, {n_classes})")
    return np.bincount(true * n_classes + predicted, minlength=n_classes ** 2).reshape(n_classes, n_classes)


def per_class_recall(matrix: np.ndarray) -> np.ndarray:
    """Recall of each class from a confusion matrix (NaN for a class that never occurs).

    Examples
    --------
    >>> per_class_recall(np.array([[1, 1], [0, 0]])).tolist()
    [0.5, nan]
    """
    matrix = np.asarray(matrix, dtype=float)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(matrix) / support, np.nan)


def mean_rank_correlation(weights, values, valid, min_spread: float = 0.05) -> tuple[float, int]:
    """Mean Spearman correlation, within each sample, between ``weights`` and ``values`` over the valid
    entries, e.g. attention against the cloud fraction of each frame; samples whose values vary by
    less than ``min_spread`` (all frames about equally cloudy) or that have fewer than 3 valid
    entries are skipped. Returns ``(mean, n_samples_used)``.

    Examples
    --------
    >>> w = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]); c = np.array([[0.0, 0.4, 0.9], [0.0, 0.4, 0.9]])
    >>> mean_rank_correlation(w, c, np.ones((2, 3), bool))
    (0.0, 2)
    """
    weights, values, valid = np.asarray(weights, float), np.asarray(values, float), np.asarray(valid, bool)
    correlations = []
    for w, v, keep in zip(weights, values, valid):
        if keep.sum() < 3 or np.ptp(v[keep]) < min_spread:
            continue
        rho = stats.spearmanr(w[keep], v[keep])[0]
        if np.isfinite(rho):
            correlations.append(rho)
    return (float(np.mean(correlations)) if correlations else float("nan")), len(correlations)
