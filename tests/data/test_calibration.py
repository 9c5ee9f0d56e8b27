"""Calibration of the simulator against the real files in the mirror."""

import numpy as np
import pytest

from lslib.data import calibration
from lslib.data.catalog import load_glc
from lslib.data.sim import simulate


@pytest.fixture(scope="module")
def stack(mirror):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LSLIB_DATA_MIRROR", str(mirror))
        yield simulate(n_sites=36, n_times=12, size=32, seed=4)


@pytest.fixture(autouse=True)
def _mirror(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))


def test_real_cloud_statistics_are_those_documented():
    patch = calibration.eolearn_patch()
    fraction = patch["cloud"].reshape(68, -1).mean(axis=1)
    assert (fraction > 0.5).mean() == pytest.approx(0.40, abs=0.01)
    assert (fraction < 0.05).mean() == pytest.approx(0.44, abs=0.01)


def test_simulated_clouds_are_close_to_real_ones(stack):
    stats = calibration.cloud_statistics(stack, region="america")
    assert stats["cloud_ks"] < 0.35
    assert abs(stats["cloud_share_under_5pct_sim"] - stats["cloud_share_under_5pct_real"]) < 0.2
    assert 0.6 < stats["cloud_autocorr_sim"] <= 1.0 and 0.8 < stats["cloud_autocorr_real"] < 0.95


def test_rain_follows_the_imd_normals_of_pune(stack):
    rain = calibration.rain_climatology(stack, region="india")
    assert rain["imd_mm"][6] == 312.9
    assert 0.7 < rain["rain_annual_ratio"] < 1.4 and rain["rain_monthly_corr"] > 0.9


def test_ndvi_statistics_are_finite_and_ordered(stack):
    stats = calibration.ndvi_statistics(stack, region="america")
    assert all(np.isfinite(v) for v in stats.values())
    assert stats["ndvi_p05_sim"] < stats["ndvi_p95_sim"] and 0.6 < stats["ndvi_p95_real"] < 0.9


def test_cause_shares_set_the_simulator_against_the_catalog(stack):
    shares = calibration.cause_shares(stack, load_glc())
    india_rain = shares[(shares["region"] == "india") & (shares["cause"] == "heavy_rainfall")]
    assert float(india_rain["glc_share"].iloc[0]) > 0.9
    assert np.allclose(shares.groupby("region")["glc_share"].sum(), 1.0)


def test_statistics_from_samples_equal_statistics_from_the_stack(stack):
    samples = calibration.cloud_samples(stack, "america")
    assert calibration.cloud_statistics(stack, samples=samples) == calibration.cloud_statistics(stack, "america")


def test_forest_amplitude_compares_like_with_like_over_common_snow_free_months(stack):
    table = calibration.ndvi_amplitude_by_cover(stack)
    assert list(table["region"]) == ["america", "china", "india"]
    real = table["real_amplitude"].to_numpy()
    assert np.isfinite(real).all() and (real > 0.1).all() and (real < 0.4).all()  # snow-free forest, not snow
    for months in table["months"]:
        assert set(map(int, months.split(","))) <= set(calibration.SNOW_FREE_MONTHS)
    finite = table[np.isfinite(table["sim_amplitude"])]
    assert len(finite) and np.allclose(finite["ratio"], finite["sim_amplitude"] / finite["real_amplitude"])
    # the whole patch, snow included, swings far more than its snow-free forest
    assert calibration.ndvi_statistics(stack)["ndvi_amplitude_eolearn"] > real.max() + 0.1


def test_the_stable_forest_noise_of_a_stack_is_that_of_its_undisturbed_forest(stack):
    noise = calibration.simulated_stable_ndvi_noise(stack)
    assert 0.01 < noise < 0.15
    calm = stack.copy()
    calm["disturbed_mask"] = calm["disturbed_mask"] | True  # nothing left stable
    assert np.isnan(calibration.simulated_stable_ndvi_noise(calm))


def test_stable_ndvi_noise_follows_the_real_spacing_of_clear_dates():
    rng = np.random.default_rng(3)
    days = np.arange(40) * 16.0
    season = 0.6 + 0.2 * np.sin(2 * np.pi * days / 365.25)[:, None, None] * np.ones((40, 6, 6))
    clear = np.ones(season.shape, bool)
    clear[8:14] = False  # a cloudy season: the neighbours of the gap are far apart
    assert calibration.stable_ndvi_noise(season, clear, days=days) < 0.008  # the season itself is hardly noise
    noisy = season + rng.normal(0.0, 0.02, season.shape)
    assert calibration.stable_ndvi_noise(noisy, clear, days=days) == pytest.approx(0.02, rel=0.15)
    # frames 16 days apart: the same as counting frames, cloudy ones included
    assert calibration.stable_ndvi_noise(noisy, clear, days=days) == pytest.approx(
        calibration.stable_ndvi_noise(noisy, clear)
    )
    # acquisitions off the 16-day grid: the season is smooth in days, not in frame counts
    jittered = days + rng.uniform(-7.0, 7.0, len(days))
    curve = 0.6 + 0.2 * np.sin(2 * np.pi * jittered / 365.25)[:, None, None] * np.ones(season.shape)
    everywhere = np.ones(season.shape, bool)
    by_date = calibration.stable_ndvi_noise(curve, everywhere, days=jittered)
    assert by_date < 0.7 * calibration.stable_ndvi_noise(curve, everywhere)
