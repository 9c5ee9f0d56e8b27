"""Variants of a forecaster's inputs that change one thing each: chapter 6 asks with them which input carries a shift.

:class:`lslib.data.dataset.LandslideDataset` encodes nine metadata columns per frame (:data:`META_COLUMNS`):
the 1-, 7- and 30-day rain up to the frame's day (``log1p`` mm), the temperature (degrees C / 30), the day of
year as an angle (sine and cosine) and the site's location (sine of latitude, sine and cosine of longitude).
Two variants change one part and nothing else:

* :func:`without_location` zeroes the three location columns (weather and season are kept);
* :func:`relative_season` measures the day of year from the region's wet-season peak
  (:func:`wet_season_peak_doy`), so "two months into the monsoon" reads the same in India and in China,
  instead of the calendar day, which means opposite seasons in Big Sur and in the Western Ghats.

And one variant of the imagery: :func:`site_referenced` standardises each site's bands by the clear pixels of
its own earliest frames, which removes the site's radiometric level (soil, lithology, illumination) and keeps
change. Its reference frames all precede, or are part of, every window the site gives, so it reads nothing of
a window's future.
"""

from __future__ import annotations

import numpy as np

from lslib.data.sim.regions import get_region

__all__ = ["META_COLUMNS", "LOCATION_COLUMNS", "SEASON_COLUMNS", "without_location", "relative_season"]
__all__ += ["wet_season_peak_doy", "site_referenced"]

META_COLUMNS = ("rain_1d", "rain_7d", "rain_30d", "temperature", "sin_doy", "cos_doy", "sin_lat", "sin_lon", "cos_lon")
#: Positions in :data:`META_COLUMNS` of the site's location, and of the day of year.
LOCATION_COLUMNS, SEASON_COLUMNS = (6, 7, 8), (4, 5)
_YEAR_DAYS = 365.25


def _check(meta: np.ndarray) -> None:
    if meta.ndim < 2 or meta.shape[-1] != len(META_COLUMNS):
        raise ValueError(f"meta must end in the {len(META_COLUMNS)} columns {META_COLUMNS}, got shape {meta.shape}")


def without_location(meta: np.ndarray) -> np.ndarray:
    """A copy of ``meta`` (``(..., 9)``, :data:`META_COLUMNS`) with the location columns set to 0.

    Examples
    --------
    >>> meta = np.arange(18.0).reshape(2, 9)
    >>> without_location(meta)[1].tolist()
    [9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 0.0, 0.0, 0.0]
    """
    _check(meta)
    out = np.array(meta, copy=True)
    out[..., list(LOCATION_COLUMNS)] = 0.0
    return out


def wet_season_peak_doy(region: str) -> float:
    """Day of year at the centre of a region's wet season: the circular mean of the month centres weighted by
    the region's monthly rain climatology (:mod:`lslib.data.sim.regions`, e.g. the IMD normal for India).

    Examples
    --------
    >>> [round(wet_season_peak_doy(region)) for region in ("india", "china", "america")]  # August, July, January
    [218, 201, 17]
    """
    rain = np.asarray(get_region(region).rain_mm, float)
    centres = 2 * np.pi * (np.arange(12) + 0.5) / 12
    angle = np.arctan2((rain * np.sin(centres)).sum(), (rain * np.cos(centres)).sum())
    return float(np.mod(angle, 2 * np.pi) * _YEAR_DAYS / (2 * np.pi))


def relative_season(meta: np.ndarray, peak_doy: np.ndarray) -> np.ndarray:
    """A copy of ``meta`` whose day-of-year columns are measured from each site's wet-season peak.

    Parameters
    ----------
    meta : numpy.ndarray
        ``(site, frame, 9)`` metadata (:data:`META_COLUMNS`).
    peak_doy : numpy.ndarray
        ``(site,)`` day of year of each site's wet-season peak (:func:`wet_season_peak_doy` of its region).

    Returns
    -------
    numpy.ndarray
        ``meta`` with ``sin_doy, cos_doy`` replaced by the sine and cosine of ``2 pi (doy - peak) / 365.25``; the
        other columns, and frames without a date (NaN), are unchanged.

    Examples
    --------
    >>> day = 2 * np.pi * 200 / 365.25
    >>> meta = np.zeros((1, 1, 9)); meta[0, 0, 4:6] = np.sin(day), np.cos(day)
    >>> relative_season(meta, np.array([200.0]))[0, 0, 4:6].round(6).tolist()  # on the peak day: angle 0
    [0.0, 1.0]
    """
    _check(meta)
    peak = np.asarray(peak_doy, float)
    if meta.ndim != 3 or peak.shape != meta.shape[:1]:
        raise ValueError(f"peak_doy must give one day per site of meta {meta.shape[:1]}, got shape {peak.shape}")
    out = np.array(meta, copy=True)
    sin, cos = meta[..., SEASON_COLUMNS[0]], meta[..., SEASON_COLUMNS[1]]
    shift = (2 * np.pi * peak / _YEAR_DAYS)[:, None]
    out[..., SEASON_COLUMNS[0]] = sin * np.cos(shift) - cos * np.sin(shift)  # sin(a - b)
    out[..., SEASON_COLUMNS[1]] = cos * np.cos(shift) + sin * np.sin(shift)  # cos(a - b)
    return out


def site_referenced(image: np.ndarray, reference_frames: int) -> np.ndarray:
    """Encoded images with each site's bands re-standardised by the clear pixels of its first frames.

    Parameters
    ----------
    image : numpy.ndarray
        ``(site, frame, bands + 1, H, W)`` as :meth:`lslib.data.dataset.LandslideDataset.encoded` gives it: the bands
        standardised by the stack, masked pixels 0, and the mask (1: masked) as the last channel.
    reference_frames : int
        The first frames of each site that give its reference (a window's length: every window of the site ends
        on or after its last reference frame).

    Returns
    -------
    numpy.ndarray
        The same shape: each band minus its mean over the reference frames' clear pixels, divided by their
        standard deviation (1 where there are fewer than two clear pixels); masked pixels stay 0 and the mask
        is unchanged.

    Examples
    --------
    >>> image = np.zeros((1, 3, 2, 2, 2), np.float32)
    >>> image[0, :, 0] = [[[1, 3], [1, 3]], [[2, 4], [2, 4]], [[5, 5], [5, 5]]]
    >>> site_referenced(image, 2)[0, 2, 0, 0].tolist()  # (5 - 2.5) / std of 1, 3, 2, 4
    [2.2360680103302, 2.2360680103302]
    """
    if image.ndim != 5 or not 1 <= reference_frames <= image.shape[1]:
        raise ValueError(
            f"image must be (site, frame, channel, H, W) with >= {reference_frames} frames, got {image.shape}"
        )
    bands, clear = image[:, :, :-1], image[:, :, -1:] < 0.5
    reference, seen = bands[:, :reference_frames], clear[:, :reference_frames]
    count = np.maximum(seen.sum(axis=(1, 3, 4), keepdims=True), 1).astype(np.float32)
    mean = (reference * seen).sum(axis=(1, 3, 4), keepdims=True, dtype=np.float32) / count
    variance = (((reference - mean) * seen) ** 2).sum(axis=(1, 3, 4), keepdims=True, dtype=np.float32) / count
    std = np.sqrt(variance)
    std[(count < 2) | (std <= 1e-6)] = 1.0
    out = image.astype(np.float32, copy=True)
    out[:, :, :-1] = (bands - mean) / std * clear
    return out
