"""Land cover, vegetation phenology and root cohesion.

Stands in for: a land-cover map (forest, cropland or grass, bare soil, water, urban, plus the
transient covers the scenarios create: fresh clearing, mine pit and spoil, road, volcanic ash, slide
scar) and a green-vegetation fraction that follows each region's seasons.

Breaks down: covers are crisp per 30 m pixel (no sub-pixel mixtures of classes), and phenology is
a single cosine per region with no year-to-year variation or drought stress.
"""

from __future__ import annotations

import enum

import numpy as np

from lslib.data.sim.terrain import fractal_noise

__all__ = ["Cover", "initial_cover", "vigour", "green_fraction", "root_cohesion", "BASE_ROOT_COHESION_KPA"]


class Cover(enum.IntEnum):
    """Per-pixel cover classes of the simulator."""

    FOREST = 0
    CROPLAND = 1  # cropland or grass: green with strong seasonality
    BARE = 2  # bare soil, fresh clearing, road surface
    WATER = 3
    URBAN = 4
    ASH = 5  # fresh volcanic ash
    SCAR = 6  # landslide scar or deposit: bare soil and rock
    SPOIL = 7  # mine pit and spoil heaps: bright bare material


#: Root cohesion of each cover, kPa (SIMULATOR.md: forest 5-20, shrub/grass 1-3, cropland 0-2, bare 0).
BASE_ROOT_COHESION_KPA = {
    Cover.FOREST: None,  # per site, from the region's range
    Cover.CROPLAND: 1.5,
    Cover.BARE: 0.0,
    Cover.WATER: 0.0,
    Cover.URBAN: 3.0,  # engineered surfaces and gardens; cuts are handled as terrain changes
    Cover.ASH: 0.0,
    Cover.SCAR: 0.0,
    Cover.SPOIL: 0.0,
}


def initial_cover(
    dem: np.ndarray, forest_share: float, rng: np.random.Generator, water: bool = False, urban_share: float = 0.0
) -> np.ndarray:
    """A cover map: forest on the fraction ``forest_share`` of pixels, cropland elsewhere, and
    optionally a stream or pond in the lowest ground and a small village."""
    field = fractal_noise(dem.shape, beta=3.0, rng=rng)
    cover = np.full(dem.shape, Cover.CROPLAND, dtype=np.int8)
    cover[field <= np.quantile(field, forest_share)] = Cover.FOREST
    if urban_share > 0:
        village = fractal_noise(dem.shape, beta=3.5, rng=rng)
        cover[village >= np.quantile(village, 1 - urban_share)] = Cover.URBAN
    if water:
        cover[dem <= np.quantile(dem, 0.03)] = Cover.WATER
    return cover


def vigour(day_of_year: np.ndarray | float, peak_doy: float) -> np.ndarray:
    """Seasonal vegetation vigour in [0, 1]: 1 at ``peak_doy``, 0 half a year later.

    Examples
    --------
    >>> float(vigour(275, 275)), round(float(vigour(275 + 182.6, 275)), 3)
    (1.0, 0.0)
    """
    return 0.5 + 0.5 * np.cos(2 * np.pi * (np.asarray(day_of_year, dtype=float) - peak_doy) / 365.25)


def green_fraction(
    cover: np.ndarray, vig: float, days_since_change: np.ndarray, forest_range: tuple[float, float] = (0.8, 0.95)
) -> np.ndarray:
    """Fraction of each pixel covered by green vegetation, given the season's vigour.

    Forest swings within ``forest_range`` (evergreen tropics narrow, temperate mixed forest wide);
    cropland and grass swing with the season (0.2-0.9); bare
    ground, scars, spoil and ash regrow slowly (a few percent per month) from the day they formed.
    """
    regrowth = np.clip(days_since_change / 900.0, 0.0, 0.35)
    fraction = np.select(
        [cover == Cover.FOREST, cover == Cover.CROPLAND, cover == Cover.URBAN, cover == Cover.WATER],
        [forest_range[0] + (forest_range[1] - forest_range[0]) * vig, 0.2 + 0.7 * vig, 0.12 + 0.05 * vig, 0.0],
        default=0.03 + regrowth * (0.4 + 0.6 * vig),
    )
    return fraction


def root_cohesion(
    cover: np.ndarray,
    forest_kpa: float,
    days_since_clearing: np.ndarray,
    was_forest: np.ndarray,
    decay_days: float = 60.0,
    regrow_days: float = 700.0,
) -> np.ndarray:
    """Root cohesion (kPa) per pixel.

    Roots do not vanish the day trees are cut: on cleared former forest the forest cohesion decays
    as exp(-t/decay_days) while regrowth adds up to 3 kPa with time constant regrow_days. The
    decay is compressed from the years reported by Sidle (1992) to months, so that the 3-10 year
    window of highest risk fits inside a one-year simulated time series; chapter 1 says so.
    """
    base = np.zeros(cover.shape)
    for kind, value in BASE_ROOT_COHESION_KPA.items():
        base[cover == kind] = forest_kpa if value is None else value
    cleared = was_forest & (cover != Cover.FOREST) & np.isfinite(days_since_clearing)
    t = np.where(cleared, days_since_clearing, 0.0)
    decaying = forest_kpa * np.exp(-t / decay_days) + 3.0 * (1 - np.exp(-t / regrow_days))
    return np.where(cleared, np.maximum(base, decaying), base)
