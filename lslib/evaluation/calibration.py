"""Calibration of probabilities: Brier score and skill score, reliability bins, the expected
calibration error, its noise under perfect calibration (floor and debiased ECE), and temperature scaling.
"""

from __future__ import annotations

import numpy as np

from lslib.data.distributions import ks_distance, lag1_autocorrelation  # noqa: F401  (re-exported: metrics of the study)

__all__ = [
    "brier",
    "brier_skill_score",
    "reliability",
    "expected_calibration_error",
    "fit_temperature",
    "ece_noise",
    "ece_floor",
    "debiased_ece",
]


def brier(labels, probabilities) -> float:
    """Mean squared error of probabilities against 0/1 outcomes (lower is better).

    Examples
    --------
    >>> brier([0, 1], [0.0, 1.0]), brier([0, 1], [0.5, 0.5])
    (0.0, 0.25)
    """
    labels = np.asarray(labels, dtype=float)
    return float(np.mean((np.asarray(probabilities, dtype=float) - labels) ** 2))


def brier_skill_score(labels, probabilities, reference) -> float:
    """Brier skill score ``1 - Brier(probabilities) / Brier(reference)`` against a reference forecast.

    Parameters
    ----------
    labels : array-like of 0/1
        Outcomes, one per case (e.g. per forecasting window).
    probabilities : array-like of float
        The forecast probabilities in [0, 1], one per case.
    reference : float or array-like of float
        The reference probabilities, one per case (e.g. climatology of each site), or one number for
        a constant forecast (e.g. the base rate of the training data).

    Returns
    -------
    float
        Dimensionless: 1 for a perfect forecast, 0 for one no better than the reference, negative for
        a worse one.

    Raises
    ------
    ValueError
        When ``probabilities`` or an array ``reference`` differs in length from ``labels``, or when the
        reference is itself perfect (Brier score 0), so that no skill can be measured against it.

    Examples
    --------
    >>> brier_skill_score([0, 0, 0, 1], [0.0, 0.0, 0.0, 1.0], 0.25)
    1.0
    >>> round(brier_skill_score([0, 0, 0, 1], [0.0, 0.0, 0.5, 0.5], 0.25), 4)
    0.3333
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if probabilities.shape != labels.shape or (reference.ndim and reference.shape != labels.shape):
        raise ValueError(
            f"labels {labels.shape}, probabilities {probabilities.shape} and reference {reference.shape} "
            "must have the same length (or the reference be one number)"
        )
    reference_brier = brier(labels, np.broadcast_to(reference, labels.shape))
    if reference_brier == 0:
        raise ValueError("the reference forecast is perfect (Brier score 0): skill against it is undefined")
    return 1.0 - brier(labels, probabilities) / reference_brier


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


def ece_noise(probabilities, n_bins: int = 10, n_draws: int = 200, seed: int = 0, groups=None) -> np.ndarray:
    """The ECEs a *perfectly calibrated* forecaster with these probabilities shows by chance.

    Labels are drawn from Bernoulli(p) ``n_draws`` times and :func:`expected_calibration_error`
    recomputed each time with the same ``n_bins`` bins. With ``groups`` (the site of each forecasting
    window) the cases of a group share one outcome draw, as the windows of one site do: one uniform
    number per group is compared with each case's p, so each case is still Bernoulli(p) but the
    group's cases move together, and the spread reflects the number of groups, not of cases.

    Parameters
    ----------
    probabilities : array-like of float
        Predicted probabilities, one per case (clipped to [0, 1]).
    n_bins : int, default 10
        Number of equal-width probability bins of the ECE.
    n_draws : int, default 200
        Number of simulated label sets.
    seed : int, default 0
        Seed of the draws (:func:`numpy.random.default_rng`).
    groups : array-like, optional
        A group key per case (e.g. site id); cases of one group share one uniform draw.

    Returns
    -------
    numpy.ndarray
        ``(n_draws,)`` ECE values, in probability units (fractions in [0, 1]), in the order drawn.

    Examples
    --------
    >>> noise = ece_noise(np.full(400, 0.5), n_draws=2000, seed=1)
    >>> noise.shape, bool(abs(noise.mean() - np.sqrt(0.25 / 400) * np.sqrt(2 / np.pi)) < 0.002)
    ((2000,), True)
    """
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 0, 1)
    rng = np.random.default_rng(seed)
    if groups is None:
        inverse, n_groups = np.arange(len(probabilities)), len(probabilities)
    else:
        _, inverse = np.unique(np.asarray(groups), return_inverse=True)
        n_groups = int(inverse.max()) + 1 if len(inverse) else 0
    return np.array(
        [
            expected_calibration_error(rng.random(n_groups)[inverse] < probabilities, probabilities, n_bins)
            for _ in range(n_draws)
        ],
        dtype=float,
    )


def ece_floor(
    probabilities, n_bins: int = 10, n_draws: int = 1000, seed: int = 0, quantile: float = 0.9, groups=None
) -> float:
    """The ECE a *perfectly calibrated* model would show by chance with these predicted probabilities.

    The ``quantile`` of :func:`ece_noise` (labels drawn from Bernoulli(p) ``n_draws`` times, the ECE
    recomputed with the same bins) is the noise floor: an ECE below it cannot be told apart from
    perfect calibration at this sample size. With ``groups`` (the site of each forecasting window)
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
    values = ece_noise(probabilities, n_bins=n_bins, n_draws=n_draws, seed=seed, groups=groups)
    return float(np.quantile(values, quantile))


def debiased_ece(labels, probabilities, n_bins: int = 10, n_draws: int = 200, seed: int = 0, groups=None) -> float:
    """The ECE minus the ECE that perfect calibration shows on average with these probabilities.

    The binned plug-in ECE is biased upwards: within each bin the observed frequency scatters around
    its expectation, and the absolute gap turns that scatter into a positive error even for a perfectly
    calibrated forecaster, the more so the fewer cases a bin holds (Kumar, Liang & Ma 2019, "Verified
    uncertainty calibration", NeurIPS; Roelofs et al. 2022, "Mitigating bias in calibration error
    estimation", AISTATS). Here that bias is estimated by simulation, as the mean of
    :func:`ece_noise` (labels drawn from Bernoulli(p), with ``groups`` sharing one draw per group),
    and subtracted.

    Parameters
    ----------
    labels : array-like of 0/1
        Outcomes, one per case.
    probabilities : array-like of float
        Predicted probabilities, one per case.
    n_bins, n_draws, seed, groups
        As in :func:`ece_noise`.

    Returns
    -------
    float
        In probability units. Its expectation is 0 under perfect calibration, so it may be negative:
        then the calibration error cannot be told apart from none. Under miscalibration the noise
        subtracted is that of a perfect forecaster, so the value is a correction, not an unbiased
        estimate of the true calibration error.

    Examples
    --------
    >>> p = np.linspace(0.05, 0.95, 2000)
    >>> y = np.random.default_rng(0).random(2000) < p
    >>> bool(expected_calibration_error(y, p) > 0.01 > abs(debiased_ece(y, p)))
    True
    """
    noise = ece_noise(probabilities, n_bins=n_bins, n_draws=n_draws, seed=seed, groups=groups)
    return expected_calibration_error(labels, probabilities, n_bins) - float(noise.mean())
