"""Rendering a site's land into sensor frames: Landsat 8 reflectance and QA_PIXEL, and Sentinel-1
terrain-flattened gamma0.

The physics (:mod:`lslib.data.sim.site`) decides what the land is on each acquisition day; this module
only looks at it. Its inputs are plain per-frame maps (:class:`LandFrame`), so the sensors never see
the hidden physics (soil, factor of safety), only what a satellite could.

Each Landsat acquisition has its own sun (from the date and the latitude, at the Landsat 8 overpass time),
its own atmospheric-correction residual, sensor noise and misregistration, and, when ``clouds`` is set,
its own clouds and a QA with CFMask's kinds of error. The surface and the sky draw from separate streams,
so the cloud-free rendering of a site (``clouds=False``) is exactly its cloudy rendering without the clouds:
same sun, atmosphere, noise and misregistration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lslib.data.qa import encode_qa
from lslib.data.sim import sensors
from lslib.data.sim.illumination import illumination_factor, solar_geometry
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import Region
from lslib.data.sim.sensors import CLEARCUT_VV_CONTRAST_DB_RANGE

__all__ = [
    "LandFrame",
    "LandsatFrames",
    "render_landsat",
    "render_sentinel1",
    "sar_clearcut_contrast_db",
    "CLEARCUT_VV_CONTRAST_DB_RANGE",
]


@dataclass(frozen=True)
class LandFrame:
    """What the land looks like on one acquisition day (all maps ``(H, W)``).

    Attributes
    ----------
    cover : numpy.ndarray
        :class:`~lslib.data.sim.landcover.Cover` codes.
    green : numpy.ndarray
        Green-vegetation fraction in [0, 1].
    slope, aspect : numpy.ndarray
        Terrain slope and aspect of the day's surface, degrees (aspect clockwise from north).
    soil_moisture_pct : float
        Volumetric soil moisture of the top layer, percent (for the radar).
    cleared : numpy.ndarray or None
        Pixels of former forest cleared in the last year (debris and stumps for the radar).
    """

    cover: np.ndarray
    green: np.ndarray
    slope: np.ndarray
    aspect: np.ndarray
    soil_moisture_pct: float = 20.0
    cleared: np.ndarray | None = None


@dataclass(frozen=True)
class LandsatFrames:
    """Rendered Landsat 8 frames of one site.

    Attributes
    ----------
    reflectance : numpy.ndarray
        ``(time, band, y, x)`` surface reflectance (unitless, float32), blue..swir22.
    qa : numpy.ndarray
        ``(time, y, x)`` QA_PIXEL (uint16).
    cloud_truth : numpy.ndarray
        ``(time, y, x)`` bool, where cloud (thick or thin) really was: an oracle for the QA's errors.
    shadow_truth : numpy.ndarray
        ``(time, y, x)`` bool, where cloud shadow really was (not under cloud).
    sun_elevation, sun_azimuth : numpy.ndarray
        ``(time,)`` sun elevation and azimuth (clockwise from north) of each acquisition, degrees.
    shift_px : numpy.ndarray
        ``(time, 2)`` misregistration of each acquisition (rows, columns), pixels.
    surface : numpy.ndarray or None
        ``(time, band, y, x)`` the same frames without their clouds and shadows (what ``clouds=False``
        renders), when asked for with ``keep_surface``; else None.
    """

    reflectance: np.ndarray
    qa: np.ndarray
    cloud_truth: np.ndarray
    shadow_truth: np.ndarray
    sun_elevation: np.ndarray
    sun_azimuth: np.ndarray
    shift_px: np.ndarray
    surface: np.ndarray | None = None


def render_landsat(
    lands: Sequence[LandFrame],
    dates: pd.DatetimeIndex,
    lat: float,
    region: Region,
    clouds: bool,
    clear: np.ndarray,
    rng: np.random.Generator,
    keep_surface: bool = False,
) -> LandsatFrames:
    """Landsat 8 frames of a site, one per acquisition.

    Parameters
    ----------
    lands : sequence of LandFrame
        The land on each acquisition day.
    dates : pandas.DatetimeIndex
        The acquisition dates (same length as ``lands``).
    lat : float
        Site latitude, degrees (for the sun).
    region : Region
        Cloudiness by month.
    clouds : bool
        Draw clouds and a CFMask-like QA (False gives the cloud-free truth: same surface, no clouds, clear QA).
    clear : numpy.ndarray
        ``(time,)`` bool: frames drawn cloud-free whatever ``clouds`` says (a case study's clear scenes).
    rng : numpy.random.Generator
        The site's stream (the sky draws from a child stream of it).
    keep_surface : bool, default False
        Also return the frames without their clouds (``surface``): the cloud-free rendering of the same
        pass, identical to a ``clouds=False`` run, so no stack is simulated twice to leave its clouds out.
    """
    size = lands[0].cover.shape
    n_frames = len(lands)
    texture = sensors.surface_texture(size, rng)
    sky_rng = np.random.default_rng(rng.integers(2**63))
    dates = pd.DatetimeIndex(dates)
    elevation, azimuth = (np.atleast_1d(a) for a in solar_geometry(dates.day_of_year.to_numpy(), lat))
    covers = np.stack([land.cover for land in lands])
    illumination = np.empty((n_frames, 6, *size), np.float32)
    for frames, land in _same_terrain(lands):  # the sines of a terrain once, the suns of its dates together
        suns = elevation[frames, None, None], azimuth[frames, None, None]
        illumination[frames] = illumination_factor(land.slope, land.aspect, *suns)
    shifts = sensors.draw_misregistration(rng, n_frames)
    atmosphere = sensors.draw_atmosphere(rng, n_frames)
    greens = np.stack([land.green for land in lands])
    top = sensors.surface_series(covers, greens, texture, illumination, rng, shifts_px=shifts, atmosphere=atmosphere)
    surface = _reflectance(top) if keep_surface else None  # before the sky: a copy, the clouds change ``top``
    water = covers == Cover.WATER
    qa = encode_qa(False, False, False, False, water)
    cloud_truth = np.zeros((n_frames, *size), bool)
    shadow_truth = np.zeros((n_frames, *size), bool)
    cloudy = np.flatnonzero(clouds & ~np.asarray(clear, bool))
    if len(cloudy):
        fractions = [sensors.cloud_fraction_draw(dates[i].month, region, sky_rng) for i in cloudy]
        sky = sensors.draw_sky(fractions, size, elevation[cloudy], azimuth[cloudy], sky_rng)
        top[cloudy] = sensors.observe(top[cloudy], sky)
        qa[cloudy] = sensors.cfmask_qa(top[cloudy], water[cloudy], sky, sky_rng)
        cloud_truth[cloudy] = sensors.cloud_truth(sky)
        shadow_truth[cloudy] = sensors.shadow_truth(sky)
    return LandsatFrames(
        reflectance=_reflectance(top),
        qa=qa,
        cloud_truth=cloud_truth,
        shadow_truth=shadow_truth,
        sun_elevation=elevation.astype(np.float32),
        sun_azimuth=azimuth.astype(np.float32),
        shift_px=shifts.astype(np.float32),
        surface=surface,
    )


def _reflectance(top: np.ndarray) -> np.ndarray:
    """Top-of-canopy values as stored reflectance: clipped to what Landsat C2 L2 can hold, float32 (a copy)."""
    return np.clip(top, -0.02, 1.6).astype(np.float32)


def render_sentinel1(lands: Sequence[LandFrame], rng: np.random.Generator) -> np.ndarray:
    """Sentinel-1 terrain-flattened gamma0 ``(sar_time, pol, y, x)``, dB (float32), as the real ``sentinel-1-rtc``
    product the study reads, drawn from the SAR's own stream ``rng``.

    The site's clear-cut offsets (:func:`lslib.data.sim.sensors.draw_clearcut`) and its static texture are
    drawn first, then the frames' speckle. The terrain term is computed once per distinct terrain.
    """
    size = lands[0].cover.shape
    clearcut = sensors.draw_clearcut(rng)
    texture = sensors.sar_texture(size, rng)
    terrain = np.empty((len(lands), *size), np.float32)
    for frames, land in _same_terrain(lands):
        terrain[frames] = sensors.rtc_terrain_db(land.slope, land.aspect)  # terrain-flattened, as real RTC
    sar = sensors.sentinel1(
        np.stack([land.cover for land in lands]),
        terrain,
        np.array([land.soil_moisture_pct for land in lands]),
        np.stack([np.zeros(size, bool) if land.cleared is None else np.asarray(land.cleared, bool) for land in lands]),
        clearcut,
        texture,
        rng,
    )
    return sar.astype(np.float32)


def _same_terrain(lands: Sequence[LandFrame]) -> list[tuple[list[int], LandFrame]]:
    """The frames that share one slope and aspect map (the same arrays: the physics reuses them while the DEM
    is unchanged), with a land of each group."""
    groups: dict[tuple[int, int], tuple[list[int], LandFrame]] = {}
    for frame, land in enumerate(lands):
        groups.setdefault((id(land.slope), id(land.aspect)), ([], land))[0].append(frame)
    return list(groups.values())


def sar_clearcut_contrast_db(sar: np.ndarray, forest: np.ndarray, cleared: np.ndarray, min_pixels: int = 5) -> float:
    """Forest-to-clear-cut VV contrast of Sentinel-1 frames, dB (after the cut minus before).

    Measured as published clear-cut contrasts are, on the same pixels before and after: for every pixel that
    is standing forest on some frames and cleared on others, the mean linear VV backscatter of its cleared
    frames and of its forest frames; a site's contrast is the ratio, in dB, of those means summed over its
    changed pixels (terrain and texture cancel; soil moisture and speckle remain, as in real series). The
    result is the median over sites with at least ``min_pixels`` changed pixels. Compare it with
    :data:`CLEARCUT_VV_CONTRAST_DB_RANGE`.

    Parameters
    ----------
    sar : numpy.ndarray
        ``(..., sar_time, pol, y, x)`` sigma0, dB (pol 0 is VV): one site's frames, or a stack's ``sar`` with a
        leading site dimension.
    forest, cleared : numpy.ndarray
        ``(..., sar_time, y, x)`` bool: standing forest, and former forest cleared within about a year
        (from :class:`LandFrame`: ``cover == Cover.FOREST`` and ``cleared``).
    min_pixels : int
        Fewest changed pixels a site needs to count.

    Returns
    -------
    float
        Median contrast, dB; NaN when no site has enough changed pixels.

    Examples
    --------
    >>> sar = np.full((4, 2, 2, 3), -8.0)
    >>> sar[2:, 0] = -10.0
    >>> forest = np.zeros((4, 2, 3), bool); forest[:2] = True
    >>> round(sar_clearcut_contrast_db(sar, forest, ~forest, min_pixels=2), 2)
    -2.0
    """
    sar, forest, cleared = np.asarray(sar), np.asarray(forest, bool), np.asarray(cleared, bool)
    n_time, n_pixels = forest.shape[-3], forest.shape[-2] * forest.shape[-1]
    vv = (10.0 ** (sar[..., 0, :, :] / 10.0)).reshape(-1, n_time, n_pixels)
    seen = np.isfinite(vv)  # a stack pads missing radar frames with NaN
    vv = np.where(seen, vv, 0.0)
    forest = forest.reshape(-1, n_time, n_pixels) & seen
    cleared = cleared.reshape(-1, n_time, n_pixels) & seen
    contrasts = []
    for site_vv, site_forest, site_cleared in zip(vv, forest, cleared):
        changed = site_forest.any(axis=0) & site_cleared.any(axis=0)
        if changed.sum() < min_pixels:
            continue
        before = (site_vv * site_forest).sum(axis=0)[changed] / site_forest.sum(axis=0)[changed]
        after = (site_vv * site_cleared).sum(axis=0)[changed] / site_cleared.sum(axis=0)[changed]
        contrasts.append(10.0 * np.log10(after.sum() / before.sum()))
    return float(np.median(contrasts)) if contrasts else float("nan")
