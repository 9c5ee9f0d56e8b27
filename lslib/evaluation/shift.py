"""Distribution shift between two samples: the unbiased squared MMD with a Gaussian kernel
(Gretton et al. 2012), its permutation test, and a per-feature shift table (standardised mean
difference and Kolmogorov-Smirnov distance).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> same = mmd2(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), bandwidth=1.0)
>>> moved = mmd2(rng.normal(size=(200, 2)), rng.normal(2.0, 1.0, size=(200, 2)), bandwidth=1.0)
>>> abs(same) < 0.02 < moved
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lslib.data.distributions import ks_distance

__all__ = ["shift_ratio", "median_bandwidth", "mmd2", "mmd_test", "shift_table", "feature_sample"]


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def median_bandwidth(x: np.ndarray, y: np.ndarray, max_points: int = 1000, seed: int = 0) -> float:
    """The median heuristic: the median Euclidean distance between points of the pooled sample."""
    pooled = np.concatenate([np.asarray(x, float), np.asarray(y, float)])
    if len(pooled) > max_points:
        pooled = pooled[np.random.default_rng(seed).choice(len(pooled), max_points, replace=False)]
    distances = np.sqrt(_squared_distances(pooled, pooled))[np.triu_indices(len(pooled), k=1)]
    positive = distances[distances > 0]
    return float(np.median(positive)) if len(positive) else 1.0


def mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float | None = None, biased: bool = False) -> float:
    """Squared maximum mean discrepancy between samples ``x (n, d)`` and ``y (m, d)`` with the Gaussian kernel
    ``exp(-|a - b|^2 / (2 bandwidth^2))``: unbiased by default, the V-statistic with ``biased``.

    Zero in expectation when both samples come from one distribution (so it can be slightly
    negative); for ``N(0, s^2 I)`` against ``N(mu, s^2 I)`` in ``d`` dimensions it tends to
    ``2 (b^2 / (b^2 + 2 s^2))^(d/2) (1 - exp(-|mu|^2 / (2 (b^2 + 2 s^2))))`` with ``b`` the bandwidth.

    Parameters
    ----------
    x, y : arrays (n, d) and (m, d)
        The samples, in the same feature space; n, m >= 2.
    bandwidth : float, optional
        Kernel width, in feature units; by default :func:`median_bandwidth`.
    biased : bool
        The V-statistic (the diagonals kept): always positive, with a floor near ``(1 / n + 1 / m)`` times the
        mean kernel distance when both samples come from one distribution, so two such values at the same
        sample sizes can be divided (:func:`lslib.evaluation.shift_ratio`).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) and (m, d) with the same d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"each sample needs at least 2 points, got {len(x)} and {len(y)}")
    width = median_bandwidth(x, y) if bandwidth is None else float(bandwidth)
    if width <= 0:
        raise ValueError(f"bandwidth must be > 0, got {width}")
    scale = 2.0 * width**2
    kxx, kyy = np.exp(-_squared_distances(x, x) / scale), np.exp(-_squared_distances(y, y) / scale)
    kxy = np.exp(-_squared_distances(x, y) / scale)
    n, m = len(x), len(y)
    if biased:
        return float(kxx.mean() + kyy.mean() - 2.0 * kxy.mean())
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2.0 * kxy.mean()
    )


def mmd_test(x: np.ndarray, y: np.ndarray, n_perm: int = 200, seed: int = 0, max_points: int = 400) -> dict[str, float]:
    """Squared MMD (median-heuristic bandwidth) and its permutation p-value.

    Each sample is first subsampled to at most ``max_points`` points (the kernel matrices grow as
    the square). Returns ``mmd2``, ``p_value`` (share of label permutations with an MMD at least as
    large, counting the observed one) and ``bandwidth``.
    """
    rng = np.random.default_rng(seed)
    x, y = (np.asarray(v, float) for v in (x, y))
    x = x[rng.choice(len(x), max_points, replace=False)] if len(x) > max_points else x
    y = y[rng.choice(len(y), max_points, replace=False)] if len(y) > max_points else y
    width = median_bandwidth(x, y, seed=seed)
    observed = mmd2(x, y, width)
    pooled = np.concatenate([x, y])
    exceed = 0
    for _ in range(n_perm):
        order = rng.permutation(len(pooled))
        exceed += mmd2(pooled[order[: len(x)]], pooled[order[len(x) :]], width) >= observed
    return {"mmd2": observed, "p_value": (exceed + 1) / (n_perm + 1), "bandwidth": width}


def shift_table(
    source: dict[str, np.ndarray], target: dict[str, np.ndarray], units: dict[str, str] | None = None
) -> pd.DataFrame:
    """Feature-by-feature shift between two samples: the means, the standardised mean difference
    (target minus source, in pooled standard deviations) and the Kolmogorov-Smirnov distance (0: the
    same distribution, 1: no overlap). Rows sorted by KS distance, largest first."""
    rows = {}
    for name in source:
        a, b = np.asarray(source[name], float), np.asarray(target[name], float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        pooled = math.sqrt((a.var() + b.var()) / 2.0) or 1.0
        rows[name] = {
            "unit": (units or {}).get(name, ""),
            "source mean": a.mean(),
            "target mean": b.mean(),
            "SMD": (b.mean() - a.mean()) / pooled,
            "KS": ks_distance(a, b),
        }
    return pd.DataFrame(rows).T.sort_values("KS", ascending=False)


def feature_sample(
    features: np.ndarray, groups: Sequence[int] | np.ndarray, per_group: int = 1, seed: int = 0
) -> np.ndarray:
    """At most ``per_group`` rows of ``features`` per group (e.g. per site), so a sample of windows
    is not dominated by the many windows of a few sites; rows chosen with ``seed``."""
    rng = np.random.default_rng(seed)
    groups = np.asarray(groups)
    keep = [rng.permutation(np.nonzero(groups == g)[0])[:per_group] for g in np.unique(groups)]
    return features[np.sort(np.concatenate(keep))]


def shift_ratio(
    source: np.ndarray,
    target: np.ndarray,
    reference: np.ndarray,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_boot: int = 200,
    seed: int = 0,
    max_points: int = 300,
) -> dict[str, float]:
    """How far ``target`` lies from ``source``, as a multiple of how far ``reference`` (new samples of the source's
    own distribution) lies from it, with a bootstrap interval over the groups (sites).

    The ratio is ``MMD2(source, target) / MMD2(source, reference)`` with the biased squared MMD (:func:`mmd2`,
    ``biased=True``), one Gaussian bandwidth (the median heuristic on source and target) and target and reference
    cut to the same number of points, so the finite-sample floor cancels: about 1 when the target is no farther
    than new source sites are, larger the farther it is. Every resample draws the groups of each sample with
    replacement and takes all their rows.

    Parameters
    ----------
    source, target, reference : numpy.ndarray
        ``(n, d)``, ``(m, d)``, ``(r, d)`` features (e.g. a model's hidden features of windows); none of them may
        hold the model's training sites.
    groups : tuple of numpy.ndarray
        The group (site) of each row of ``source``, ``target`` and ``reference``.
    n_boot : int
        Resamples.
    seed : int
        Seed of the subsampling and the resamples.
    max_points : int
        Rows kept per sample at most (whole groups, chosen at random; the kernel grows as its square).

    Returns
    -------
    dict
        ``ratio``, ``low``, ``high`` (95 % percentile interval), ``between`` and ``within`` (the two biased
        MMD2), ``bandwidth`` and the rows used, ``n_source``, ``n_target``, ``n_reference``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same = [rng.normal(0, 1, (300, 3)) for _ in range(3)]  # three samples of one distribution
    >>> sites = [np.arange(300) // 3] * 3  # three rows per site
    >>> null = shift_ratio(*same, sites, n_boot=50)
    >>> bool(null["low"] < 1 < null["high"])
    True
    >>> far = shift_ratio(same[0], same[1] + 0.5, same[2], sites, n_boot=50)  # the target moved by 0.5 sd
    >>> bool(far["ratio"] > 10 and far["low"] > 1)
    True
    """
    rng = np.random.default_rng(seed)
    samples = [np.asarray(v, float) for v in (source, target, reference)]
    labels = [np.asarray(g) for g in groups]
    for sample, label in zip(samples, labels):
        if sample.ndim != 2 or len(sample) != len(label) or len(sample) < 2:
            raise ValueError(
                f"each sample must be (n >= 2, d) with one group per row, got {sample.shape}, {label.shape}"
            )
    members = [_group_rows(label, rng, max_points) for label in labels]
    size = min(sum(len(rows) for rows in members[1].values()), sum(len(rows) for rows in members[2].values()))
    members[1], members[2] = (_trim(m, size, rng) for m in members[1:])
    picks = [np.concatenate(list(m.values())) for m in members]
    x, y, z = (sample[pick] for sample, pick in zip(samples, picks))
    width = median_bandwidth(x, y, seed=seed)

    def ratio(parts: list[np.ndarray]) -> tuple[float, float, float]:
        a, b, c = (sample[p] for sample, p in zip(samples, parts))
        between, within = mmd2(a, b, width, biased=True), mmd2(a, c, width, biased=True)
        return between / within, between, within

    value, between, within = ratio(picks)
    draws = []
    for _ in range(n_boot):
        parts = [np.concatenate([m[k] for k in rng.choice(list(m), len(m))]) for m in members]
        draws.append(ratio(parts)[0])
    low, high = np.percentile(draws, [2.5, 97.5])
    return {
        "ratio": float(value),
        "low": float(low),
        "high": float(high),
        "between": between,
        "within": within,
        "bandwidth": width,
        "n_source": len(x),
        "n_target": len(y),
        "n_reference": len(z),
    }


def _group_rows(labels: np.ndarray, rng: np.random.Generator, max_points: int) -> dict:
    """Rows of each group, whole groups in random order until ``max_points`` rows."""
    groups = rng.permutation(np.unique(labels))
    out, total = {}, 0
    for group in groups:
        rows = np.nonzero(labels == group)[0]
        if total + len(rows) > max_points and out:
            break
        out[group], total = rows, total + len(rows)
    return out


def _trim(members: dict, size: int, rng: np.random.Generator) -> dict:
    """Whole groups, in random order, up to ``size`` rows (the last one cut)."""
    out, total = {}, 0
    for group in rng.permutation(list(members)):
        rows = members[group][: size - total]
        if not len(rows):
            break
        out[group], total = rows, total + len(rows)
    return out
