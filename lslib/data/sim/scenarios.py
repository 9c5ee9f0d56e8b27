"""Cause scenarios: how each cause changes the land, the rain or the ground shaking over time.

Stands in for: the histories behind real landslides: progressive deforestation, an expanding mine
with spoil and a pond, a road cut or a dam with a filling reservoir, an extreme storm, an
earthquake, a volcanic eruption with ash fall, and a stable thriving forest.

Breaks down: one disturbance per site, with simple geometric shapes (noise-shaped clearings, round
pits, straight roads); times are compressed so that each history fits in about a year.

Each scenario is a :class:`Scenario`: ``state(day)`` gives the land (DEM, cover, clearing dates,
surcharge, soil, reservoir wetness) on a day, ``k_h`` the seismic coefficient per day, ``storm`` the
extra rain, and ``revert(state, factor)`` the counterfactual land with one factor undone, used to
attribute a slide to its cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage

from lslib.causes import Cause
from lslib.data.sim.landcover import Cover, initial_cover
from lslib.data.sim.terrain import fractal_noise

__all__ = ["LandState", "Scenario", "build_scenario", "FACTOR_CAUSE"]

#: Which cause each counterfactual factor stands for.
FACTOR_CAUSE = {
    "rain": Cause.HEAVY_RAINFALL,
    "roots": Cause.DEFORESTATION,
    "excavation": Cause.MINING,
    "cut": Cause.CONSTRUCTION,
    "reservoir": Cause.CONSTRUCTION,
    "seismic": Cause.EARTHQUAKE,
    "ash": Cause.VOLCANIC_ERUPTION,
}


@dataclass
class LandState:
    """The land of a site on one day (all maps are ``(size, size)``)."""

    dem: np.ndarray  # m
    cover: np.ndarray  # Cover codes
    cleared_day: np.ndarray  # day a forest pixel was cut (NaN: never, or excavated)
    changed_day: np.ndarray  # day the current cover appeared (for regrowth), NaN if original
    surcharge_kpa: np.ndarray  # ash load
    soil_cohesion_kpa: np.ndarray
    friction_deg: np.ndarray
    reservoir_wetness: np.ndarray  # extra water-table height near a reservoir, 0..1


@dataclass
class Scenario:
    """A land-change history; see the module docstring."""

    kind: str
    initial: LandState
    n_days: int
    factors: tuple[str, ...] = ()
    storm: np.ndarray | None = None  # extra rain per day, mm
    k_h: np.ndarray = field(default_factory=lambda: np.zeros(0))
    details: dict = field(default_factory=dict)
    _changes: list = field(default_factory=list)  # callables (state, day) -> state, applied in order

    def state(self, day: int) -> LandState:
        state = replace(self.initial, **{k: v.copy() for k, v in vars(self.initial).items()})
        for change in self._changes:
            state = change(state, day)
        return state

    def revert(self, state: LandState, factor: str) -> LandState:
        """The land with ``factor`` undone where this scenario changed it (rain and seismic factors
        are reverted by the caller, on the weather and shaking, not on the land)."""
        reverted = replace(state, **{k: v.copy() for k, v in vars(state).items()})
        changed = self.details.get("disturbed", np.zeros(state.cover.shape, bool))
        if factor in ("roots", "excavation", "cut", "ash"):
            for name in ("dem", "cover", "soil_cohesion_kpa", "friction_deg"):
                getattr(reverted, name)[changed] = getattr(self.initial, name)[changed]
            reverted.cleared_day[changed] = np.nan
            reverted.changed_day[changed] = np.nan
            if factor == "ash":
                reverted.surcharge_kpa[:] = 0.0
        if factor == "reservoir":
            reverted.reservoir_wetness[:] = 0.0
            reverted.cover[changed] = self.initial.cover[changed]
        return reverted


def _ramp(day: int, start: float, duration: float) -> float:
    """0 before ``start``, rising linearly to 1 over ``duration`` days."""
    return float(np.clip((day - start) / max(duration, 1.0), 0.0, 1.0))


def build_scenario(kind: str, dem: np.ndarray, slope: np.ndarray, region, n_days: int, window: tuple[int, int],
                   rng: np.random.Generator, overrides: dict | None = None) -> Scenario:
    """Draw the scenario ``kind`` (a cause key) for one site.

    Parameters
    ----------
    kind : str
        A :class:`~lslib.causes.Cause` key.
    dem, slope : numpy.ndarray
        Initial terrain (m, degrees).
    region : Region
        Gives soil parameters.
    n_days : int
        Length of the simulated period, days.
    window : (int, int)
        First and last Landsat frame days; triggers fall in its second half.
    overrides : dict, optional
        Fixed values for a case study instead of random ones (deforestation: ``start_day``,
        ``duration_days``, ``final_share``, ``forest_share``).
    """
    overrides = overrides or {}
    shape = dem.shape
    first, last = window
    middle = (first + last) // 2
    friction = rng.uniform(*region.friction_deg)
    soil_c = rng.uniform(*region.soil_cohesion_kpa)
    forest_share = {"thriving_forest": rng.uniform(0.9, 1.0), "heavy_rainfall": rng.uniform(0.45, 0.95),
                    "deforestation": rng.uniform(0.85, 1.0), "earthquake": rng.uniform(0.5, 0.95),
                    "volcanic_eruption": rng.uniform(0.7, 1.0)}.get(kind, rng.uniform(0.6, 0.95))
    forest_share = overrides.get("forest_share", forest_share)
    cover = initial_cover(dem, forest_share, rng, water=rng.random() < 0.2,
                          urban_share=rng.uniform(0.02, 0.06) if rng.random() < 0.2 else 0.0)
    initial = LandState(
        dem=dem.copy(), cover=cover, cleared_day=np.full(shape, np.nan), changed_day=np.full(shape, np.nan),
        surcharge_kpa=np.zeros(shape), soil_cohesion_kpa=np.full(shape, soil_c), friction_deg=np.full(shape, friction),
        reservoir_wetness=np.zeros(shape),
    )
    scenario = Scenario(kind=kind, initial=initial, n_days=n_days, k_h=np.zeros(n_days), factors=("rain",))
    land = cover != Cover.WATER
    if kind == "heavy_rainfall":
        start = int(rng.integers(middle, max(middle + 1, last - 4)))
        length = int(rng.integers(2, 5))
        total = rng.uniform(*region.storm_mm)
        weights = rng.dirichlet(np.ones(length) * 2.0)
        storm = np.zeros(n_days)
        storm[start:start + length] = total * weights[: max(0, min(length, n_days - start))]
        scenario.storm = storm
        scenario.details.update(storm_day=start, storm_mm=float(total))
    elif kind == "deforestation":
        start = overrides.get("start_day", rng.uniform(first - 30, first + 60))
        duration = overrides.get("duration_days", rng.uniform(30, 80))
        final_share = overrides.get("final_share", rng.uniform(0.6, 0.95))
        field_ = fractal_noise(shape, 2.6, rng) + 1.5 * (slope - slope.mean()) / (slope.std() + 1e-9)
        order = np.argsort(np.argsort(-field_.ravel())).reshape(shape) / field_.size  # 0 = first cut
        cut_day = np.where(land & (cover == Cover.FOREST) & (order < final_share),
                           start + duration * order / final_share, np.inf)
        scenario.details.update(disturbed=np.isfinite(cut_day), clearing_start=float(start))
        scenario.factors = ("rain", "roots")

        def clear(state: LandState, day: int, cut_day=cut_day) -> LandState:
            cut = cut_day <= day
            state.cover[cut] = np.where(day - cut_day[cut] < 100, Cover.BARE, Cover.CROPLAND)
            state.cleared_day[cut] = cut_day[cut]
            state.changed_day[cut] = cut_day[cut]
            return state

        scenario._changes.append(clear)
    elif kind == "mining":
        start = rng.uniform(first, first + 80)
        duration = rng.uniform(80, 160)
        rows, cols = np.indices(shape)
        steep = np.argwhere((slope > np.quantile(slope, 0.4)) & land)
        centre = steep[rng.integers(len(steep))] if len(steep) else np.array(shape) // 2
        radius_max = rng.uniform(4.5, 8.0)
        depth_max = rng.uniform(8.0, 28.0)
        distance = np.hypot(rows - centre[0], cols - centre[1])
        # spoil is dumped downslope of the pit
        gy, gx = np.gradient(-dem)
        direction = np.array([gy[tuple(centre)], gx[tuple(centre)]])
        direction = direction / (np.linalg.norm(direction) + 1e-9)
        spoil_centre = centre + direction * (radius_max + 3.0)
        spoil_distance = np.hypot(rows - spoil_centre[0], cols - spoil_centre[1])
        spoil_height = rng.uniform(5.0, 15.0)
        pond = rng.random() < 0.5
        scenario.details.update(disturbed=(distance <= radius_max + 0.5) | (spoil_distance <= radius_max * 0.8),
                                mine_start=float(start), pit_centre=centre.tolist())
        scenario.factors = ("rain", "excavation")

        def excavate(state: LandState, day: int) -> LandState:
            progress = _ramp(day, start, duration)
            if progress <= 0:
                return state
            radius = 1.5 + (radius_max - 1.5) * progress
            pit = distance <= radius
            state.dem[pit] -= depth_max * progress * (1 - (distance[pit] / (radius + 1e-9)) ** 2)
            heap_radius = radius * 0.8
            heap = spoil_distance <= heap_radius
            state.dem[heap] += spoil_height * progress * (1 - (spoil_distance[heap] / (heap_radius + 1e-9)) ** 2)
            disturbed = pit | heap
            state.changed_day[disturbed] = start  # state() rebuilds from the initial land: date from the start
            state.cover[disturbed] = Cover.SPOIL
            state.soil_cohesion_kpa[disturbed] = 0.0  # loose, unconsolidated material
            state.friction_deg[disturbed] = np.minimum(state.friction_deg[disturbed], 31.0)
            if pond and progress > 0.5:
                state.cover[distance <= radius * 0.35] = Cover.WATER
            return state

        scenario._changes.append(excavate)
    elif kind == "construction" and rng.random() < 0.75:
        start = rng.uniform(first + 10, middle - 10)
        duration = rng.uniform(30, 70)
        level = np.quantile(dem[land], rng.uniform(0.35, 0.65))
        road = np.abs(dem - level) <= rng.uniform(6.0, 10.0)
        road = ndimage.binary_opening(road) | road & (slope > 10)
        above = ndimage.binary_dilation(road, iterations=2) & (dem > level) & ~road
        cut_depth = rng.uniform(15.0, 30.0)
        scenario.details.update(disturbed=road | above, road_start=float(start), design="road")
        scenario.factors = ("rain", "cut")

        def cut_road(state: LandState, day: int) -> LandState:
            progress = _ramp(day, start, duration)
            if progress <= 0:
                return state
            above_level = road & (state.dem > level)
            state.dem[above_level] -= (state.dem[above_level] - level) * progress  # a bench along the contour
            state.dem[above] -= cut_depth * progress  # the steepened cut face above it
            touched = road | above  # state() rebuilds from the initial land, so date changes from the start
            state.changed_day[touched] = start
            state.cleared_day[touched & (self_initial.cover == Cover.FOREST)] = start  # roots decay, not vanish
            state.cover[road | above] = Cover.BARE
            return state

        self_initial = initial
        scenario._changes.append(cut_road)
    elif kind == "construction":
        start = rng.uniform(first + 10, middle - 20)
        duration = rng.uniform(60, 140)
        full_level = np.quantile(dem[land], rng.uniform(0.15, 0.3))
        floor = dem.min()
        scenario.details.update(disturbed=dem <= full_level, reservoir_start=float(start), design="dam")
        scenario.factors = ("rain", "reservoir")

        def fill(state: LandState, day: int) -> LandState:
            progress = _ramp(day, start, duration)
            if progress <= 0:
                return state
            water_level = floor + (full_level - floor) * progress
            flooded = dem <= water_level
            state.cover[flooded] = Cover.WATER
            near = (dem > water_level) & (dem <= water_level + 25.0)  # banks soaked by the reservoir
            state.reservoir_wetness[near] = 1.0 * progress * (1 - (dem[near] - water_level) / 25.0)
            return state

        scenario._changes.append(fill)
    elif kind == "earthquake":
        day = int(rng.integers(middle, max(middle + 1, last - 4)))
        pga = rng.uniform(0.1, 0.5)
        scenario.k_h[day] = 0.5 * pga
        scenario.details.update(quake_day=day, pga_g=float(pga))
        scenario.factors = ("rain", "seismic")
    elif kind == "volcanic_eruption":
        day = int(rng.integers(first + 20, max(first + 21, middle + 20)))
        thickness = rng.uniform(0.2, 0.9)
        ash_field = fractal_noise(shape, 3.0, rng)
        ashed = ash_field <= np.quantile(ash_field, rng.uniform(0.6, 1.0))
        scenario.details.update(disturbed=ashed, eruption_day=day, ash_m=float(thickness))
        scenario.factors = ("rain", "ash")

        def erupt(state: LandState, day_now: int) -> LandState:
            if day_now < day:
                return state
            hit = ashed & land
            state.cover[hit] = Cover.ASH
            state.cleared_day[hit & (self_initial_forest)] = day  # trees die: roots decay as if cut
            state.changed_day[hit] = day
            state.surcharge_kpa[hit] = 12.0 * thickness  # ash bulk weight about 12 kN/m3
            state.friction_deg[hit] = np.minimum(state.friction_deg[hit], 30.0)
            return state

        self_initial_forest = initial.cover == Cover.FOREST
        scenario._changes.append(erupt)
    elif kind != "thriving_forest":
        raise ValueError(f"Unknown scenario {kind!r}")
    return scenario
