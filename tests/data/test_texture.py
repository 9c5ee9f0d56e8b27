"""Texture statistics: the spatial autocorrelation of patches, and the real Landsat 8 reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from lslib.data import texture


def _smoothed(sigma: float, n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([ndimage.gaussian_filter(rng.normal(size=(32, 32)), sigma, mode="wrap") for _ in range(n)])


def test_white_noise_has_no_autocorrelation_and_smoothing_raises_it():
    values = [texture.median_autocorrelation(_smoothed(s), lags=(1, 4))[1] for s in (0.0, 1.0, 2.0, 4.0)]
    assert abs(values[0]) < 0.05
    assert values == sorted(values) and values[-1] > 0.9
    decay = texture.median_autocorrelation(_smoothed(2.0))
    assert decay[1] > decay[2] > decay[4] > decay[8]


def test_the_statistic_ignores_gain_and_offset():
    patch = _smoothed(1.5, n=1)[0]
    for lag in texture.LAGS:
        assert texture.spatial_autocorrelation(1234.0 + 57.0 * patch, lag) == pytest.approx(
            texture.spatial_autocorrelation(patch, lag), abs=1e-12
        )


def test_bad_lags_and_constant_patches():
    with pytest.raises(ValueError, match="lag must be between 1 and 31"):
        texture.spatial_autocorrelation(np.zeros((32, 32)), 32)
    assert np.isnan(texture.spatial_autocorrelation(np.ones((8, 8)), 1))


def test_the_real_landsat_patches_match_the_measured_reference(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    real = texture.real_patches(n_per_scene=100, seed=3)
    assert set(real) == {"blue", "green", "red"} and real["red"].shape == (200, 32, 32)
    for band, patches in real.items():
        values = texture.median_autocorrelation(patches)
        # shared/data/README.md: lag 1 0.82-0.87, lag 4 0.35-0.45, lag 8 0.13-0.18 (400 patches per band and scene)
        assert 0.78 < values[1] < 0.9 and 0.3 < values[4] < 0.5 and 0.08 < values[8] < 0.22, (band, values)


def test_texture_statistics_reports_band_medians():
    smooth, rough = _smoothed(2.0, n=20), _smoothed(0.0, n=20)
    stats = texture.texture_statistics({"red": rough, "blue": rough}, {"red": smooth, "blue": smooth})
    assert stats["texture_lag1_real"] > 0.9 > 0.1 > abs(stats["texture_lag1_sim"])
    assert set(stats["per_band"]) == {"red", "blue"}
