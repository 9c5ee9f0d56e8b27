"""Chapter 4's pieces: forecasting windows, synthetic clouds, the ensemble and the paired evaluation."""

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


def test_hand_features_and_ndvi_scores_cover_every_window(stack, windows):
    features = predictor.window_hand_features(stack, windows)
    assert features.shape == (len(windows), 8) and np.isfinite(features).all()
    assert (features[:, 4] > 0).all()  # mean slope in degrees
    scores = predictor.window_ndvi_scores(stack, windows)
    assert scores.shape == (len(windows),) and ((scores >= 0) & (scores <= 1)).all()


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


def test_score_table_is_paired_and_leaves_non_probabilities_uncalibrated():
    rng = np.random.default_rng(2)
    labels = np.tile([0, 0, 1], 100)
    sites = np.repeat(np.arange(100), 3)
    good = np.clip(0.2 + 0.6 * labels + rng.normal(0, 0.15, len(labels)), 0.01, 0.99)
    weak = rng.random(len(labels))
    table = predictor.score_table(
        labels,
        {"good": good, "weak": weak},
        {"good": 0.5, "weak": 0.5},
        evaluation.bootstrap_resamples(len(labels), sites, 200, 0),
        reference="weak",
        probabilistic={"good"},
    )
    assert table.loc["good", "AUROC"] > 0.9 and table.loc["good", "Δ low"] > 0.3
    assert table.loc["weak", "ΔAUROC vs weak"] == 0.0
    assert np.isnan(table.loc["weak", "ECE"]) and table.loc["good", "ECE"] < 0.2
    assert table.loc["good", "F1 low"] <= table.loc["good", "F1"] <= table.loc["good", "F1 high"]


def test_cause_report_counts_only_the_slides():
    labels = np.array([1, 1, 1, 1, 0, 0])
    truth = np.array([3, 3, 2, 1, 6, 6])
    probs = np.zeros((6, 7))
    probs[np.arange(6), [3, 3, 2, 0, 6, 6]] = 1.0  # three of four slides right
    report = predictor.cause_report(
        probs, truth, labels, np.array([3, 3, 2]), evaluation.bootstrap_resamples(6, n_boot=50)
    )
    assert report["accuracy"] == 0.75 and report["majority_accuracy"] == 0.5 and report["n"] == 4
    assert report["matrix"].sum() == 4 and report["recall"][3] == 1.0 and report["recall"][1] == 0.0


def test_the_clear_prior_favours_clear_frames():
    model = SpatioTemporalPredictor(PredictorConfig(size=16, use_sar=False, use_meta=False)).eval()
    image = torch.zeros(1, 2, 7, 16, 16)
    image[0, 1, -1] = 1.0  # the second frame is fully masked
    with torch.no_grad():
        out = model({"image": image, "time": torch.tensor([[-16.0, 0.0]]), "valid": torch.ones(1, 2, dtype=torch.bool)})
    assert float(out["attention"][0, 0]) > 0.9


def test_interval_and_confidence_tables_read_the_numbers_they_are_given():
    import pandas as pd

    table = pd.DataFrame(
        {
            "AUROC": [0.7, 0.5],
            "AUROC low": [0.6, 0.4],
            "AUROC high": [0.8, 0.6],
            "ECE": [0.05, np.nan],
            "ECE low": [0.03, np.nan],
            "ECE high": [0.08, np.nan],
        },
        index=["model", "baseline"],
    )
    text = predictor.interval_table(table)
    assert text.loc["model", "AUROC"] == "0.700 [0.600, 0.800]" and text.loc["baseline", "ECE"] == ""
    spread = np.array([0.01, 0.02, 0.3, 0.4])
    labels = np.array([0, 1, 0, 1])
    probabilities = np.array([0.0, 1.0, 1.0, 0.0])  # right where confident, wrong where not
    groups = predictor.confidence_table(spread, labels, probabilities, n_groups=2)
    assert groups["windows"].tolist() == [2, 2] and groups["Brier"].tolist() == [0.0, 1.0]
    assert groups["accuracy at 0.5"].tolist() == [1.0, 0.0] and groups.index[0].endswith("(most confident)")


def test_the_forest_leaf_size_is_chosen_on_validation_and_ablations_are_paired():
    rng = np.random.default_rng(0)
    site_signal = rng.normal(size=60)
    sites = np.repeat(np.arange(60), 4)
    x = np.column_stack([site_signal[sites], rng.normal(size=len(sites))])  # a site-constant feature
    y = (site_signal[sites] + rng.normal(0, 1.0, 60)[sites] > 0).astype(int)
    train, val = sites < 40, sites >= 40
    forest, leaf, scores = predictor.tuned_forest(x[train], y[train], x[val], y[val], seed=0, leaves=(1, 50))
    assert set(scores) == {1, 50} and leaf == max(scores, key=scores.get)
    assert forest.get_params()["min_samples_leaf"] == leaf
    labels = np.tile([0, 1], 50)
    full = labels + rng.normal(0, 0.5, 100)
    table = predictor.ablation_table(
        labels,
        {"full": full, "worse": full - 0.8 * labels},
        evaluation.bootstrap_resamples(100, n_boot=200),
        reference="full",
    )
    assert table.loc["worse", "Δ high"] < 0 and table.loc["full", "Δ vs full"] == 0


def test_the_training_cloud_stream_restarts_with_its_seed(windows):
    sample = windows[0]
    clouds = SyntheticClouds(frame_fraction=0.8, seed=0, per_sample=False)
    first = clouds(sample)["image"]
    clouds.reset(0)
    torch.testing.assert_close(clouds(sample)["image"], first)
    assert not torch.equal(clouds(sample)["image"], first)  # the stream moves on


def test_the_verdict_words_follow_the_numbers_they_come_from():
    import pandas as pd

    ablations = pd.DataFrame(
        {"Δ high": [0.0, -0.01, 0.02, -0.02]}, index=["attention member 1", "mean pooling", "no metadata", "no SAR"]
    )
    assert (
        predictor.ablation_verdict(ablations["Δ high"].to_dict())
        == "removing mean pooling or no SAR lowers the AUROC beyond the interval"
    )
    assert (
        predictor.ablation_verdict({"mean pooling": 0.0})
        == "no single removal lowers the AUROC beyond its paired interval"
    )
    assert predictor.skill_verdict(0.01) == "beats" and predictor.skill_verdict(0.0) == "does not clearly beat"
    assert predictor.ece_bar(0.02) == predictor.ECE_BAR and predictor.ece_bar(0.08) == 0.08
    assert predictor.ece_verdict(0.05, 0.02) == "within" and predictor.ece_verdict(0.06, 0.02) == "above"
    assert predictor.ece_verdict(0.07, 0.08) == "within" and predictor.ece_verdict(float("nan"), 0.02) == "above"
    metrics = {
        "auroc_diff_rf_ci_low": 0.1,
        "ece_attention": 0.2,
        "ece_floor_p90": 0.25,
        "cloud_drop_diff_vs_meanpool_ci": [-0.2, -0.1],
    }
    assert predictor.verdicts(metrics) == {
        "skill_verdict": "beats",
        "ece_verdict": "within",
        "cloud_verdict": "smaller than",
    }
    metrics.update(auroc_diff_rf_ci_low=-0.1, ece_attention=0.3, cloud_drop_diff_vs_meanpool_ci=[-0.1, 0.1])
    assert predictor.verdicts(metrics) == {
        "skill_verdict": "does not clearly beat",
        "ece_verdict": "above",
        "cloud_verdict": "not distinguishable from",
    }


def test_window_bounds_are_the_slots_a_window_sample_reads(stack):
    dataset = LandslideDataset(stack, split=None, leads=(1, 2), max_frames=5, max_sar_frames=4)
    bounds = dataset.window_bounds()
    table = dataset.window_table()
    assert bounds["site"].tolist() == table["site"].tolist() and bounds["lead"].tolist() == table["lead"].tolist()
    for index in (0, len(dataset) // 2, len(dataset) - 1):
        row, sample = bounds.iloc[index], dataset[index]
        dates = stack["date"].values[row["site"], row["start"] : row["end"] + 1]
        assert int(sample["valid"].sum()) == int((~np.isnat(dates)).sum())
    assert 0.0 <= predictor.timing_shortcut(stack, {"all": dataset}, seed=0) <= 1.0
