"""Cause scenarios: how each cause changes the land, the rain or the ground shaking over time.

Stands in for: the histories behind real landslides: progressive deforestation, an expanding mine
with spoil and a pond, a road cut or a dam with a filling reservoir, an extreme storm, an
earthquake, a volcanic eruption with ash fall, and a stable thriving forest.

Breaks down: one disturbance per site, with simple geometric shapes (noise-shaped clearings, round
pits, straight roads).

Histories are longer than the observation window: each disturbance starts on a day drawn on the
site's calendar, up to :data:`HISTORY_YEARS` years before the first simulated day and independently
of when the satellites start looking, so some sites were cleared, mined or shaken long before their
first frame and some only change after their last. Two kinds are undisturbed: ``thriving_forest``
(a forested slope) and ``heavy_rainfall`` (mixed forest and farmland); the name of the second is the
cause its slides usually get, not a storm of its own, since every site gets its region's storms
(:func:`lslib.data.sim.weather.climate_storms`). A scenario is therefore a land-use history, never
the label: most disturbed sites stand, and undisturbed ones fail in big storms.

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
from lslib.data.sim.stability import SoilParameters
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
    "HISTORY_YEARS",
    "UNDISTURBED_KINDS",
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


#: How many years before the first simulated day each kind's disturbance may start (drawn uniformly on the
#: calendar up to the last simulated day). Deforestation reaches furthest back: roots keep most of their
#: strength for a year or two and the risk peaks 3-10 years after cutting (Sidle 1992).
HISTORY_YEARS = {"deforestation": 8.0, "mining": 3.0, "construction": 2.0, "earthquake": 0.5, "volcanic_eruption": 2.0}
#: The scenarios without a disturbance.
UNDISTURBED_KINDS = ("thriving_forest", "heavy_rainfall")
#: Post-seismic weakening: shaken slopes lose up to this share of their soil cohesion per g of PGA (cracking,
#: dilation), recovering with the time constant below (Marc et al. 2015: landslide rates return to the
#: background within 1-4 years of large earthquakes).
SEISMIC_WEAKENING_PER_G = 1.2
SEISMIC_RECOVERY_DAYS = 1.5 * 365.25
#: Extra water-table height (0..1) on cracked slopes per unit of cohesion loss: fissures route storm water down.
CRACK_WETNESS = 0.4
#: Extra water-table height (0..1) under fresh ash: fine ash seals the surface and perches water in the soil.
ASH_WETNESS = 0.2


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
    extra_wetness: np.ndarray  # extra water-table height, 0..1: reservoir banks, cracked ground, perched on ash


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

    def add_old_scar(self, cells: np.ndarray, day: int) -> None:
        """From ``day`` on, ``cells`` are the scar of a slide that is not the site's event (it happened
        before the site was observed): bare rock and soil without roots, regrowing like any scar."""
        if "old_scar_day" not in self.details:
            self.details["old_scar_day"] = np.full(cells.shape, np.inf)
            self._changes.append(self._old_scars)
        since = self.details["old_scar_day"]
        since[cells] = np.minimum(since[cells], day)

    def _old_scars(self, state: LandState, day: int) -> LandState:
        since = self.details["old_scar_day"]
        hit = (since <= day) & (state.cover != Cover.WATER)
        state.cover[hit] = Cover.SCAR
        state.changed_day[hit] = since[hit]
        state.cleared_day[hit] = np.nan
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
                reverted.extra_wetness[:] = self.initial.extra_wetness
        if factor == "seismic":
            reverted.soil_cohesion_kpa[:] = self.initial.soil_cohesion_kpa
            reverted.extra_wetness[:] = self.initial.extra_wetness
        if factor == "reservoir":
            reverted.extra_wetness[:] = self.initial.extra_wetness
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

    def start_day(self, kind: str, rng: np.random.Generator) -> float:
        """A disturbance start drawn on the calendar: uniform from :data:`HISTORY_YEARS` years before the
        first simulated day to the last one, whatever the observation window."""
        return float(rng.uniform(-HISTORY_YEARS[kind] * 365.25, self.n_days))

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
    "heavy_rainfall": (0.3, 0.8),
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
    soil: SoilParameters,
    region,
    n_days: int,
    window: tuple[int, int],
    rng: np.random.Generator,
    overrides: dict | None = None,
) -> Scenario:
    """Draw the scenario ``kind`` (a cause key) for one site.

    The initial land is drawn first (forest share, cover, with the site's soil), then the registered
    builder of ``kind`` adds its disturbance, drawing from the same ``rng``.

    Parameters
    ----------
    kind : str
        A :class:`~lslib.causes.Cause` key (see :func:`scenario_kinds`).
    dem, slope : numpy.ndarray
        Initial terrain (m, degrees).
    soil : SoilParameters
        The site's soil (:func:`lslib.data.sim.stability.draw_soil`).
    region : Region
        The site's region.
    n_days : int
        Length of the simulated period, days.
    window : (int, int)
        First and last Landsat frame days (disturbances are drawn on the calendar, not from these).
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
    initial = _initial_land(kind, dem, soil, region, rng, overrides)
    scenario = Scenario(kind=kind, initial=initial, n_days=n_days, k_h=np.zeros(n_days), factors=("rain",))
    first, last = window
    land = initial.cover != Cover.WATER
    setting = Setting(dem, slope, region, n_days, first, last, land=land, overrides=overrides)
    scenario.details["disturbed"] = np.zeros(dem.shape, bool)
    SCENARIO_BUILDERS[kind](scenario, setting, rng)
    return scenario


def _initial_land(
    kind: str, dem: np.ndarray, soil: SoilParameters, region, rng: np.random.Generator, overrides: dict
) -> LandState:
    """The undisturbed land: the site's soil, and a cover whose forest share depends on ``kind``."""
    shape = dem.shape
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
        soil_cohesion_kpa=soil.cohesion_kpa.copy(),
        friction_deg=soil.friction_deg.copy(),
        extra_wetness=np.zeros(shape),
    )


@register_scenario("thriving_forest")
def _thriving_forest(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """No disturbance on a forested slope: it stands, or a storm fails it."""


@register_scenario("heavy_rainfall")
def _heavy_rainfall(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """No disturbance on a slope of mixed forest and farmland: it stands, or a storm fails it."""


@register_scenario("deforestation")
def _deforestation(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """Progressive clear-cutting of the forest, steep ground first; cleared pixels stay bare for a season,
    then farmland or scrub takes over while the old roots rot over years."""
    overrides, slope = setting.overrides, setting.slope
    # the draws are made even when overridden, so that the stream is the same either way
    start = overrides.get("start_day", setting.start_day("deforestation", rng))
    duration = overrides.get("duration_days", rng.uniform(30, 200))
    final_share = overrides.get("final_share", rng.uniform(0.5, 0.95))
    bare_days = rng.uniform(100, 200)
    field_ = fractal_noise(setting.shape, 2.6, rng) + 1.5 * (slope - slope.mean()) / (slope.std() + 1e-9)
    order = np.argsort(np.argsort(-field_.ravel())).reshape(setting.shape) / field_.size  # 0 = first cut
    cut_day = np.where(
        setting.land & (scenario.initial.cover == Cover.FOREST) & (order < final_share),
        start + duration * order / final_share,
        np.inf,
    )
    scenario.details.update(disturbed=np.isfinite(cut_day), clearing_start=float(start), cut_day=cut_day)
    scenario.factors = ("rain", "roots")

    def clear(state: LandState, day: int) -> LandState:
        cut = cut_day <= day
        state.cover[cut] = np.where(day - cut_day[cut] < bare_days, Cover.BARE, Cover.CROPLAND)
        state.cleared_day[cut] = cut_day[cut]
        state.changed_day[cut] = cut_day[cut]
        return state

    scenario._changes.append(clear)


@register_scenario("mining")
def _mining(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """An open pit on steep land that widens and deepens over years, with spoil dumped downslope and
    sometimes a pond."""
    shape, dem, slope = setting.shape, setting.dem, setting.slope
    start = setting.start_day("mining", rng)
    duration = rng.uniform(365, 4 * 365)
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
    start = setting.start_day("construction", rng)
    duration = rng.uniform(30, 120)
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
        state.cleared_day[road & (initial.cover == Cover.FOREST)] = start  # on the bench roots decay, not vanish
        state.cleared_day[above] = np.nan  # the cut face is dug below the root zone: no roots at all
        state.cover[road | above] = Cover.BARE
        return state

    scenario._changes.append(cut_road)


def _dam(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """A reservoir filling up to a level in the lower valley; its banks are soaked."""
    dem = setting.dem
    start = setting.start_day("construction", rng)
    duration = rng.uniform(60, 300)
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
        state.extra_wetness[near] = 1.0 * progress * (1 - (dem[near] - water_level) / 25.0)
        return state

    scenario._changes.append(fill)


@register_scenario("earthquake")
def _earthquake(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """One day of shaking (PGA 0.1-0.5 g; k_h = PGA / 2) on a calendar day, and cracked slopes that recover
    their soil cohesion over the following years."""
    day = int(setting.start_day("earthquake", rng))
    pga = rng.uniform(0.1, 0.5)
    if 0 <= day < setting.n_days:
        scenario.k_h[day] = 0.5 * pga
    cracked = setting.land & (setting.slope > np.quantile(setting.slope, 0.3))
    loss = np.clip(SEISMIC_WEAKENING_PER_G * pga * (1 + 0.3 * fractal_noise(setting.shape, 3.0, rng)), 0.0, 0.8)
    scenario.details.update(quake_day=day, pga_g=float(pga), disturbed=cracked)
    scenario.factors = ("rain", "seismic")

    def weaken(state: LandState, day_now: int) -> LandState:
        if day_now < day:
            return state
        remaining = np.exp(-(day_now - day) / SEISMIC_RECOVERY_DAYS)
        state.soil_cohesion_kpa = np.where(
            cracked, state.soil_cohesion_kpa * (1 - loss * remaining), state.soil_cohesion_kpa
        )
        # open cracks let storm water in: a higher water table on the shaken slopes
        state.extra_wetness = np.where(
            cracked, state.extra_wetness + CRACK_WETNESS * loss * remaining, state.extra_wetness
        )
        return state

    scenario._changes.append(weaken)


@register_scenario("volcanic_eruption")
def _volcanic_eruption(scenario: Scenario, setting: Setting, rng: np.random.Generator) -> None:
    """Ash fall over a patchy area on one calendar day: an ash load, weaker ground, and forest that dies."""
    day = setting.start_day("volcanic_eruption", rng)
    thickness = rng.uniform(0.2, 0.9)
    ash_field = fractal_noise(setting.shape, 3.0, rng)
    ashed = ash_field <= np.quantile(ash_field, rng.uniform(0.6, 1.0))
    scenario.details.update(disturbed=ashed, eruption_day=float(day), ash_m=float(thickness))
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
        state.extra_wetness[hit] += ASH_WETNESS
        return state

    scenario._changes.append(erupt)
