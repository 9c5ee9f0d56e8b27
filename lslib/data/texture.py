"""Spatial texture of Landsat patches: how alike neighbouring pixels are, simulated against real.

The statistic is the sample spatial autocorrelation of a patch at a pixel lag ``k``: the mean product
of the deviations from the patch mean of every pair of pixels ``k`` apart along a row, and along a
column, divided by the patch variance, averaged over the two directions. A patch of salt-and-pepper
noise scores 0 at every lag; a smooth field scores near 1 at lag 1 and decays with the lag.

The real reference is two Landsat 8 OLI Level-1 scenes (B2, B3, B4; 30 m; Paraná basin), read
through :mod:`lslib.data.registry`. Level-1 digital numbers are not reflectance, but an affine
radiometric scaling (gain and offset) leaves this statistic unchanged, which is why only such
statistics are taken from them.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> noise = rng.normal(size=(200, 32, 32))
>>> abs(median_autocorrelation(noise, lags=(1,))[1]) < 0.05
True
>>> smooth = np.cumsum(np.cumsum(rng.normal(size=(20, 32, 32)), axis=1), axis=2)
>>> median_autocorrelation(smooth, lags=(1,))[1] > 0.8
True
>>> bool(np.isclose(spatial_autocorrelation(3.0 * smooth[0] + 7.0, 2), spatial_autocorrelation(smooth[0], 2)))
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from lslib.data.qa import invalid_mask
from lslib.data.registry import fetch

__all__ = [
    "LAGS",
    "REAL_TEXTURE_KEYS",
    "spatial_autocorrelation",
    "median_autocorrelation",
    "real_patches",
    "simulated_patches",
    "texture_statistics",
]

LAGS = (1, 2, 4, 8)
#: The real Landsat 8 Level-1 crops, per band (two adjacent scenes each).
REAL_TEXTURE_KEYS = {
    band: [f"landsat8_l1tp/LC08_L1TP_2240{row}_20200518_20200518_01_RT_{code}.TIF" for row in ("77", "78")]
    for band, code in (("blue", "B2"), ("green", "B3"), ("red", "B4"))
}


def spatial_autocorrelation(patch: np.ndarray, lag: int) -> float:
    """Spatial autocorrelation of one 2-D patch at ``lag`` pixels (rows and columns averaged).

    Parameters
    ----------
    patch : numpy.ndarray
        ``(H, W)`` values (any units: the statistic is unchanged by gain and offset).
    lag : int
        Pixel distance, at least 1 and less than the patch's side.

    Returns
    -------
    float
        In [-1, 1]; NaN for a constant patch.
    """
    if not 1 <= lag < min(patch.shape):
        raise ValueError(f"lag must be between 1 and {min(patch.shape) - 1} pixels, got {lag}")
    deviation = np.asarray(patch, dtype=float) - np.mean(patch)
    variance = float(np.mean(deviation**2))
    if variance == 0:
        return float("nan")
    along_rows = np.mean(deviation[:, :-lag] * deviation[:, lag:])
    along_columns = np.mean(deviation[:-lag, :] * deviation[lag:, :])
    return float((along_rows + along_columns) / (2 * variance))


def median_autocorrelation(patches: np.ndarray, lags: Sequence[int] = LAGS) -> dict[int, float]:
    """The median over ``patches`` ``(N, H, W)`` of :func:`spatial_autocorrelation`, per lag."""
    return {int(k): float(np.nanmedian([spatial_autocorrelation(p, k) for p in patches])) for k in lags}


def _random_windows(image: np.ndarray, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` square windows of ``image`` with no fill (0) and some variation, at random places."""
    height, width = image.shape
    windows, attempts = [], 0
    while len(windows) < n and attempts < 50 * n:
        attempts += 1
        y, x = int(rng.integers(0, height - size)), int(rng.integers(0, width - size))
        window = image[y : y + size, x : x + size]
        if (window == 0).any() or window.std() == 0:
            continue
        windows.append(window)
    if len(windows) < n:
        raise ValueError(f"found only {len(windows)} of {n} windows without fill in an image of {image.shape}")
    return np.stack(windows).astype(np.float32)


def real_patches(n_per_scene: int = 400, size: int = 32, seed: int = 0) -> dict[str, np.ndarray]:
    """Random ``size`` x ``size`` windows of the real Landsat 8 crops, per band ``(N, size, size)`` in DN.

    Raises
    ------
    lslib.errors.DataUnavailable
        The crops are in neither the cache nor the mirror (they have no single-file upstream).
    """
    import rasterio

    rng = np.random.default_rng(seed)
    patches = {}
    for band, keys in REAL_TEXTURE_KEYS.items():
        scenes = []
        for key in keys:
            with rasterio.open(fetch(key)) as source:
                scenes.append(_random_windows(source.read(1), n_per_scene, size, rng))
        patches[band] = np.concatenate(scenes)
    return patches


def simulated_patches(
    stack: xr.Dataset, bands: Sequence[str] = ("blue", "green", "red"), max_invalid: float = 0.0
) -> dict[str, np.ndarray]:
    """The first frame of each site whose QA flags at most ``max_invalid`` of its pixels, per band
    ``(N, H, W)`` of surface reflectance."""
    invalid = invalid_mask(stack["qa_pixel"].values).mean(axis=(-2, -1))  # (site, time)
    picks = [
        (site, int(np.argmax(row <= max_invalid))) for site, row in enumerate(invalid) if (row <= max_invalid).any()
    ]
    if not picks:
        raise ValueError(f"no site has a frame with at most {max_invalid:.0%} of its pixels flagged")
    sites, times = (np.array(v) for v in zip(*picks))
    reflectance = stack["reflectance"].sel(band=list(bands)).values  # (site, time, band, y, x)
    return {band: reflectance[sites, times, i] for i, band in enumerate(bands)}


def texture_statistics(
    simulated: dict[str, np.ndarray], real: dict[str, np.ndarray], lags: Sequence[int] = LAGS
) -> dict[str, object]:
    """Median autocorrelation per band and lag, simulated and real, and the band medians as the
    chapter's numbers: ``texture_lag<k>_sim`` and ``texture_lag<k>_real``.

    Returns
    -------
    dict
        ``per_band``: {band: {"sim": {lag: value}, "real": {lag: value}}}, and for each lag the two
        medians over bands.
    """
    per_band = {
        band: {"sim": median_autocorrelation(simulated[band], lags), "real": median_autocorrelation(real[band], lags)}
        for band in simulated
    }
    out: dict[str, object] = {"per_band": per_band}
    for lag in lags:
        for side in ("sim", "real"):
            out[f"texture_lag{lag}_{side}"] = float(np.median([per_band[b][side][lag] for b in per_band]))
    return out
