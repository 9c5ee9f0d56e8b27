"""One simulated site: terrain, land-change scenario, weather, stability, slide, and both sensors.

:func:`simulate_site` runs the physics day by day (in 8-day epochs within which the land is
constant and rain varies daily), finds the first day on which a connected area of at least
``MIN_SLIDE_PX`` pixels has a factor of safety below 1, routes the failed mass downslope, attributes
the slide to a cause by counterfactuals, then renders the Landsat 8 and Sentinel-1 frames.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import ndimage

from lslib.causes import Cause
from lslib.data import qa as qa_bits
from lslib.data.schema import utm_epsg
from lslib.data.sim import landcover, stability, terrain, weather
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import Region
from lslib.data.sim.render import LandFrame, LandsatFrames, render_landsat, render_sentinel1
from lslib.data.sim.scenarios import FACTOR_CAUSE, LandState, Scenario, build_scenario

__all__ = ["simulate_site", "SiteHistory", "calendar", "LANDSAT_REVISIT_DAYS", "SENTINEL1_REVISIT_DAYS", "MIN_SLIDE_PX"]

LANDSAT_REVISIT_DAYS = 16
SENTINEL1_REVISIT_DAYS = 12
SPINUP_DAYS = 120
MAX_START_OFFSET_DAYS = 240
EPOCH_DAYS = 8
MIN_SLIDE_PX = 6  # 0.5 ha: smaller failures are below what 30 m imagery resolves
MIN_FRAMES_BEFORE_EVENT = 4  # sites are chosen so that some history precedes the slide
MISSING_FRAME_PROB = 0.12  # Landsat acquisitions lost (failed downlink, full overcast not delivered, ...)
RUNOUT_STOP_DEG = 12.0
WET_YEAR_FACTOR = 1.3  # the landscape stands in a year 30 % wetter than the climatological peak
EQUILIBRIUM_MARGIN = (1.02, 1.32)  # range of the sites' factor of safety in that wet year
_BASE_ELEVATION = {"escarpment": (500.0, 900.0), "valley": (1200.0, 2400.0), "coastal_range": (50.0, 500.0)}


@dataclass
class SiteHistory:
    """A site with a known history (a case study) instead of a random one.

    Attributes
    ----------
    lat, lon : float
        The site's centre, degrees.
    place : str
        Its name.
    frame_dates : list of str
        Landsat acquisition dates (ISO), in order.
    monthly_rain_mm : dict, optional
        ``{(year, month): mm}``: simulated daily rain of those months is rescaled to these totals.
    storm : (str, float, int), optional
        ``(last day, total mm, days)`` of a local storm added on top.
    clear_dates : list of str
        Acquisitions drawn cloud-free (the scenes a published figure used).
    """

    lat: float
    lon: float
    place: str
    frame_dates: list[str]
    monthly_rain_mm: dict | None = None
    storm: tuple[str, float, int] | None = None
    clear_dates: list[str] = field(default_factory=list)
    scenario_overrides: dict = field(default_factory=dict)  # see lslib.data.sim.scenarios.build_scenario


def calendar(n_times: int) -> int:
    """Number of simulated days for ``n_times`` Landsat frames (spin-up, start offsets, missing frames)."""
    slots = int(np.ceil(n_times * 1.35)) + 4
    return SPINUP_DAYS + MAX_START_OFFSET_DAYS + LANDSAT_REVISIT_DAYS * slots + 2 * LANDSAT_REVISIT_DAYS


@functools.lru_cache(maxsize=64)
def _to_utm(epsg: int):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


def _frame_days(n_times: int, n_days: int, rng: np.random.Generator) -> np.ndarray:
    phase = int(rng.integers(MAX_START_OFFSET_DAYS))  # sites start observing in different seasons
    candidates = np.arange(SPINUP_DAYS + phase, n_days - LANDSAT_REVISIT_DAYS, LANDSAT_REVISIT_DAYS)
    kept = candidates[rng.random(len(candidates)) >= MISSING_FRAME_PROB]
    if len(kept) < n_times:  # rare: too many losses; keep the earliest complete run instead
        kept = candidates
    return kept[:n_times]


class _TerrainMemo:
    """Slope, aspect and soil depth of the last DEM seen: most scenarios never change the DEM."""

    def __init__(self) -> None:
        self.dem: np.ndarray | None = None
        self.maps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __call__(self, dem: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.maps is None or not np.array_equal(dem, self.dem):
            slope, aspect = terrain.slope_aspect(dem)
            self.dem, self.maps = dem.copy(), (slope, aspect, stability.soil_depth(slope))
        return self.maps


_slope_maps_memo = _TerrainMemo()


def _slope_maps(state: LandState):
    return _slope_maps_memo(state.dem)


def _cohesion(state: LandState, day: int, forest_kpa: float, was_forest: np.ndarray) -> np.ndarray:
    return landcover.root_cohesion(state.cover, forest_kpa, day - state.cleared_day, was_forest)


def _fs(
    state: LandState,
    day: int,
    api: np.ndarray,
    wet_topo: np.ndarray,
    k_h: np.ndarray,
    forest_kpa: float,
    was_forest: np.ndarray,
    saturation: float,
) -> np.ndarray:
    """FS for the days of ``api`` (shape (days,)), land fixed to ``state``; returns (days, H, W)."""
    slope, _, depth = _slope_maps(state)
    wet = stability.wetness(api[:, None, None], wet_topo[None], saturation) + state.reservoir_wetness[None]
    return stability.factor_of_safety(
        slope[None],
        depth[None],
        wet,
        state.soil_cohesion_kpa[None],
        _cohesion(state, day, forest_kpa, was_forest)[None],
        state.friction_deg[None],
        k_h=np.asarray(k_h)[:, None, None],
        surcharge_kpa=state.surcharge_kpa[None],
    )


def _with_scar(state: LandState, scar: np.ndarray | None, event_day: int | None, day: int) -> LandState:
    if scar is None or event_day is None or day < event_day:
        return state
    state = replace(state)
    state.cover = state.cover.copy()
    state.cover[scar & (state.cover != Cover.WATER)] = Cover.SCAR
    state.changed_day = np.where(scar, float(event_day), state.changed_day)
    state.cleared_day = np.where(scar, np.nan, state.cleared_day)
    return state


@dataclass
class _Placement:
    """Where a site lies and when it is observed (drawn first from the site's stream)."""

    lat: float  # degrees
    lon: float  # degrees
    place: str
    epsg: int  # WGS 84 / UTM zone
    easting: float  # m, site centre in that zone
    northing: float  # m
    size: int  # pixels per side
    n_times: int  # Landsat frames
    days: pd.DatetimeIndex  # every simulated day
    frame_days: np.ndarray  # Landsat acquisitions, indices into ``days``
    sar_days: np.ndarray  # Sentinel-1 acquisitions, indices into ``days``

    @property
    def n_days(self) -> int:
        """Length of the simulated period, days."""
        return len(self.days)

    @property
    def window(self) -> tuple[int, int]:
        """Days of the first and last Landsat frames."""
        return int(self.frame_days[0]), int(self.frame_days[-1])


@dataclass
class _World:
    """The kept attempt: terrain, land-change scenario, weather and the daily physics."""

    dem: np.ndarray  # m, initial terrain
    slope: np.ndarray  # degrees, of the initial terrain
    scenario: Scenario
    rain: np.ndarray  # mm/day
    api: np.ndarray  # antecedent precipitation index, mm
    physics: dict  # see _run_physics
    attempts: int = 1

    @property
    def event_day(self) -> int | None:
        """Day of the slide, None if the site stood."""
        return self.physics["event_day"]


def simulate_site(
    index: int,
    region: Region,
    kind: str,
    n_times: int,
    size: int,
    start: pd.Timestamp,
    seed: int,
    clouds: bool = True,
    max_attempts: int = 6,
    history: SiteHistory | None = None,
) -> tuple[dict, dict]:
    """Simulate site ``index`` of a stack.

    Parameters
    ----------
    index : int
        Site number; with ``seed`` it seeds the site's own random stream, so a site is identical
        whatever the number of workers or sites.
    region : Region
        Climate, terrain, land use and soils.
    kind : str
        The land-change scenario (a cause key).
    n_times : int
        Landsat frames.
    size : int
        Pixels per side (30 m pixels).
    start : pandas.Timestamp
        First simulated day (common to all sites).
    seed : int
        Seed of the whole stack.
    clouds : bool, default True
        Draw clouds (False gives the cloud-free truth; SAR is unaffected either way).
    max_attempts : int
        Sites whose slide would happen before the fifth frame are redrawn with gentler terrain,
        as a study would pick sites whose event falls inside the observation window.
    history : SiteHistory, optional
        A case study's place, acquisition dates, monthly rain and storm (``n_times`` is then the
        number of its dates).

    Returns
    -------
    arrays : dict
        Per-site arrays in the layout of :mod:`lslib.data.schema` (without the site dimension).
    truth : dict
        Scenario details, the daily factor-of-safety minimum, the initiation cells, the FS of each
        counterfactual at the event, and the attributed factor.

    Notes
    -----
    The stages, each drawing from its stream in this order: placement and calendar
    (:func:`_place`), terrain, scenario, weather and physics (:func:`_evolve`), runout
    (:func:`_runout`), Landsat frames (:func:`_render_landsat`), Sentinel-1 frames on their own
    stream (:func:`_render_sentinel1`), then the metadata and labels (:func:`_site_arrays`).
    """
    rng = np.random.default_rng([seed, index])
    where = _place(rng, region, n_times, size, start, history)
    relief = rng.uniform(*region.relief)
    base_elevation = rng.uniform(*_BASE_ELEVATION[region.landform])
    attempt_rng = np.random.default_rng(rng.integers(2**63))
    world = _evolve(kind, region, where, relief, base_elevation, attempt_rng, max_attempts, history)
    truth = {
        "kind": kind,
        "attempts": world.attempts,
        "details": world.scenario.details,
        "place": where.place,
        **world.physics,
    }
    scar, runout = _runout(world)
    if runout is not None:
        truth["runout"] = runout
    landsat = _render_landsat(world, where, region, scar, clouds, history, attempt_rng)
    sar_rng = np.random.default_rng([seed, index, 1])  # SAR has its own stream: clouds never change it
    sar = _render_sentinel1(world, where, scar, sar_rng)
    arrays = _site_arrays(kind, region, where, world, scar, landsat.reflectance, landsat.qa, sar, attempt_rng)
    return arrays, truth


def _place(
    rng: np.random.Generator, region: Region, n_times: int, size: int, start: pd.Timestamp, history: SiteHistory | None
) -> _Placement:
    """Draw the site's place, its Landsat dates (or take a history's) and its Sentinel-1 dates.

    Raises
    ------
    ValueError
        A history whose number of dates is not ``n_times`` or whose first date falls within the spin-up.
    """
    n_days = calendar(n_times)
    centre_lat, centre_lon, place = region.centres[int(rng.integers(len(region.centres)))]
    lat = float(np.clip(centre_lat + rng.uniform(-region.spread_deg, region.spread_deg), -80, 84))
    lon = float(centre_lon + rng.uniform(-region.spread_deg, region.spread_deg))
    frame_days = _frame_days(n_times, n_days, rng)
    if history is not None:
        lat, lon, place = history.lat, history.lon, history.place
        frame_days = np.array([(pd.Timestamp(d) - start).days for d in history.frame_dates])
        if len(frame_days) != n_times or frame_days.min() < SPINUP_DAYS:
            raise ValueError(
                f"history needs {n_times} frame dates, the first at least {SPINUP_DAYS} days after {start.date()}"
            )
        n_days = int(frame_days[-1]) + 2 * LANDSAT_REVISIT_DAYS
    days = pd.date_range(start, periods=n_days, freq="D")
    epsg = utm_epsg(lat, lon)
    easting, northing = _to_utm(epsg).transform(lon, lat)
    sar_days = (
        frame_days[-1]
        - SENTINEL1_REVISIT_DAYS * np.arange(int(round(n_times * 16 / 12)))[::-1]
        - int(rng.integers(0, 6))
    )
    sar_days = np.clip(sar_days, 0, n_days - 1)
    return _Placement(
        lat=lat,
        lon=lon,
        place=place,
        epsg=epsg,
        easting=float(easting),
        northing=float(northing),
        size=size,
        n_times=n_times,
        days=days,
        frame_days=frame_days,
        sar_days=sar_days,
    )


def _evolve(
    kind: str,
    region: Region,
    where: _Placement,
    relief: float,
    base_elevation: float,
    rng: np.random.Generator,
    max_attempts: int,
    history: SiteHistory | None,
) -> _World:
    """Draw terrain, scenario and weather and run the physics; redraw gentler terrain while the slide
    comes before frame ``MIN_FRAMES_BEFORE_EVENT`` (at most ``max_attempts`` draws)."""
    rain_clim = weather.climatological_rain(where.days, region.rain_mm)
    api_clim = weather.antecedent_index(rain_clim, initial=rain_clim[0] / (1 - weather.API_DECAY))
    earliest = where.frame_days[min(MIN_FRAMES_BEFORE_EVENT, where.n_times - 1)]
    for attempt in range(max_attempts):
        world = _attempt(kind, region, where, relief * 0.8**attempt, base_elevation, api_clim, rng, history)
        world.attempts = attempt + 1
        if world.event_day is None or world.event_day >= earliest:
            break
    return world


def _attempt(
    kind: str,
    region: Region,
    where: _Placement,
    relief: float,
    base_elevation: float,
    api_clim: np.ndarray,
    rng: np.random.Generator,
    history: SiteHistory | None,
) -> _World:
    """One draw of terrain (``relief`` m), scenario and daily rain, with the site's settled soil and its physics."""
    dem = terrain.make_dem(where.size, region.landform, relief, base_elevation, rng)
    slope0, _ = terrain.slope_aspect(dem)
    wet_topo = terrain.topographic_wetness(dem)
    scenario = build_scenario(
        kind,
        dem,
        slope0,
        region,
        where.n_days,
        where.window,
        rng,
        overrides=history.scenario_overrides if history is not None else None,
    )
    rain = weather.daily_rain(where.days, region.rain_mm, region.wet_day_prob, rng)
    if history is not None:
        rain = _apply_history_rain(rain, where.days, history)
    if scenario.storm is not None:
        rain = rain + scenario.storm
    api = weather.antecedent_index(rain)
    forest_kpa = rng.uniform(*region.forest_root_cohesion_kpa)
    was_forest = scenario.initial.cover == Cover.FOREST
    _settle(scenario.initial, slope0, wet_topo, api_clim, forest_kpa, was_forest, rng)
    physics = _run_physics(scenario, api, api_clim, wet_topo, forest_kpa, was_forest, where.n_days, where.window[1])
    return _World(dem=dem, slope=slope0, scenario=scenario, rain=rain, api=api, physics=physics)


def _runout(world: _World) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Scar and runout of the slide: from the lowest initiating cell, steepest descent until the ground
    flattens (below ``RUNOUT_STOP_DEG``); ``(None, None)`` when the site stood."""
    if world.event_day is None:
        return None, None
    state = world.scenario.state(world.event_day)
    initiation = world.physics["initiation"]
    start_cell = np.unravel_index(np.argmin(np.where(initiation, state.dem, np.inf)), state.dem.shape)
    path = terrain.steepest_descent_path(state.dem, tuple(int(v) for v in start_cell), RUNOUT_STOP_DEG)
    runout = np.zeros(state.dem.shape, bool)
    for cell in path:
        runout[cell] = True
    runout = ndimage.binary_dilation(runout, iterations=1)
    scar = (initiation | runout) & (state.cover != Cover.WATER)
    return scar, runout & ~initiation


def _land_on(world: _World, scar: np.ndarray | None, day: int) -> LandState:
    """The land on ``day``, with the slide's scar once it happened."""
    return _with_scar(world.scenario.state(int(day)), scar, world.event_day, int(day))


def _landsat_lands(world: _World, where: _Placement, region: Region, scar: np.ndarray | None) -> list[LandFrame]:
    """The land as Landsat sees it on each acquisition day: cover, green fraction and terrain."""
    lands = []
    for day in where.frame_days:
        state = _land_on(world, scar, day)
        slope, aspect, _ = _slope_maps(state)
        vig = landcover.vigour(where.days[day].day_of_year, region.green_peak_doy)
        green = landcover.green_fraction(
            state.cover, float(vig), day - np.nan_to_num(state.changed_day, nan=-1e4), region.forest_green
        )
        lands.append(LandFrame(cover=state.cover, green=green, slope=slope, aspect=aspect))
    return lands


def _render_landsat(
    world: _World,
    where: _Placement,
    region: Region,
    scar: np.ndarray | None,
    clouds: bool,
    history: SiteHistory | None,
    rng: np.random.Generator,
) -> LandsatFrames:
    """Landsat 8 frames (:func:`lslib.data.sim.render.render_landsat`), with clouds unless ``clouds`` is
    False or the date is one of the history's clear dates."""
    dates = where.days[where.frame_days]
    clear_dates = set(history.clear_dates) if history is not None else set()
    clear = np.array([date.strftime("%Y-%m-%d") in clear_dates for date in dates])
    lands = _landsat_lands(world, where, region, scar)
    return render_landsat(lands, dates, where.lat, region, clouds, clear, rng)


def _render_sentinel1(
    world: _World, where: _Placement, scar: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Sentinel-1 sigma0 ``(sar_time, pol, y, x)``, dB (float32), from the SAR's own stream ``rng``."""
    lands = []
    for day in where.sar_days:
        state = _land_on(world, scar, day)
        slope, aspect, _ = _slope_maps(state)
        moisture = 8.0 + 32.0 * float(np.clip(world.api[day] / weather.API_SATURATION_MM, 0, 1))
        lands.append(LandFrame(cover=state.cover, green=np.zeros(slope.shape), slope=slope, aspect=aspect,
                               soil_moisture_pct=moisture))
    return render_sentinel1(lands, rng)


def _site_arrays(
    kind: str,
    region: Region,
    where: _Placement,
    world: _World,
    scar: np.ndarray | None,
    reflectance: np.ndarray,
    qa: np.ndarray,
    sar: np.ndarray,
    rng: np.random.Generator,
) -> dict:
    """The site's arrays in the layout (without the site dimension): imagery, weather at the frames
    (temperature drawn here), terrain, place, labels (a matched reference day drawn for a site that
    stood) and the oracle physics."""
    days, frame_days, event_day, size = where.days, where.frame_days, world.event_day, where.size
    physics, details = world.physics, world.scenario.details
    temperature = weather.daily_temperature(days, *region.temperature_c, rng)
    rain_1d, rain_7d, rain_30d = (weather.window_sums(world.rain, w)[frame_days] for w in (1, 7, 30))
    if event_day is not None:
        reference_day = event_day
    else:
        # matched to when slides can happen: after the first frames, before the last one
        earliest = frame_days[min(MIN_FRAMES_BEFORE_EVENT, where.n_times - 1)]
        reference_day = int(rng.integers(earliest, where.window[1] + 1))
    cause = physics["cause"] if event_day is not None else Cause.THRIVING_FOREST
    return {
        "reflectance": reflectance,
        "qa_pixel": qa,
        "date": days[frame_days].values,
        "cloud_fraction": qa_bits.cloud_fraction(qa).astype(np.float32),
        "rain_1d": rain_1d.astype(np.float32),
        "rain_7d": rain_7d.astype(np.float32),
        "rain_30d": rain_30d.astype(np.float32),
        "temperature": temperature[frame_days].astype(np.float32),
        "sar": sar,
        "sar_date": days[where.sar_days].values,
        "rain_daily": world.rain.astype(np.float32),
        "dem": world.dem.astype(np.float32),
        "slope": world.slope.astype(np.float32),
        "lat": where.lat,
        "lon": where.lon,
        "region": region.name,
        "country": region.country,
        "epsg": where.epsg,
        "easting": where.easting,
        "northing": where.northing,
        "landslide": event_day is not None,
        "event_time": days[event_day].to_datetime64() if event_day is not None else np.datetime64("NaT", "ns"),
        "reference_time": days[reference_day].to_datetime64(),
        "cause": int(cause),
        "scar_mask": scar if scar is not None else np.zeros((size, size), bool),
        "fs_min": physics["fs_min"].astype(np.float32),
        "fs_unstable_px": physics["unstable_px"],
        "scenario": kind,
        "pga_g": float(details.get("pga_g", 0.0)),
        "quake_time": (
            days[details["quake_day"]].to_datetime64() if "quake_day" in details else np.datetime64("NaT", "ns")
        ),
    }


def _settle(
    initial: LandState,
    slope: np.ndarray,
    wet_topo: np.ndarray,
    api_clim: np.ndarray,
    forest_kpa: float,
    was_forest: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Give the initial landscape the cohesion it needs to stand in a wet year of its climate.

    The reference wetness is that of the wettest climatological week times ``WET_YEAR_FACTOR``;
    each site gets its own safety margin, so some stand close to failure and others far from it.
    """
    reference = stability.wetness(api_clim.max() * WET_YEAR_FACTOR, wet_topo, weather.API_SATURATION_MM)
    roots = landcover.root_cohesion(initial.cover, forest_kpa, np.full(slope.shape, np.nan), was_forest)
    margin = rng.uniform(*EQUILIBRIUM_MARGIN)
    initial.soil_cohesion_kpa = stability.equilibrium_cohesion(
        slope,
        stability.soil_depth(slope),
        reference,
        roots,
        initial.friction_deg,
        margin,
        minimum_kpa=initial.soil_cohesion_kpa,
    )


def _apply_history_rain(rain: np.ndarray, days: pd.DatetimeIndex, history: SiteHistory) -> np.ndarray:
    """Rescale months to the recorded totals, then add the recorded storm."""
    rain = rain.copy()
    for (year, month), total in (history.monthly_rain_mm or {}).items():
        inside = (days.year == year) & (days.month == month)
        if inside.any():
            current = rain[inside].sum()
            rain[inside] = rain[inside] * (total / current) if current > 0 else total / inside.sum()
    if history.storm is not None:
        last, total, length = history.storm
        end = days.get_loc(pd.Timestamp(last))
        weights = np.linspace(1.0, 2.0, length)
        rain[end - length + 1 : end + 1] += total * weights / weights.sum()
    return rain


def _run_physics(scenario, api, api_clim, wet_topo, forest_kpa, was_forest, n_days, last_day) -> dict:
    """Daily FS over the whole period; the first slide up to ``last_day``, its initiation cells and cause."""
    saturation = weather.API_SATURATION_MM
    fs_min = np.full(n_days, np.nan)
    unstable_px = np.zeros(n_days, np.int32)
    event_day = None
    initiation = None
    attribution: dict[str, float] = {}
    cause = None
    for epoch_start in range(0, n_days, EPOCH_DAYS):
        block = np.arange(epoch_start, min(epoch_start + EPOCH_DAYS, n_days))
        state = scenario.state(epoch_start)
        fs = _fs(state, epoch_start, api[block], wet_topo, scenario.k_h[block], forest_kpa, was_forest, saturation)
        slope, _, _ = _slope_maps(state)
        eligible = (state.cover != Cover.WATER) & (slope > 12.0)
        masked = np.where(eligible[None], fs, np.inf)
        fs_min[block] = masked.reshape(len(block), -1).min(axis=1)
        unstable_px[block] = (masked < 1.0).reshape(len(block), -1).sum(axis=1)
        if event_day is not None or epoch_start > last_day:
            continue
        unstable = (masked < 1.0) & (block <= last_day)[:, None, None]
        for offset in np.nonzero(unstable.reshape(len(block), -1).sum(axis=1) >= MIN_SLIDE_PX)[0]:
            labels, count = ndimage.label(unstable[offset], structure=np.ones((3, 3)))
            sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
            if sizes.max(initial=0) >= MIN_SLIDE_PX:
                day = int(block[offset])
                initiation = labels == (int(np.argmax(sizes)) + 1)
                event_day = day
                attribution = _attribute(
                    scenario,
                    state,
                    epoch_start,
                    day,
                    api,
                    api_clim,
                    wet_topo,
                    forest_kpa,
                    was_forest,
                    initiation,
                    fs[offset],
                )
                cause = attribution["cause"]
                break
    return {
        "fs_min": fs_min,
        "unstable_px": unstable_px,
        "event_day": event_day,
        "initiation": initiation,
        "attribution": attribution,
        "cause": cause,
    }


def _attribute(
    scenario, state, epoch_start, day, api, api_clim, wet_topo, forest_kpa, was_forest, initiation, fs_event
) -> dict:
    """Counterfactual FS on the initiation cells with each factor undone; the cause restores most."""
    saturation = weather.API_SATURATION_MM
    actual = float(fs_event[initiation].mean())
    k_h = scenario.k_h[day : day + 1]
    counterfactual: dict[str, float] = {}
    for factor in scenario.factors:
        if factor == "rain":
            fs = _fs(state, epoch_start, api_clim[day : day + 1], wet_topo, k_h, forest_kpa, was_forest, saturation)
        elif factor == "seismic":
            fs = _fs(state, epoch_start, api[day : day + 1], wet_topo, np.zeros(1), forest_kpa, was_forest, saturation)
        else:
            reverted = scenario.revert(state, factor)
            fs = _fs(reverted, epoch_start, api[day : day + 1], wet_topo, k_h, forest_kpa, was_forest, saturation)
        counterfactual[factor] = float(fs[0][initiation].mean())
    restoring = {f: v for f, v in counterfactual.items() if v >= 1.0}
    pool = restoring or counterfactual
    choice = max(pool, key=pool.get)
    if not restoring and pool[choice] <= actual + 1e-6:
        choice = "rain"  # nothing helps: the slope was failing on its own, and rain is what tipped it
    return {"actual": actual, "counterfactual": counterfactual, "choice": choice, "cause": FACTOR_CAUSE[choice]}
