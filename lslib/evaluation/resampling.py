"""Bootstrap intervals: percentile intervals of a metric over resampled cases or clusters, and
paired comparisons of several models on the same resamples.
"""

from __future__ import annotations

import numpy as np
from lslib.data.distributions import ks_distance, lag1_autocorrelation  # noqa: F401  (re-exported: metrics of the study)

__all__ = ["bootstrap_ci", "bootstrap_resamples", "resample_draws", "paired_bootstrap"]


def bootstrap_ci(metric, labels, scores, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """``(value, low, high)``: the metric and its percentile bootstrap interval over resampled cases.

    Resamples that lack a class the metric needs are skipped.

    Examples
    --------
    >>> from lslib.evaluation.classification import auroc
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
    >>> from lslib.evaluation.classification import auroc
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
