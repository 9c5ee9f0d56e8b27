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
SPINUP_DAYS = 45  # the antecedent index forgets its start within a month (decay 0.9 per day)
MAX_START_OFFSET_DAYS = 180
EPOCH_DAYS = 16
MIN_SLIDE_PX = 6  # 0.5 ha: smaller failures are below what 30 m imagery resolves
MIN_FRAMES_BEFORE_EVENT = 4  # sites are chosen so that some history precedes the slide
MISSING_FRAME_PROB = 0.12  # Landsat acquisitions lost (failed downlink, full overcast not delivered, ...)
RUNOUT_STOP_DEG = 12.0
#: Soil saturation relative to the wettest climatological antecedent index, per site (low, high): soils drain
#: their climate's ordinary wet season without saturating (transmissivity adapted to the climate), and
#: big storms saturate the hollows.
SATURATION_OVER_CLIMATE = (2.4, 3.8)
#: Spatial spread of forest root cohesion about the site's value (relative sd).
ROOT_REL_SD = 0.25
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
    """Slope and aspect of the last DEM seen: most scenarios never change the DEM."""

    def __init__(self) -> None:
        self.dem: np.ndarray | None = None
        self.maps: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, dem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.maps is None or not np.array_equal(dem, self.dem):
            self.dem, self.maps = dem.copy(), terrain.slope_aspect(dem)
        return self.maps


_slope_maps_memo = _TerrainMemo()


def _slope_maps(state: LandState):
    return _slope_maps_memo(state.dem)


@dataclass(frozen=True)
class _Ground:
    """What the daily physics needs beside the land state: hidden soil and hydrology of the site."""

    soil: stability.SoilParameters
    forest_root_kpa: np.ndarray  # kPa, root cohesion of standing forest per pixel
    was_forest: np.ndarray  # bool, forest before any disturbance
    wet_topo: np.ndarray  # topographic wetness factor, 0.3-1
    saturation_mm: float  # antecedent index that saturates the soil where wet_topo is 1


def _roots(state: LandState, day: int, ground: _Ground) -> np.ndarray:
    return landcover.root_cohesion(state.cover, ground.forest_root_kpa, day - state.cleared_day, ground.was_forest)


def _fs(state: LandState, day: int, api: np.ndarray, k_h: np.ndarray, ground: _Ground) -> np.ndarray:
    """FS for the days of ``api`` (shape (days,)), land fixed to ``state``; returns (days, H, W)."""
    slope, _ = _slope_maps(state)
    wet = stability.wetness(api[:, None, None], ground.wet_topo[None], ground.saturation_mm)
    return stability.factor_of_safety(
        slope[None],
        ground.soil.depth_m[None],
        wet + state.extra_wetness[None],
        state.soil_cohesion_kpa[None],
        _roots(state, day, ground)[None],
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
    """The kept attempt: terrain, soil, land-change scenario, weather and the daily physics."""

    dem: np.ndarray  # m, initial terrain
    slope: np.ndarray  # degrees, of the initial terrain
    scenario: Scenario
    ground: _Ground
    rain: np.ndarray  # mm/day
    storm_day: np.ndarray  # bool per day: a storm of the climate (or of the history)
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
    max_attempts: int = 3,
    history: SiteHistory | None = None,
    surface: bool = False,
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
        A site whose slopes fail before its fifth frame is redrawn (new terrain, soil and weather, the
        terrain a little gentler each time): a study observes hillslopes that were standing when it
        started looking.
    history : SiteHistory, optional
        A case study's place, acquisition dates, monthly rain and storm (``n_times`` is then the
        number of its dates).
    surface : bool, default False
        Also return ``surface_reflectance``: the same frames without their clouds, from the same pass
        (identical to the ``reflectance`` of ``clouds=False``).

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
    (:func:`_place`), terrain, soil, scenario, weather and physics (:func:`_evolve`), runout
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
    landsat = _render_landsat(world, where, region, scar, clouds, history, attempt_rng, surface)
    sar_rng = np.random.default_rng([seed, index, 1])  # SAR has its own stream: clouds never change it
    sar, sar_clearcut = _render_sentinel1(world, where, scar, sar_rng)
    arrays = _site_arrays(kind, region, where, world, scar, landsat, sar, sar_clearcut, attempt_rng)
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


def _earliest_event_day(where: _Placement) -> int:
    """The first day a slide may be observed: the frame ``MIN_FRAMES_BEFORE_EVENT`` (some history first)."""
    return int(where.frame_days[min(MIN_FRAMES_BEFORE_EVENT, where.n_times - 1)])


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
    """Draw terrain, soil, scenario and weather and run the physics; redraw (terrain a little gentler each
    time) while the slopes fail before the first observable day (at most ``max_attempts`` draws; the last
    draw is kept whatever happens, with its failure then counted from the first observable day)."""
    rain_clim = weather.climatological_rain(where.days, region.rain_mm)
    api_clim = weather.antecedent_index(rain_clim, initial=rain_clim[0] / (1 - weather.API_DECAY))
    earliest = _earliest_event_day(where)
    for attempt in range(max_attempts):
        last_try = attempt == max_attempts - 1
        world = _attempt(
            kind, region, where, relief * 0.9**attempt, base_elevation, api_clim, rng, history, earliest, last_try
        )
        world.attempts = attempt + 1
        if not world.physics["failed_before"]:
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
    earliest: int,
    last_try: bool,
) -> _World:
    """One draw of terrain (``relief`` m), soil, scenario, daily rain with the climate's storms, and its physics."""
    dem = terrain.make_dem(where.size, region.landform, relief, base_elevation, rng)
    slope0, _ = terrain.slope_aspect(dem)
    wet_topo = terrain.topographic_wetness(dem)
    soil = stability.draw_soil(slope0, wet_topo, region, rng)
    scenario = build_scenario(
        kind,
        dem,
        slope0,
        soil,
        region,
        where.n_days,
        where.window,
        rng,
        overrides=history.scenario_overrides if history is not None else None,
    )
    rain = weather.daily_rain(where.days, region.rain_mm, region.wet_day_prob, rng)
    storms, storm_day = weather.climate_storms(
        where.days, region.rain_mm, region.storm_rate_per_year, region.storm_mm, rng
    )
    if history is not None:  # a case study's months are rescaled to the record, with its own storm
        rain, storm_day = _apply_history_rain(rain, where.days, history)
    else:
        rain = rain + storms
    api = weather.antecedent_index(rain)
    forest_root = rng.uniform(*region.forest_root_cohesion_kpa) * np.exp(
        ROOT_REL_SD * terrain.fractal_noise(dem.shape, 3.0, rng)
    )
    ground = _Ground(
        soil=soil,
        forest_root_kpa=forest_root,
        was_forest=scenario.initial.cover == Cover.FOREST,
        wet_topo=wet_topo,
        saturation_mm=float(api_clim.max() * rng.uniform(*SATURATION_OVER_CLIMATE)),
    )
    physics = _run_physics(scenario, api, api_clim, ground, where.n_days, where.window, earliest, last_try)
    return _World(
        dem=dem,
        slope=slope0,
        scenario=scenario,
        ground=ground,
        rain=rain,
        storm_day=storm_day,
        api=api,
        physics=physics,
    )


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
    scar = initiation | (runout & (state.cover != Cover.WATER))  # a rising reservoir may flood the toe
    return scar, runout & ~initiation


def _land_on(world: _World, scar: np.ndarray | None, day: int) -> LandState:
    """The land on ``day``, with the slide's scar once it happened."""
    return _with_scar(world.scenario.state(int(day)), scar, world.event_day, int(day))


def _landsat_lands(world: _World, where: _Placement, region: Region, scar: np.ndarray | None) -> list[LandFrame]:
    """The land as Landsat sees it on each acquisition day: cover, green fraction and terrain."""
    lands = []
    for day in where.frame_days:
        state = _land_on(world, scar, day)
        slope, aspect = _slope_maps(state)
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
    surface: bool = False,
) -> LandsatFrames:
    """Landsat 8 frames (:func:`lslib.data.sim.render.render_landsat`), with clouds unless ``clouds`` is
    False or the date is one of the history's clear dates; with ``surface``, also the frames without clouds."""
    dates = where.days[where.frame_days]
    clear_dates = set(history.clear_dates) if history is not None else set()
    clear = np.array([date.strftime("%Y-%m-%d") in clear_dates for date in dates])
    lands = _landsat_lands(world, where, region, scar)
    return render_landsat(lands, dates, where.lat, region, clouds, clear, rng, keep_surface=surface)


def _render_sentinel1(
    world: _World, where: _Placement, scar: np.ndarray | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sentinel-1 terrain-flattened gamma0 ``(sar_time, pol, y, x)``, dB (float32), from the SAR's own stream
    ``rng``, and the ``(sar_time, y, x)`` clear-cut state on each radar frame (uint8: 0 neither, 1 standing
    forest, 2 former forest cleared within a year), the truth :func:`lslib.data.sim.render.sar_clearcut_contrast_db`
    scores."""
    lands = []
    for day in where.sar_days:
        state = _land_on(world, scar, day)
        slope, aspect = _slope_maps(state)
        moisture = 8.0 + 32.0 * float(np.clip(world.api[day] / world.ground.saturation_mm, 0, 1))
        since_cut = day - state.cleared_day
        cleared = world.ground.was_forest & (state.cover != Cover.FOREST) & (since_cut >= 0) & (since_cut < 365)
        lands.append(
            LandFrame(
                cover=state.cover,
                green=np.zeros(slope.shape),
                slope=slope,
                aspect=aspect,
                soil_moisture_pct=moisture,
                cleared=cleared,
            )
        )
    state = np.stack([(land.cover == Cover.FOREST) + 2 * land.cleared for land in lands]).astype(np.uint8)
    return render_sentinel1(lands, rng), state


#: A stable site's reference day is the first day within this much of its lowest factor of safety in the window.
NEAR_MISS_FS = 0.1


def _reference_day(world: _World, where: _Placement) -> int:
    """The site's reference day: its slide's day, or for a site that stood its first near miss.

    A slide happens the first time the slope's factor of safety drops below 1; the analogue for a
    site that stood is the first observable day its factor of safety came within :data:`NEAR_MISS_FS`
    of its lowest value of the window (its first dangerous wet spell). Both are first passages over
    the same days, so events and the reference days of stable sites follow one distribution over the
    window (chapter 1 compares them); neither is tied to a frame.
    """
    if world.event_day is not None:
        return world.event_day
    first, last = _earliest_event_day(where), where.window[1]
    fs = world.physics["fs_min"][first : last + 1]
    if not np.isfinite(fs).any():
        return last
    return first + int(np.nonzero(fs <= np.nanmin(fs) + NEAR_MISS_FS)[0][0])


def _disturbed_frames(world: _World, where: _Placement, scar: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(time, y, x)`` maps on each Landsat frame: bool, the pixels changed by the site's disturbance (cut, pit,
    spoil, road, reservoir, ash) or by its slide; and uint8, the land cover (:class:`Cover` codes)."""
    initial = world.scenario.initial
    maps = np.empty((where.n_times, *initial.cover.shape), bool)
    covers = np.empty((where.n_times, *initial.cover.shape), np.uint8)
    for frame, day in enumerate(where.frame_days):
        state = _land_on(world, scar, day)
        maps[frame] = (state.cover != initial.cover) | (np.abs(state.dem - initial.dem) > 0.5)
        covers[frame] = state.cover
    return maps, covers


def _site_arrays(
    kind: str,
    region: Region,
    where: _Placement,
    world: _World,
    scar: np.ndarray | None,
    landsat: LandsatFrames,
    sar: np.ndarray,
    sar_clearcut: np.ndarray,
    rng: np.random.Generator,
) -> dict:
    """The site's arrays in the layout (without the site dimension): imagery, weather at the frames
    (temperature drawn here), terrain, place, labels (a reference day drawn for a site that stood) and the
    oracle truth: daily physics, soil, disturbed areas and storm days."""
    days, frame_days, event_day, size = where.days, where.frame_days, world.event_day, where.size
    physics, details = world.physics, world.scenario.details
    temperature = weather.daily_temperature(days, *region.temperature_c, rng)
    rain_1d, rain_7d, rain_30d = (weather.window_sums(world.rain, w)[frame_days] for w in (1, 7, 30))
    reference_day = _reference_day(world, where)
    cause = physics["cause"] if event_day is not None else Cause.THRIVING_FOREST
    quake_day = details.get("quake_day")
    quake_seen = quake_day is not None and 0 <= quake_day < where.n_days
    disturbed, covers = _disturbed_frames(world, where, scar)
    return {
        "reflectance": landsat.reflectance,
        "qa_pixel": landsat.qa,
        "date": days[frame_days].values,
        "cloud_fraction": qa_bits.cloud_fraction(landsat.qa).astype(np.float32),
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
        "initiation_mask": physics["initiation"] if physics["initiation"] is not None else np.zeros((size, size), bool),
        "soil_depth": world.ground.soil.depth_m.astype(np.float32),
        "soil_cohesion": world.ground.soil.cohesion_kpa.astype(np.float32),
        "friction_angle": world.ground.soil.friction_deg.astype(np.float32),
        "forest_root_cohesion": world.ground.forest_root_kpa.astype(np.float32),
        "disturbed_mask": disturbed,
        "land_cover": covers,
        "sar_clearcut": sar_clearcut,
        "cloud_truth": landsat.cloud_truth,
        "shadow_truth": landsat.shadow_truth,
        "storm_day": world.storm_day,
        "scenario": kind,
        "pga_g": float(details.get("pga_g", 0.0)),
        "quake_time": days[quake_day].to_datetime64() if quake_seen else np.datetime64("NaT", "ns"),
        "saturation_mm": float(world.ground.saturation_mm),
        **({"surface_reflectance": landsat.surface} if landsat.surface is not None else {}),
    }


def _apply_history_rain(
    rain: np.ndarray, days: pd.DatetimeIndex, history: SiteHistory
) -> tuple[np.ndarray, np.ndarray]:
    """Rescale months to the recorded totals, then add the recorded storm; returns the rain (mm/day) and
    the storm's days (bool)."""
    rain = rain.copy()
    storm_day = np.zeros(len(days), bool)
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
        storm_day[end - length + 1 : end + 1] = True
    return rain, storm_day


def _first_slide(unstable: np.ndarray) -> np.ndarray | None:
    """The largest connected (8-neighbour) area of ``unstable`` (H, W) if it reaches ``MIN_SLIDE_PX``, else None."""
    if unstable.sum() < MIN_SLIDE_PX:
        return None
    labels, count = ndimage.label(unstable, structure=np.ones((3, 3)))
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
    if sizes.max(initial=0) < MIN_SLIDE_PX:
        return None
    return labels == (int(np.argmax(sizes)) + 1)


def _run_physics(
    scenario: Scenario,
    api: np.ndarray,
    api_clim: np.ndarray,
    ground: _Ground,
    n_days: int,
    window: tuple[int, int],
    earliest: int,
    last_try: bool,
) -> dict:
    """Daily FS over the whole period and the first slide from ``earliest`` to the last frame, its initiation
    cells and cause.

    Slopes that fail before the first frame (``window[0]``) are the landscape's past: their cells become old
    scars (bare rock and soil that regrows, visible in the frames, never the label) and fail no more. A slide
    between the first frame and ``earliest`` sets ``failed_before`` and stops the run (the caller redraws the
    site), unless ``last_try``: then it becomes an old scar too.
    """
    first_frame, last_day = window
    fs_min = np.full(n_days, np.nan)
    unstable_px = np.zeros(n_days, np.int32)
    stripped = np.zeros(scenario.initial.cover.shape, bool)
    found: dict = {"event_day": None, "initiation": None, "attribution": {}, "cause": None, "old_scar": stripped}
    for epoch_start in range(0, n_days, EPOCH_DAYS):
        block = np.arange(epoch_start, min(epoch_start + EPOCH_DAYS, n_days))
        state = scenario.state(epoch_start)
        fs = _fs(state, epoch_start, api[block], scenario.k_h[block], ground)
        slope, _ = _slope_maps(state)
        eligible = (state.cover != Cover.WATER) & (slope > 12.0) & ~stripped
        masked = np.where(eligible[None], fs, np.inf)
        fs_min[block] = masked.reshape(len(block), -1).min(axis=1)
        unstable_px[block] = (masked < 1.0).reshape(len(block), -1).sum(axis=1)
        if found["event_day"] is not None or epoch_start > last_day:
            continue
        candidates = np.nonzero((unstable_px[block] >= MIN_SLIDE_PX) & (block <= last_day))[0]
        if len(candidates) and _first_slide((masked[candidates] < 1.0).any(axis=0)) is None:
            continue  # not even the union of the epoch's unstable cells makes one slide
        for offset in candidates:
            initiation = _first_slide((masked[offset] < 1.0) & ~stripped)
            if initiation is None:
                continue
            day = int(block[offset])
            if day < first_frame or (day < earliest and last_try):
                stripped |= initiation
                scenario.add_old_scar(initiation, day)
                continue
            if day < earliest:
                return {"fs_min": fs_min, "unstable_px": unstable_px, "failed_before": True, **found}
            attribution = _attribute(scenario, state, epoch_start, day, api, api_clim, ground, initiation, fs[offset])
            found.update(event_day=day, initiation=initiation, attribution=attribution, cause=attribution["cause"])
            break
    return {"fs_min": fs_min, "unstable_px": unstable_px, "failed_before": False, **found}


def _attribute(
    scenario: Scenario,
    state: LandState,
    epoch_start: int,
    day: int,
    api: np.ndarray,
    api_clim: np.ndarray,
    ground: _Ground,
    initiation: np.ndarray,
    fs_event: np.ndarray,
) -> dict:
    """Counterfactual FS on the initiation cells with each factor undone, and the cause.

    The cause is the disturbance (roots, excavation, cut, reservoir, ash, shaking) whose undoing
    restores FS >= 1, the one with the largest margin if several do: storms belong to the region's
    climate, so a slope that fails in a storm only because it was cut, mined or shaken failed from that
    disturbance, as catalogues record it. Rain is the cause when no disturbance was necessary (most slides
    in most places). Where no single removal restores the slope, the largest gain decides.
    """
    actual = float(fs_event[initiation].mean())
    k_h = scenario.k_h[day : day + 1]
    counterfactual: dict[str, float] = {}
    for factor in scenario.factors:
        if factor == "rain":
            fs = _fs(state, epoch_start, api_clim[day : day + 1], k_h, ground)
        elif factor == "seismic":
            fs = _fs(scenario.revert(state, factor), epoch_start, api[day : day + 1], np.zeros(1), ground)
        else:
            fs = _fs(scenario.revert(state, factor), epoch_start, api[day : day + 1], k_h, ground)
        counterfactual[factor] = float(fs[0][initiation].mean())
    necessary = {f: v for f, v in counterfactual.items() if f != "rain" and v >= 1.0}
    if necessary:  # the disturbance was necessary: without it the slope stands, storm or not
        choice = max(necessary, key=necessary.get)
    elif counterfactual.get("rain", 0.0) >= 1.0:
        choice = "rain"
    else:
        choice = max(counterfactual, key=counterfactual.get)
        if counterfactual[choice] <= actual + 1e-6:
            choice = "rain"  # nothing helps: the slope was failing on its own, and rain is what tipped it
    return {"actual": actual, "counterfactual": counterfactual, "choice": choice, "cause": FACTOR_CAUSE[choice]}
