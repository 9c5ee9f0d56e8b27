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

__all__ = [
    "Cover",
    "initial_cover",
    "vigour",
    "green_fraction",
    "root_cohesion",
    "BASE_ROOT_COHESION_KPA",
    "ROOT_DECAY_DAYS",
    "ROOT_REGROWTH_MIDPOINT_DAYS",
    "ROOT_REGROWTH_WIDTH_DAYS",
]


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
    cropland and grass swing with the season (0.05-0.9: fields lie bare between crops); bare
    ground, scars, spoil and ash regrow slowly (a few percent per month) from the day they formed.
    """
    regrowth = np.clip(days_since_change / 900.0, 0.0, 0.35)
    fraction = np.select(
        [cover == Cover.FOREST, cover == Cover.CROPLAND, cover == Cover.URBAN, cover == Cover.WATER],
        [forest_range[0] + (forest_range[1] - forest_range[0]) * vig, 0.05 + 0.85 * vig, 0.12 + 0.05 * vig, 0.0],
        default=0.03 + regrowth * (0.4 + 0.6 * vig),
    )
    return fraction


# Root cohesion of each cover code, with forest's (given per site) left at 0: a lookup table is fast.
_OPEN_ROOT_KPA = np.array([0.0 if BASE_ROOT_COHESION_KPA[c] is None else BASE_ROOT_COHESION_KPA[c] for c in Cover])

#: e-folding time of the decay of cut roots, days (Sidle 1992: most strength lost within 2-3 years).
ROOT_DECAY_DAYS = 1.6 * 365.25
#: Regrowth of root strength on cleared land: a logistic rise to the forest value, with its midpoint and
#: width in days (Sidle 1992: the net minimum falls roughly 3-10 years after cutting).
ROOT_REGROWTH_MIDPOINT_DAYS = 9.0 * 365.25
ROOT_REGROWTH_WIDTH_DAYS = 1.8 * 365.25


def root_cohesion(
    cover: np.ndarray,
    forest_kpa: float | np.ndarray,
    days_since_clearing: np.ndarray,
    was_forest: np.ndarray,
) -> np.ndarray:
    """Root cohesion (kPa) per pixel.

    Roots do not vanish the day trees are cut. On cleared former forest the old roots decay as
    exp(-t / :data:`ROOT_DECAY_DAYS`) while new growth rises logistically to the forest value
    (midpoint :data:`ROOT_REGROWTH_MIDPOINT_DAYS`), so the net strength is lowest some 3-7 years
    after cutting, the window of highest risk Sidle (1992) reports; a cleared pixel never has less
    than its current cover's own value.

    Parameters
    ----------
    cover : numpy.ndarray
        Cover codes.
    forest_kpa : float or numpy.ndarray
        Root cohesion of standing forest, kPa.
    days_since_clearing : numpy.ndarray
        Days since the pixel's forest was cut (NaN: never cut).
    was_forest : numpy.ndarray
        Bool, the pixel was forest before any disturbance.

    Examples
    --------
    >>> cover = np.full(4, Cover.CROPLAND)
    >>> t = np.array([0.0, 1.0, 5.0, 20.0]) * 365.25
    >>> strength = root_cohesion(cover, 10.0, t, np.ones(4, bool))
    >>> bool(strength[0] > strength[1] > strength[2] < strength[3]), round(float(strength[0]), 1)
    (True, 10.0)
    """
    forest = np.broadcast_to(np.asarray(forest_kpa, dtype=float), cover.shape)
    base = np.where(cover == Cover.FOREST, forest, _OPEN_ROOT_KPA[cover])
    cleared = was_forest & (cover != Cover.FOREST) & np.isfinite(days_since_clearing)
    t = np.where(cleared, days_since_clearing, 0.0)
    old = np.exp(-t / ROOT_DECAY_DAYS)
    new = 1.0 / (1.0 + np.exp(-(t - ROOT_REGROWTH_MIDPOINT_DAYS) / ROOT_REGROWTH_WIDTH_DAYS))
    decaying = forest * np.clip(old + new, 0.0, 1.0)
    return np.where(cleared, np.maximum(base, decaying), base)
