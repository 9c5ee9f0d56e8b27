"""LandslideSim sensors: clouds as Landsat's QA sees them, per-date radiometry, and Sentinel-1 over clearings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lslib.data import calibration
from lslib.data import qa as qa_bits
from lslib.data.indices import ndvi
from lslib.data.sim import landcover, sensors, terrain
from lslib.data.sim.illumination import illumination_factor, solar_geometry
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import REGIONS
from lslib.data.sim.render import (
    CLEARCUT_VV_CONTRAST_DB_RANGE,
    LandFrame,
    render_landsat,
    render_sentinel1,
    sar_clearcut_contrast_db,
)

SIZE = 32
FLAT = np.zeros((SIZE, SIZE))


def _dates(n: int, rng: np.random.Generator) -> pd.DatetimeIndex:
    start = pd.Timestamp("2016-01-03") + pd.Timedelta(days=int(rng.integers(0, 16)))
    return pd.DatetimeIndex([start + pd.Timedelta(days=16 * i) for i in range(n)])


def _site(index: int, n_frames: int = 16, cover: np.ndarray | None = None):
    """Lands, dates, region and latitude of a synthetic site: terrain of its region, mixed covers (some urban and
    mine spoil) unless ``cover`` is given."""
    region = REGIONS[["america", "china", "india"][index % 3]]
    rng = np.random.default_rng([17, index])
    dem = terrain.make_dem(SIZE, region.landform, rng.uniform(150, 500), 1000.0, rng)
    slope, aspect = terrain.slope_aspect(dem)
    if cover is None:
        cover = landcover.initial_cover(dem, rng.uniform(0.3, 0.9), rng, water=index % 4 == 0, urban_share=0.1)
        if index % 5 == 0:
            cover[terrain.fractal_noise(cover.shape, 3.0, rng) > 1.0] = Cover.SPOIL
    dates = _dates(n_frames, rng)
    lands = []
    for date in dates:
        vigour = float(landcover.vigour(date.day_of_year, region.green_peak_doy))
        lands.append(
            LandFrame(cover, landcover.green_fraction(cover, vigour, np.full(cover.shape, 1e4)), slope, aspect)
        )
    return lands, dates, region, region.centres[0][0]


@pytest.fixture(scope="module")
def cloudy_sites():
    """Rendered cloudy frames of 45 mixed sites (16 frames each), with the covers they show."""
    frames, covers = [], []
    for index in range(45):
        lands, dates, region, lat = _site(index)
        clear = np.zeros(len(lands), bool)
        frames.append(render_landsat(lands, dates, lat, region, True, clear, np.random.default_rng(index)))
        covers.append(np.stack([land.cover for land in lands]))
    return frames, np.stack(covers)


def _stacked(frames, name: str) -> np.ndarray:
    return np.stack([getattr(frame, name) for frame in frames])


def _uniform_sky(alpha: float, n: int = 1) -> sensors.Sky:
    layer = np.full((n, SIZE, SIZE), alpha, np.float32)
    return sensors.Sky(layer, layer, np.zeros_like(layer), np.full(n, 0.5), np.zeros(n, bool), np.zeros((n, 2)))


def _surface(cover: int, n: int, rng: np.random.Generator) -> np.ndarray:
    covers = np.full((n, SIZE, SIZE), cover, np.int8)
    greens = np.stack([landcover.green_fraction(c, 0.7, np.full(c.shape, 1e4)) for c in covers])
    texture = sensors.surface_texture((SIZE, SIZE), rng)
    return sensors.surface_series(covers, greens, texture, np.ones((n, SIZE, SIZE)), rng)


# ---- clouds ---------------------------------------------------------------------------------------------------


def test_thin_haze_brightens_the_visible_bands_while_the_qa_says_clear():
    rng = np.random.default_rng(0)
    forest = _surface(Cover.FOREST, 20, rng)
    water = np.zeros((20, SIZE, SIZE), bool)
    for alpha in (0.06, 0.12):  # haze below the truth's cloud opacity, and an unflagged thin cloud above it
        sky = _uniform_sky(alpha, 20)
        top = sensors.observe(forest, sky)
        brightening = (top - forest).mean(axis=(0, 2, 3))
        assert brightening[0] > 0.02 and brightening[0] > brightening[3], "haze brightens blue, not NIR"
        assert qa_bits.flagged(sensors.cfmask_qa(top, water, sky, rng)).mean() < 0.05  # nearly all left clear
        assert sensors.cloud_truth(sky).all() == (alpha >= sensors.THIN_CLOUD_MIN_ALPHA)
    # and a hazy date's atmospheric residual brightens blue most
    atmosphere = sensors.draw_atmosphere(np.random.default_rng(1), 500)
    hazy = atmosphere.offset[:, 0] > 0
    assert (atmosphere.offset[hazy, 0] > atmosphere.offset[hazy, 3]).all()


def test_commission_flags_some_bright_soil_and_urban_pixels_but_not_forest():
    rng = np.random.default_rng(2)
    no_cloud = _uniform_sky(0.0, 60)
    water = np.zeros((60, SIZE, SIZE), bool)
    rates = {}
    for cover in (Cover.FOREST, Cover.CROPLAND, Cover.URBAN, Cover.SPOIL):
        qa = sensors.cfmask_qa(_surface(cover, 60, rng), water, no_cloud, rng)
        rates[cover] = float(qa_bits.flagged(qa).mean())
    assert rates[Cover.FOREST] < 0.001 and rates[Cover.CROPLAND] < 0.005
    assert 0.005 < rates[Cover.URBAN] < 0.3 and 0.005 < rates[Cover.SPOIL] < 0.3


def test_measured_omission_and_commission_fall_in_the_cited_ranges(cloudy_sites):
    frames, covers = cloudy_sites
    qa, truth = _stacked(frames, "qa"), _stacked(frames, "cloud_truth")
    rates = qa_bits.qa_error_rates(qa, truth)
    low, high = qa_bits.CFMASK_OMISSION_RANGE
    assert low < rates["omission"] < high, rates
    low, high = qa_bits.CFMASK_COMMISSION_RANGE
    assert low < rates["commission"] < high, rates
    # commission falls on bright ground: buildings more often than forest
    false = qa_bits.flagged(qa) & ~truth
    assert false[covers == Cover.URBAN].mean() > 2 * false[covers == Cover.FOREST].mean()


def test_shadows_are_sometimes_missed(cloudy_sites):
    frames, _ = cloudy_sites
    qa, shadow = _stacked(frames, "qa"), _stacked(frames, "shadow_truth")
    assert shadow.any() and not (shadow & _stacked(frames, "cloud_truth")).any()
    rates = qa_bits.qa_error_rates(qa, shadow, bits=qa_bits.SHADOW_FLAG_BITS)
    low, high = qa_bits.CFMASK_SHADOW_OMISSION_RANGE
    assert low < rates["omission"] < high, rates
    assert rates["omission"] > qa_bits.qa_error_rates(qa, _stacked(frames, "cloud_truth"))["omission"]


def test_qa_error_rates_leave_fill_out_and_follow_the_confusion_matrix():
    qa = qa_bits.encode_qa(
        cloud=np.array([True, True, False, False, False]),
        dilated=False,
        cirrus=False,
        shadow=False,
        water=False,
        fill=np.array([False, False, False, False, True]),
    )
    truth = np.array([True, False, True, True, True])
    assert qa_bits.qa_error_rates(qa, truth) == {"omission": pytest.approx(2 / 3), "commission": 0.5}


def test_shadows_fall_away_from_the_sun_farther_when_it_is_low():
    high = sensors._shadow_shifts(np.array([1.0]), np.array([60.0]), np.array([135.0]))[0]
    low = sensors._shadow_shifts(np.array([1.0]), np.array([25.0]), np.array([135.0]))[0]
    assert high[0] < 0 and high[1] < 0, "a south-east sun casts shadows north-west (up and left)"
    assert np.hypot(*low) > 3 * np.hypot(*high)


# ---- radiometry -------------------------------------------------------------------------------------------------


def test_sun_elevation_follows_the_date_and_the_latitude():
    june, december = solar_geometry(172, 35.0), solar_geometry(355, 35.0)
    assert 30 < june[0] - december[0] < 50
    assert 90 < june[1] < 180 and 90 < december[1] < 180, "a mid-morning sun stands in the south-east"
    equinox = [float(solar_geometry(80, lat)[0]) for lat in (0.0, 20.0, 40.0, 60.0)]
    assert equinox == sorted(equinox, reverse=True)
    south = solar_geometry(np.array([172, 355]), -35.0)[0]
    assert south[1] - south[0] > 30, "the southern summer is in December"
    lands, dates, region, lat = _site(1, n_frames=23)
    frames = render_landsat(lands, dates, lat, region, False, np.zeros(23, bool), np.random.default_rng(0))
    np.testing.assert_allclose(frames.sun_elevation, solar_geometry(dates.day_of_year.to_numpy(), lat)[0], rtol=1e-5)


def test_illumination_varies_with_the_date_on_a_sloped_pixel():
    slope, aspect = np.array([[30.0, 0.0]]), np.array([[0.0, 0.0]])  # a north-facing slope and flat ground
    days = np.array([172, 355])
    elevation, azimuth = solar_geometry(days, 35.0)
    factor = illumination_factor(slope, aspect, elevation[:, None, None], azimuth[:, None, None])
    north = factor[:, 3, 0, 0]  # NIR on the north-facing slope, June then December
    assert north[0] > 0.8 and north[1] < 0.45 and north[0] - north[1] > 0.4
    np.testing.assert_allclose(factor[:, :, 0, 1], 1.0, rtol=1e-6)  # flat ground whatever the sun
    assert factor[1, 0, 0, 0] > 1.5 * factor[1, 3, 0, 0] > 0, "skylight keeps shaded ground lit, and bluer"


def test_misregistration_moves_the_scene_by_the_drawn_sub_pixel_shift():
    rng = np.random.default_rng(3)
    texture = sensors.surface_texture((SIZE, SIZE), rng, length_px=0, psf_sigma_px=0.7, density_sd=0)
    cover = np.full((SIZE, SIZE), Cover.BARE, np.int8)
    cover[:, SIZE // 2 :] = Cover.FOREST
    green = landcover.green_fraction(cover, 1.0, np.full(cover.shape, 1e4))
    light = np.ones((SIZE, SIZE))
    edge = [
        sensors.surface_reflectance(cover, green, texture, light, rng, shift_px=(0.0, shift))[2].mean(axis=0)
        for shift in (0.0, 0.5)
    ]
    moved = np.interp(0.5 * (edge[0][5] + edge[0][-5]), edge[1][::-1], np.arange(SIZE)[::-1])
    still = np.interp(0.5 * (edge[0][5] + edge[0][-5]), edge[0][::-1], np.arange(SIZE)[::-1])
    assert moved - still == pytest.approx(-0.5, abs=0.15)  # sampling 0.5 px to the east shows the edge 0.5 px west
    shifts = sensors.draw_misregistration(np.random.default_rng(4), 2000)
    assert 0.2 < shifts.std() < 0.3 and np.quantile(np.abs(shifts), 0.9) < 12.0 / 30.0 + 0.02


def test_per_date_atmosphere_and_misregistration_make_stable_ndvi_vary_like_real_data(mirror, monkeypatch):
    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    real = calibration.eolearn_stable_ndvi_noise()
    forest = np.full((SIZE, SIZE), Cover.FOREST, np.int8)
    noise = {}
    for clouds in (False, True):
        values, clear = [], []
        for index in range(12):
            lands, dates, region, lat = _site(index, n_frames=23, cover=forest)
            frames = render_landsat(lands, dates, lat, region, clouds, np.zeros(23, bool), np.random.default_rng(index))
            values.append(ndvi(frames.reflectance[:, 2], frames.reflectance[:, 3]))
            clear.append(~qa_bits.invalid_mask(frames.qa))
        noise[clouds] = calibration.stable_ndvi_noise(np.stack(values), np.stack(clear))
    assert 0.03 < real < 0.06
    assert 0.01 < noise[False] < noise[True], noise  # unflagged haze and thin cloud add to the date-to-date noise
    assert real / 3 < noise[True] < 3 * real, (noise, real)
    # with a perfect atmosphere and registration the same forest would be much steadier
    rng = np.random.default_rng(5)
    covers = np.repeat(forest[None], 23, axis=0)
    greens = np.stack([landcover.green_fraction(forest, 0.8, np.full(forest.shape, 1e4))] * 23)
    texture = sensors.surface_texture((SIZE, SIZE), rng)
    light = np.ones((23, SIZE, SIZE))
    perfect = sensors.surface_series(covers, greens, texture, light, rng)
    real_world = sensors.surface_series(
        covers,
        greens,
        texture,
        light,
        rng,
        shifts_px=sensors.draw_misregistration(rng, 23),
        atmosphere=sensors.draw_atmosphere(rng, 23),
    )
    steady, varying = (
        calibration.stable_ndvi_noise(ndvi(s[:, 2], s[:, 3]), np.ones((23, SIZE, SIZE), bool))
        for s in (perfect, real_world)
    )
    assert varying > 1.3 * steady


def test_cloud_free_rendering_is_the_same_surface_without_the_clouds():
    lands, dates, region, lat = _site(2)
    clear = np.arange(len(lands)) % 3 == 0  # frames a case study knows were clear
    cloudy = render_landsat(lands, dates, lat, region, True, clear, np.random.default_rng(8))
    truth = render_landsat(lands, dates, lat, region, False, clear, np.random.default_rng(8))
    np.testing.assert_array_equal(cloudy.reflectance[clear], truth.reflectance[clear])
    assert not np.array_equal(cloudy.reflectance[~clear], truth.reflectance[~clear])
    assert not qa_bits.flagged(truth.qa).any() and not truth.cloud_truth.any() and not truth.shadow_truth.any()
    np.testing.assert_array_equal(cloudy.shift_px, truth.shift_px)
    assert (truth.shift_px != 0).any(), "the truth without clouds is still misregistered"


def test_same_seed_same_frames():
    lands, dates, region, lat = _site(3)
    clear = np.zeros(len(lands), bool)
    one, again = (render_landsat(lands, dates, lat, region, True, clear, np.random.default_rng(9)) for _ in range(2))
    for name in ("reflectance", "qa", "cloud_truth", "shadow_truth", "sun_elevation", "sun_azimuth", "shift_px"):
        np.testing.assert_array_equal(getattr(one, name), getattr(again, name))
    other = render_landsat(lands, dates, lat, region, True, clear, np.random.default_rng(10))
    assert not np.array_equal(one.reflectance, other.reflectance)
    sar = [render_sentinel1(lands, np.random.default_rng(11)) for _ in range(2)]
    np.testing.assert_array_equal(sar[0], sar[1])


# ---- Sentinel-1 -------------------------------------------------------------------------------------------------


def _clearing_series(index: int):
    """A forest site whose western third is cut after 8 of 16 radar frames, and its SAR."""
    rng = np.random.default_rng([23, index])
    dem = terrain.make_dem(SIZE, "valley", 300.0, 1000.0, rng)
    slope, aspect = terrain.slope_aspect(dem)
    forest = np.full((SIZE, SIZE), Cover.FOREST, np.int8)
    cut, cleared = forest.copy(), np.zeros((SIZE, SIZE), bool)
    cut[:, : SIZE // 3], cleared[:, : SIZE // 3] = Cover.BARE, True
    moisture = rng.uniform(8.0, 40.0, size=16)
    lands = [LandFrame(forest, FLAT, slope, aspect, float(m)) for m in moisture[:8]]
    lands += [LandFrame(cut, FLAT, slope, aspect, float(m), cleared=cleared) for m in moisture[8:]]
    sar = render_sentinel1(lands, np.random.default_rng([23, index, 1]))
    forest_frames = np.stack([land.cover == Cover.FOREST for land in lands])
    cleared_frames = np.stack([np.zeros_like(cleared) if land.cleared is None else land.cleared for land in lands])
    return sar, forest_frames, cleared_frames


def test_sar_clearcut_contrast_is_a_few_db_in_vv_and_larger_in_vh():
    vv, vh, series = [], [], [_clearing_series(index) for index in range(30)]
    for sar, forest, cleared in series:
        vv.append(sar_clearcut_contrast_db(sar, forest, cleared))
        vh.append(sar_clearcut_contrast_db(sar[:, ::-1], forest, cleared))
    low, high = CLEARCUT_VV_CONTRAST_DB_RANGE
    assert low < np.median(vv) < high and np.mean([low <= value <= high for value in vv]) > 0.8, vv
    assert min(vv) < 0 < max(vv), "of either sign"
    assert -3.0 < np.median(vv) < 0.0 and np.median(vh) < np.median(vv) - 1.5
    # a stack (site, sar_time, pol, y, x): the median over sites of the same measurement
    stack, forest, cleared = (np.stack(arrays) for arrays in zip(*series))
    assert sar_clearcut_contrast_db(stack, forest, cleared) == pytest.approx(np.median(vv))
    assert np.isnan(sar_clearcut_contrast_db(stack, forest, np.zeros_like(cleared)))
    padded = stack.copy()
    padded[:, -1] = np.nan  # a stack pads missing radar frames
    assert np.isfinite(sar_clearcut_contrast_db(padded, forest, cleared))


def test_wetter_soil_is_brighter_and_slopes_facing_the_sensor_too():
    bare = np.full((SIZE, SIZE), Cover.BARE, np.int8)
    dry, wet = (
        render_sentinel1([LandFrame(bare, FLAT, FLAT, FLAT, moisture)] * 20, np.random.default_rng(12))
        for moisture in (10.0, 35.0)
    )
    gain = 10 * np.log10(np.mean(10 ** (wet[:, 0] / 10)) / np.mean(10 ** (dry[:, 0] / 10)))
    assert 0.1 * 25 < gain < 0.3 * 25, "0.1-0.3 dB per volumetric percent on bare soil"
    slope = np.full((SIZE, SIZE), 20.0)
    towards, away = (sensors.sar_terrain_db(slope, np.full((SIZE, SIZE), aspect)).mean() for aspect in (258.0, 78.0))
    assert 2.0 < towards < 6.0 and -6.0 < away < -1.0


def test_speckle_has_the_equivalent_number_of_looks():
    forest = np.full((SIZE, SIZE), Cover.FOREST, np.int8)
    sar = render_sentinel1([LandFrame(forest, FLAT, FLAT, FLAT)] * 300, np.random.default_rng(13))
    intensity = 10 ** (sar[:, 0] / 10)
    enl = intensity.mean(axis=0) ** 2 / intensity.var(axis=0)  # per pixel over time: the static texture cancels
    assert np.median(enl) == pytest.approx(sensors.ENL, rel=0.08)
