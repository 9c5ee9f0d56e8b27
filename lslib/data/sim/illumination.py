"""Sun and terrain: the solar geometry of a Landsat 8 overpass and the illumination of sloped ground.

Stands in for: the sun elevation and azimuth in a Landsat 8 scene's metadata (``SUN_ELEVATION``,
``SUN_AZIMUTH``) and the topographic brightening and darkening that Level-2 surface reflectance keeps,
since the product is not corrected for terrain.

Breaks down: the declination is the one-line approximation of SIMULATOR.md (within about a degree of
an ephemeris), the equation of time is ignored (a quarter of an hour at most), the overpass time is
the same every day, and the ground is a Minnaert reflector under a clear sky with a fixed diffuse share
per band (no sky obstruction by neighbouring ridges, no cast terrain shadows beyond self-shading).

Examples
--------
>>> elevation, azimuth = solar_geometry(172, 35.0)
>>> round(float(elevation), 1), round(float(azimuth), 1)
(63.9, 109.0)
>>> bool(np.allclose(illumination_factor(np.zeros((1, 1)), np.zeros((1, 1)), 40.0, 150.0), 1.0))
True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "solar_declination_deg",
    "solar_geometry",
    "incidence_cosine",
    "illumination_factor",
    "LANDSAT8_LOCAL_SOLAR_TIME_H",
    "DIFFUSE_FRACTION",
    "MINNAERT_K",
]

#: Local solar time of the Landsat 8 overpass, hours: the descending node crosses the equator at about
#: 10:00-10:15 mean local time (USGS Landsat 8 Data Users Handbook), 10:12 taken here.
LANDSAT8_LOCAL_SOLAR_TIME_H = 10.2
#: Share of the irradiance that reaches the ground as diffuse skylight (with light reflected from the
#: surrounding terrain), per OLI band (blue, green, red, nir08, swir16, swir22). Rayleigh and aerosol scattering
#: make it fall with wavelength; values for a clear atmosphere (aerosol optical depth 0.1-0.2) and a sun 30-60
#: degrees high, rounded.
DIFFUSE_FRACTION = np.array([0.25, 0.19, 0.15, 0.10, 0.06, 0.05])
#: Minnaert constant of the direct-beam term: 1 is a Lambertian surface; vegetated slopes take values of
#: about 0.3-0.8 (Teillet, Guindon and Goodenough 1982), which damps the brightening of steep sunlit slopes.
MINNAERT_K = 0.6


def solar_declination_deg(day_of_year):
    """Solar declination, degrees: 23.44 sin(360 (284 + day of year) / 365) (SIMULATOR.md).

    Parameters
    ----------
    day_of_year : float or numpy.ndarray
        Day of the year, 1 (1 January) to 366.

    Returns
    -------
    float or numpy.ndarray
        Declination, degrees (positive when the sun is north of the equator).

    Examples
    --------
    >>> round(float(solar_declination_deg(172)), 2), round(float(solar_declination_deg(355)), 2)
    (23.44, -23.44)
    """
    return 23.44 * np.sin(np.radians(360.0 * (284.0 + np.asarray(day_of_year, dtype=float)) / 365.0))


def solar_geometry(day_of_year, lat_deg, local_solar_time_h: float = LANDSAT8_LOCAL_SOLAR_TIME_H):
    """Sun elevation and azimuth at a given local solar time.

    Parameters
    ----------
    day_of_year : float or numpy.ndarray
        Day of the year, 1 to 366.
    lat_deg : float or numpy.ndarray
        Latitude, degrees (north positive).
    local_solar_time_h : float
        Local solar time, hours (12 is solar noon); the default is the Landsat 8 overpass.

    Returns
    -------
    elevation_deg, azimuth_deg : float or numpy.ndarray
        Sun elevation above the horizon and sun azimuth clockwise from north, degrees (azimuth in [0, 360)).

    Examples
    --------
    At 35 N the June sun stands higher than the December sun; in the morning it is in the east.

    >>> june, december = solar_geometry(172, 35.0), solar_geometry(355, 35.0)
    >>> round(float(june[0] - december[0]), 1), bool(90 < june[1] < 180 and 90 < december[1] < 180)
    (37.7, True)
    >>> noon = solar_geometry(80, 0.0, local_solar_time_h=12.0)
    >>> round(float(noon[0]), 1)
    89.6
    """
    declination = np.radians(solar_declination_deg(day_of_year))
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    hour_angle = np.radians(15.0 * (local_solar_time_h - 12.0))
    sin_elevation = np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(hour_angle)
    elevation = np.degrees(np.arcsin(np.clip(sin_elevation, -1.0, 1.0)))
    azimuth = np.degrees(
        np.arctan2(np.sin(hour_angle), np.cos(hour_angle) * np.sin(lat) - np.tan(declination) * np.cos(lat))
    )
    return elevation, np.mod(azimuth + 180.0, 360.0)


def incidence_cosine(slope_deg, aspect_deg, sun_elevation_deg, sun_azimuth_deg):
    """Cosine of the solar incidence angle on a slope (SIMULATOR.md).

    cos i = cos(zenith) cos(slope) + sin(zenith) sin(slope) cos(sun azimuth - aspect).

    Parameters
    ----------
    slope_deg, aspect_deg : numpy.ndarray
        Terrain slope and aspect (clockwise from north), degrees.
    sun_elevation_deg, sun_azimuth_deg : float
        Sun elevation and azimuth (clockwise from north), degrees.

    Returns
    -------
    numpy.ndarray
        cos i, unitless; negative on slopes that face away from a low sun (self-shaded).

    Examples
    --------
    >>> float(incidence_cosine(np.array(30.0), np.array(180.0), 60.0, 180.0))
    1.0
    """
    zenith = np.radians(90.0 - np.asarray(sun_elevation_deg))
    slope, aspect, azimuth = np.radians(slope_deg), np.radians(aspect_deg), np.radians(sun_azimuth_deg)
    # cos(azimuth - aspect) expanded, so that a series of suns over one terrain takes the terrain's sines once
    facing = np.cos(azimuth) * (np.sin(slope) * np.cos(aspect)) + np.sin(azimuth) * (np.sin(slope) * np.sin(aspect))
    return np.cos(zenith) * np.cos(slope) + np.sin(zenith) * facing


def illumination_factor(
    slope_deg: np.ndarray,
    aspect_deg: np.ndarray,
    sun_elevation_deg,
    sun_azimuth_deg,
    diffuse: np.ndarray = DIFFUSE_FRACTION,
    minnaert_k: float = MINNAERT_K,
) -> np.ndarray:
    """Irradiance of sloped ground relative to flat ground under the same sun, per band.

    Direct beam on a Minnaert surface, ``(max(cos i, 0) / cos z) ** k``, plus diffuse skylight from the
    visible part of the sky, ``(1 + cos slope) / 2``, mixed by each band's diffuse share. Flat ground
    scores 1 whatever the sun; a slope facing away from a low sun keeps only its skylight.

    Parameters
    ----------
    slope_deg, aspect_deg : numpy.ndarray
        ``(..., H, W)`` terrain slope and aspect (clockwise from north), degrees.
    sun_elevation_deg, sun_azimuth_deg : float or numpy.ndarray
        Sun elevation and azimuth (clockwise from north), degrees, broadcastable to ``(..., H, W)`` (for a
        series of dates pass arrays of shape ``(time, 1, 1)``).
    diffuse : numpy.ndarray
        ``(bands,)`` diffuse share of the irradiance; the default is :data:`DIFFUSE_FRACTION`.
    minnaert_k : float
        Minnaert constant of the direct term (1 for a Lambertian surface).

    Returns
    -------
    numpy.ndarray
        ``(..., bands, H, W)`` factor, unitless.

    Examples
    --------
    >>> factor = illumination_factor(np.full((1, 2), 30.0), np.array([[180.0, 0.0]]), 40.0, 180.0)
    >>> factor.shape, bool((factor[:, 0, 0] > 1).all() and (factor[:, 0, 1] < 1).all())
    ((6, 1, 2), True)
    """
    cos_zenith = np.maximum(np.sin(np.radians(sun_elevation_deg)), 1e-3)
    cos_incidence = incidence_cosine(slope_deg, aspect_deg, sun_elevation_deg, sun_azimuth_deg)
    direct = ((np.maximum(cos_incidence, 0.0) / cos_zenith) ** minnaert_k).astype(np.float32)
    sky_view = np.broadcast_to(0.5 * (1.0 + np.cos(np.radians(slope_deg))), direct.shape).astype(np.float32)
    diffuse = np.asarray(diffuse, dtype=np.float32)[:, None, None]
    return (1.0 - diffuse) * direct[..., None, :, :] + diffuse * sky_view[..., None, :, :]
