"""Brier skill score, the noise and debiasing of the ECE, and macro-F1 of cause classes, on known values."""

from math import comb

import numpy as np
import pytest

from lslib.evaluation.calibration import (
    brier_skill_score,
    debiased_ece,
    ece_floor,
    ece_noise,
    expected_calibration_error,
)
from lslib.evaluation.classification import macro_f1, majority_macro_f1, per_class_f1


def _mean_abs_deviation_of_half(n: int) -> float:
    """E|X/n - 1/2| for X ~ Binomial(n, 1/2), n even: (1/2) C(n, n/2) / 2**n."""
    return 0.5 * comb(n, n // 2) / 2**n


def test_brier_skill_score_known_values():
    labels = np.array([0, 0, 0, 1])
    climatology = np.full(4, 0.25)
    assert brier_skill_score(labels, labels.astype(float), 0.25) == 1.0
    assert brier_skill_score(labels, climatology, climatology) == 0.0
    assert brier_skill_score(labels, climatology, 0.25) == 0.0
    # Brier 0.125 against 0.1875 for the constant 0.25.
    assert brier_skill_score(labels, [0.0, 0.0, 0.5, 0.5], 0.25) == pytest.approx(1 / 3)
    assert brier_skill_score(labels, [0.0, 0.0, 0.5, 0.5], climatology) == pytest.approx(1 / 3)
    # A per-case reference, not a constant: Brier 0.25 for a reference of 0.5 everywhere.
    assert brier_skill_score([0, 1], [1.0, 0.0], [0.5, 0.5]) == pytest.approx(-3.0)
    assert brier_skill_score([0, 1], [0.2, 0.8], [0.0, 0.5]) == pytest.approx(1 - 0.04 / 0.125)


def test_brier_skill_score_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        brier_skill_score([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="same length"):
        brier_skill_score([0, 1], [0.5, 0.5], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="perfect"):
        brier_skill_score([0, 1], [0.5, 0.5], [0.0, 1.0])


def test_ece_noise_matches_the_binomial_mean():
    # All predictions 0.5 fall in one bin, so each draw's ECE is |mean(y) - 0.5|.
    noise = ece_noise(np.full(400, 0.5), n_draws=4000, seed=1)
    assert noise.shape == (4000,)
    assert noise.mean() == pytest.approx(_mean_abs_deviation_of_half(400), abs=0.001)
    # 100 sites of 4 windows each share one draw: the noise is that of 100 cases, twice as large.
    grouped = ece_noise(np.full(400, 0.5), n_draws=4000, seed=1, groups=np.repeat(np.arange(100), 4))
    assert grouped.mean() == pytest.approx(_mean_abs_deviation_of_half(100), abs=0.002)
    np.testing.assert_array_equal(ece_noise(np.full(50, 0.3), seed=7), ece_noise(np.full(50, 0.3), seed=7))


def test_ece_floor_is_the_quantile_of_ece_noise_and_unchanged():
    rng = np.random.default_rng(5)
    p, sites = rng.random(777), rng.integers(0, 50, 777)
    for groups in (None, sites):
        noise = ece_noise(p, n_bins=7, n_draws=300, seed=3, groups=groups)
        assert ece_floor(p, n_bins=7, n_draws=300, seed=3, quantile=0.5, groups=groups) == np.quantile(noise, 0.5)
    # The values ece_floor returned before it was built on ece_noise.
    assert ece_floor(p) == pytest.approx(0.04716338166562764, rel=1e-12)
    assert ece_floor(p, groups=sites) == pytest.approx(0.07939369943189167, rel=1e-12)


def test_debiased_ece_is_centred_on_zero_under_perfect_calibration():
    rng = np.random.default_rng(11)
    p = rng.random(5000)
    plain, debiased = [], []
    for _ in range(20):
        labels = rng.random(5000) < p
        plain.append(expected_calibration_error(labels, p))
        debiased.append(debiased_ece(labels, p))
    assert np.mean(plain) > 0.008  # the plug-in estimate is biased upwards ...
    assert abs(np.mean(debiased)) < 0.005  # ... and the correction removes that bias
    assert min(debiased) < 0 < max(debiased)  # so single values fall on either side of 0


def test_debiased_ece_is_the_ece_less_the_mean_noise():
    rng = np.random.default_rng(2)
    p, sites = rng.random(300), rng.integers(0, 30, 300)
    labels = rng.random(300) < p
    expected = expected_calibration_error(labels, p, 5) - ece_noise(p, 5, 50, 4, sites).mean()
    assert debiased_ece(labels, p, n_bins=5, n_draws=50, seed=4, groups=sites) == pytest.approx(expected, abs=1e-15)


def test_debiased_ece_sees_a_miscalibrated_forecast():
    # The true rate is p**2, so the calibration error is E[p - p**2] = 1/6 for p uniform.
    rng = np.random.default_rng(3)
    p = rng.random(5000)
    labels = rng.random(5000) < p**2
    value = debiased_ece(labels, p)
    assert value > 0.1
    # What is subtracted is the noise of a perfect forecaster, so a large gap comes out a little low.
    assert value == pytest.approx(1 / 6 - ece_noise(p).mean(), abs=0.015)


def test_per_class_and_macro_f1_known_values():
    true, predicted = [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]
    # Class 0: TP 2, FP 0, FN 1 -> 4/5; class 1: TP 1, FP 1, FN 1 -> 1/2; class 2: TP 1, FP 1 -> 2/3.
    np.testing.assert_allclose(per_class_f1(true, predicted, 4), [0.8, 0.5, 2 / 3, np.nan])
    assert macro_f1(true, predicted, 4) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert macro_f1(true, predicted, 4, classes=[0, 1]) == pytest.approx(0.65)
    # Class 3 is predicted but never true: F1 0, in the mean only when listed.
    np.testing.assert_allclose(per_class_f1([0, 0, 1], [0, 3, 1], 4), [2 / 3, 1.0, np.nan, 0.0])
    assert macro_f1([0, 0, 1], [0, 3, 1], 4) == pytest.approx((2 / 3 + 1) / 2)
    assert macro_f1([0, 0, 1], [0, 3, 1], 4, classes=[0, 1, 3]) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert np.isnan(macro_f1([0, 0, 1], [0, 3, 1], 4, classes=[0, 2]))
    with pytest.raises(ValueError, match="class labels"):
        per_class_f1([0, 4], [0, 1], 4)
    with pytest.raises(ValueError, match="at least one class"):
        macro_f1([], [], 3)


def test_majority_macro_f1_is_the_majority_f1_over_the_classes():
    # Always answering 0 (the most common training class): F1_0 = 2*2 / (2*2 + 4) = 1/2, the others 0.
    assert majority_macro_f1([0, 0, 0, 1, 2], [0, 0, 1, 1, 1, 2], 3) == pytest.approx(0.5 / 3)
    # Always answering 1: F1_1 = 2*3 / (2*3 + 3) = 2/3.
    assert majority_macro_f1([1, 1, 2], [0, 0, 1, 1, 1, 2], 3) == pytest.approx((2 / 3) / 3)
    # A tie in training goes to the smaller label.
    assert majority_macro_f1([2, 2, 1, 1], [1, 2], 3) == pytest.approx((2 / 3) / 2)
    with pytest.raises(ValueError, match="training label"):
        majority_macro_f1([], [0, 1], 2)
