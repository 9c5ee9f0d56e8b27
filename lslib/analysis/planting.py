"""Where would planting trees hold the soil? Ranking cells by the stability gain the simulator's
physics computes, and checking by simulation that the ranking beats random planting.

The physics is the simulator's infinite-slope factor of safety (:mod:`lslib.data.sim.stability`):
forest adds root cohesion, bare or cropped ground has little. A *storm* is a water-table height drawn
for each cell from the site's topographic wetness; the *slide rate* of a site is the share of its
land cells that fail (FS < 1), averaged over storms. Planting gives the planted cells forest roots.

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

from lslib.data.sim.stability import factor_of_safety, soil_depth

__all__ = ["SoilParameters", "stability_gain", "storm_wetness", "slide_rate", "planting_trial"]


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


def slide_rate(
    slope_deg: np.ndarray, root_kpa: np.ndarray, wetness: np.ndarray, land: np.ndarray, soil: SoilParameters
) -> float:
    """Share of land cells with FS < 1, averaged over the storms in ``wetness`` ``(n_storms, H, W)``."""
    fs = factor_of_safety(
        slope_deg[None], soil_depth(slope_deg)[None], wetness, soil.soil_cohesion_kpa, root_kpa[None], soil.friction_deg
    )
    return float((fs < 1.0)[:, land].mean())


def planting_trial(
    slope_deg: np.ndarray,
    forest_now: np.ndarray,
    candidates: np.ndarray,
    rankings: dict[str, np.ndarray],
    n_cells: int,
    wetness: np.ndarray,
    soil: SoilParameters,
    rng: np.random.Generator,
    grows: np.ndarray | None = None,
) -> dict[str, object]:
    """Slide rate before planting, and after planting ``n_cells`` candidates chosen by each ranking
    (the highest first) and ``n_cells`` random candidates (the same area, the same storms).

    Parameters
    ----------
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
    roots = np.where(forest_now, soil.forest_root_kpa, soil.open_root_kpa)
    cells = np.flatnonzero(candidates)
    n = min(int(n_cells), len(cells))
    chosen = {name: cells[np.argsort(-score.ravel()[cells], kind="stable")[:n]] for name, score in rankings.items()}
    chosen["random"] = rng.choice(cells, size=n, replace=False) if n else cells[:0]
    result: dict[str, object] = {"rate_before": slide_rate(slope_deg, roots, wetness, land, soil)}
    for name, planted_cells in chosen.items():
        planted = roots.copy().ravel()
        take = planted_cells[grows.ravel()[planted_cells]]
        planted[take] = soil.forest_root_kpa
        result[f"rate_{name}"] = slide_rate(slope_deg, planted.reshape(roots.shape), wetness, land, soil)
        result[f"reduction_{name}"] = result["rate_before"] - result[f"rate_{name}"]
        result[f"cells_{name}"] = planted_cells
    return result
