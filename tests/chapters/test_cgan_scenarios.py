"""Chapter 5's pieces: the scenario cGAN, its training loop, image metrics and scenario pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lslib import evaluation
from lslib.causes import Cause
from lslib.data.pairs import PAIR_SCENARIOS, detection_pairs, merge_pairs, scenario_pairs
from lslib.data.sim import simulate
from lslib.evaluation.images import frechet_distance, iou, mean_pairwise_distance, psnr, ssim
from lslib.models.cgan import NO_TRIGGER, SCENARIOS, CGANConfig, ScenarioGAN, receptive_field, scenario_index
from lslib.training.loop import History, TrainConfig, fit_gan


def _batch(n=6, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    source = torch.randn(n, 6, size, size, generator=g)
    scenario = torch.arange(n) % len(SCENARIOS)
    shift = scenario.float()[:, None, None, None] - 1.5  # each scenario brightens or darkens the scene
    trigger = torch.where(scenario == scenario_index("landslide_damage"), int(Cause.EARTHQUAKE), NO_TRIGGER)
    return {"source": source, "target": source + shift, "scenario": scenario, "trigger": trigger}


@pytest.mark.parametrize("mode", ["bicycle", "pix2pix", "l1"])
def test_shapes_for_every_scenario_and_variant(mode):
    model = ScenarioGAN(CGANConfig(size=16, width=8, mode=mode))
    batch = _batch()
    for name in SCENARIOS:
        scenario = torch.full((6,), scenario_index(name))
        z = model.sample_z(6)
        assert model.generate(batch["source"], scenario, z).shape == (6, 6, 16, 16)
    losses = model.generator_step(batch)
    assert all(torch.isfinite(v) for v in losses.values())
    if mode != "l1":
        assert set(model.discriminator_step(batch)) == {"D_real", "D_fake", "loss"}
        patches = model.discriminator(batch["source"], batch["target"], batch["scenario"], batch["trigger"])
        assert patches.shape[-1] == 3  # 16 -> 8 -> 4 -> 3 patches


def test_the_trigger_conditions_the_damage_future():
    model = ScenarioGAN(CGANConfig(size=16, width=8)).eval()
    source, z = _batch()["source"], torch.zeros(6, 8)
    damage = torch.full((6,), scenario_index("landslide_damage"))
    quake, storm = (torch.full((6,), int(cause)) for cause in (Cause.EARTHQUAKE, Cause.HEAVY_RAINFALL))
    assert not torch.allclose(model.generate(source, damage, z, quake), model.generate(source, damage, z, storm))
    none = torch.full((6,), NO_TRIGGER)
    torch.testing.assert_close(model.generate(source, damage, z), model.generate(source, damage, z, none))


def test_z_changes_the_output_and_the_same_seed_repeats_it():
    model = ScenarioGAN(CGANConfig(size=16, width=8)).eval()
    source, scenario = _batch()["source"], torch.zeros(6, dtype=torch.long)
    first, again = model.sample(source, scenario, k=3, seed=5), model.sample(source, scenario, k=3, seed=5)
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first[0], first[1])
    fixed = ScenarioGAN(CGANConfig(size=16, width=8, mode="pix2pix")).eval()
    samples = fixed.sample(source, scenario, k=3, seed=5)
    torch.testing.assert_close(samples[0], samples[1])  # no z: one future per input


def test_losses_are_finite_and_fall_on_tiny_data():
    batch = _batch(n=8)
    loader = [batch] * 4
    for mode in ("bicycle", "l1"):
        model = ScenarioGAN(CGANConfig(size=16, width=8, mode=mode))
        history = fit_gan(model, {"train": loader}, TrainConfig(epochs=10, lr=2e-3, seed=0, progress=False))
        l1 = history.train["G_L1"]
        assert np.isfinite(l1).all() and l1[-1] < 0.6 * l1[0], (mode, l1)
        if mode == "bicycle":
            assert {"KL", "latent", "G_GAN", "G_GAN_random", "D_real", "D_fake"} <= set(history.train)


def test_bad_inputs_give_clear_errors():
    model = ScenarioGAN(CGANConfig(size=16, width=8))
    batch = _batch()
    with pytest.raises(ValueError, match="Unknown scenario 'logging'"):
        scenario_index("logging")
    with pytest.raises(ValueError, match=r"source must be \(B, 6, H, W\)"):
        model.generate(batch["source"][:, :4], batch["scenario"], model.sample_z(6))
    with pytest.raises(ValueError, match="scenario indices must lie"):
        model.generate(batch["source"], torch.full((6,), 9), model.sample_z(6))
    with pytest.raises(ValueError, match="trigger values must lie"):
        model.generate(batch["source"], batch["scenario"], model.sample_z(6), torch.full((6,), 7))
    with pytest.raises(ValueError, match=r"trigger must be \(B,\)"):
        model.generate(batch["source"], batch["scenario"], model.sample_z(6), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="needs a latent code"):
        model.generate(batch["source"], batch["scenario"])
    with pytest.raises(ValueError, match="mode must be"):
        CGANConfig(mode="cyclegan")
    assert receptive_field(3) == 22 and receptive_field(2) == 10


def test_frechet_distance_known_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    b = rng.normal(size=(40000, 3)) * 2.0  # N(0, I) against N(0, 4I): 3 * (1 + 4 - 2 * 2) = 3
    assert frechet_distance(rng.normal(size=(40000, 3)), b) == pytest.approx(3.0, rel=0.05)
    shifted = rng.normal(size=(40000, 3)) + np.array([1.0, 2.0, 0.0])
    assert frechet_distance(rng.normal(size=(40000, 3)), shifted) == pytest.approx(5.0, rel=0.05)
    with pytest.raises(ValueError, match="one d"):
        frechet_distance(a, a[:, :2])


def test_image_metrics_known_values():
    image = np.random.default_rng(1).random((3, 16, 16))
    assert psnr(image, image, 1.0) == float("inf")
    assert psnr(np.zeros(10), np.full(10, 0.01), 1.0) == pytest.approx(40.0)
    noisy = image + np.random.default_rng(2).normal(0, 0.2, image.shape)
    assert ssim(image, image, 1.0) == pytest.approx(1.0) and ssim(image, noisy, 1.0) < 0.8
    assert ssim(image, noisy, 1.0) == pytest.approx(ssim(noisy, image, 1.0))
    assert mean_pairwise_distance(np.zeros((4, 5, 2))) == 0.0
    assert iou(np.zeros(4, bool), np.zeros(4, bool)) == 1.0


def test_scenario_pairs_link_before_and_after_by_site():
    stack = simulate(
        n_sites=40,
        n_times=10,
        size=16,
        seed=2,
        clouds=False,
        causes=("thriving_forest", "mining", "deforestation", "heavy_rainfall"),
    )
    pairs = scenario_pairs(stack)
    assert pairs["source"].shape == pairs["target"].shape and pairs["source"].shape[1:] == (6, 16, 16)
    assert set(np.unique(pairs["scenario"])) <= set(range(len(PAIR_SCENARIOS)))
    assert PAIR_SCENARIOS == SCENARIOS
    damage = pairs["scenario"] == 3
    assert (pairs["after"][damage] >= stack["event_time"].values[pairs["site"][damage]]).all()
    assert (pairs["before"][damage] < stack["event_time"].values[pairs["site"][damage]]).all()
    assert pairs["scar"][damage].any() and not pairs["scar"][~damage].any()
    causes = stack["cause"].values[pairs["site"][damage]]
    assert (pairs["trigger"][damage] == causes).all() and all(Cause(c).is_landslide for c in causes)
    assert (pairs["trigger"][~damage] == NO_TRIGGER).all()
    for site in np.unique(pairs["site"]):
        assert len(set(pairs["split"][pairs["site"] == site])) == 1
    fixed = np.isin(pairs["scenario"], [0, 1])
    assert (pairs["after"][fixed] == stack["date"].values[pairs["site"][fixed], 5]).all()  # the same frames
    mines, unchanged = pairs["scenario"] == 1, pairs["scenario"] == 0
    disturbed = stack["disturbed_mask"].values[pairs["site"][mines]]
    grew = (disturbed[:, 0] != disturbed[:, 5]).reshape(len(disturbed), -1).any(axis=1)
    assert grew.any() and (pairs["layout"][mines][grew] == disturbed[grew, 5]).all()  # the mine that grew
    assert not pairs["layout"][mines][~grew].any()  # a mine that did not grow: no change
    assert pairs["layout"][mines].any() and not pairs["layout"][unchanged].any()
    assert (pairs["scar"][damage] == pairs["layout"][damage]).all()  # a slide's change: its scar
    assert pairs["terrain"].shape == (len(pairs["site"]), 3, 16, 16) and np.isfinite(pairs["terrain"]).all()
    detection = detection_pairs(stack)
    split = dict(zip(pairs["site"], pairs["split"]))
    assert all(split.get(site, s) == s for site, s in zip(detection["site"], detection["split"]))
    assert (detection["after"] == stack["date"].values[detection["site"], 5]).all()
    assert detection["mining"].sum() == mines.sum()
    with pytest.raises(ValueError, match="cloud-free"):
        scenario_pairs(simulate(n_sites=2, n_times=6, size=16, seed=0))


def test_planting_on_the_steep_cells_beats_planting_at_random():
    from lslib.analysis.planting import SoilParameters, design_ground, planting_trial, slide_rate, stability_gain

    soil = SoilParameters()
    slope = np.tile(np.linspace(5.0, 45.0, 20), (20, 1))  # gentle on the left, steep on the right
    candidates = np.ones_like(slope, bool)
    gain = stability_gain(slope, candidates, soil)
    assert gain[:, -1].mean() > gain[:, 0].mean() >= 0  # roots matter where the slope can fail
    assert (stability_gain(slope, np.zeros_like(candidates), soil) == 0).all()  # nothing grows: no gain
    rng = np.random.default_rng(0)
    ground = design_ground(slope, np.zeros_like(slope), soil, 16, rng)  # flat DEM: one wetness everywhere
    assert ground.wetness.shape == (16, 20, 20) and ground.depth_m[0, -1] < ground.depth_m[0, 0]
    roots = np.full(slope.shape, soil.open_root_kpa)
    assert slide_rate(slope, roots, ground, candidates) > slide_rate(slope, roots + 9.0, ground, candidates)
    trial = planting_trial(slope, ~candidates, candidates, {"gain": gain}, 80, ground, rng)
    assert trial["reduction_gain"] > 1.5 * trial["reduction_random"] > 0
    assert trial["rate_before"] - trial["rate_gain"] == pytest.approx(trial["reduction_gain"])
    nowhere = planting_trial(
        slope, ~candidates, candidates, {"gain": gain}, 80, ground, rng, grows=np.zeros_like(candidates)
    )
    assert nowhere["reduction_gain"] == nowhere["reduction_random"] == 0  # trees that do not take hold nothing


def test_futures_scores_on_known_cases():
    from lslib.chapters import cgan_scenarios

    before = np.zeros((2, 6, 4, 4))
    before[:, 3] = 0.4  # vegetated: NDVI 1 where red is 0
    after = before.copy()
    after[0, 3, :2] = 0.05  # half of site 0 loses its vegetation ...
    after[0, 5, :2] = 0.3  # ... and brightens in SWIR (bare soil)
    assert cgan_scenarios.change_detection_scores(before + 0.01, after + 0.01).tolist() == [0.5, 0.0]
    lost = cgan_scenarios.damage_score(after[None] + 0.01, before + 0.01)  # NDVI 0.95 -> 0.71 where it is lost
    assert lost.shape == (2, 4, 4) and lost[0, 0, 0] == pytest.approx(0.24, abs=0.01) and lost[1].max() == 0
    scars = np.zeros((2, 4, 4), bool)
    scars[0, :2] = True
    assert cgan_scenarios.best_threshold_iou(lost, scars, np.array([-0.1, 0.1])) == 0.1
    target = np.random.default_rng(0).random((3, 6, 16, 16)).astype(np.float32)  # SSIM needs 11 px windows
    perfect = cgan_scenarios.reconstruction_scores(np.stack([target, target + 0.5]), target, data_range=2.0)
    assert perfect["L1 best-of-k"] == 0 and perfect["SSIM best-of-k"] == pytest.approx(1.0) and perfect["L1"] == 0.25


def test_change_profile_forgets_where_the_change_lies():
    from lslib.chapters import cgan_scenarios

    before = np.zeros((2, 6, 8, 8), np.float32)
    pit_here, pit_there = before.copy(), before.copy()
    pit_here[0, :, 1:3, 1:3] = 1.0  # a 2 x 2 pit changing every band by 1 ...
    pit_there[0, :, 5:7, 4:6] = 1.0  # ... the same pit elsewhere
    pit_here[1, 4, :, :] = 0.25  # a clearing: every pixel, one band, a little
    pit_there[1, 4, :, :] = 0.25
    here, there = cgan_scenarios.change_profile(before, pit_here), cgan_scenarios.change_profile(before, pit_there)
    assert here.shape == (2, 64) and np.array_equal(here, there)
    assert here[0, :4].tolist() == [6.0] * 4 and here[0, 4:].max() == 0  # largest first, summed over bands
    assert here[1].tolist() == [0.25] * 64
    k_futures = np.stack([pit_here, before])  # (k, n, C, H, W) against one source per input
    assert cgan_scenarios.change_profile(before, k_futures).shape == (2, 2, 64)
    assert cgan_scenarios.change_profile(before, k_futures)[1].max() == 0


def test_mining_scores_rank_a_mine_first_and_profiles_forgive_its_place():
    from lslib.chapters import cgan_scenarios

    before = np.zeros((3, 6, 8, 8), np.float32)
    observed = before.copy()
    observed[0, :, 1:3, 1:3] = 1.0  # site 0: a pit in the north-west
    observed[2] = 0.5  # site 2: everything changed (a clearing)
    mined = np.repeat(before[None], 2, axis=0)
    mined[:, :, :, 5:7, 5:7] = 1.0  # the generator puts its pit in the south-east
    generated = {"mining": mined, "unchanged": np.repeat(before[None], 2, axis=0)}
    profiles = cgan_scenarios.mining_scores(before, observed, generated, compare="profiles")
    assert profiles[0] > 10 and profiles[1] < -10  # the pit, wherever it is, against no change
    assert abs(profiles[2]) < 0.2  # far from both: a ratio near 1, not a mine
    pixels = cgan_scenarios.mining_scores(before, observed, generated)
    # pixel by pixel the misplaced pit counts against the mine: it scores like no change, below the clearing
    assert pixels[0] == pixels[1] == -1 and pixels[2] == 0
    with pytest.raises(ValueError, match="compare"):
        cgan_scenarios.mining_scores(before, observed, generated, compare="latent")


def test_the_latent_regression_trains_the_generator_only():
    model = ScenarioGAN(CGANConfig(size=16, width=8))
    losses = model.generator_step(_batch())
    losses["latent"].backward()
    assert all(p.grad is None for p in model.encoder.parameters())  # the encoder is not pushed to agree
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.generator.parameters())
    assert all(p.requires_grad for p in model.encoder.parameters())  # and it is trainable again afterwards
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_the_verdict_words_follow_the_numbers_they_come_from():
    from lslib.chapters import cgan_scenarios

    assert cgan_scenarios.mining_verdict(0.8, 0.6, 0.01) == "beats"
    assert cgan_scenarios.mining_verdict(0.55, 0.6, -0.2) == "falls below"
    assert cgan_scenarios.mining_verdict(0.65, 0.6, -0.01) == "does not clearly beat"
    assert cgan_scenarios.damage_verdict(0.05, 0.04) == "above"
    assert cgan_scenarios.damage_verdict(0.04, 0.04) == "not above"
    assert cgan_scenarios.planting_ratio(0.04, 0.02) == pytest.approx(2.0)
    assert cgan_scenarios.planting_ratio(0.04, 0.0) == pytest.approx(4e7)  # no division by zero
    metrics = {
        "mining_auroc": 0.7,
        "mining_auroc_baseline": 0.6,
        "mining_auroc_diff_ci_low": 0.02,
        "damage_iou_bicycle": 0.03,
        "damage_iou_slope": 0.05,
    }
    assert cgan_scenarios.verdicts(metrics) == {"mining_verdict": "beats", "damage_verdict": "not above"}
    assert set(cgan_scenarios.VARIANT_KEYS) == set(cgan_scenarios.VARIANTS)


def test_merged_pairs_keep_one_number_per_site_and_refuse_mismatched_sets():
    kinds = ("thriving_forest", "mining")
    first = simulate(n_sites=12, n_times=8, size=16, seed=3, clouds=False, causes=kinds)
    second = simulate(n_sites=10, n_times=8, size=16, seed=4, clouds=False, causes=("mining",))
    a, b = scenario_pairs(first), scenario_pairs(second)
    merged = merge_pairs(a, b, n_sites=(12, 10))
    assert len(merged["site"]) == len(a["site"]) + len(b["site"])
    assert (merged["site"][len(a["site"]) :] == b["site"] + 12).all() and merged["site"][len(a["site"]) :].min() >= 12
    assert (merged["source"][: len(a["site"])] == a["source"]).all()
    with pytest.raises(ValueError, match="one count per"):
        merge_pairs(a, b, n_sites=(12,))
    with pytest.raises(ValueError, match="different keys"):
        merge_pairs(a, detection_pairs(second), n_sites=(12, 10))


def test_random_placements_keep_the_shapes_and_put_their_centres_on_eligible_pixels():
    from lslib.chapters.cgan_scenarios import random_placements, steep_pixels

    slope = np.tile(np.linspace(0.0, 40.0, 16), (3, 16, 1))  # steeper to the right
    eligible = steep_pixels(slope)
    assert eligible[:, :, -1].all() and not eligible[:, :, 0].any()
    assert eligible.mean() == pytest.approx(0.5625, abs=0.07)  # above the 40th percentile of the columns
    layouts = np.zeros((4, 3, 16, 16), bool)
    layouts[:, :, 7:10, 7:10] = True  # a 3 x 3 square in the middle
    layouts[:, 2] = False  # an empty layout stays empty
    moved = random_placements(layouts, eligible, seed=0)
    assert not moved[:, 2].any()
    for j in range(4):
        for i in range(2):
            rows, cols = np.nonzero(moved[j, i])
            assert eligible[i, int(round(rows.mean())), int(round(cols.mean()))] or len(rows) < 9
    assert len({tuple(np.argwhere(moved[j, 0])[0]) for j in range(4)}) > 1  # random places
    assert np.array_equal(moved, random_placements(layouts, eligible, seed=0))
    with pytest.raises(ValueError, match="eligible"):
        random_placements(layouts, np.zeros_like(eligible), seed=0)


def test_change_magnitude_ks_tells_weak_generated_changes_from_real_ones():
    from lslib.chapters.cgan_scenarios import change_magnitude_ks

    rng = np.random.default_rng(0)
    source = np.zeros((20, 2, 8, 8), np.float32)
    truth = np.zeros((20, 8, 8), bool)
    truth[:, 2:5, 2:5] = True
    target = source + rng.normal(3.0, 0.5, source.shape).astype(np.float32) * truth[:, None]
    layouts = np.stack([truth, truth])
    alike = np.stack([source + rng.normal(3.0, 0.5, source.shape).astype(np.float32) * truth[:, None]] * 2)
    weak = np.stack([source + 0.3 * (alike[0] - source)] * 2)
    assert change_magnitude_ks(source, alike, layouts, target, truth)["ks"] < 0.15
    scores = change_magnitude_ks(source, weak, layouts, target, truth)
    assert scores["ks"] > 0.9 and scores["median_generated"] < scores["median_real"]
    with pytest.raises(ValueError, match="inside both"):
        change_magnitude_ks(source, weak, np.zeros_like(layouts), target, truth)


def test_few_shot_mines_are_training_mines_and_the_seed_repeats_them():
    from lslib.chapters.cgan_scenarios import few_shot_mines, join_pairs, subset_pairs

    detection = {
        "mining": np.arange(40) % 2 == 0,
        "split": np.where(np.arange(40) < 30, "train", "test"),
        "source": np.zeros((40, 6, 4, 4)),
    }
    chosen = few_shot_mines(detection, 5, seed=2)
    assert chosen.sum() == 5 and (detection["mining"][chosen]).all() and (detection["split"][chosen] == "train").all()
    np.testing.assert_array_equal(chosen, few_shot_mines(detection, 5, seed=2))
    assert not np.array_equal(chosen, few_shot_mines(detection, 5, seed=3))
    with pytest.raises(ValueError, match="16 few-shot mines asked, but the training split holds 15"):
        few_shot_mines(detection, 16, seed=0)
    kept = subset_pairs(detection, chosen)
    assert kept["source"].shape == (5, 6, 4, 4)
    both = join_pairs(kept, kept, keys=("source", "mining"))
    assert both["source"].shape[0] == 10 and both["mining"].all()


def test_the_seeded_auroc_table_averages_seeds_and_resamples_them_with_the_sites():
    from lslib.chapters.cgan_scenarios import seeded_auroc_table

    rng = np.random.default_rng(0)
    labels = np.arange(60) % 2 == 0
    good = labels[None] + rng.normal(0, 0.5, (3, 60))  # three seeds of a model that sees the label
    noise = rng.normal(0, 1, (3, 60))  # three seeds of one that does not
    table = seeded_auroc_table(labels, {"noise": noise, "good": good}, np.arange(60) // 2, n_boot=200, seed=0)
    per_seed = [evaluation.auroc(labels, s) for s in good]
    assert table["good"][0] == pytest.approx(np.mean(per_seed))
    value, low, high = table["good - noise"]
    assert value == pytest.approx(table["good"][0] - table["noise"][0]) and 0 < low < value < high
    assert table["noise"][1] < 0.5 < table["noise"][2]


def test_the_few_shot_generator_sees_only_the_few_mines(monkeypatch):
    from lslib.chapters import cgan_scenarios

    n = 30
    site = np.arange(n)
    mining = site % 3 == 0
    split = np.where(site < 20, "train", np.where(site < 25, "val", "test"))
    detection = {"site": site, "mining": mining, "split": split, "source": np.zeros((n, 6, 4, 4))}
    pairs = {"site": site, "scenario": np.where(mining, scenario_index("mining"), 0), "split": split}
    seen = {}

    def fake_training(scarce, seed, **settings):
        seen.update(scarce=scarce, settings=settings)
        return {"pit": None, "renderer": None, "seconds": 1.0}

    def fake_generation(pit, renderer, scarce, keep, k, seed):
        return {"mining": np.ones(k * int(keep.sum()), bool), "sites": scarce["site"][keep]}

    monkeypatch.setattr(cgan_scenarios, "train_layout_models", fake_training)
    monkeypatch.setattr(cgan_scenarios, "generated_mine_pairs", fake_generation)
    few = cgan_scenarios.few_shot_sets(pairs, detection, 3, 4, {"width": 8}, seed=0)
    chosen_sites = set(detection["site"][few["mines"]].tolist())
    scarce = seen["scarce"]
    assert set(scarce["site"][scarce["scenario"] == scenario_index("mining")].tolist()) == chosen_sites
    assert (scarce["scenario"] != scenario_index("mining")).sum() == (~mining).sum()  # every other pair stays
    assert few["real"]["mining"].sum() == 3 and not (few["real"]["split"] != "train").any()
    assert len(few["generated"]["mining"]) == 12 and set(few["generated"]["sites"].tolist()) == chosen_sites
    assert seen["settings"] == {"width": 8}


def test_damage_maps_are_thresholded_and_the_better_baseline_chosen_on_validation_only():
    from lslib.chapters.cgan_scenarios import compare_damage_maps, per_slide_iou

    scar = np.zeros((4, 8, 8), bool)
    scar[:, :4] = True  # the upper half of every slide is scar
    rows = np.broadcast_to(np.arange(8.0)[None, :, None], scar.shape)
    perfect, inverted = 8.0 - rows, rows  # one score knows the scar, the other is upside down
    scores = {
        "val": {"model": perfect, "slope": perfect, "wetness": inverted},
        "test": {"model": perfect, "slope": inverted, "wetness": perfect},  # the test set would pick wetness
    }
    candidates = {name: np.arange(0.0, 9.0) for name in ("model", "slope", "wetness")}
    maps = compare_damage_maps(scores, {"val": scar, "test": scar}, candidates)
    assert maps["thresholds"]["model"] == 4.0 and maps["val_iou"]["model"] == 1.0
    assert maps["better"] == "slope"  # chosen on validation, although it fails on the test slides
    np.testing.assert_array_equal(maps["test_iou"]["model"], np.ones(4))
    assert maps["test_iou"]["slope"].max() < 1
    assert per_slide_iou(scar, ~scar).tolist() == [0.0] * 4


def test_the_seeded_mean_table_pairs_the_difference_on_the_same_seeds_and_slides():
    from lslib.chapters.cgan_scenarios import seeded_mean_table

    rng = np.random.default_rng(1)
    baseline = np.broadcast_to(rng.uniform(0, 0.2, 40), (3, 40))  # one value per slide, the same for every seed
    model = baseline + 0.05 + rng.normal(0, 0.01, (3, 40))  # every seed a little better on every slide
    table = seeded_mean_table({"wetness": baseline, "layout model": model}, np.arange(40), n_boot=200, seed=0)
    value, low, high = table["layout model - wetness"]
    assert value == pytest.approx(model.mean() - baseline.mean()) and 0.04 < low < value < high < 0.06
    assert table["wetness"][1] < table["wetness"][0] < table["wetness"][2]


def test_laid_out_mining_trains_and_scores_each_seed_and_keeps_the_first_for_the_figure(monkeypatch):
    from lslib.chapters import cgan_scenarios

    n, size = 12, 8
    split = np.array(["train"] * 4 + ["val"] * 2 + ["test"] * 6)
    scenario = np.where(np.arange(n) % 2 == 0, scenario_index("mining"), 0)
    layout = np.zeros((n, size, size), bool)
    layout[:, 2:4, 2:4] = True
    pairs = {
        "scenario": scenario,
        "split": split,
        "layout": layout,
        "slope": np.broadcast_to(np.linspace(5.0, 40.0, size)[None, None], (n, size, size)).copy(),
        "source": np.zeros((n, 6, size, size), np.float32),
        "target": np.ones((n, 6, size, size), np.float32),
    }
    detection = {"split": split}
    trained = []

    def fake_training(pairs_, seed, **settings):
        trained.append((seed, settings))
        return {
            "pit": f"pit {seed}",
            "renderer": f"renderer {seed}",
            "pit_history": History(best_epoch=seed),
            "seconds": 2.0,
        }

    def fake_mines(pit, renderer, pairs_, keep, k, seed):
        layouts = np.zeros((k, int(keep.sum()), size, size), bool)
        layouts[0, :, 2:4, 2:4] = seed == 0  # seed 0 finds every footprint, seed 1 none
        return layouts, np.where(layouts[:, :, None], 2.0, 0.0).repeat(6, axis=2)

    def fake_evidence(pit, renderer, detection_, keep, k, seed):
        return np.full(int(keep.sum()), float(seed))

    monkeypatch.setattr(cgan_scenarios, "train_layout_models", fake_training)
    monkeypatch.setattr(cgan_scenarios, "laid_out_mines", fake_mines)
    monkeypatch.setattr(cgan_scenarios, "mining_evidence_scores", fake_evidence)
    monkeypatch.setattr(cgan_scenarios, "change_magnitude_ks", lambda *arrays: {"ks": 0.1})
    result = cgan_scenarios.laid_out_mining(pairs, detection, [0, 1], {"width": 8}, k=3)
    assert trained == [(0, {"width": 8}), (1, {"width": 8})]
    assert result["grew"].sum() == 3  # the even (mining) pairs of the test split
    np.testing.assert_array_equal(result["covered"], [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_array_equal(result["evidence"], [[0.0] * 6, [1.0] * 6])
    assert result["pit"] == "pit 0" and result["layouts"].shape == (3, 3, size, size)
    assert result["best_epochs"] == [1, 2] and result["seconds"] == 4.0
    with pytest.raises(ValueError, match="all different"):
        cgan_scenarios.laid_out_mining(pairs, detection, [1, 1], {}, k=3)
