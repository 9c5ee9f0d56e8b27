"""Metrics of the study, checked against known values.

Examples
--------
>>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lslib.data.distributions import ks_distance, lag1_autocorrelation  # noqa: F401  (re-exported: metrics of the study)
from lslib.evaluation.resampling import bootstrap

__all__ = [
    "RankedScores",
    "sigmoid",
    "auroc",
    "roc_curve",
    "auprc",
    "f1_at",
    "best_threshold",
    "confusion_matrix",
    "per_class_recall",
    "per_class_f1",
    "macro_f1",
    "majority_macro_f1",
    "mean_rank_correlation",
    "slid_mean",
    "balanced_accuracy",
    "score_predictions",
]


def sigmoid(x: float | np.ndarray) -> np.floating | np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, e.g. a probability from a logit, without overflow.

    Parameters
    ----------
    x : float or array-like of float
        Logits; a floating array keeps its precision (float32 stays float32), anything else is float64.

    Returns
    -------
    numpy scalar or numpy.ndarray
        Values in [0, 1], of the shape of ``x``.

    Notes
    -----
    Wherever ``exp(-x)`` is finite this computes exactly ``1.0 / (1.0 + np.exp(-x))``, bit for bit, the
    expression the study wrote by hand before; where it overflows (``x`` below about -709 in float64,
    -88 in float32), which made that expression warn and return 0, it returns ``exp(x)`` (the same limit,
    tiny rather than 0), without a warning.

    Examples
    --------
    >>> sigmoid(0.0)
    np.float64(0.5)
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    >>> sigmoid(np.float32([2.0])).dtype
    dtype('float32')
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(float)
    with np.errstate(over="ignore"):
        decay = np.exp(-x)
        out = np.where(np.isinf(decay), np.exp(x), 1.0 / (1.0 + decay))
    return out if out.ndim else out[()]


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
    return np.bincount(true * n_classes + predicted, minlength=n_classes**2).reshape(n_classes, n_classes)


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


def per_class_f1(true, predicted, n_classes: int) -> np.ndarray:
    """F1 score of each class, ``2 TP / (2 TP + FP + FN)``, from :func:`confusion_matrix`.

    Parameters
    ----------
    true, predicted : array-like of int
        Class labels in ``[0, n_classes)``, one per record.
    n_classes : int
        Number of classes.

    Returns
    -------
    numpy.ndarray
        ``(n_classes,)`` dimensionless scores in [0, 1]; 0 for a class predicted but never true (or true
        but never predicted), NaN for a class absent from both ``true`` and ``predicted``.

    Examples
    --------
    >>> per_class_f1([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 4).round(3).tolist()
    [0.8, 0.5, 0.667, nan]
    """
    matrix = confusion_matrix(true, predicted, n_classes).astype(float)
    hits = np.diag(matrix)
    denominator = matrix.sum(axis=0) + matrix.sum(axis=1)  # 2 TP + FP + FN
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * hits / denominator, np.nan)


def macro_f1(true, predicted, n_classes: int, classes=None) -> float:
    """Mean of :func:`per_class_f1` over the classes present in ``true``, or over ``classes``.

    A prediction of a class absent from ``true`` lowers the recall, hence the F1, of the true class, as
    in :func:`balanced_accuracy`; the absent class's own F1 (0) enters the mean only if it is listed in
    ``classes``.

    Parameters
    ----------
    true, predicted, n_classes
        As in :func:`per_class_f1`.
    classes : sequence of int, optional
        The classes to average over (e.g. all classes of the study, so that predicting an absent class
        costs a 0); a listed class absent from both ``true`` and ``predicted`` makes the mean NaN.

    Returns
    -------
    float
        Dimensionless, in [0, 1].

    Raises
    ------
    ValueError
        When there is no class to average over (``true`` empty and no ``classes``).

    Examples
    --------
    >>> round(macro_f1([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 4), 4)
    0.6556
    >>> macro_f1([0, 0, 1], [0, 3, 1], 4, classes=[0, 1, 3]) == (2 / 3 + 1 + 0) / 3
    True
    """
    scores = per_class_f1(true, predicted, n_classes)
    chosen = np.unique(np.asarray(true, dtype=int)) if classes is None else np.asarray(classes, dtype=int)
    if chosen.size == 0:
        raise ValueError("macro-F1 needs at least one class to average over")
    return float(np.mean(scores[chosen]))


def majority_macro_f1(train_labels, true, n_classes: int) -> float:
    """Macro-F1 (:func:`macro_f1`) of always answering the most common class of ``train_labels``
    (the smallest label among ties); with ``k`` classes present in ``true`` it is ``F1_majority / k``.

    Raises
    ------
    ValueError
        When ``train_labels`` is empty, or a label lies outside ``[0, n_classes)``.

    Examples
    --------
    >>> majority_macro_f1([0, 0, 0, 1, 2], [0, 0, 1, 1, 1, 2], 3) == 0.5 / 3
    True
    """
    train_labels = np.asarray(train_labels, dtype=int)
    if train_labels.size == 0:
        raise ValueError("majority_macro_f1 needs at least one training label")
    majority = int(np.argmax(np.bincount(train_labels, minlength=n_classes)))
    true = np.asarray(true, dtype=int)
    return macro_f1(true, np.full(true.shape, majority), n_classes)


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


def slid_mean(labels: np.ndarray, values: np.ndarray) -> float:
    """Mean of ``values`` over the windows that slid (a cause accuracy when ``values`` marks correct
    triggers); undefined (``ValueError``) when no window slid, so a bootstrap skips that resample."""
    keep = np.asarray(labels) > 0.5
    if not keep.any():
        raise ValueError("no slide in this resample")
    return float(np.asarray(values)[keep].mean())


def balanced_accuracy(true: np.ndarray, predicted: np.ndarray) -> float:
    """Mean recall over the classes present in ``true`` (a prediction of an absent class counts
    as an error). Always answering one class scores 1 / (number of classes)."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    return float(np.mean([(predicted[true == c] == c).mean() for c in np.unique(true)]))


def score_predictions(predictions: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict[str, object]:
    """Balanced accuracy of predicted classes with its bootstrap interval, per-class recall and scale.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Columns ``true`` and ``predicted`` (class labels, e.g. cause names), one row per record; and, optionally,
        ``cluster``: records of one cluster (e.g. one storm's reports, close in time) are resampled together.
    n_boot : int, default 1000
        Number of resamples of the records: of whole clusters when there is a ``cluster`` column, otherwise of
        records, stratified by true class so that every class stays present
        (:func:`lslib.evaluation.resampling.resample_indices` with ``groups`` or ``strata``). A cluster resample
        may leave a rare class out: its balanced accuracy is then over the classes drawn.
    seed : int, default 0
        Seed of the resamples.

    Returns
    -------
    dict
        ``balanced_accuracy`` with its 95% interval ``low``, ``high``; ``recall`` and ``count`` per class;
        plain ``accuracy``; ``chance_balanced_accuracy`` (always answering one class); ``matrix``, the
        counts of true (rows) against predicted (columns) classes.

    Examples
    --------
    >>> table = pd.DataFrame({"true": ["rain"] * 6 + ["quake"] * 2, "predicted": ["rain"] * 7 + ["quake"]})
    >>> scores = score_predictions(table, n_boot=200)
    >>> scores["balanced_accuracy"], scores["chance_balanced_accuracy"], scores["low"] <= 0.75 <= scores["high"]
    (0.75, 0.5, True)
    """
    true, predicted = predictions["true"].to_numpy(), predictions["predicted"].to_numpy()
    clusters = {"groups": predictions["cluster"].to_numpy()} if "cluster" in predictions else {"strata": true}
    value, low, high = bootstrap(
        lambda pick: balanced_accuracy(true[pick], predicted[pick]), len(true), n_boot=n_boot, seed=seed, **clusters
    )
    classes = list(np.unique(true))
    return {
        "balanced_accuracy": value,
        "low": low,
        "high": high,
        "recall": {c: float((predicted[true == c] == c).mean()) for c in classes},
        "count": {c: int((true == c).sum()) for c in classes},
        "accuracy": float((true == predicted).mean()),
        "chance_balanced_accuracy": 1.0 / len(classes),
        "matrix": _matrix(true, predicted),
    }


def _matrix(true: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """Counts of true (rows) against predicted (columns) causes."""
    return pd.crosstab(pd.Series(true, name="true cause"), pd.Series(predicted, name="predicted cause"))


class RankedScores:
    """Scores sorted once, for the AUROC of many weighted resamples of the same cases.

    A bootstrap resample of cases is a weight per case (how often it was drawn), so the AUROC of a resample is a
    weighted Mann-Whitney statistic over the cases in score order; sorting once makes each resample linear in the
    number of cases instead of a sort.

    Parameters
    ----------
    labels : array of 0/1, shape (n,)
    scores : array of float, shape (n,)

    Examples
    --------
    >>> labels, scores = np.array([0, 1, 0, 1, 1]), np.array([0.1, 0.4, 0.4, 0.8, 0.3])
    >>> ranked = RankedScores(labels, scores)
    >>> ranked.auroc(np.ones(5)) == auroc(labels, scores)
    True
    >>> pick = np.array([0, 0, 1, 3, 2])
    >>> bool(np.isclose(ranked.auroc(np.bincount(pick, minlength=5)), auroc(labels[pick], scores[pick])))
    True
    """

    def __init__(self, labels, scores) -> None:
        labels = np.asarray(labels).astype(bool)
        scores = np.asarray(scores, dtype=float)
        if labels.shape != scores.shape or labels.ndim != 1:
            raise ValueError(f"labels {labels.shape} and scores {scores.shape} must be the same 1-D shape")
        self.order = np.argsort(scores, kind="stable")
        ordered = scores[self.order]
        self.starts = np.concatenate([[0], np.nonzero(np.diff(ordered))[0] + 1])
        self.positive = labels[self.order]

    def auroc(self, weights: np.ndarray) -> float:
        """The AUROC of the cases drawn ``weights`` times each (NaN when a class has no weight)."""
        w = np.asarray(weights, dtype=float)[self.order]
        pos = np.add.reduceat(np.where(self.positive, w, 0.0), self.starts)
        neg = np.add.reduceat(np.where(self.positive, 0.0, w), self.starts)
        n_pos, n_neg = pos.sum(), neg.sum()
        if n_pos <= 0 or n_neg <= 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return float((pos * (below + 0.5 * neg)).sum() / (n_pos * n_neg))
