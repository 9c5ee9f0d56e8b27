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

Builders are registered by kind with :func:`register_scenario`, one small function per kind, and
:func:`build_scenario` picks one by name (as pix2pix's ``define_G`` picks a generator); an unknown
kind raises, listing the registered ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage

from lslib.causes import Cause
from lslib.data.sim.landcover import Cover, initial_cover
from lslib.data.sim.regions import Region
from lslib.data.sim.terrain import fractal_noise

__all__ = [
    "LandState",
    "Scenario",
    "Setting",
    "ScenarioBuilder",
    "SCENARIO_BUILDERS",
    "build_scenario",
    "register_scenario",
    "scenario_kinds",
    "FACTOR_CAUSE",
]

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


@dataclass(frozen=True)
class Setting:
    """What a scenario builder knows of its site (read-only).

    Attributes
    ----------
    dem, slope : numpy.ndarray
        Initial terrain, ``(size, size)``, m and degrees.
    region : Region
        Climate, soils and storms of the site's region.
    n_days : int
        Length of the simulated period, days.
    first, last : int
        Days of the first and last Landsat frames.
    land : numpy.ndarray
        ``(size, size)`` bool: pixels of the initial cover that are not water.
    overrides : dict
        A case study's fixed values (see :func:`build_scenario`).
    """

    dem: np.ndarray
    slope: np.ndarray
    region: Region
    n_days: int
    first: int
    last: int
    land: np.ndarray
    overrides: dict

    @property
    def middle(self) -> int:
        """The day halfway between the first and last frames (triggers fall after it)."""
        return (self.first + self.last) // 2

    @property
    def shape(self) -> tuple[int, ...]:
        """``(size, size)``."""
        return self.dem.shape


#: A builder adds one kind's disturbance (land changes, storm, shaking, factors, details) to a scenario.
ScenarioBuilder = Callable[[Scenario, Setting, np.random.Generator], None]

#: Scenario builders by kind (a cause key), filled by :func:`register_scenario`.
SCENARIO_BUILDERS: dict[str, ScenarioBuilder] = {}

#: Forest share of the initial cover per kind, (low, high). Every range is drawn for every site, in this
#: order and then the default's, whatever the kind: the order is part of the random stream.
_FOREST_SHARE = {
    "thriving_forest": (0.9, 1.0),
    "heavy_rainfall": (0.45, 0.95),
    "deforestation": (0.85, 1.0),
    "earthquake": (0.5, 0.95),
    "volcanic_eruption": (0.7, 1.0),
}
_DEFAULT_FOREST_SHARE = (0.6, 0.95)


def register_scenario(kind: str) -> Callable[[ScenarioBuilder], ScenarioBuilder]:
    """Register the decorated function as the builder of scenario ``kind``.

    Raises
    ------
    ValueError
        ``kind`` already has a builder.

    Examples
    --------
    >>> "deforestation" in SCENARIO_BUILDERS, SCENARIO_BUILDERS["deforestation"].__name__
    (True, '_deforestation')
    """

    def register(builder: ScenarioBuilder) -> ScenarioBuilder:
        if kind in SCENARIO_BUILDERS:
            raise ValueError(f"Scenario {kind!r} is already registered (by {SCENARIO_BUILDERS[kind].__name__})")
        SCENARIO_BUILDERS[kind] = builder
        return builder

    return register


def scenario_kinds() -> tuple[str, ...]:
    """The registered scenario kinds, in registration order.

    Examples
    --------
    >>> from lslib.causes import CAUSE_KEYS
    >>> sorted(scenario_kinds()) == sorted(CAUSE_KEYS)
    True
    """
    return tuple(SCENARIO_BUILDERS)


def build_scenario(
    kind: str,
    dem: np.ndarray,
    slope: np.ndarray,
    region,
    n_days: int,
    window: tuple[int, int],
    rng: np.random.Generator,
    overrides: dict | None = None,
) -> Scenario:
    """Draw the scenario ``kind`` (a cause key) for one site.

    The initial land is drawn first (soil, forest share, cover), then the registered builder of
    ``kind`` adds its disturbance, drawing from the same ``rng``.

    Parameters
    ----------
    kind : str
        A :class:`~lslib.causes.Cause` key (see :func:`scenario_kinds`).
    dem, slope : numpy.ndarray
        Initial terrain (m, degrees).
    region : Region
        Gives soil parameters.
    n_days : int
        Length of the simulated period, days.
    window : (int, int)
        First and last Landsat frame days; triggers fall in its second half.
    rng : numpy.random.Generator
        The site's stream.
    overrides : dict, optional
        Fixed values for a case study instead of random ones (deforestation: ``start_day``,
        ``duration_days``, ``final_share``, ``forest_share``).

    Raises
    ------
    ValueError
        ``kind`` has no registered builder; the message lists the registered kinds.
    """
    if kind not in SCENARIO_BUILDERS:
        raise ValueError(f"Unknown scenario {kind!r}; registered scenarios are {', '.join(SCENARIO_BUILDERS)}")
    overrides = overrides or {}
    initial = _initial_land(kind, dem, region, rng, overrides)
    scenario = Scenario(kind=kind, initial=initial, n_days=n_days, k_h=np.zeros(n_days), factors=("rain",))
    first, last = window
    setting = Setting(
        dem=dem,
        slope=slope,
        region=region,
        n_days=n_days,
        first=first,
        last=last,
        land=initial.cover != Cover.WATER,
        overrides=overrides,
    )
    SCENARIO_BUILDERS[kind](scenario, setting, rng)
    return scenario


def _initial_land(kind: str, dem: np.ndarray, region, rng: np.random.Generator, overrides: dict) -> LandState:
    """The undisturbed land: uniform soil, and a cover whose forest share depends on ``kind``."""
    shape = dem.shape
    friction = rng.uniform(*region.friction_deg)
    soil_c = rng.uniform(*region.soil_cohesion_kpa)
    shares = {key: rng.uniform(*bounds) for key, bounds in _FOREST_SHARE.items()}
    forest_share = shares.get(kind, rng.uniform(*_DEFAULT_FOREST_SHARE))
    forest_share = overrides.get("forest_share", forest_share)
    cover = initial_cover(
        dem,
        forest_share,
        rng,
        water=rng.random() < 0.2,
        urban_share=rng.uniform(0.02, 0.06) if rng.random() < 0.2 else 0.0,
    )
    return LandState(
        dem=dem.copy(),
        cover=cover,
        cleared_day=np.full(shape, np.nan),
        changed_day=np.full(shape, np.nan),
        surcharge_kpa=np.zeros(shape),
        soil_cohesion_kpa=np.full(shape, soil_c),
        friction_deg=np.full(shape, friction),
        reservoir_wetness=np.zeros(shape),
    )


@register_scenario("thriving_forest")
def _thriving_forest(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """No disturbance: the forest stands, or rain alone fails it."""


@register_scenario("heavy_rainfall")
def _heavy_rainfall(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """A storm of 2-4 days (the region's total, mm) in the second half of the frames."""
    n_days, middle = setting.n_days, setting.middle
    start = int(rng.integers(middle, max(middle + 1, setting.last - 4)))
    length = int(rng.integers(2, 5))
    total = rng.uniform(*setting.region.storm_mm)
    weights = rng.dirichlet(np.ones(length) * 2.0)
    storm = np.zeros(n_days)
    storm[start : start + length] = total * weights[: max(0, min(length, n_days - start))]
    scenario.storm = storm
    scenario.details.update(storm_day=start, storm_mm=float(total))


@register_scenario("deforestation")
def _deforestation(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """Progressive clear-cutting of the forest, steep ground first; cleared pixels turn bare then cropland."""
    overrides, first, slope = setting.overrides, setting.first, setting.slope
    # the draws are made even when overridden, so that the stream is the same either way
    start = overrides.get("start_day", rng.uniform(first - 30, first + 60))
    duration = overrides.get("duration_days", rng.uniform(30, 80))
    final_share = overrides.get("final_share", rng.uniform(0.6, 0.95))
    field_ = fractal_noise(setting.shape, 2.6, rng) + 1.5 * (slope - slope.mean()) / (slope.std() + 1e-9)
    order = np.argsort(np.argsort(-field_.ravel())).reshape(setting.shape) / field_.size  # 0 = first cut
    cut_day = np.where(
        setting.land & (scenario.initial.cover == Cover.FOREST) & (order < final_share),
        start + duration * order / final_share,
        np.inf,
    )
    scenario.details.update(disturbed=np.isfinite(cut_day), clearing_start=float(start))
    scenario.factors = ("rain", "roots")

    def clear(state: LandState, day: int) -> LandState:
        cut = cut_day <= day
        state.cover[cut] = np.where(day - cut_day[cut] < 100, Cover.BARE, Cover.CROPLAND)
        state.cleared_day[cut] = cut_day[cut]
        state.changed_day[cut] = cut_day[cut]
        return state

    scenario._changes.append(clear)


@register_scenario("mining")
def _mining(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """An open pit on steep land that widens and deepens, with spoil dumped downslope and sometimes a pond."""
    shape, dem, slope, first = setting.shape, setting.dem, setting.slope, setting.first
    start = rng.uniform(first, first + 80)
    duration = rng.uniform(80, 160)
    rows, cols = np.indices(shape)
    steep = np.argwhere((slope > np.quantile(slope, 0.4)) & setting.land)
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
    scenario.details.update(
        disturbed=(distance <= radius_max + 0.5) | (spoil_distance <= radius_max * 0.8),
        mine_start=float(start),
        pit_centre=centre.tolist(),
    )
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


@register_scenario("construction")
def _construction(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """A road cut along a contour (three sites in four) or a dam whose reservoir fills."""
    if rng.random() < 0.75:
        _road(scenario, setting, rng)
    else:
        _dam(scenario, setting, rng)


def _road(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """A bench cut along a contour with a steepened face above it; cleared forest roots decay."""
    dem, slope = setting.dem, setting.slope
    start = rng.uniform(setting.first + 10, setting.middle - 10)
    duration = rng.uniform(30, 70)
    level = np.quantile(dem[setting.land], rng.uniform(0.35, 0.65))
    road = np.abs(dem - level) <= rng.uniform(6.0, 10.0)
    road = ndimage.binary_opening(road) | road & (slope > 10)
    above = ndimage.binary_dilation(road, iterations=2) & (dem > level) & ~road
    cut_depth = rng.uniform(15.0, 30.0)
    scenario.details.update(disturbed=road | above, road_start=float(start), design="road")
    scenario.factors = ("rain", "cut")
    initial = scenario.initial

    def cut_road(state: LandState, day: int) -> LandState:
        progress = _ramp(day, start, duration)
        if progress <= 0:
            return state
        above_level = road & (state.dem > level)
        state.dem[above_level] -= (state.dem[above_level] - level) * progress  # a bench along the contour
        state.dem[above] -= cut_depth * progress  # the steepened cut face above it
        touched = road | above  # state() rebuilds from the initial land, so date changes from the start
        state.changed_day[touched] = start
        state.cleared_day[touched & (initial.cover == Cover.FOREST)] = start  # roots decay, not vanish
        state.cover[road | above] = Cover.BARE
        return state

    scenario._changes.append(cut_road)


def _dam(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """A reservoir filling up to a level in the lower valley; its banks are soaked."""
    dem = setting.dem
    start = rng.uniform(setting.first + 10, setting.middle - 20)
    duration = rng.uniform(60, 140)
    full_level = np.quantile(dem[setting.land], rng.uniform(0.15, 0.3))
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


@register_scenario("earthquake")
def _earthquake(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """One day of shaking (PGA 0.1-0.5 g; k_h = PGA / 2) in the second half of the frames."""
    middle = setting.middle
    day = int(rng.integers(middle, max(middle + 1, setting.last - 4)))
    pga = rng.uniform(0.1, 0.5)
    scenario.k_h[day] = 0.5 * pga
    scenario.details.update(quake_day=day, pga_g=float(pga))
    scenario.factors = ("rain", "seismic")


@register_scenario("volcanic_eruption")
def _volcanic_eruption(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """Ash fall over a patchy area on one day: an ash load, weaker ground, and forest that dies."""
    first, middle = setting.first, setting.middle
    day = int(rng.integers(first + 20, max(first + 21, middle + 20)))
    thickness = rng.uniform(0.2, 0.9)
    ash_field = fractal_noise(setting.shape, 3.0, rng)
    ashed = ash_field <= np.quantile(ash_field, rng.uniform(0.6, 1.0))
    scenario.details.update(disturbed=ashed, eruption_day=day, ash_m=float(thickness))
    scenario.factors = ("rain", "ash")
    land = setting.land
    initial_forest = scenario.initial.cover == Cover.FOREST

    def erupt(state: LandState, day_now: int) -> LandState:
        if day_now < day:
            return state
        hit = ashed & land
        state.cover[hit] = Cover.ASH
        state.cleared_day[hit & initial_forest] = day  # trees die: roots decay as if cut
        state.changed_day[hit] = day
        state.surcharge_kpa[hit] = 12.0 * thickness  # ash bulk weight about 12 kN/m3
        state.friction_deg[hit] = np.minimum(state.friction_deg[hit], 30.0)
        return state

    scenario._changes.append(erupt)
