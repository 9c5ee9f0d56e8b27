"""Slope stability: the infinite-slope factor of safety with roots, pore pressure and earthquakes.

Stands in for: a shallow-landslide stability model of the SHALSTAB / SINMAP family (Skempton and
DeLory 1957), with a pseudo-static seismic coefficient.

Breaks down: every pixel is an independent infinite slope (no lateral support or arching), the
failure plane is at the soil base, and pore pressure comes from a lumped antecedent index rather
than from routed subsurface flow.

The factor of safety of a soil layer of vertical depth ``z`` on a slope ``beta`` with the water
table ``m * z`` above the failure plane and horizontal seismic coefficient ``k_h`` is::

    FS = [c_s + c_r + ((g_s - m g_w) z cos^2 b - k_h g_s z sin b cos b) tan phi]
         / [g_s z sin b cos b + k_h g_s z cos^2 b]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lslib.data.sim.terrain import fractal_noise

__all__ = [
    "GAMMA_SOIL",
    "GAMMA_WATER",
    "SoilParameters",
    "draw_soil",
    "factor_of_safety",
    "soil_depth",
    "wetness",
    "SOIL_DEPTH_RANGE_M",
]

GAMMA_SOIL = 18.5  # kN/m3
GAMMA_WATER = 9.81  # kN/m3
#: Soil depth above the failure plane, m (SIMULATOR.md: 0.5-3 m, thinner on steeper slopes).
SOIL_DEPTH_RANGE_M = (0.5, 3.0)
#: Spatial spread of soil depth about its slope trend (sd of the log), and its gain in hollows.
_DEPTH_LOG_SD = 0.25
_DEPTH_HOLLOW_GAIN = 0.35
#: Spatial spread of soil cohesion (relative sd) and friction angle (degrees) about the site's values.
_COHESION_REL_SD = 0.3
_FRICTION_SD_DEG = 1.5


@dataclass(frozen=True)
class SoilParameters:
    """The soil of a site, per pixel (``(H, W)`` maps), drawn once and hidden from every model.

    Attributes
    ----------
    depth_m : numpy.ndarray
        Vertical soil depth above the failure plane, m.
    cohesion_kpa : numpy.ndarray
        Effective soil cohesion c_s, kPa (roots come on top, from the cover).
    friction_deg : numpy.ndarray
        Effective friction angle phi', degrees.
    """

    depth_m: np.ndarray
    cohesion_kpa: np.ndarray
    friction_deg: np.ndarray


def draw_soil(slope_deg: np.ndarray, wet_topo: np.ndarray, region, rng: np.random.Generator) -> SoilParameters:
    """Draw a site's soil from documented ranges, so that susceptibility follows the terrain.

    Depth follows :func:`soil_depth` (thinner on steeper slopes), deeper in hollows where colluvium
    gathers (``wet_topo`` high) and varies in space (log-normal, spatially correlated), clipped to
    :data:`SOIL_DEPTH_RANGE_M`. Cohesion and friction take a site value from the region's ranges
    (SIMULATOR.md: c_s 0-5 kPa, phi' 28-38 degrees) with a smooth spatial field around it. Nothing is
    tuned to make the site stand: steep, deep hollows are the weak spots, as in real landscapes.

    Parameters
    ----------
    slope_deg, wet_topo : numpy.ndarray
        Slope (degrees) and topographic wetness factor (0.3-1) of the initial terrain.
    region : Region
        Gives ``soil_cohesion_kpa`` and ``friction_deg`` ranges.
    rng : numpy.random.Generator
        The site's stream.

    Examples
    --------
    >>> from lslib.data.sim.regions import REGIONS
    >>> slope = np.tile(np.linspace(5, 45, 32), (32, 1))
    >>> soil = draw_soil(slope, np.full((32, 32), 0.65), REGIONS["india"], np.random.default_rng(0))
    >>> bool(soil.depth_m[:, :4].mean() > soil.depth_m[:, -4:].mean())  # thinner on steep ground
    True
    """
    shape = slope_deg.shape
    hollow = (np.asarray(wet_topo) - 0.65) / 0.35  # about -1 on ridges, +1 in hollows
    depth = (
        soil_depth(slope_deg)
        * np.exp(_DEPTH_LOG_SD * fractal_noise(shape, 3.0, rng))
        * (1 + _DEPTH_HOLLOW_GAIN * hollow)
    )
    cohesion = rng.uniform(*region.soil_cohesion_kpa) * (1 + _COHESION_REL_SD * fractal_noise(shape, 3.0, rng))
    friction = rng.uniform(*region.friction_deg) + _FRICTION_SD_DEG * fractal_noise(shape, 3.0, rng)
    return SoilParameters(
        depth_m=np.clip(depth, *SOIL_DEPTH_RANGE_M),
        cohesion_kpa=np.clip(cohesion, 0.0, None),
        friction_deg=np.clip(friction, 26.0, 40.0),
    )


def factor_of_safety(
    slope_deg, depth_m, wetness_m, soil_cohesion_kpa, root_cohesion_kpa, friction_deg, k_h=0.0, surcharge_kpa=0.0
):
    """Infinite-slope factor of safety (dimensionless); arrays broadcast against each other.

    Parameters
    ----------
    slope_deg : array_like
        Slope angle beta, degrees.
    depth_m : array_like
        Vertical soil depth z above the failure plane, m.
    wetness_m : array_like
        Relative height of the water table, m in [0, 1].
    soil_cohesion_kpa, root_cohesion_kpa : array_like
        Effective soil cohesion c_s and root cohesion c_r, kPa.
    friction_deg : array_like
        Effective friction angle phi', degrees.
    k_h : array_like, default 0
        Horizontal pseudo-static seismic coefficient (about half of PGA/g).
    surcharge_kpa : array_like, default 0
        Vertical load on the surface (for example a volcanic ash layer), kPa.

    Returns
    -------
    numpy.ndarray
        FS; values below 1 fail. Flat ground (slope < 0.5 degrees) returns a large value.

    Examples
    --------
    >>> round(float(factor_of_safety(35, 1.5, 0.0, 2.0, 10.0, 32.0)), 3)
    1.813
    >>> wet = factor_of_safety(35, 1.5, 1.0, 2.0, 10.0, 32.0)
    >>> cut = factor_of_safety(35, 1.5, 1.0, 2.0, 0.0, 32.0)
    >>> bool(wet < 1.813), bool(cut < 1.0 < wet)
    (True, True)
    """
    beta = np.radians(np.maximum(np.asarray(slope_deg, dtype=float), 0.5))
    phi = np.radians(np.asarray(friction_deg, dtype=float))
    z = np.asarray(depth_m, dtype=float)
    m = np.clip(np.asarray(wetness_m, dtype=float), 0.0, 1.0)
    sin_b, cos_b = np.sin(beta), np.cos(beta)
    weight = GAMMA_SOIL * z + np.asarray(surcharge_kpa, dtype=float)  # normal load per unit area, kPa
    normal = (weight - m * GAMMA_WATER * z) * cos_b**2 - k_h * weight * sin_b * cos_b
    resisting = np.asarray(soil_cohesion_kpa) + np.asarray(root_cohesion_kpa) + np.maximum(normal, 0.0) * np.tan(phi)
    driving = weight * sin_b * cos_b + k_h * weight * cos_b**2
    return resisting / driving


def soil_depth(slope_deg: np.ndarray, deep_m: float = 2.2, shallow_m: float = 0.7) -> np.ndarray:
    """Soil depth (m), thinner on steeper slopes: ``deep_m`` on flat ground to ``shallow_m`` at 50 degrees.

    Examples
    --------
    >>> soil_depth(np.array([0.0, 25.0, 60.0])).round(2).tolist()
    [2.2, 1.45, 0.7]
    """
    fraction = np.clip(np.asarray(slope_deg, dtype=float) / 50.0, 0.0, 1.0)
    return deep_m + (shallow_m - deep_m) * fraction


def wetness(api_mm, topographic_factor, saturation_mm: float):
    """Water-table height m in [0, 1] from the antecedent index and topographic convergence.

    Examples
    --------
    >>> wetness(np.array([0.0, 55.0, 500.0]), 1.0, 110.0).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.clip(np.asarray(api_mm, dtype=float) / saturation_mm * topographic_factor, 0.0, 1.0)
