"""Rendering a site's land into sensor frames: Landsat 8 reflectance and QA_PIXEL, and Sentinel-1 sigma0.

The physics (:mod:`lslib.data.sim.site`) decides what the land is on each acquisition day; this module
only looks at it. Its inputs are plain per-frame maps (:class:`LandFrame`), so the sensors never see
the hidden physics (soil, factor of safety), only what a satellite could.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lslib.data.sim import sensors
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import Region

__all__ = ["LandFrame", "LandsatFrames", "render_landsat", "render_sentinel1"]


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
    """

    reflectance: np.ndarray
    qa: np.ndarray
    cloud_truth: np.ndarray


def render_landsat(
    lands: Sequence[LandFrame],
    dates: pd.DatetimeIndex,
    lat: float,
    region: Region,
    clouds: bool,
    clear: np.ndarray,
    rng: np.random.Generator,
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
        Draw clouds (False gives the cloud-free truth).
    clear : numpy.ndarray
        ``(time,)`` bool: frames drawn cloud-free whatever ``clouds`` says (a case study's clear scenes).
    rng : numpy.random.Generator
        The site's stream.
    """
    size = lands[0].cover.shape
    texture = sensors.surface_texture(size, rng)
    reflectance = np.empty((len(lands), 6, *size), np.float32)
    qa = np.empty((len(lands), *size), np.uint16)
    truth = np.zeros((len(lands), *size), bool)
    for frame, (land, date) in enumerate(zip(lands, dates)):
        illumination = sensors.hillshade(land.slope, land.aspect)
        surface = sensors.surface_reflectance(land.cover, land.green, texture, illumination, rng)
        water = land.cover == Cover.WATER
        if clouds and not clear[frame]:
            fraction = sensors.cloud_fraction_draw(date.month, region, rng)
            shift = (int(rng.integers(2, 6)), -int(rng.integers(2, 6)))
            top, qa[frame] = sensors.add_clouds(surface, fraction, water, rng, shift)
        else:
            top, qa[frame] = sensors.add_clouds(surface, 0.0, water, rng)
        reflectance[frame] = np.clip(top, -0.02, 1.6)
    return LandsatFrames(reflectance=reflectance, qa=qa, cloud_truth=truth)


def render_sentinel1(lands: Sequence[LandFrame], rng: np.random.Generator) -> np.ndarray:
    """Sentinel-1 sigma0 ``(sar_time, pol, y, x)``, dB (float32), drawn from the SAR's own stream ``rng``."""
    size = lands[0].cover.shape
    texture = rng.normal(0.0, 0.8, size=size)
    sar = np.empty((len(lands), 2, *size), np.float32)
    for frame, land in enumerate(lands):
        sar[frame] = sensors.sentinel1(land.cover, land.slope, land.aspect, land.soil_moisture_pct, texture, rng)
    return sar
