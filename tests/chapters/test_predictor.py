"""Chapter 4's pieces: lead windows (chapter 6), synthetic clouds, the ensemble, and the fixed-horizon workflow."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lslib import evaluation
from lslib.chapters import predictor
from lslib.data.augment import SyntheticClouds
from lslib.data.dataset import LandslideDataset
from lslib.data.sim import simulate
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training import ensemble
from lslib.training.loop import TrainConfig


@pytest.fixture(scope="module")
def stack():
    return simulate(n_sites=30, n_times=10, size=16, seed=3)


@pytest.fixture(scope="module")
def windows(stack):
    return LandslideDataset(stack, split=None, leads=(1, 2, 4), max_frames=5, max_sar_frames=4)


def test_every_window_ends_before_the_event_and_lead_counts_revisits(stack, windows):
    table = windows.window_table()
    assert set(np.unique(table["lead"])) == {1, 2, 4}
    for index in range(len(windows)):
        position, lead, last = windows.windows[index]
        site = windows.sites[position]
        dates, reference = stack["date"].values[site], stack["reference_time"].values[site]
        before = np.nonzero(dates < reference)[0]
        assert last == before[len(before) - lead]  # lead 1 = the last frame before the event
        sample = windows[index]
        frames = sample["valid"].numpy()
        assert frames.sum() <= 5 and frames[: frames.sum()].all()  # padding sits at the end
        assert float(sample["time"][frames].max()) == 0.0 and (sample["time"][frames] <= 0).all()
        end = dates[last]
        sar_days = sample["sar_time"][sample["sar_valid"]].numpy()
        assert (sar_days <= 0).all()  # radar frames never after the window's last Landsat frame
        assert end < reference
        assert torch.all(sample["image"][~sample["valid"]] == 0)


def test_windows_of_a_site_stay_in_one_split(stack):
    seen = {}
    for split in ("train", "val", "test"):
        for site in LandslideDataset(stack, split=split, leads=(1, 2), max_frames=4).window_table()["site"]:
            assert seen.setdefault(int(site), split) == split


def test_bad_leads_are_refused(stack):
    with pytest.raises(ValueError, match="leads must be revisit counts >= 1"):
        LandslideDataset(stack, leads=(0, 1))


def test_synthetic_clouds_are_the_same_for_every_model_and_only_on_valid_frames(windows):
    sample = windows[0]
    sample = dict(sample, valid=sample["valid"].clone())
    sample["valid"][-1] = False
    clouds = SyntheticClouds(frame_fraction=1.0, cover=(0.5, 0.5), seed=4)
    first, again = clouds(sample), clouds(sample)
    torch.testing.assert_close(first["image"], again["image"])
    frames = sample["valid"].numpy()
    assert torch.all(first["image"][frames, -1].mean(dim=(-2, -1)) >= 0.5 - 1e-6)
    torch.testing.assert_close(first["image"][~sample["valid"]], sample["image"][~sample["valid"]])
    other_site = clouds(dict(sample, site=torch.tensor(99)))
    assert not torch.equal(other_site["image"], first["image"])
    masked = first["image"][:, -1] == 1
    assert torch.all(first["image"][:, :-1][masked.unsqueeze(1).expand(-1, 6, -1, -1)] == 0)
    half = SyntheticClouds(frame_fraction=0.5, seed=0)
    before = sample["image"][:, -1].mean(dim=(-2, -1))
    open_frames = sample["valid"] & (before < 1.0)  # valid frames with room for more cloud
    assert open_frames.sum() >= 2
    hits = [
        float(
            (half(dict(sample, site=torch.tensor(s)))["image"][:, -1].mean(dim=(-2, -1)) > before)[open_frames]
            .float()
            .mean()
        )
        for s in range(200)
    ]
    assert 0.4 < np.mean(hits) < 0.6
    with pytest.raises(ValueError, match="frame_fraction"):
        SyntheticClouds(frame_fraction=1.5)


def test_the_ensemble_has_a_nonzero_spread_and_a_calibrated_temperature(stack):
    datasets = {
        split: LandslideDataset(
            stack, split=split, leads=(1, 2), max_frames=4, max_sar_frames=4, fractions=(0.5, 0.2, 0.3)
        )
        for split in ("train", "val", "test")
    }
    config = PredictorConfig(size=16, width=8)
    members = [
        ensemble.train_member(datasets, config, TrainConfig(epochs=1, seed=k, progress=False))[0] for k in range(3)
    ]
    predictions = [ensemble.predict(m, datasets["test"]) for m in members]
    combined = ensemble.combine(predictions)
    assert combined["spread"].shape == (len(datasets["test"]),) and float(combined["spread"].min()) > 0
    mean = np.mean([1 / (1 + np.exp(-p["logit"])) for p in predictions], axis=0)
    np.testing.assert_allclose(1 / (1 + np.exp(-combined["logit"])), mean, rtol=1e-5)
    np.testing.assert_allclose(combined["cause_probs"].sum(axis=1), 1.0, rtol=1e-5)
    temperature, (val, test) = ensemble.calibrate(
        ensemble.combine([ensemble.predict(m, datasets["val"]) for m in members]), combined
    )
    assert temperature > 0 and val.shape == (len(datasets["val"]),) and ((test > 0) & (test < 1)).all()


def test_bootstrap_resamples_draw_whole_sites_and_pairing_cancels_shared_noise():
    sites = np.repeat(np.arange(50), 3)
    picks = evaluation.bootstrap_resamples(len(sites), sites, n_boot=100, seed=0)
    for pick in picks[:10]:
        counts = np.bincount(pick, minlength=len(sites)).reshape(50, 3)
        assert (counts == counts[:, :1]).all()  # the three windows of a site are drawn together
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1, 1], 50)
    noise = rng.normal(size=len(labels))
    a, b = labels + noise, labels + noise + 0.05 * labels  # b is a little better than a, same noise
    table = evaluation.paired_bootstrap(evaluation.auroc, labels, {"a": a, "b": b}, picks, reference="a")
    assert table["b"]["diff_low"] > 0  # the paired difference is sure ...
    assert table["b"]["low"] < table["a"]["high"]  # ... although the two intervals overlap


def test_ece_floor_matches_the_binomial_value():
    # All predictions 0.5 in one bin: ECE = |mean(y) - 0.5|, whose 90th percentile is about 1.645 sd.
    floor = evaluation.ece_floor(np.full(400, 0.5), n_draws=4000, seed=1)
    assert floor == pytest.approx(1.645 * np.sqrt(0.25 / 400), abs=0.006)


def test_confusion_recall_and_rank_correlation_known_values():
    matrix = evaluation.confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 0, 2, 2, 1], 3)
    assert matrix.tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 2]]
    np.testing.assert_allclose(evaluation.per_class_recall(matrix), [1.0, 0.5, 2 / 3])
    with pytest.raises(ValueError, match="class labels"):
        evaluation.confusion_matrix([0, 3], [0, 1], 3)
    weights = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    cloud = np.array([[0.0, 0.5, 0.9], [0.0, 0.5, 0.9], [0.1, 0.1, 0.1]])
    rho, used = evaluation.mean_rank_correlation(weights, cloud, np.ones((3, 3), bool))
    assert (rho, used) == (0.0, 2)  # +1 and -1; the third window has no cloud spread


def test_the_clear_prior_favours_clear_frames():
    model = SpatioTemporalPredictor(PredictorConfig(size=16, use_sar=False, use_meta=False)).eval()
    image = torch.zeros(1, 2, 7, 16, 16)
    image[0, 1, -1] = 1.0  # the second frame is fully masked
    with torch.no_grad():
        out = model({"image": image, "time": torch.tensor([[-16.0, 0.0]]), "valid": torch.ones(1, 2, dtype=torch.bool)})
    assert float(out["attention"][0, 0]) > 0.9


def test_the_training_cloud_stream_restarts_with_its_seed(windows):
    sample = windows[0]
    clouds = SyntheticClouds(frame_fraction=0.8, seed=0, per_sample=False)
    first = clouds(sample)["image"]
    clouds.reset(0)
    torch.testing.assert_close(clouds(sample)["image"], first)
    assert not torch.equal(clouds(sample)["image"], first)  # the stream moves on


def test_window_bounds_are_the_slots_a_window_sample_reads(stack):
    dataset = LandslideDataset(stack, split=None, leads=(1, 2), max_frames=5, max_sar_frames=4)
    bounds = dataset.window_bounds()
    table = dataset.window_table()
    assert bounds["site"].tolist() == table["site"].tolist() and bounds["lead"].tolist() == table["lead"].tolist()
    for index in (0, len(dataset) // 2, len(dataset) - 1):
        row, sample = bounds.iloc[index], dataset[index]
        dates = stack["date"].values[row["site"], row["start"] : row["end"] + 1]
        assert int(sample["valid"].sum()) == int((~np.isnat(dates)).sum())
    from lslib.analysis.shortcuts import timing_shortcut_auroc

    assert 0.0 <= timing_shortcut_auroc(stack, bounds, seed=0) <= 1.0


# --- the fixed-horizon workflow -----------------------------------------------------------------


@pytest.fixture(scope="module")
def horizon():
    train_stack = simulate(regions=["india", "america"], n_sites=24, n_times=14, size=16, seed=5)
    test_stack = simulate(regions=["india", "america"], n_sites=10, n_times=14, size=16, seed=6)
    return predictor.forecast_datasets(train_stack, test_stack, window_frames=4, sar_frames=4, seed=0)


def test_horizon_windows_are_full_end_before_the_slide_and_carry_their_own_label(horizon):
    dataset = horizon["train"]
    table = dataset.table
    assert len(table) and 0 < table["label"].sum() < len(table)
    stack = dataset.stack
    for index in range(0, len(dataset), max(1, len(dataset) // 15)):
        sample, row = dataset[index], table.iloc[index]
        assert bool(sample["valid"].all()) and bool(sample["sar_valid"].all())  # never padded
        assert float(sample["time"][-1]) == 0.0 and bool((sample["sar_time"] <= 0).all())
        assert float(sample["label"]) == row["label"] and int(sample["lead"]) == row["lead"]
        if stack["landslide"].values[row["site"]]:
            assert row["end_date"] < stack["event_time"].values[row["site"]]
        if row["label"] == 1:
            assert 1 <= row["lead"] <= 2 and int(sample["cause"]) == int(stack["cause"].values[row["site"]])
        else:
            assert row["lead"] == 0 and int(sample["cause"]) == predictor.Cause.THRIVING_FOREST
    assert set(horizon["test_only"].sites) == set(range(10))  # every test-only site
    assert horizon["test_only"].stack.attrs["norm_sar_mean"] == dataset.stack.attrs["norm_sar_mean"]


def test_site_batches_give_the_same_outputs_as_window_samples(horizon):
    from torch.utils.data import DataLoader

    from lslib.data.batches import SiteBatches
    from lslib.training.forecast import predict_windows

    model = SpatioTemporalPredictor(PredictorConfig(size=16, width=8)).eval()
    dataset = horizon["val"]
    batched = predict_windows(model, SiteBatches(dataset, sites_per_batch=3))
    with torch.no_grad():
        one_by_one = torch.cat([model(batch)["logit"] for batch in DataLoader(dataset, batch_size=7)]).numpy()
    np.testing.assert_allclose(batched["logit"], one_by_one, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(batched["label"], dataset.table["label"].to_numpy())
    served = SiteBatches(dataset, sites_per_batch=2)
    assert served.n_windows == len(dataset) and len(served) == -(-len(np.unique(dataset.table["position"])) // 2)
    with pytest.raises(ValueError, match="horizon mode"):
        SiteBatches(LandslideDataset(dataset.stack, split=None, leads=(1,), max_frames=4))


def test_a_seed_gives_the_same_model_and_arms_start_from_their_seeds(horizon):
    from lslib.training.forecast import train_seeds

    config, train = PredictorConfig(size=16, width=8), TrainConfig(epochs=1, progress=False)
    first, second = train_seeds(horizon, config, train, [3, 4], sites_per_batch=4, clouds=0.3)
    (again,) = train_seeds(horizon, config, train, [3], sites_per_batch=4, clouds=0.3)
    for name, value in first.model.state_dict().items():
        torch.testing.assert_close(value, again.model.state_dict()[name])
    assert any(not torch.equal(v, second.model.state_dict()[k]) for k, v in first.model.state_dict().items())
    seeds = predictor.arm_seeds(7, 5)
    assert seeds["attention"] == seeds["mean pooling"] == [7, 8, 9, 10, 11]
    assert not set(seeds[predictor.NULL_ARM]) & set(seeds["attention"])
    with pytest.raises(ValueError, match="n_seeds"):
        predictor.arm_seeds(0, 1)


def test_unflagged_haze_changes_the_bands_but_not_the_mask(horizon):
    dataset = horizon["test_only"]
    hazy, share = predictor.hazed(dataset, frame_share=1.0, seed=0)
    before, after = dataset.encoded("image"), hazy.encoded("image")
    np.testing.assert_array_equal(before[:, :, -1], after[:, :, -1])
    assert share.shape == before.shape[:2] and share.max() > 0 and not np.array_equal(before, after)
    assert len(hazy) == len(dataset) and hazy.table is dataset.table
    values = predictor.window_frame_values(
        {"test": horizon["test"], "test_only": dataset},
        {"test": np.zeros(horizon["test"].encoded("cloud").shape), "test_only": share},
    )
    assert values.shape == (len(horizon["test"]) + len(dataset), 4) and values[len(horizon["test"]) :].max() > 0


def _synthetic_case(seed=0, n_sites=300, windows=6, n_seeds=5):
    import pandas as pd

    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_sites), windows)
    label = (rng.random(len(group)) < 0.2).astype(int)
    lead = np.where(label == 1, rng.integers(1, 3, len(group)), 0)
    cause = np.where(label == 1, rng.integers(0, 6, len(group)), 6)
    table = pd.DataFrame({"group": group, "label": label, "lead": lead, "cause": cause})
    strong = 1 / (1 + np.exp(-(2.0 * label - 1 + rng.normal(0, 1, (n_seeds, len(group))))))
    weak = 1 / (1 + np.exp(-(0.5 * label - 1 + rng.normal(0, 1, (n_seeds, len(group))))))
    return table, strong, weak, rng


def test_evaluate_measures_what_it_names_from_shared_resamples():
    table, strong, weak, rng = _synthetic_case()
    n = len(table)
    oracle = table["label"].to_numpy() + rng.normal(0, 0.3, n)
    cause_probs = np.zeros((5, n, 7))
    cause_probs[:, np.arange(n), table["cause"].to_numpy()] = 1.0  # names every trigger right
    scores = predictor.HeldOutScores(
        ensembles={"attention ensemble": strong, "gradient boosting, matched": weak},
        singles={"attention": strong, "mean pooling": weak, predictor.NULL_ARM: strong[::-1].copy()},
        fixed={"fs oracle": oracle, predictor.ATTAINABLE: 2 * oracle, "climatology": np.full(n, 0.2)},
        climatology=np.full(n, 0.2),
        cause_probs=cause_probs,
        hazed_ensembles={"attention": strong, "mean pooling": weak},
    )
    results = predictor.evaluate(table, scores, np.array([0, 0, 1, 2]), n_boot=200, seed=0)
    labels = table["label"].to_numpy()
    ensemble = evaluation.auroc(labels, strong.mean(axis=0))
    assert results["auroc_attention_ensemble"][0] == pytest.approx(ensemble)
    assert results["auroc_diff_gbm"][0] == pytest.approx(ensemble - evaluation.auroc(labels, weak.mean(axis=0)))
    assert results["auroc_diff_gbm"][1] > 0  # a clear difference stays clear
    low, high = results["auroc_diff_null"][1:]
    assert low < 0 < high and results["auroc_diff_null"][0] == pytest.approx(0.0, abs=1e-12)  # the same seeds
    assert results["auroc_diff_meanpool"][2] < 0
    assert results["cause_macro_f1"][0] == 1.0 and results["cause_majority_macro_f1"][0] < 0.2
    assert results["cloud_drop_diff"][0] == 0.0  # no haze: no drop
    assert results["bss_ensemble"][0] > 0 and set(results) >= {"attainable_share_lead1", "attainable_share_lead2"}
    skill = results["auroc_lead1_attention_ensemble"][0] - 0.5
    ceiling = results["auroc_lead1_state-season_oracle"][0] - 0.5
    assert results["attainable_share_lead1"][0] == pytest.approx(skill / ceiling)
    assert results["attainable_share_fs_lead1"][0] == pytest.approx(skill / (results["auroc_lead1_fs_oracle"][0] - 0.5))
    assert results["auroc_attention_ensemble"][1] < ensemble < results["auroc_attention_ensemble"][2]


def test_the_seed_and_site_interval_widens_with_seed_to_seed_spread():
    table, strong, _, rng = _synthetic_case(seed=1)
    labels = table["label"].to_numpy()
    shifts = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])[:, None]
    spread = 1 / (1 + np.exp(-(np.log(strong / (1 - strong)) + shifts * rng.normal(0, 1, (5, len(labels))))))
    resamples = evaluation.seed_site_resamples(5, len(labels), groups=table["group"].to_numpy(), n_boot=200)

    def width(scores):
        out = evaluation.seed_site_intervals(
            lambda s, c: {"auroc": np.mean([evaluation.auroc(labels[c], scores[k][c]) for k in s])},
            5,
            len(labels),
            resamples,
        )
        return out["auroc"][2] - out["auroc"][1]

    assert width(spread) > 1.2 * width(np.repeat(strong[:1], 5, axis=0))


def test_debiased_calibration_subtracts_the_chance_level_from_value_and_bounds():
    rng = np.random.default_rng(3)
    probabilities = rng.uniform(0.01, 0.3, 2000)
    groups = np.repeat(np.arange(500), 4)
    out = predictor.debiased_calibration({"ece_plugin": (0.05, 0.04, 0.06)}, probabilities, groups, seed=0)
    noise = evaluation.ece_noise(probabilities, n_draws=1000, seed=0, groups=groups).mean()
    assert out["ece_ensemble"] == pytest.approx(0.05 - noise) and noise > 0
    assert out["ece_ensemble_ci"] == pytest.approx([0.04 - noise, 0.06 - noise])
    assert out["ece_floor_p90"] > noise
    assert predictor.report_name("auroc_lead2_gradient_boosting_matched") == "auroc_lead2_gbm_matched"
