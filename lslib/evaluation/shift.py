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

__all__ = ["median_bandwidth", "mmd2", "mmd_test", "shift_table", "feature_sample"]


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


def mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased squared maximum mean discrepancy between samples ``x (n, d)`` and ``y (m, d)`` with
    the Gaussian kernel ``exp(-|a - b|^2 / (2 bandwidth^2))``.

    Zero in expectation when both samples come from one distribution (so it can be slightly
    negative); for ``N(0, s^2 I)`` against ``N(mu, s^2 I)`` in ``d`` dimensions it tends to
    ``2 (b^2 / (b^2 + 2 s^2))^(d/2) (1 - exp(-|mu|^2 / (2 (b^2 + 2 s^2))))`` with ``b`` the bandwidth.

    Parameters
    ----------
    x, y : arrays (n, d) and (m, d)
        The samples, in the same feature space; n, m >= 2.
    bandwidth : float, optional
        Kernel width, in feature units; by default :func:`median_bandwidth`.
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
