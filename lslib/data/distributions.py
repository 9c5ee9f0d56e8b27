"""Distribution comparisons of the data layer: how far apart two samples, or how smooth a field.

Kept in the data layer (numpy and scipy only) because the simulator's calibration against real data
(:mod:`lslib.data.calibration`) needs them; :mod:`lslib.evaluation` re-exports them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["ks_distance", "lag1_autocorrelation"]


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
