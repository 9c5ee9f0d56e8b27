"""Chapter 6's pieces: region splits, test-only sites, input variants, domain-shift measures, the mitigations,
the seed-and-site gap and the catalog cause model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from lslib import evaluation
from lslib.chapters import cross_continent
from lslib.data.batches import DomainSiteBatches, SiteBatches
from lslib.data.dataset import LandslideDataset
from lslib.data.input_variants import LOCATION_COLUMNS, SEASON_COLUMNS, site_referenced, wet_season_peak_doy
from lslib.data.sim import simulate, with_training_statistics
from lslib.data.splits import region_splits
from lslib.models import catalog_cause, dann
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training import adapt
from lslib.training.forecast import intra_op_threads, train_seeds
from lslib.training.loop import TrainConfig
from tests.conftest import horizon_datasets


@pytest.fixture(scope="module")
def stack():
    # 16 revisits (eight months): enough slides in every region to fill each transfer pool
    return simulate(n_sites=48, n_times=16, size=16, seed=7)


@pytest.fixture(scope="module")
def splits(stack):
    return region_splits(stack["region"].values, stack["landslide"].values, seed=0)


# ------------------------------------------------------------------------------------------ splits
def test_region_splits_never_share_a_site_and_match_in_size():
    regions = np.repeat(["america", "china", "india"], 40)
    labels = np.tile([0, 0, 1], 40)
    for name, split in region_splits(regions, labels, seed=3).items():
        sets = split.sets()
        every = np.concatenate([sets["test"], sets["inregion_train"], sets["inregion_val"]])
        assert len(np.unique(every)) == len(every)  # test and in-region training are disjoint
        transfer_sites = np.concatenate([sets["transfer_train"], sets["transfer_val"]])
        assert len(np.unique(transfer_sites)) == len(transfer_sites)
        assert set(regions[sets["test"]]) == set(regions[sets["inregion_train"]]) == {name}
        assert name not in set(regions[transfer_sites])  # the held-out region never trains the transfer model
        assert set(regions[transfer_sites]) == {"america", "china", "india"} - {name}
        assert len(sets["transfer_train"]) == len(sets["inregion_train"])  # same training size
        assert len(sets["transfer_val"]) == len(sets["inregion_val"])
        for part in ("train", "val"):
            assert labels[sets[f"transfer_{part}"]].sum() == labels[sets[f"inregion_{part}"]].sum()  # same label mix
        assert len(sets["test"]) == 20


def test_region_splits_refuse_one_region_and_bad_shares():
    with pytest.raises(ValueError, match="at least two regions"):
        region_splits(np.array(["india"] * 6), np.zeros(6, int))
    with pytest.raises(ValueError, match="test_share"):
        region_splits(np.array(["a", "b"] * 6), np.zeros(12, int), test_share=1.0)
    with pytest.raises(ValueError, match="val_share"):
        region_splits(np.array(["a", "b"] * 6), np.zeros(12, int), val_share=0.0)


# ------------------------------------------------------------------------------------------ shift
def test_mmd_is_zero_for_identical_samples_and_matches_the_gaussian_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    assert abs(evaluation.mmd2(x, x.copy(), bandwidth=1.0)) < 0.01
    d, s, b, mu = 2, 1.0, 1.5, np.array([1.0, 0.5])
    a = rng.normal(0.0, s, size=(1500, d))
    c = rng.normal(0.0, s, size=(1500, d)) + mu
    analytic = 2 * (b**2 / (b**2 + 2 * s**2)) ** (d / 2) * (1 - np.exp(-mu @ mu / (2 * (b**2 + 2 * s**2))))
    assert evaluation.mmd2(a, c, bandwidth=b) == pytest.approx(analytic, abs=0.02)
    assert evaluation.mmd2(a, a + 2 * mu, bandwidth=b) > evaluation.mmd2(a, c, bandwidth=b)  # grows with the shift


def test_mmd_is_unbiased_where_the_plug_in_estimate_is_not():
    rng = np.random.default_rng(3)
    draws = [evaluation.mmd2(rng.normal(size=(15, 2)), rng.normal(size=(15, 2)), bandwidth=1.0) for _ in range(300)]
    assert abs(np.mean(draws)) < 0.01  # the plug-in (biased) estimate averages about 2 (1 - E k) / n = 0.07 here


def test_mmd_permutation_test_separates_shifted_from_same():
    rng = np.random.default_rng(1)
    same = evaluation.mmd_test(rng.normal(size=(80, 2)), rng.normal(size=(80, 2)), n_perm=100, seed=0)
    moved = evaluation.mmd_test(rng.normal(size=(80, 2)), rng.normal(1.0, 1.0, size=(80, 2)), n_perm=100, seed=0)
    assert same["p_value"] > 0.05 and moved["p_value"] < 0.02
    with pytest.raises(ValueError, match="same d"):
        evaluation.mmd2(np.zeros((4, 2)), np.zeros((4, 3)))


def test_shift_table_orders_by_ks_and_signs_the_difference():
    rng = np.random.default_rng(2)
    table = evaluation.shift_table(
        {"same": rng.normal(size=500), "moved": rng.normal(size=500)},
        {"same": rng.normal(size=500), "moved": rng.normal(2.0, 1.0, size=500)},
        {"moved": "mm"},
    )
    assert list(table.index) == ["moved", "same"]
    assert table.loc["moved", "SMD"] == pytest.approx(2.0, abs=0.2) and table.loc["moved", "unit"] == "mm"
    assert table.loc["same", "KS"] < 0.1 < 0.6 < table.loc["moved", "KS"]


def test_feature_sample_takes_one_row_per_group():
    features = np.arange(10.0)[:, None]
    picked = evaluation.feature_sample(features, np.array([0] * 8 + [1, 2]), seed=0)
    assert picked.shape == (3, 1) and {8.0, 9.0} <= set(picked[:, 0])


# ------------------------------------------------------------------------------------------ mitigations
def _windows(stack, sites):
    return LandslideDataset(stack, sites=sites, leads=(1, 2), max_frames=4, max_sar_frames=4)


def test_batchnorm_adaptation_changes_only_running_statistics(stack, splits):
    torch.manual_seed(0)
    model = SpatioTemporalPredictor(PredictorConfig(size=16, width=8, norm="batch")).eval()
    adapted = adapt.adapt_batchnorm(model, _windows(stack, splits["india"].inregion_train))
    before, after = model.state_dict(), adapted.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and all(name.endswith(("running_mean", "running_var", "num_batches_tracked")) for name in changed)
    assert any(name.endswith("running_mean") for name in changed)
    assert not adapted.training and not model.training
    with pytest.raises(ValueError, match="no BatchNorm"):
        adapt.adapt_batchnorm(SpatioTemporalPredictor(PredictorConfig(size=16, width=8)), _windows(stack, [0]))


def test_metadata_dropout_acts_in_training_only(stack):
    batch = next(iter(DataLoader(_windows(stack, np.arange(12)), batch_size=12)))
    torch.manual_seed(0)
    model = SpatioTemporalPredictor(PredictorConfig(size=16, width=8, dropout=0.0, meta_dropout=0.5))
    model.eval()
    assert torch.equal(model(batch)["logit"], model(batch)["logit"])
    model.train()
    torch.manual_seed(1)
    dropped = model(batch)["hidden"]
    model.config.meta_dropout = 0.0
    kept = model(batch)["hidden"]
    differs = ~torch.isclose(dropped, kept).all(dim=1)
    assert 0 < int(differs.sum()) < len(differs)  # some windows lost their metadata, some kept it
    with pytest.raises(ValueError, match="meta_dropout"):
        PredictorConfig(meta_dropout=1.0)


def test_gradient_reversal_flips_the_gradient():
    x = torch.ones(3, requires_grad=True)
    (dann.GradientReversal(0.5)(x) * 2).sum().backward()
    assert torch.allclose(x.grad, torch.full((3,), -1.0))


def test_dann_on_site_batches_lowers_the_loss_and_ramps_its_weight(stack, test_stack, whole_splits):
    datasets = cross_continent.protocol_datasets(
        stack, test_stack, whole_splits["india"], "transfer", _test_sites(test_stack, "india"), 4, 4, 32.0
    )
    pairs = DomainSiteBatches(SiteBatches(datasets["train"], 64), SiteBatches(datasets["pool"], 64))
    batch = next(iter(pairs))
    torch.manual_seed(0)
    model = dann.DomainAdversarialPredictor(
        SpatioTemporalPredictor(PredictorConfig(size=16, width=8, norm="batch")), weight=0.5, ramp_steps=10
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        out = model.training_step(batch)
        optimiser.zero_grad()
        out["loss"].backward()
        optimiser.step()
        losses.append(out["landslide"].item())
        assert all(torch.isfinite(v) for v in out.values())
    assert losses[-1] < losses[0]
    assert int(model.steps) == 15 and model.reverse.weight == pytest.approx(model.ramp(14))
    assert model.ramp(0) == 0.0 and model.ramp(10) == pytest.approx(0.5 * (2 / (1 + np.exp(-10)) - 1))
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(int(m.num_batches_tracked) == 15 for m in norms)  # source and target share one pass per step
    validation = model.training_step({k: v for k, v in batch.items() if not k.startswith("target_")})
    assert "domain" not in validation


# ------------------------------------------------------------------------------------------ catalog
def _records(n_rain=400, n_mine=20, seed=0):
    rng = np.random.default_rng(seed)
    n = n_rain + n_mine
    return pd.DataFrame(
        {
            "cause": ["heavy_rainfall"] * n_rain + ["mining"] * n_mine,
            "month": np.r_[rng.integers(6, 10, n_rain), rng.integers(1, 13, n_mine)],
            "lat": rng.uniform(10, 30, n),
            "lon": rng.uniform(70, 100, n),
            "category": rng.choice(["landslide", "mudslide", "rock_fall"], n),
            "size": rng.choice(["small", "medium"], n),
            "setting": ["unknown"] * (n_rain - 5) + ["mine"] * 5 + ["mine"] * 15 + ["unknown"] * (n_mine - 15),
            "region": rng.choice(["america", "china", "india"], n),
        }
    )


def test_leakage_guard_rejects_features_that_encode_the_cause():
    records = _records()
    with pytest.raises(catalog_cause.LeakageError, match="'setting' encodes the target"):
        catalog_cause.leakage_guard(records, ["category", "setting"])
    renamed = records.assign(site_kind=records["setting"])  # the same column under an innocent name
    with pytest.raises(catalog_cause.LeakageError, match="site_kind='mine'.*mining"):
        catalog_cause.leakage_guard(renamed, ["site_kind"])
    with pytest.raises(catalog_cause.LeakageError):
        catalog_cause.leakage_guard(records, ["cause"])
    catalog_cause.leakage_guard(records, ["category", "size"])  # innocent features pass
    with pytest.raises(catalog_cause.LeakageError, match="free text"):
        catalog_cause.leakage_guard(records.assign(note=[f"report {i}" for i in range(len(records))]), ["note"])
    with pytest.raises(catalog_cause.LeakageError):
        catalog_cause.design_matrix(records, ("month", "setting"))


def test_balanced_accuracy_and_majority_answer():
    true = np.array(["rain"] * 90 + ["mine"] * 10)
    assert evaluation.balanced_accuracy(true, np.array(["rain"] * 100)) == 0.5
    assert evaluation.balanced_accuracy(true, true) == 1.0
    scores = evaluation.score_predictions(pd.DataFrame({"true": true, "predicted": ["rain"] * 100}), n_boot=50)
    assert scores["accuracy"] == 0.9 and scores["recall"] == {"mine": 0.0, "rain": 1.0}
    assert scores["low"] == scores["high"] == 0.5


def test_cause_model_learns_a_month_signal_in_and_across_regions():
    records = _records(n_rain=300, n_mine=40)
    inregion = catalog_cause.inregion_predictions(records.assign(region="india"), "india", n_folds=4)
    assert evaluation.balanced_accuracy(inregion["true"], inregion["predicted"]) > 0.6
    moved = catalog_cause.transfer_predictions(records, ["america", "china"], "india")
    assert len(moved) == int((records["region"] == "india").sum())
    with pytest.raises(ValueError, match="also a training region"):
        catalog_cause.transfer_predictions(records, ["india", "china"], "india")


def test_catalog_cause_model_on_the_real_glc(mirror, monkeypatch):
    from lslib.data.catalog import load_glc

    monkeypatch.setenv("LSLIB_DATA_MIRROR", str(mirror))
    records = catalog_cause.cause_records(load_glc())
    assert set(records["region"]) == {"america", "china", "india"} and "other_unknown" not in set(records["cause"])
    with pytest.raises(catalog_cause.LeakageError, match="kind='mine'"):
        catalog_cause.leakage_guard(records.assign(kind=records["setting"]), ["kind"])
    scores = evaluation.score_predictions(
        catalog_cause.transfer_predictions(records, ["america", "china"], "india"), n_boot=100
    )
    assert set(scores["count"]) == {"heavy_rainfall", "construction", "mining"}
    assert scores["low"] <= scores["balanced_accuracy"] <= scores["high"]


def test_resample_draws_skip_undefined_resamples_and_refuse_all_undefined():

    labels = np.array([0, 0, 1, 1])
    picks = [np.array([0, 1]), np.array([0, 2]), np.array([1, 3])]
    draws = evaluation.resample_draws(lambda p: evaluation.auroc(labels[p], labels[p].astype(float)), picks)
    assert draws == [1.0, 1.0]  # the all-negative resample is skipped
    with pytest.raises(ValueError, match="undefined on every one of the 1"):
        evaluation.resample_draws(lambda p: evaluation.auroc(labels[p], labels[p]), picks[:1])


# ------------------------------------------------------------------------------------------ chapter 6 v2
@pytest.fixture(scope="module")
def test_stack():
    return simulate(n_sites=30, n_times=12, size=16, seed=7 + cross_continent.TEST_SEED_OFFSET)


@pytest.fixture(scope="module")
def whole_splits(stack):
    return region_splits(stack["region"].values, stack["landslide"].values, test_share=0.0, seed=0)


def _test_sites(test_stack, region):
    return np.nonzero(test_stack["region"].values == region)[0]


def test_region_splits_without_a_test_share_cut_the_pool_to_what_the_others_match():
    regions = np.repeat(["america", "china", "india"], 20)
    labels = np.r_[np.ones(15, int), np.zeros(5, int), np.tile([0, 0, 0, 1], 10)]  # America slides far more
    for split in region_splits(regions, labels, test_share=0.0, seed=1).values():
        assert len(split.test) == 0
        for part in ("train", "val"):
            own, other = split.sets()[f"inregion_{part}"], split.sets()[f"transfer_{part}"]
            assert len(own) == len(other) and labels[own].sum() == labels[other].sum()
    america = region_splits(regions, labels, test_share=0.0, seed=1)["america"]
    assert labels[np.r_[america.inregion_train, america.inregion_val]].sum() == 10  # the others have 10 slides


def test_no_site_crosses_splits_and_test_sites_come_from_the_test_stack(stack, test_stack, whole_splits):
    split = whole_splits["india"]
    for protocol in cross_continent.PROTOCOLS:
        datasets = cross_continent.protocol_datasets(
            stack, test_stack, split, protocol, _test_sites(test_stack, "india"), 4, 4, 32.0
        )
        train, val = set(datasets["train"].sites), set(datasets["val"].sites)
        assert not train & val and not train & set(datasets["pool"].sites) - set(split.inregion_train) - set(
            split.inregion_val
        )
        assert datasets["test"].stack is not datasets["train"].stack  # another stack: never a training site
        located = {(round(float(a), 6), round(float(b), 6)) for a, b in zip(stack["lat"].values, stack["lon"].values)}
        tested = zip(test_stack["lat"].values[datasets["test"].sites], test_stack["lon"].values[datasets["test"].sites])
        assert not {(round(float(a), 6), round(float(b), 6)) for a, b in tested} & located  # no chapter-1 site
        assert set(test_stack["region"].values[datasets["test"].sites]) == {"india"}
        trained_on = np.concatenate([datasets["train"].sites, datasets["val"].sites])
        expected = with_training_statistics(stack, trained_on).attrs["norm_reflectance_mean"]
        assert datasets["test"].stack.attrs["norm_reflectance_mean"] == expected  # the training sites' statistics
    transfer = cross_continent.protocol_datasets(stack, test_stack, split, "transfer", _test_sites(test_stack, "india"),
                                                 4, 4, 32.0)  # fmt: skip
    assert "india" not in set(stack["region"].values[transfer["train"].sites])
    with pytest.raises(ValueError, match="protocol must be one of"):
        cross_continent.protocol_datasets(stack, test_stack, split, "everywhere", np.arange(3), 4, 4, 32.0)


def test_no_location_and_relative_season_change_only_what_they_should(stack, test_stack, whole_splits):
    datasets = cross_continent.protocol_datasets(
        stack, test_stack, whole_splits["china"], "transfer", _test_sites(test_stack, "china"), 4, 4, 32.0
    )
    plain = datasets["train"].encoded("meta")
    located = cross_continent.variant_views(datasets, cross_continent.ABLATIONS["no location"])["train"]
    seasonal = cross_continent.variant_views(datasets, cross_continent.ABLATIONS["relative season"])["train"]
    unlocated, relative = located.encoded("meta"), seasonal.encoded("meta")
    other = [k for k in range(9) if k not in LOCATION_COLUMNS]
    np.testing.assert_array_equal(unlocated[..., other], plain[..., other])
    assert np.all(unlocated[..., list(LOCATION_COLUMNS)] == 0) and np.any(plain[..., list(LOCATION_COLUMNS)] != 0)
    rest = [k for k in range(9) if k not in SEASON_COLUMNS]
    np.testing.assert_array_equal(relative[..., rest], plain[..., rest])
    finite = np.isfinite(plain[..., 4])
    angle = np.arctan2(plain[..., 4], plain[..., 5]) - np.arctan2(relative[..., 4], relative[..., 5])
    regions = stack["region"].values[datasets["train"].sites].astype(str)
    peaks = np.array([wet_season_peak_doy(r) for r in regions])[:, None] * np.ones(plain.shape[1])
    expected = 2 * np.pi * peaks / 365.25
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected)))[finite], 0.0, atol=1e-5)
    assert set(regions) == {"america", "india"}  # the transfer pool of China: both other regions' own peaks
    np.testing.assert_array_equal(located.encoded("image"), datasets["train"].encoded("image"))  # the images alone


def test_per_site_normalisation_reads_only_the_first_frames():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(2, 6, 3, 4, 4)).astype(np.float32)
    image[:, :, -1] = 0.0
    image[0, 1, -1, :2] = 1.0  # a cloudy half frame inside the reference
    image[:, :, :-1][image[:, :, -1:].repeat(2, axis=2) > 0.5] = 0.0
    out = site_referenced(image, 3)
    changed = image.copy()
    changed[:, 4:, :-1] += 5.0  # the future of every window that ends on or after frame 3
    np.testing.assert_allclose(site_referenced(changed, 3)[:, :3], out[:, :3])  # the reference ignores it
    reference = out[:, :3, :-1][np.broadcast_to(out[:, :3, -1:] < 0.5, out[:, :3, :-1].shape)]
    assert abs(reference.mean()) < 1e-5
    assert np.all(out[0, 1, :-1, :2] == 0) and np.array_equal(out[:, :, -1], image[:, :, -1])


def test_site_domain_batches_hide_target_labels_and_offset_positions(stack, test_stack, whole_splits):
    datasets = cross_continent.protocol_datasets(
        stack, test_stack, whole_splits["india"], "transfer", _test_sites(test_stack, "india"), 4, 4, 32.0
    )
    pairs = DomainSiteBatches(SiteBatches(datasets["train"], 3), SiteBatches(datasets["pool"], 2, shuffle=True))
    batches = list(pairs)
    assert len(batches) == len(pairs.source)
    for batch in batches:
        assert not {"target_label", "target_cause", "target_lead", "target_window"} & set(batch)
        sources = batch["image"].shape[0]
        assert int(batch["target_position"].min()) >= sources
        joined = {key: torch.cat([batch[key], batch[f"target_{key}"]]) for key in ("image", "position", "frame")}
        assert int(joined["position"].max()) < joined["image"].shape[0]  # one valid site batch


def test_dann_and_batchnorm_adaptation_train_and_predict_on_site_batches(stack, test_stack, whole_splits):
    datasets = cross_continent.protocol_datasets(
        stack, test_stack, whole_splits["india"], "transfer", _test_sites(test_stack, "india"), 4, 4, 32.0
    )
    config = PredictorConfig(size=16, width=8, norm="batch")
    recipe = cross_continent.Recipe(config, TrainConfig(epochs=1, lr=0.01, seed=0), (0, 1), 4, 0.0)
    plain = cross_continent.run_arm(datasets, cross_continent.BASELINE, recipe, features=True)
    assert plain["test"].shape == (2, len(datasets["test"])) and np.all((plain["test"] > 0) & (plain["test"] < 1))
    assert plain["test_features"].shape == (len(datasets["test"]), 8)
    adapted = cross_continent.run_arm(
        datasets, cross_continent.MITIGATIONS["BatchNorm adaptation"], recipe, trained=plain["trained"]
    )
    assert not np.allclose(adapted["test"], plain["test"])  # the same weights, other statistics
    adversarial = cross_continent.run_arm(datasets, cross_continent.MITIGATIONS["DANN"], replace(recipe, seeds=(0,)))
    assert isinstance(adversarial["trained"][0].model, SpatioTemporalPredictor)
    assert np.isfinite(adversarial["test"]).all()


def test_gap_intervals_pair_the_arms_and_resample_seeds_and_sites():
    rng = np.random.default_rng(0)
    sites = np.repeat(np.arange(200), 4)
    labels = (rng.random(len(sites)) < 0.3).astype(int)
    strong = 1 / (1 + np.exp(-(2.0 * labels - 1 + rng.normal(0, 1, (5, len(sites))))))
    weak = 1 / (1 + np.exp(-(0.3 * labels - 1 + rng.normal(0, 1, (5, len(sites))))))
    scores = cross_continent.TransferScores(labels, sites)
    for name, values in {
        "all inputs, in-region": strong,
        "all inputs, transfer": weak,
        "same, in-region": strong,
        "same, transfer": strong,
        "fix, transfer": strong,
    }.items():
        scores.add(name, values)  # fmt: skip
    intervals, p = cross_continent.gap_intervals(scores, ["all inputs", "same"], ["fix"], n_boot=200, seed=0)
    value, low, high = intervals["gap all inputs"]
    assert value == pytest.approx(evaluation.auroc(labels, strong.mean(0)) - evaluation.auroc(labels, weak.mean(0)))
    assert low > 0 and intervals["gap same"][0] == 0.0 and intervals["dgap same"][2] < 0
    assert intervals["gain fix"][1] > 0 and p["gain fix"] < 0.05 and p["dgap same"] < 0.05
    table = cross_continent.mitigation_table(intervals, p, ["fix"])
    assert table.loc["fix", "gap closed"] == pytest.approx(1.0)  # the fix reaches the in-region forecaster
    with pytest.raises(ValueError, match="probabilities must be"):
        scores.add("bad", strong[:, :10])


def test_the_feature_shift_uses_no_training_site(stack, test_stack, whole_splits):
    datasets = cross_continent.protocol_datasets(
        stack, test_stack, whole_splits["india"], "transfer", _test_sites(test_stack, "india"), 4, 4, 32.0
    )
    reference = cross_continent.test_windows_like(
        datasets["test"], test_stack, np.nonzero(test_stack["region"].values != "india")[0]
    )
    trained_sites = set(datasets["train"].sites)
    assert not trained_sites & set(datasets["val"].sites)
    assert reference.stack is not datasets["train"].stack and datasets["test"].stack is not datasets["train"].stack
    rng = np.random.default_rng(0)
    features = {name: rng.normal(size=(90, 4)) for name in ("source", "target", "reference")}
    sites = {name: np.repeat(np.arange(30), 3) for name in features}
    same = cross_continent.shift_ratio(features, sites, n_boot=50)
    features["target"] = features["target"] + 1.5
    assert cross_continent.shift_ratio(features, sites, n_boot=50)["low"] > same["ratio"]


def test_blocked_cross_validation_puts_no_date_cluster_in_two_folds(monkeypatch):
    rng = np.random.default_rng(3)
    days = np.sort(rng.choice(np.arange(0, 2000, 5), 120, replace=False))
    days[40:60] = 700  # one storm's twenty reports on one day
    records = pd.DataFrame({
        "region": "india", "date": pd.Timestamp("2008-01-01") + pd.to_timedelta(days, "D"),
        "month": 1 + (days // 30) % 12, "lat": 19.0, "lon": 73.0,
        "cause": np.where(np.arange(120) % 6 == 0, "mining", "heavy_rainfall"), "category": "landslide",
        "size": "medium",
    })  # fmt: skip
    folds = []
    original = catalog_cause.fit_cause_model

    def spy(x, y, seed=0):
        folds.append(len(y))
        return original(x, y, seed)

    monkeypatch.setattr(catalog_cause, "fit_cause_model", spy)
    predicted = catalog_cause.inregion_predictions(records, "india", n_folds=5, blocked=True)
    clusters = predicted["cluster"].to_numpy()
    assert len(np.unique(clusters[40:60])) == 1 and len(folds) == 5
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(5, shuffle=True, random_state=0).split(records, records["cause"], clusters)
    for train_index, test_index in splitter:
        assert not set(clusters[train_index]) & set(clusters[test_index])
    scored = evaluation.score_predictions(predicted, n_boot=100)
    assert scored["low"] <= scored["balanced_accuracy"] <= scored["high"]


def test_bootstrap_p_values_and_holm():
    assert evaluation.holm({"a": 0.01, "b": 0.04, "c": 0.03}) == {"a": 0.03, "b": 0.06, "c": 0.06}
    assert evaluation.holm({"a": 0.5, "b": float("nan")})["a"] == 0.5
    draws = np.random.default_rng(1).normal(0.0, 1.0, 999)
    assert evaluation.bootstrap_p_value(draws, 0.0) == 1.0
    assert 0.03 < evaluation.bootstrap_p_value(draws + 2.0, 2.0) < 0.08  # two sd: about 5 %


def test_domain_adversarial_seeds_fan_out_to_processes_with_the_same_weights():
    views = horizon_datasets(["india", "china"], n_sites=12, n_times=10, seed=4)
    config, train = PredictorConfig(size=16, width=8), TrainConfig(epochs=1, lr=3e-3, progress=False)
    build = cross_continent.DannBuilder(0.5, ramp_steps=4)
    kwargs = {"sites_per_batch": 4, "build": build, "target": views["val"]}
    with intra_op_threads(2):
        fanned = train_seeds(views, config, train, [3, 4], **kwargs, workers=2)
    with intra_op_threads(1):  # each worker's thread count
        alone = train_seeds(views, config, train, [3, 4], **kwargs)
    for single, worker in zip(alone, fanned):
        assert isinstance(worker.model, dann.DomainAdversarialPredictor)
        for name, value in single.model.state_dict().items():
            assert torch.equal(worker.model.state_dict()[name], value), name
