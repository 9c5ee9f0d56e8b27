"""Calibration of probabilities: Brier score, reliability bins, the expected calibration error and
its noise floor under perfect calibration, and temperature scaling.
"""

from __future__ import annotations

import numpy as np

from lslib.data.distributions import ks_distance, lag1_autocorrelation  # noqa: F401  (re-exported: metrics of the study)

__all__ = ["brier", "reliability", "expected_calibration_error", "fit_temperature", "ece_floor"]


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


def ece_floor(
    probabilities, n_bins: int = 10, n_draws: int = 1000, seed: int = 0, quantile: float = 0.9, groups=None
) -> float:
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
    values = [
        expected_calibration_error(rng.random(n_groups)[inverse] < probabilities, probabilities, n_bins)
        for _ in range(n_draws)
    ]
    return float(np.quantile(values, quantile))
