"""Where would planting trees hold the soil? Ranking cells by the stability gain the infinite-slope
physics computes, and judging the plans by simulation against the site's hidden ground.

A *planner* knows only what an agency can observe (imagery, terrain) and assumes mid-range soil
(:class:`SoilParameters`); it ranks cells with :func:`stability_gain`. A *judge* computes the slide rate
of a site, the share of its land cells that fail (FS < 1) averaged over storms, on a :class:`Ground`:
per-pixel soil depth, soil cohesion, friction angle, root strength and the storms' water tables.
:func:`hidden_ground` reads that ground from the simulator's oracle variables (the site's true soil and
roots, and the water tables of its wettest days): values no planner can reach.
:func:`design_ground` builds one from the planner's own assumptions instead, for tests and toys only.
Planting gives the planted cells forest roots where trees take.

Examples
--------
>>> slope = np.full((4, 4), 38.0); slope[0] = 5.0  # one flat row
>>> gain = stability_gain(slope, np.ones((4, 4), bool), SoilParameters())
>>> bool(gain[1, 0] > gain[0, 0] >= 0)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from lslib.data.schema import require
from lslib.data.sim.landcover import root_cohesion
from lslib.data.sim.stability import factor_of_safety, soil_depth, wetness
from lslib.data.sim.terrain import topographic_wetness
from lslib.data.sim.weather import antecedent_index

__all__ = [
    "SoilParameters",
    "Ground",
    "HIDDEN_VARIABLES",
    "design_ground",
    "hidden_ground",
    "stability_gain",
    "storm_wetness",
    "slide_rate",
    "planting_trial",
]

#: The oracle variables :func:`hidden_ground` reads: the site's true soil, roots and saturation.
HIDDEN_VARIABLES = (
    "soil_depth",
    "soil_cohesion",
    "friction_angle",
    "forest_root_cohesion",
    "land_cover",
    "saturation_mm",
)


@dataclass(frozen=True)
class SoilParameters:
    """Soil and root properties of a site (kPa, degrees); defaults are mid-range values of
    ``../shared/design/SIMULATOR.md`` (residual soils, forest roots about 10 kPa, cropland about 1)."""

    friction_deg: float = 33.0
    soil_cohesion_kpa: float = 2.5
    forest_root_kpa: float = 10.0
    open_root_kpa: float = 1.0
    design_wetness: float = 0.9


def stability_gain(slope_deg: np.ndarray, becomes_forest: np.ndarray, soil: SoilParameters) -> np.ndarray:
    """Gain of factor of safety from planting each cell, at the design wetness: FS with forest roots
    minus FS with the roots of open ground, where the cell would become forest (0 elsewhere)."""
    depth = soil_depth(slope_deg)
    planted = factor_of_safety(
        slope_deg, depth, soil.design_wetness, soil.soil_cohesion_kpa, soil.forest_root_kpa, soil.friction_deg
    )
    open_ground = factor_of_safety(
        slope_deg, depth, soil.design_wetness, soil.soil_cohesion_kpa, soil.open_root_kpa, soil.friction_deg
    )
    # What matters is failing or not: the gain counts only up to FS = 1.2 (beyond, the cell holds anyway).
    return np.where(becomes_forest, np.minimum(planted, 1.2) - np.minimum(open_ground, 1.2), 0.0)


def storm_wetness(topographic_wetness: np.ndarray, n_storms: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_storms, H, W)`` water-table heights: a storm intensity in [0.5, 1.2] times the wetness factor."""
    intensity = rng.uniform(0.5, 1.2, size=(n_storms, 1, 1))
    return np.clip(intensity * topographic_wetness[None], 0.0, 1.0)


@dataclass(frozen=True)
class Ground:
    """What a planting plan is judged on: ``(H, W)`` maps of the ground and ``(n_storms, H, W)`` water tables.

    Attributes
    ----------
    depth_m : numpy.ndarray
        Vertical soil depth above the failure plane, m.
    cohesion_kpa : numpy.ndarray
        Soil cohesion, kPa (roots come on top).
    friction_deg : numpy.ndarray
        Friction angle, degrees.
    forest_root_kpa : numpy.ndarray
        Root cohesion of standing (or planted) forest, kPa.
    open_root_kpa : numpy.ndarray
        Root cohesion of each cell's cover when it is not forest, kPa.
    wetness : numpy.ndarray
        Relative water-table height in [0, 1] of every storm.
    """

    depth_m: np.ndarray
    cohesion_kpa: np.ndarray
    friction_deg: np.ndarray
    forest_root_kpa: np.ndarray
    open_root_kpa: np.ndarray
    wetness: np.ndarray


def design_ground(slope_deg: np.ndarray, dem: np.ndarray, soil: SoilParameters, n_storms: int, rng) -> Ground:
    """A ground made of the planner's own assumptions: ``soil``'s mid-range values everywhere, the depth
    trend of the slope, and ``n_storms`` storms drawn from the DEM's topographic wetness
    (:func:`storm_wetness`). A judge on it shares the planner's values, so a plan judged here wins by
    construction: for tests and toys, never for a chapter's verdict (use :func:`hidden_ground`)."""
    shape = np.shape(slope_deg)
    return Ground(
        depth_m=soil_depth(slope_deg),
        cohesion_kpa=np.full(shape, soil.soil_cohesion_kpa),
        friction_deg=np.full(shape, soil.friction_deg),
        forest_root_kpa=np.full(shape, soil.forest_root_kpa),
        open_root_kpa=np.full(shape, soil.open_root_kpa),
        wetness=storm_wetness(topographic_wetness(dem), n_storms, rng),
    )


def hidden_ground(stack: xr.Dataset, site: int, frame: int, n_storms: int = 32) -> Ground:
    """The hidden truth of one simulated site, as the judge of a plan made at its Landsat ``frame``.

    The soil depth, cohesion and friction angle, the root strength of forest and of the cover at
    ``frame`` (:data:`HIDDEN_VARIABLES`, all oracle variables), and the water tables of the site's
    ``n_storms`` wettest days of its record: the simulator's own antecedent rain index over the site's
    saturation index, times the DEM's topographic wetness (the storms that really came, at the
    strength the site's soil felt them).

    Raises
    ------
    lslib.data.schema.SchemaError
        The stack lacks one of the hidden variables (not simulated, or simulated before they existed).
    ValueError
        ``n_storms`` is not positive, or longer than the record.
    """
    require(stack, (*HIDDEN_VARIABLES, "rain_daily", "dem"))
    rain = stack["rain_daily"].values[site].astype(float)
    if not 0 < n_storms <= len(rain):
        raise ValueError(f"n_storms must lie in 1..{len(rain)} (the record's days), got {n_storms}")
    api = antecedent_index(rain)
    wettest = np.sort(np.argsort(-api, kind="stable")[:n_storms])
    topography = topographic_wetness(stack["dem"].values[site].astype(float))
    saturation = float(stack["saturation_mm"].values[site])
    forest = stack["forest_root_cohesion"].values[site].astype(float)
    cover = stack["land_cover"].values[site, frame]
    never_cut = np.full(cover.shape, np.nan)
    return Ground(
        depth_m=stack["soil_depth"].values[site].astype(float),
        cohesion_kpa=stack["soil_cohesion"].values[site].astype(float),
        friction_deg=stack["friction_angle"].values[site].astype(float),
        forest_root_kpa=forest,
        open_root_kpa=root_cohesion(cover, forest, never_cut, np.zeros(cover.shape, bool)),
        wetness=wetness(api[wettest, None, None], topography[None], saturation),
    )


def slide_rate(slope_deg: np.ndarray, root_kpa: np.ndarray, ground: Ground, land: np.ndarray) -> float:
    """Share of ``land`` cells with FS < 1 under roots ``root_kpa`` (kPa), averaged over ``ground``'s storms."""
    fs = factor_of_safety(
        slope_deg[None],
        ground.depth_m[None],
        ground.wetness,
        ground.cohesion_kpa[None],
        root_kpa[None],
        ground.friction_deg[None],
    )
    return float((fs < 1.0)[:, land].mean())


def planting_trial(
    slope_deg: np.ndarray,
    forest_now: np.ndarray,
    candidates: np.ndarray,
    rankings: dict[str, np.ndarray],
    n_cells: int,
    ground: Ground,
    rng: np.random.Generator,
    grows: np.ndarray | None = None,
) -> dict[str, object]:
    """Slide rate on ``ground`` before planting, and after planting ``n_cells`` candidates chosen by each
    ranking (the highest first) and ``n_cells`` random candidates (the same area, the same storms).

    Parameters
    ----------
    forest_now : numpy.ndarray of bool
        Cells with forest roots before planting (``ground.forest_root_kpa``); the rest have
        ``ground.open_root_kpa``.
    rankings : dict
        Name -> per-cell score (higher: plant first).
    grows : numpy.ndarray of bool, optional
        Where planted trees would actually take (the judge's truth); a planted cell elsewhere keeps
        the roots of open ground. Default: everywhere.

    Returns
    -------
    dict
        ``rate_before``, ``rate_<name>`` and ``reduction_<name>`` (before minus after) for every
        ranking and for ``random``, and the flat indices planted by each (``cells_<name>``).
    """
    land = np.ones_like(candidates, bool)
    grows = np.ones_like(candidates, bool) if grows is None else grows
    roots = np.where(forest_now, ground.forest_root_kpa, ground.open_root_kpa)
    cells = np.flatnonzero(candidates)
    n = min(int(n_cells), len(cells))
    chosen = {name: cells[np.argsort(-score.ravel()[cells], kind="stable")[:n]] for name, score in rankings.items()}
    chosen["random"] = rng.choice(cells, size=n, replace=False) if n else cells[:0]
    result: dict[str, object] = {"rate_before": slide_rate(slope_deg, roots, ground, land)}
    for name, planted_cells in chosen.items():
        planted = roots.copy().ravel()
        take = planted_cells[grows.ravel()[planted_cells]]
        planted[take] = ground.forest_root_kpa.ravel()[take]
        result[f"rate_{name}"] = slide_rate(slope_deg, planted.reshape(roots.shape), ground, land)
        result[f"reduction_{name}"] = result["rate_before"] - result[f"rate_{name}"]
        result[f"cells_{name}"] = planted_cells
    return result
