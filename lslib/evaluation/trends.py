"""Trend statistics for short, irregular, seasonal series (chapter 2's Mud Creek test).

Examples
--------
>>> t = np.arange(10.0)
>>> theil_sen(t, 2 * t + 1)
(2.0, 1.0)
>>> round(mann_kendall(t)["tau"], 6)
1.0
"""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from lslib.evaluation.resampling import (
    _interval,
    _legacy_tails,
    percentile_interval,
    resample_draws,
    resample_indices,
)

__all__ = [
    "theil_sen",
    "mann_kendall",
    "modified_mann_kendall",
    "bootstrap_slope_ci",
    "block_bootstrap_slope_ci",
    "seasonal_permutation_test",
    "block_permutation_test",
    "remove_seasonal",
    "block_length",
]


def theil_sen(t, y) -> tuple[float, float]:
    """Theil-Sen slope (median of pairwise slopes) and intercept (median of y - slope * t)."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    if len(t) < 2:
        raise ValueError("Theil-Sen needs at least two points")
    i, j = np.triu_indices(len(t), k=1)
    keep = t[j] != t[i]
    slope = float(np.median((y[j] - y[i])[keep] / (t[j] - t[i])[keep]))
    return slope, float(np.median(y - slope * t))


def mann_kendall(y) -> dict[str, float]:
    """Mann-Kendall trend test: S, Kendall's tau, the normal score z (tie-corrected) and two-sided p."""
    y = np.asarray(y, float)
    n = len(y)
    if n < 3:
        raise ValueError("Mann-Kendall needs at least three points")
    i, j = np.triu_indices(n, k=1)
    s = float(np.sign(y[j] - y[i]).sum())
    _, counts = np.unique(y, return_counts=True)
    variance = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18.0
    z = 0.0 if s == 0 else (s - np.sign(s)) / np.sqrt(variance)
    return {"s": s, "tau": s / (n * (n - 1) / 2), "z": float(z), "p": float(2 * scipy_stats.norm.sf(abs(z)))}


def bootstrap_slope_ci(t, y, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the Theil-Sen slope, resampling the points.

    Parameters
    ----------
    t : array-like of float, shape (n,)
        Times (any unit, e.g. days).
    y : array-like of float, shape (n,)
        Values at those times.
    n_boot : int, default 2000
        Number of resamples; those with fewer than two distinct times (no slope) are skipped.
    seed : int, default 0
        Seed of the resamples.
    level : float, default 0.95
        Coverage; tails ``50 (1 - level)`` percent as this function always computed them (see
        :func:`lslib.evaluation.resampling.paired_bootstrap`).

    Returns
    -------
    low, high : float
        The interval of the slope, in units of ``y`` per unit of ``t``.

    Examples
    --------
    >>> t = np.arange(12.0)
    >>> low, high = bootstrap_slope_ci(t, 0.5 * t + np.sin(t), n_boot=300)
    >>> bool(low < 0.5 < high)
    True
    """
    t, y = np.asarray(t, float), np.asarray(y, float)

    def slope(pick: np.ndarray) -> float:
        if len(np.unique(t[pick])) < 2:
            raise ValueError("fewer than two distinct times in this resample")
        return theil_sen(t[pick], y[pick])[0]

    draws = resample_draws(slope, resample_indices(len(t), n_boot=n_boot, seed=seed))
    return _interval(draws, _legacy_tails(level))


def remove_seasonal(day_of_year, y) -> np.ndarray:
    """Residuals of ``y`` after a least-squares annual harmonic (mean + cos + sin of the day of year)."""
    angle = 2 * np.pi * np.asarray(day_of_year, float) / 365.25
    design = np.column_stack([np.ones_like(angle), np.cos(angle), np.sin(angle)])
    coefficients, *_ = np.linalg.lstsq(design, np.asarray(y, float), rcond=None)
    return np.asarray(y, float) - design @ coefficients


def seasonal_permutation_test(t, day_of_year, y, n_perm: int = 5000, seed: int = 0) -> dict[str, float]:
    """Is the trend of ``y`` larger than the seasonal pattern and noise alone would give?

    The annual harmonic is removed; the Theil-Sen slope of the residuals is compared with the slopes
    of ``n_perm`` random permutations of the residuals over the same times (which keep the seasonal
    model and the residual distribution but break any trend). Returns the observed slope and the
    two-sided permutation p-value.
    """
    residuals = remove_seasonal(day_of_year, y)
    observed = theil_sen(t, residuals)[0]
    rng = np.random.default_rng(seed)
    permuted = np.array([theil_sen(t, rng.permutation(residuals))[0] for _ in range(n_perm)])
    p = (np.sum(np.abs(permuted) >= abs(observed)) + 1) / (n_perm + 1)
    return {"slope": float(observed), "p": float(p)}


def modified_mann_kendall(y) -> dict[str, float]:
    """Mann-Kendall test with the variance of S corrected for serial correlation (Hamed and Rao 1998,
    as pymannkendall's ``hamed_rao_modification_test`` computes it): S, tau, z and two-sided p.

    Neighbouring dates of a vegetation series are not independent, which makes the plain test see
    trends that are not there; the correction inflates the variance of S by the series' significant
    rank autocorrelations.

    Examples
    --------
    >>> y = np.arange(20.0) + np.random.default_rng(0).normal(size=20)
    >>> result = modified_mann_kendall(y)
    >>> bool(result["p"] < 0.01 and result["tau"] > 0.5)
    True
    """
    import pymannkendall

    y = np.asarray(y, float)
    if len(y) < 3:
        raise ValueError("Mann-Kendall needs at least three points")
    result = pymannkendall.hamed_rao_modification_test(y)
    return {"s": float(result.s), "tau": float(result.Tau), "z": float(result.z), "p": float(result.p)}


def block_length(n: int) -> int:
    """The moving-block length used for ``n`` serially correlated points: ``n ** (1/3)``, rounded, at
    least 2 (the usual rate for variance estimation; Lahiri 2003)."""
    return max(2, int(round(n ** (1 / 3))))


def _block_indices(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a moving-block resample: blocks of ``block`` consecutive points, starts drawn at random,
    concatenated and cut to ``n``."""
    starts = rng.integers(0, n - block + 1, size=-(-n // block))
    return np.concatenate([np.arange(start, start + block) for start in starts])[:n]


def block_bootstrap_slope_ci(
    t, y, n_boot: int = 2000, seed: int = 0, level: float = 0.95, block: int | None = None
) -> tuple[float, float]:
    """Moving-block bootstrap interval of the Theil-Sen slope, for serially correlated residuals.

    The residuals about the fitted line are resampled in blocks of ``block`` consecutive dates (default
    :func:`block_length`), which keeps their autocorrelation, and added back to the line at the original
    times; the interval is the percentile interval of the resampled slopes.

    Returns
    -------
    low, high : float
        In units of ``y`` per unit of ``t``.

    Examples
    --------
    Residuals that stay alike for six dates at a time widen the interval well beyond the one that
    resamples single points (:func:`bootstrap_slope_ci`):

    >>> t = np.arange(48.0)
    >>> y = 0.5 * t + np.repeat(np.random.default_rng(1).normal(0, 2, 8), 6)
    >>> blocked, points = block_bootstrap_slope_ci(t, y, n_boot=300), bootstrap_slope_ci(t, y, n_boot=300)
    >>> bool(blocked[0] < 0.5 < blocked[1]), bool(blocked[1] - blocked[0] > 2 * (points[1] - points[0]))
    (True, True)
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    slope, intercept = theil_sen(t, y)
    fitted = intercept + slope * t
    residuals = y - fitted
    block = block or block_length(len(t))
    if not 1 <= block <= len(t):
        raise ValueError(f"block must be between 1 and {len(t)} points, got {block}")
    rng = np.random.default_rng(seed)
    draws = [theil_sen(t, fitted + residuals[_block_indices(len(t), block, rng)])[0] for _ in range(n_boot)]
    return percentile_interval(draws, level)


def block_permutation_test(
    t, day_of_year, y, n_perm: int = 5000, seed: int = 0, block: int | None = None
) -> dict[str, float]:
    """:func:`seasonal_permutation_test` with the residuals permuted in blocks of consecutive dates
    (default :func:`block_length`), so the null keeps their serial correlation instead of treating
    neighbouring dates as independent. Returns the observed slope and the two-sided p-value."""
    residuals = remove_seasonal(day_of_year, y)
    observed = theil_sen(t, residuals)[0]
    n = len(residuals)
    block = block or block_length(n)
    blocks = [residuals[i : i + block] for i in range(0, n, block)]
    rng = np.random.default_rng(seed)
    permuted = np.array(
        [theil_sen(t, np.concatenate([blocks[i] for i in rng.permutation(len(blocks))]))[0] for _ in range(n_perm)]
    )
    p = (np.sum(np.abs(permuted) >= abs(observed)) + 1) / (n_perm + 1)
    return {"slope": float(observed), "p": float(p), "block": int(block)}
