"""LandslideSim: planted physics, sensor properties, determinism and parameter checks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lslib.causes import CAUSE_KEYS, Cause
from lslib.data import qa as qa_bits
from lslib.data.indices import ndvi
from lslib.data.schema import validate
from lslib.data.sim import landcover, sensors, simulate, stability
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import REGIONS
from lslib.data.sim.site import simulate_site

START = pd.Timestamp("2016-01-01")


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=30, n_times=8, size=32, seed=3)


@pytest.fixture(scope="module")
def slides():
    """Sites of every disturbing scenario that slid, with their physics truth."""
    found = []
    for index in range(60):
        kind = ["deforestation", "mining", "construction", "heavy_rainfall", "earthquake"][index % 5]
        arrays, truth = simulate_site(
            index, REGIONS[["america", "china", "india"][index % 3]], kind, 10, 32, START, seed=11
        )
        if arrays["landslide"]:
            found.append((arrays, truth))
        if len(found) >= 12:
            break
    assert len(found) >= 6, "too few slides to test the physics"
    return found


# ---- stability ------------------------------------------------------------------------------


def test_factor_of_safety_falls_with_rain_roots_and_shaking():
    wetness = np.linspace(0, 1, 11)
    fs = stability.factor_of_safety(35.0, 1.5, wetness, 2.0, 10.0, 32.0)
    assert np.all(np.diff(fs) < 0), "wetter soil must be less stable"
    rooted = stability.factor_of_safety(35, 1.5, 0.5, 2.0, 10.0, 32)
    assert stability.factor_of_safety(35, 1.5, 0.5, 2.0, 0.0, 32) < rooted
    assert stability.factor_of_safety(35, 1.5, 0.5, 2.0, 10.0, 32, k_h=0.2) < rooted
    assert stability.factor_of_safety(5, 1.5, 1.0, 0.0, 0.0, 32) > 3, "gentle ground stands even saturated"


def test_roots_decay_over_years_and_regrow_after_clearing():
    cover = np.array([[Cover.CROPLAND]], dtype=np.int8)
    was_forest = np.array([[True]])
    years = (0, 0.5, 2, 5, 8, 25)
    values = [float(landcover.root_cohesion(cover, 12.0, np.array([[t * 365.25]]), was_forest)[0, 0]) for t in years]
    assert values[0] == pytest.approx(12.0)
    assert values[1] > 8.0, "half a year after the cut most root strength is still there (Sidle 1992)"
    assert values[1] > values[2] > values[3], "root cohesion decays over years"
    weakest = years[int(np.argmin(values))]
    assert 3 <= weakest <= 10, "the net minimum falls 3-10 years after cutting"
    assert values[-1] > 10.0, "regrowth restores the forest's roots"


def _china_scenario(kind, rng, n_days=500, window=(150, 400)):
    """A terrain, soil and scenario of ``kind`` for a China site, drawn from ``rng``."""
    from lslib.data.sim import terrain
    from lslib.data.sim.scenarios import build_scenario

    dem = terrain.make_dem(32, "valley", 300.0, 1500.0, rng)
    slope, _ = terrain.slope_aspect(dem)
    soil = stability.draw_soil(slope, terrain.topographic_wetness(dem), REGIONS["china"], rng)
    return build_scenario(kind, dem, slope, soil, REGIONS["china"], n_days, window, rng)


def test_factor_of_safety_falls_with_slope_at_fixed_soil():
    slopes = np.arange(10.0, 50.0, 2.0)
    fs = stability.factor_of_safety(slopes, 1.2, 0.8, 2.0, 3.0, 33.0)
    assert np.all(np.diff(fs) < 0), "steeper ground is less stable"
    assert fs[slopes == 14][0] > 1.2 > 1.0 > fs[slopes == 40][0]


def test_drawn_soil_is_thinner_on_steep_ground_and_deeper_in_hollows():
    from lslib.data.sim import terrain

    rng = np.random.default_rng(2)
    dem = terrain.make_dem(64, "valley", 350.0, 1500.0, rng)
    slope, _ = terrain.slope_aspect(dem)
    wet = terrain.topographic_wetness(dem)
    soil = stability.draw_soil(slope, wet, REGIONS["india"], rng)
    low, high = stability.SOIL_DEPTH_RANGE_M
    assert low <= soil.depth_m.min() and soil.depth_m.max() <= high
    assert np.corrcoef(slope.ravel(), soil.depth_m.ravel())[0, 1] < -0.2
    similar = np.abs(slope - np.median(slope)) < 5  # compare hollows and ridges at about the same slope
    assert soil.depth_m[similar & (wet > 0.8)].mean() > soil.depth_m[similar & (wet < 0.5)].mean()
    assert 1.0 <= soil.cohesion_kpa.mean() <= 4.0 and 26 <= soil.friction_deg.min() <= soil.friction_deg.max() <= 40


def test_susceptibility_rises_with_slope_wetness_and_root_loss_in_drawn_soil():
    """FS of drawn soil at a storm's wetness falls with slope, with topographic convergence and with root loss."""
    from lslib.data.sim import terrain

    rng = np.random.default_rng(4)
    dem = terrain.make_dem(64, "escarpment", 350.0, 700.0, rng)
    slope, _ = terrain.slope_aspect(dem)
    wet = terrain.topographic_wetness(dem)
    soil = stability.draw_soil(slope, wet, REGIONS["india"], rng)
    roots = np.full(slope.shape, 8.0)

    def fs(wetness, root):
        return stability.factor_of_safety(slope, soil.depth_m, wetness, soil.cohesion_kpa, root, soil.friction_deg)

    storm = fs(np.clip(wet * 1.2, 0, 1), roots)
    bands = [storm[(slope >= low) & (slope < low + 10)] for low in (10, 20, 30)]
    assert all(len(band) > 20 for band in bands)
    medians = [float(np.median(band)) for band in bands]
    assert medians[0] > medians[1] > medians[2], "FS falls with slope"
    similar = np.abs(slope - 30) < 4
    assert np.median(storm[similar & (wet > 0.8)]) < np.median(storm[similar & (wet < 0.5)]), "hollows are weaker"
    assert (fs(np.clip(wet * 1.2, 0, 1), roots) <= fs(np.clip(wet * 0.6, 0, 1), roots)).all()
    assert (fs(np.clip(wet * 1.2, 0, 1), roots * 0.2) < storm).all()


def test_slides_start_only_where_the_factor_of_safety_is_below_one(slides):
    for _arrays, truth in slides:
        attribution = truth["attribution"]
        assert attribution["actual"] < 1.0
        assert truth["initiation"].sum() >= 6
        assert truth["fs_min"][np.isfinite(truth["fs_min"])].min() < 1.0


def test_scars_lie_downslope_of_where_they_start(slides):
    for arrays, truth in slides:
        dem = arrays["dem"]
        runout = truth["runout"]
        if runout.any():
            assert dem[runout].mean() < dem[truth["initiation"]].mean()
        assert arrays["scar_mask"][truth["initiation"]].all()


def test_the_cause_is_attributed_by_the_physics(slides):
    expected = {
        "deforestation": Cause.DEFORESTATION,
        "mining": Cause.MINING,
        "construction": Cause.CONSTRUCTION,
        "heavy_rainfall": Cause.HEAVY_RAINFALL,
        "earthquake": Cause.EARTHQUAKE,
    }
    matches = [arrays["cause"] == expected[truth["kind"]] for arrays, truth in slides]
    assert np.mean(matches) >= 0.7
    for _arrays, truth in slides:
        chosen = truth["attribution"]["counterfactual"][truth["attribution"]["choice"]]
        assert chosen >= max(truth["attribution"]["counterfactual"].values()) - 1e-9 or chosen >= 1.0


def test_some_disturbed_sites_stand(stack):
    disturbed = np.isin(stack["scenario"].values, ["deforestation", "mining", "construction"])
    assert (disturbed & ~stack["landslide"].values).any(), "a visible disturbance must not be the label"
    assert not stack["landslide"].values[stack["scenario"].values == "thriving_forest"].all()


# ---- sensors --------------------------------------------------------------------------------


def test_forest_is_greener_than_cropland_than_bare_soil():
    rng = np.random.default_rng(0)
    values = {}
    for cover in (Cover.FOREST, Cover.CROPLAND, Cover.BARE):
        grid = np.full((16, 16), cover, dtype=np.int8)
        green = landcover.green_fraction(grid, 0.6, np.zeros((16, 16)))
        texture = sensors.surface_texture((16, 16), rng)
        reflectance = sensors.surface_reflectance(grid, green, texture, np.ones((16, 16)), rng)
        values[cover] = float(np.median(ndvi(reflectance[2], reflectance[3])))
    assert values[Cover.FOREST] > values[Cover.CROPLAND] > values[Cover.BARE]
    assert values[Cover.FOREST] > 0.7 and values[Cover.BARE] < 0.3


def _patch_autocorrelation(length_px: float, seed: int = 0) -> float:
    from lslib.data.texture import median_autocorrelation

    rng = np.random.default_rng(seed)
    grid = np.full((32, 32), Cover.CROPLAND, dtype=np.int8)
    green = landcover.green_fraction(grid, 0.6, np.zeros((32, 32)))
    patches = []
    for _ in range(30):
        texture = sensors.surface_texture((32, 32), rng, length_px=length_px)
        patches.append(sensors.surface_reflectance(grid, green, texture, np.ones((32, 32)), rng)[2])
    return median_autocorrelation(np.stack(patches), lags=(1, 4))


def test_texture_autocorrelation_rises_with_the_correlation_length():
    values = [_patch_autocorrelation(length) for length in (0.0, 1.0, 3.0, 6.0)]
    lag1, lag4 = [v[1] for v in values], [v[4] for v in values]
    assert lag1 == sorted(lag1) and lag4 == sorted(lag4)
    assert lag4[0] < 0.1 < 0.3 < lag4[-1]  # from salt and pepper to real-looking structure


# Band means of each cover (SIMULATOR.md Landsat table: blue, green, red, nir08), widened by a tenth of a
# range for the mix with the soil underneath a partial canopy.
COVER_RANGES = {
    Cover.FOREST: ((0.015, 0.045), (0.035, 0.075), (0.015, 0.045), (0.27, 0.48)),
    Cover.BARE: ((0.065, 0.125), (0.095, 0.155), (0.12, 0.26), (0.21, 0.33)),
    # NIR: spyndex's real urban samples average 0.274, above the table's 0.15-0.25 (SIMULATOR.md notes it)
    Cover.URBAN: ((0.075, 0.155), (0.085, 0.165), (0.095, 0.185), (0.14, 0.30)),
}


@pytest.mark.parametrize("cover", list(COVER_RANGES))
def test_texture_keeps_each_cover_s_band_means_in_the_simulator_table(cover):
    rng = np.random.default_rng(3)
    grid = np.full((32, 32), cover, dtype=np.int8)
    green = landcover.green_fraction(grid, 0.6, np.zeros((32, 32)))
    means = np.mean(
        [
            sensors.surface_reflectance(grid, green, sensors.surface_texture((32, 32), rng), np.ones((32, 32)), rng)[
                :4
            ].mean(axis=(1, 2))
            for _ in range(20)
        ],
        axis=0,
    )
    for band, (mean, (low, high)) in enumerate(zip(means, COVER_RANGES[cover])):
        assert low <= mean <= high, (cover.name, band, round(float(mean), 4))
    # and the texture moves no band mean: the same cover rendered pixel by pixel, without structure or blur
    flat = np.mean(
        [
            sensors.surface_reflectance(
                grid,
                green,
                sensors.surface_texture((32, 32), rng, length_px=0, psf_sigma_px=0, density_sd=0),
                np.ones((32, 32)),
                rng,
            )[:4].mean(axis=(1, 2))
            for _ in range(20)
        ],
        axis=0,
    )
    np.testing.assert_allclose(means, flat, rtol=0.06)


def test_reflectance_and_backscatter_stay_physical(stack):
    reflectance = stack["reflectance"].values
    clear = ~qa_bits.invalid_mask(stack["qa_pixel"].values)
    surface = np.moveaxis(reflectance, 2, -1)[clear]
    assert surface.min() >= -0.02 and np.percentile(surface, 99.9) < 0.6
    assert reflectance.max() <= 1.6
    sar = stack["sar"].values
    assert sar.min() >= -35 and sar.max() <= 5
    assert -14 < np.median(sar[:, :, 0]) < -5 and -22 < np.median(sar[:, :, 1]) < -12  # VV brighter than VH


def test_qa_bits_match_the_clouds_drawn(stack):
    qa = stack["qa_pixel"].values
    blue = stack["reflectance"].sel(band="blue").values
    cloud = ((qa.astype(np.uint32) >> 3) & 1).astype(bool)
    clear = ((qa.astype(np.uint32) >> 6) & 1).astype(bool)
    assert cloud.any() and clear.any()
    assert not (cloud & clear).any()
    assert blue[cloud].mean() > 0.2 > 0.06 > np.median(blue[clear])
    np.testing.assert_allclose(stack["cloud_fraction"].values, qa_bits.cloud_fraction(qa), atol=1e-6)
    assert set(np.unique(qa[clear & ~((qa >> 7) & 1).astype(bool)])) == {21824}


def test_sar_is_blind_to_clouds():
    cloudy, _ = simulate_site(4, REGIONS["india"], "heavy_rainfall", 8, 16, START, seed=0, clouds=True)
    clear, _ = simulate_site(4, REGIONS["india"], "heavy_rainfall", 8, 16, START, seed=0, clouds=False)
    assert not np.array_equal(cloudy["reflectance"], clear["reflectance"])
    np.testing.assert_array_equal(cloudy["sar"], clear["sar"])
    assert (clear["cloud_fraction"] == 0).all()


def test_revisits_are_16_and_12_days_with_missing_landsat_dates(stack):
    gaps = np.diff(stack["date"].values, axis=1) / np.timedelta64(1, "D")
    assert set(np.unique(gaps)) <= {16.0, 32.0, 48.0, 64.0} and (gaps > 16).any()
    sar_gaps = np.diff(stack["sar_date"].values, axis=1) / np.timedelta64(1, "D")
    assert set(np.unique(sar_gaps)) == {12.0}


# ---- the stack --------------------------------------------------------------------------------


def test_the_stack_follows_the_schema_and_labels_are_consistent(stack):
    validate(stack)
    slid = stack["landslide"].values
    assert np.isnat(stack["event_time"].values[~slid]).all() and not np.isnat(stack["event_time"].values[slid]).any()
    assert (stack["cause"].values[~slid] == Cause.THRIVING_FOREST).all()
    assert (stack["scar_mask"].values[~slid] == 0).all() and stack["scar_mask"].values[slid].any(axis=(1, 2)).all()
    assert (stack["reference_time"].values[slid] == stack["event_time"].values[slid]).all()
    assert set(stack["region"].values) == {"america", "china", "india"}
    assert stack["fs_min"].attrs["role"] == "oracle"
    quake = stack["scenario"].values == "earthquake"
    assert (stack["pga_g"].values[quake] > 0).all() and (stack["pga_g"].values[~quake] == 0).all()
    assert np.isnat(stack["quake_time"].values[~quake]).all()  # a quake before the calendar has no date on it


def test_landslide_pixels_sit_on_steeper_slopes_than_the_background(stack):
    slid = stack["landslide"].values
    scar = stack["scar_mask"].values[slid]
    slope = stack["slope"].values[slid]
    assert slope[scar].mean() > slope[~scar].mean() + 3.0


def test_same_seed_same_arrays_and_workers_do_not_matter():
    one = simulate(regions=["china"], n_sites=4, n_times=6, size=16, seed=5)
    again = simulate(regions=["china"], n_sites=4, n_times=6, size=16, seed=5, n_workers=2)
    for name in ("reflectance", "qa_pixel", "sar", "dem", "cause", "rain_daily"):
        np.testing.assert_array_equal(one[name].values, again[name].values)
    other = simulate(regions=["china"], n_sites=4, n_times=6, size=16, seed=6)
    assert not np.array_equal(one["dem"].values, other["dem"].values)


def test_a_two_worker_local_cluster_gives_the_arrays_of_one_process():
    from distributed import LocalCluster

    settings = {"regions": ["india", "china"], "n_sites": 6, "n_times": 6, "size": 16, "seed": 5}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        clustered = simulate(**settings, n_workers=2, scheduler=cluster.scheduler_address)
        assert len(cluster.workers) == 2
    alone = simulate(**settings)
    assert set(clustered.data_vars) == set(alone.data_vars)
    for name in alone.data_vars:
        np.testing.assert_array_equal(clustered[name].values, alone[name].values, err_msg=name)
    assert clustered.attrs["norm_reflectance_mean"] == alone.attrs["norm_reflectance_mean"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ["atlantis"]}, "Unknown region 'atlantis'"),
        ({"n_sites": 0}, "n_sites must be an integer >= 1"),
        ({"size": 8}, "smaller than the terrain model needs"),
        ({"causes": ["meteorite"]}, "Unknown causes \\['meteorite'\\]"),
        ({"regions": ["india"], "causes": ["volcanic_eruption"]}, "has none of the causes"),
    ],
)
def test_bad_parameters_fail_before_any_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(**{"n_sites": 2, "n_times": 4, "size": 16, **kwargs})


def test_disturbances_keep_the_day_they_started():
    """The land is rebuilt for every day asked: a road's clearing date must not move with that day."""
    for attempt in range(40):
        scenario = _china_scenario("construction", np.random.default_rng(attempt))
        if scenario.details.get("design") == "road" and 0 < scenario.details["road_start"] < 400:
            break
    late, later = scenario.state(450), scenario.state(490)
    touched = np.isfinite(late.cleared_day)
    assert touched.any()
    np.testing.assert_array_equal(late.cleared_day[touched], later.cleared_day[touched])
    assert (late.cleared_day[touched] == scenario.details["road_start"]).all()


def test_disturbance_start_dates_are_drawn_on_the_calendar_not_from_the_window():
    """Where the observation window starts must not tell when a disturbance started."""
    firsts, starts = [], []
    for attempt in range(120):
        rng = np.random.default_rng(attempt)
        first = int(rng.integers(45, 225))
        scenario = _china_scenario("mining", rng, n_days=800, window=(first, first + 380))
        firsts.append(first)
        starts.append(scenario.details["mine_start"])
    starts = np.array(starts)
    assert abs(np.corrcoef(firsts, starts)[0, 1]) < 0.2
    assert (starts < np.array(firsts)).mean() > 0.4, "many mines are older than the first frame"
    assert starts.min() >= -3 * 365.25 and starts.max() <= 800


def test_sar_channels_skip_padded_frames():
    from lslib.data.patches import frame_patches

    stack = simulate(regions=["india"], n_sites=2, n_times=6, size=16, seed=1)
    padded = stack.copy(deep=True)
    padded["sar_date"][:, -1] = np.datetime64("NaT", "ns")
    padded["sar"][:, -1] = np.nan
    patches = frame_patches(padded, with_sar=True, max_cloud=1.0)
    assert np.isfinite(patches["image"]).all()
    assert (patches["image"][:, 6:] != 0).any()  # real SAR from the nearest dated frame, not padding


# ---- the scenario registry ------------------------------------------------------------------


def test_every_scenario_the_simulator_draws_has_a_registered_builder():
    from lslib.causes import CAUSE_KEYS
    from lslib.data.sim.scenarios import SCENARIO_BUILDERS, scenario_kinds

    assert set(scenario_kinds()) == set(CAUSE_KEYS) == set(SCENARIO_BUILDERS)
    for region in REGIONS.values():  # the kinds simulate() draws from, by each region's frequencies
        assert set(region.scenario_weights) <= set(SCENARIO_BUILDERS), region.name


def test_an_unknown_scenario_is_refused_naming_the_registered_kinds():
    from lslib.data.sim import terrain
    from lslib.data.sim.scenarios import build_scenario, scenario_kinds

    rng = np.random.default_rng(0)
    dem = terrain.make_dem(16, "valley", 300.0, 1500.0, rng)
    slope, _ = terrain.slope_aspect(dem)
    soil = stability.draw_soil(slope, terrain.topographic_wetness(dem), REGIONS["china"], rng)
    with pytest.raises(ValueError, match="Unknown scenario 'meteorite'; registered scenarios are") as error:
        build_scenario("meteorite", dem, slope, soil, REGIONS["china"], 400, (150, 300), rng)
    assert all(kind in str(error.value) for kind in scenario_kinds())


def test_builders_register_by_name_once_and_are_picked_by_name(monkeypatch):
    from lslib.data.sim import scenarios, terrain

    monkeypatch.setattr(scenarios, "SCENARIO_BUILDERS", dict(scenarios.SCENARIO_BUILDERS))

    @scenarios.register_scenario("landfill")
    def _landfill(scenario, setting, rng):
        scenario.details.update(tipped_day=setting.start_day("mining", rng), draw=float(rng.random()))

    with pytest.raises(ValueError, match="'landfill' is already registered"):
        scenarios.register_scenario("landfill")(_landfill)
    rng = np.random.default_rng(0)
    dem = terrain.make_dem(16, "valley", 300.0, 1500.0, rng)
    slope, _ = terrain.slope_aspect(dem)
    soil = stability.draw_soil(slope, terrain.topographic_wetness(dem), REGIONS["china"], rng)
    built = scenarios.build_scenario("landfill", dem, slope, soil, REGIONS["china"], 400, (150, 300), rng)
    assert built.kind == "landfill" and built.factors == ("rain",)
    assert -3 * 365.25 <= built.details["tipped_day"] <= 400, "drawn on the calendar by the setting"
    assert "landfill" in scenarios.scenario_kinds()


@pytest.mark.parametrize(
    "kind",
    ["volcanic_eruption", "earthquake", "deforestation", "heavy_rainfall", "mining", "construction", "thriving_forest"],
)
def test_each_builder_is_deterministic_and_leaves_the_initial_land_alone(kind):

    def draw():
        rng = np.random.default_rng(5)
        return _china_scenario(kind, rng), rng.random()

    (first, after_first), (second, after_second) = draw(), draw()
    assert after_first == after_second, "the builder must draw the same numbers every time"
    initial = first.initial.cover.copy()
    late, again = first.state(490), second.state(490)
    for name in ("dem", "cover", "cleared_day", "surcharge_kpa", "extra_wetness"):
        np.testing.assert_array_equal(getattr(late, name), getattr(again, name))
    np.testing.assert_array_equal(first.initial.cover, initial)  # state() works on a copy
    assert first.factors[0] == "rain"
    assert len(first.factors) == (1 if kind in ("thriving_forest", "heavy_rainfall") else 2)


def test_scenarios_are_spread_over_each_region_s_weights_whatever_the_stack_size():
    from lslib.data.sim import _draw_kind
    from lslib.data.sim.regions import REGIONS

    kinds = list(CAUSE_KEYS)
    regions = ["america", "china", "india"]
    for name in regions:
        region = REGIONS[name]
        drawn = [_draw_kind(i, region, kinds, 0, len(regions)) for i in range(regions.index(name), 900, 3)]
        for kind in kinds:  # 300 sites of the region: every share within two sites of its weight
            assert abs(drawn.count(kind) - 300 * region.scenario_weights[kind]) <= 2, (name, kind)
    # site i keeps its scenario in a stack of any size, and a new seed moves the allocation
    small, large = simulate(n_sites=6, n_times=4, size=16, seed=2), simulate(n_sites=12, n_times=4, size=16, seed=2)
    assert list(small["scenario"].values) == list(large["scenario"].values[:6])
    assert [_draw_kind(i, REGIONS["india"], kinds, 1, 3) for i in range(2, 60, 3)] != [
        _draw_kind(i, REGIONS["india"], kinds, 0, 3) for i in range(2, 60, 3)
    ]


def test_oracle_land_cover_and_radar_clear_cuts_follow_the_land(stack):
    cover = stack["land_cover"].values
    assert cover.shape == stack["qa_pixel"].shape and cover.max() < len(Cover)
    water = (stack["qa_pixel"].values.astype(np.uint32) >> 7) & 1 == 1
    assert np.mean(cover[water] == Cover.WATER) > 0.9  # the QA's water bit sits on simulated water
    clearcut = stack["sar_clearcut"].values
    assert set(np.unique(clearcut)) <= {0, 1, 2} and clearcut.shape == stack["sar"].shape[:2] + stack["sar"].shape[3:]
    for name in ("land_cover", "sar_clearcut", "shadow_truth"):
        assert stack[name].attrs.get("role") == "oracle", name


def _stored(stack: xr.Dataset, folder) -> xr.Dataset:
    """``stack`` after the round trip through a store (reflectance is stored as Landsat's uint16 DN)."""
    from lslib.data.store import open_store, write_atomic

    return open_store(write_atomic(stack, folder / "reference.zarr")).load()


@pytest.mark.parametrize("cluster", [False, True], ids=["this process", "2-worker LocalCluster"])
def test_blocks_written_by_the_workers_hold_the_arrays_of_simulate(tmp_path, cluster):
    from distributed import LocalCluster

    from lslib.data.sim import simulate_to_store

    settings = {"regions": ["india", "china", "america"], "n_sites": 7, "n_times": 6, "size": 16, "seed": 5}
    reference = _stored(simulate(**settings), tmp_path)
    store = tmp_path / "blocks.zarr"
    if cluster:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
            attrs = simulate_to_store(store, **settings, block_sites=3, scheduler=local.scheduler_address)
    else:
        attrs = simulate_to_store(store, **settings, block_sites=3)
    blocks = xr.open_zarr(store, consolidated=True)
    assert blocks["reflectance"].data.chunksize[0] == 3  # one chunk per block: no two workers share a chunk
    blocks = blocks.load()
    assert set(blocks.variables) == set(reference.variables)
    for name in reference.variables:
        assert blocks[name].dtype == reference[name].dtype, name
        np.testing.assert_array_equal(blocks[name].values, reference[name].values, err_msg=name)
    assert blocks.attrs["provenance"] == reference.attrs["provenance"] and blocks.attrs == attrs
    clear = ~qa_bits.invalid_mask(reference["qa_pixel"].values)
    pixels = np.moveaxis(reference["reflectance"].values, 2, -1)[clear].astype(np.float64)
    # the statistics are float64 sums of the simulated (not yet quantised) values: close to the stored ones'
    np.testing.assert_allclose(attrs["norm_reflectance_mean"], pixels.mean(axis=0), atol=2e-5)
    np.testing.assert_allclose(attrs["norm_reflectance_std"], pixels.std(axis=0), atol=2e-5)


def test_a_stack_cached_in_blocks_is_keyed_apart_and_read_back(tmp_path):
    from lslib.data.sim import simulated_stack

    settings = {"regions": ["india"], "n_sites": 5, "n_times": 6, "size": 16, "seed": 1}
    blocks, path, hit, seconds = simulated_stack(tmp_path, block_sites=2, **settings)
    assert not hit and seconds > 0 and blocks.attrs["sim_n_workers"] == 1
    again, again_path, hit, _ = simulated_stack(tmp_path, block_sites=2, **settings)
    assert hit and again_path == path
    whole, whole_path, _, _ = simulated_stack(tmp_path, **settings)
    assert whole_path != path
    np.testing.assert_array_equal(blocks["reflectance"].values, whole["reflectance"].values)
    with pytest.raises(ValueError, match="block_sites must be an integer >= 1, got 0"):
        simulated_stack(tmp_path / "other", block_sites=0, **settings)


def test_the_cloud_free_surface_comes_from_the_same_pass_as_the_clouds(tmp_path):
    from lslib.data.pairs import detection_pairs, scenario_pairs
    from lslib.data.sim import normalised_like, simulate_to_store

    settings = {"regions": ["india", "america"], "n_sites": 8, "n_times": 8, "size": 16, "seed": 2}
    settings["causes"] = ("thriving_forest", "mining", "deforestation", "heavy_rainfall")
    both = simulate(**settings, surface=True)
    cloudy, clear = simulate(**settings), simulate(**settings, clouds=False)
    assert "surface_reflectance" not in cloudy and both["surface_reflectance"].attrs["role"] == "oracle"
    np.testing.assert_array_equal(both["surface_reflectance"].values, clear["reflectance"].values)
    for name in cloudy.data_vars:  # the observed frames and everything else: as if no surface were kept
        np.testing.assert_array_equal(both[name].values, cloudy[name].values, err_msg=name)
    assert float(both["cloud_fraction"].max()) > 0  # clouds there are, yet the pairs read the surface
    for make in (scenario_pairs, detection_pairs):
        from_surface, from_clear = make(normalised_like(both, clear)), make(clear)
        assert from_surface.keys() == from_clear.keys()
        for key in from_clear:
            np.testing.assert_array_equal(from_surface[key], from_clear[key], err_msg=key)
    with pytest.raises(ValueError, match=r"surface=True"):
        scenario_pairs(cloudy)
    store = tmp_path / "blocks.zarr"  # written block by block, the surface is quantised like the reflectance
    simulate_to_store(store, **settings, surface=True, block_sites=3)
    blocks = xr.open_zarr(store, consolidated=True).load()
    reference = _stored(both, tmp_path)
    np.testing.assert_array_equal(blocks["surface_reflectance"].values, reference["surface_reflectance"].values)
    assert json.loads(blocks.attrs["provenance"])["surface"] is True
