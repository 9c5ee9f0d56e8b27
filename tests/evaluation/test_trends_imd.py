"""Trend statistics against known cases, and the IMD rainfall records of Malin's monsoon."""

import numpy as np
import pytest

from lslib.data.imd import district_normals, month_anomalies
from lslib.evaluation.trends import bootstrap_slope_ci, mann_kendall, seasonal_permutation_test, theil_sen


def test_theil_sen_resists_outliers_and_mann_kendall_known_values():
    t = np.arange(20.0)
    y = 0.5 * t + 3
    y[5] = 100.0  # one outlier
    assert theil_sen(t, y)[0] == pytest.approx(0.5)
    assert mann_kendall(t)["tau"] == 1.0 and mann_kendall(t[::-1])["tau"] == -1.0
    flat = mann_kendall(np.ones(10))
    assert flat["s"] == 0 and flat["p"] == 1.0
    assert mann_kendall(np.arange(30.0))["p"] < 1e-6


def test_bootstrap_interval_covers_the_true_slope():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 600, 40))
    y = -0.0005 * t + rng.normal(0, 0.02, 40)
    low, high = bootstrap_slope_ci(t, y, n_boot=500)
    assert low < -0.0005 < high and high < 0


def test_the_permutation_test_separates_trend_from_season():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 600, 30))
    doy = t % 365.25
    seasonal = 0.2 * np.cos(2 * np.pi * doy / 365.25) + rng.normal(0, 0.02, 30)
    assert seasonal_permutation_test(t, doy, seasonal, n_perm=500)["p"] > 0.05
    trending = seasonal - 0.0006 * t
    assert seasonal_permutation_test(t, doy, trending, n_perm=500)["p"] < 0.01


def test_malins_monsoon_in_the_imd_records(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    table = month_anomalies("Madhya Maharashtra", 2014)
    assert table.loc["JUL", "rain_mm"] == 277.9 and table.loc["JUN", "rain_mm"] == 44.0
    assert 60 < table.loc["JUL", "percentile"] < 68  # about the 64th percentile of 1901-2015 Julys
    assert table.loc["JUN", "anomaly_mm"] < 0  # a dry June before the July rains
    assert district_normals("Maharashtra", "Pune")["JUL"] == 312.9
    with pytest.raises(ValueError, match="Unknown IMD subdivision 'Atlantis'"):
        month_anomalies("Atlantis", 2014)


def test_the_slope_interval_skips_resamples_without_a_slope_and_refuses_a_series_without_one():
    t = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0])
    low, high = bootstrap_slope_ci(t, 2 * t, n_boot=200)  # resamples of a single time have no slope
    assert low == high == 2.0
    with pytest.raises(ValueError, match="undefined on every one of the 50 resamples"):
        bootstrap_slope_ci(np.ones(4), np.arange(4.0), n_boot=50)


def _ar1(rng, n: int, phi: float):
    noise = rng.normal(size=n)
    series = np.zeros(n)
    for i in range(n):
        series[i] = (phi * series[i - 1] if i else 0.0) + noise[i]
    return series


def test_the_modified_mann_kendall_test_sees_fewer_false_trends_in_correlated_series():
    import warnings

    from lslib.evaluation.trends import mann_kendall, modified_mann_kendall

    rng = np.random.default_rng(1)
    plain, modified = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pymannkendall's sqrt of a variance it rounds to 0
        for _ in range(60):
            y = _ar1(rng, 100, 0.8)  # no trend, strong serial correlation
            plain.append(mann_kendall(y)["p"] < 0.05)
            modified.append(modified_mann_kendall(y)["p"] < 0.05)
    assert np.mean(plain) > 0.3  # the plain test is fooled about half the time
    assert np.mean(modified) < np.mean(plain) - 0.1


def test_the_block_bootstrap_covers_a_zero_slope_more_often_than_the_point_bootstrap():
    from lslib.evaluation.trends import block_bootstrap_slope_ci, block_length, bootstrap_slope_ci

    rng = np.random.default_rng(2)
    t = np.arange(100.0)
    point, block = [], []
    for seed in range(30):
        y = _ar1(rng, 100, 0.8)
        low, high = bootstrap_slope_ci(t, y, n_boot=150, seed=seed)
        point.append(low < 0 < high)
        low, high = block_bootstrap_slope_ci(t, y, n_boot=150, seed=seed, block=10)
        block.append(low < 0 < high)
    assert np.mean(block) > np.mean(point) + 0.1
    assert block_length(8) == 2 and block_length(100) == 5


def test_the_block_permutation_test_keeps_blocks_together():
    from lslib.evaluation.trends import block_permutation_test

    t = np.arange(30.0)
    trend = 0.2 * t + np.sin(2 * np.pi * t / 12)
    result = block_permutation_test(t / 12, (t * 30) % 365, trend, n_perm=400, seed=0, block=3)
    assert result["p"] < 0.05 and result["block"] == 3
    flat = block_permutation_test(t / 12, (t * 30) % 365, np.random.default_rng(0).normal(size=30), n_perm=400)
    assert flat["p"] > 0.05
