"""Chapter 6's pieces: region splits, domain-shift measures, the mitigations and the catalog cause model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from lslib import evaluation
from lslib.chapters import cross_continent
from lslib.data.dataset import LandslideDataset, window_standardise
from lslib.data.sim import simulate
from lslib.data.splits import region_splits
from lslib.models import catalog_cause, dann
from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training import adapt
from lslib.training.loop import TrainConfig


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


def test_protocol_datasets_use_the_split_sites_and_training_statistics(stack, splits):
    split = splits["india"]
    datasets = cross_continent.protocol_datasets(
        stack, split, "transfer", max_lead=2, max_frames=4, max_sar_frames=4, seed=0
    )
    assert set(datasets["test"].window_table()["site"]) <= set(split.test.tolist())
    assert set(datasets["train"].window_table()["site"]) <= set(split.transfer_train.tolist())
    assert not set(datasets["train"].sites) & set(split.test)
    trained_on = np.concatenate([split.transfer_train, split.transfer_val])
    expected = cross_continent.with_training_statistics(stack, trained_on).attrs["norm_reflectance_mean"]
    assert datasets["test"].stack.attrs["norm_reflectance_mean"] == expected
    assert stack.attrs["norm_reflectance_mean"] != expected  # the full stack's statistics are not used
    with pytest.raises(ValueError, match="protocol must be one of"):
        cross_continent.protocol_datasets(stack, split, "everywhere", 2, 4, 4, 0)


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
def test_per_window_normalisation_standardises_clear_pixels_and_keeps_masks(stack):
    window = LandslideDataset(stack, split=None, leads=(1,), max_frames=4, max_sar_frames=4)
    sample = window[0]
    image, sar = window_standardise(
        sample["image"].numpy(), sample["valid"].numpy(), sample["sar"].numpy(), sample["sar_valid"].numpy()
    )
    clear = (image[:, -1] < 0.5) & sample["valid"].numpy()[:, None, None]
    for band in range(6):
        assert image[:, band][clear].mean() == pytest.approx(0.0, abs=1e-4)
        assert image[:, band][clear].std() == pytest.approx(1.0, abs=1e-3)
    assert np.all(image[:, band][~clear] == 0) and np.array_equal(image[:, -1], sample["image"][:, -1].numpy())
    assert np.all(sar[~sample["sar_valid"].numpy()] == 0)
    normalised = LandslideDataset(stack, split=None, leads=(1,), max_frames=4, max_sar_frames=4, normalisation="window")
    assert torch.allclose(normalised[0]["image"], torch.from_numpy(image))
    with pytest.raises(ValueError, match="normalisation must be one of"):
        LandslideDataset(stack, split=None, leads=(1,), normalisation="site")


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


def test_dann_pairs_hide_target_labels_and_training_lowers_the_loss(stack, splits):
    split = splits["india"]
    source, target = _windows(stack, split.transfer_train), _windows(stack, split.inregion_train)
    pairs = adapt.DomainPairs(source, target, seed=0)
    sample = pairs[0]
    assert "target_image" in sample and "target_label" not in sample and "target_cause" not in sample
    assert not np.array_equal(pairs.order(0), pairs.order(1))  # a fresh pairing each epoch
    torch.manual_seed(0)
    model = dann.DomainAdversarialPredictor(
        SpatioTemporalPredictor(PredictorConfig(size=16, width=8, norm="batch")), weight=0.5, ramp_steps=10
    )
    batch = next(iter(DataLoader(pairs, batch_size=len(pairs))))
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


def test_variants_train_and_predict_the_same_test_windows(stack, splits):
    split = splits["china"]
    datasets = cross_continent.protocol_datasets(stack, split, "transfer", 2, 4, 4, seed=0, train_clouds=0.0)
    pool = np.concatenate([split.inregion_train, split.inregion_val])
    assert set(datasets["target"].sites) == set(pool) and not set(datasets["target"].sites) & set(split.test)
    config, train = PredictorConfig(size=16, width=8, norm="batch"), TrainConfig(epochs=1, seed=0, progress=False)
    runs = cross_continent.train_variants(
        datasets,
        {"transfer": cross_continent.BASELINE, **cross_continent.MITIGATIONS, **cross_continent.CONTROLS},
        config,
        train,
        batch_size=16,
    )
    assert runs["BatchNorm adaptation"]["val"] is not runs["transfer"]["val"]  # adapted, not the plain model
    windows = runs["transfer"]["test"]
    for run in runs.values():
        assert np.array_equal(run["test"]["site"], windows["site"]) and np.isfinite(run["test"]["logit"]).all()
    again = cross_continent.train_variant(datasets, cross_continent.Variant(), config, train, batch_size=16)
    assert np.array_equal(again["test"]["logit"], windows["logit"])  # same seed, same numbers
    resamples = evaluation.bootstrap_resamples(len(windows["label"]), windows["site"], 50, 0)
    inregion = cross_continent.train_variant(
        cross_continent.protocol_datasets(stack, split, "in-region", 2, 4, 4, 0, 0.0),
        cross_continent.Variant(),
        config,
        train,
        batch_size=16,
    )
    table = cross_continent.mitigation_table(runs, inregion, resamples)
    assert table.loc["transfer", "gain"] == 0.0 and set(table.index) == set(runs) | {"in-region"}
    gap, gap_low = table.loc["in-region", "gain"], table.loc["in-region", "gain low"]
    expected = table.loc["DANN", "gain"] / gap if gap_low > 0 else np.nan  # no share of a gap that may be nothing
    assert table.loc["DANN", "gap closed"] == pytest.approx(expected, nan_ok=True)


def _fake_run(logit, labels, sites):
    prediction = {
        "logit": np.asarray(logit, float),
        "label": labels,
        "site": sites,
        "lead": np.ones_like(sites),
        "cause": np.zeros_like(sites),
        "cause_probs": np.full((len(sites), 7), 1 / 7),
    }
    return {"val": prediction, "test": prediction}


def test_evaluate_models_and_gap_table_signs():
    rng = np.random.default_rng(0)
    labels = np.tile([0.0, 1.0], 50)
    sites = np.arange(100)
    good, noisy = labels + rng.normal(0, 0.3, 100), rng.normal(size=100)
    table = cross_continent.evaluate_models(
        {"transfer": _fake_run(noisy, labels, sites), "in-region": _fake_run(good, labels, sites)},
        [rng.integers(0, 100, 100) for _ in range(100)],
        reference="transfer",
    )
    assert table.loc["in-region", "Δ"] > 0.3 and table.loc["transfer", "Δ"] == 0.0  # Δ = model - reference
    assert np.isnan(table.loc["transfer", "cause majority"])  # no training causes given
    causes = np.where(labels > 0.5, np.arange(100) % 3, 6)  # slid windows: triggers 0, 1, 2 in turn
    run = {**_fake_run(noisy, labels, sites), "train_causes": np.array([1, 1, 2])}
    run["test"] = {**run["test"], "cause": causes}
    scored = cross_continent.evaluate_models({"transfer": run}, [np.arange(100)], reference="transfer")
    assert scored.loc["transfer", "cause majority"] == pytest.approx(np.mean(causes[labels > 0.5] == 1))
    resamples = [rng.integers(0, 100, 100) for _ in range(100)]
    pairs = {
        "all inputs": {"in-region": _fake_run(good, labels, sites), "transfer": _fake_run(noisy, labels, sites)},
        "fixed": {"in-region": _fake_run(good, labels, sites), "transfer": _fake_run(good, labels, sites)},
    }
    gaps = cross_continent.gap_table(pairs, resamples)
    assert gaps.loc["all inputs", "gap"] > 0.3 and gaps.loc["fixed", "gap"] == 0.0
    assert gaps.loc["fixed", "Δgap"] < 0 and gaps.loc["fixed", "Δgap high"] < 0  # the variant closes the gap
    shifted = {
        "all inputs": pairs["all inputs"],
        "other": {p: _fake_run(good, labels, sites + 1) for p in cross_continent.PROTOCOLS},
    }
    with pytest.raises(ValueError, match="other test windows"):
        cross_continent.gap_table(shifted, resamples)


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


# ------------------------------------------------------------------------------------------ tables and verdicts
def _loro(gap, gap_low, gap_high, auroc_low=0.55):
    table = pd.DataFrame(
        {
            ("transfer", "AUROC"): [0.6],
            ("transfer", "AUROC low"): [auroc_low],
            ("gap", "AUROC"): [gap],
            ("gap", "AUROC low"): [gap_low],
            ("gap", "AUROC high"): [gap_high],
        },
        index=["india"],
    )
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


def test_answer_follows_the_numbers():
    ablations = pd.DataFrame(
        {
            "gap": [0.1, 0.09, 0.0],
            "gap low": [0.02, 0.0, -0.05],
            "gap high": [0.2, 0.18, 0.05],
            "Δgap high": [0.0, 0.05, -0.02],
        },
        index=["all inputs", "no SAR", "no metadata"],
    )
    mitigation = pd.DataFrame(
        {
            "gain": [0.0, 0.03, 0.08, -0.06, 0.2],
            "gain low": [0.0, -0.05, 0.01, -0.1, 0.1],
            "gain high": [0.0, 0.1, 0.15, -0.01, 0.3],
        },
        index=["transfer", "transfer, second seed", "DANN", "metadata dropout", "BN (control)"],
    )
    weak_model = {"balanced_accuracy": 0.3, "low": 0.2, "chance_balanced_accuracy": 1 / 3}
    catalog = {"transfer": weak_model, "inregion": {**weak_model, "low": 0.4}}
    text = cross_continent.answer(_loro(0.1, 0.02, 0.2), ablations, mitigation, catalog, "india")
    assert "keeps skill" in text["skill"] and "clearly more than nothing" in text["gap"]
    assert text["lead"].startswith("Not fully")
    assert "no metadata" in text["carry"] and "no SAR" not in text["carry"]
    assert text["mitigation"].startswith("DANN raised") and "metadata dropout lowered" in text["mitigation"]
    assert "BN (control)" not in text["mitigation"] and "0.030" in text["seed"]
    assert text["catalog"].startswith("only the local model beats chance")
    weak = ablations.iloc[:2].copy()
    weak.loc["all inputs", "gap low"] = -0.05
    noisy = mitigation.iloc[:4].copy()
    noisy.loc["transfer, second seed", "gain"] = 0.09  # a second seed moves more than DANN gains
    text = cross_continent.answer(
        _loro(0.05, -0.05, 0.15, auroc_low=0.45),
        weak,
        noisy,
        {"transfer": {**weak_model, "low": 0.4}, "inregion": {**weak_model, "low": 0.4}},
        "india",
    )
    assert "not clearly better than chance" in text["skill"] and "cannot be told from zero" in text["gap"]
    assert "not clearly above zero" in text["carry"] and text["mitigation_short"].startswith("none measurably")
    assert text["catalog"].startswith("both") and "more than any mitigation" in text["seed"]
    assert text["lead"].startswith("This run cannot settle it")


def test_transfer_table_collects_the_gap_of_each_region():
    rows = {}
    for name, value in (("in-region", 0.7), ("transfer", 0.6)):
        rows[name] = {
            "AUROC": value,
            "AUROC low": value - 0.1,
            "AUROC high": value + 0.1,
            "Δ": value - 0.6,
            "Δ low": value - 0.65,
            "Δ high": value - 0.55,
            "F1": 0.5,
            "F1 low": 0.4,
            "F1 high": 0.6,
            "cause accuracy": 0.4,
            "cause low": 0.3,
            "cause high": 0.5,
            "cause majority": 0.25,
        }
    table = cross_continent.transfer_table({"india": pd.DataFrame(rows).T})
    assert table.loc["india", ("gap", "AUROC")] == pytest.approx(0.1)
    assert table.loc["india", ("in-region", "AUROC high")] == pytest.approx(0.8)
    assert cross_continent.readable(table).loc["india", "majority cause, transfer"] == "0.250"
    assert cross_continent.readable(table).loc["india", "gap (in-region − transfer AUROC)"] == "0.100 [0.050, 0.150]"


def test_resample_draws_skip_undefined_resamples_and_refuse_all_undefined():

    labels = np.array([0, 0, 1, 1])
    picks = [np.array([0, 1]), np.array([0, 2]), np.array([1, 3])]
    draws = evaluation.resample_draws(lambda p: evaluation.auroc(labels[p], labels[p].astype(float)), picks)
    assert draws == [1.0, 1.0]  # the all-negative resample is skipped
    with pytest.raises(ValueError, match="undefined on every one of the 1"):
        evaluation.resample_draws(lambda p: evaluation.auroc(labels[p], labels[p]), picks[:1])


def test_train_variants_shares_a_model_only_when_everything_that_trains_it_matches(stack, splits):
    datasets = cross_continent.protocol_datasets(stack, splits["china"], "transfer", 2, 4, 4, seed=0, train_clouds=0.0)
    config, train = PredictorConfig(size=16, width=8, norm="batch"), TrainConfig(epochs=1, seed=0, progress=False)
    cache: dict = {}
    first = cross_continent.train_variants(
        datasets, {"a": cross_continent.BASELINE, "b": cross_continent.BASELINE}, config, train, 16, cache=cache
    )
    assert first["a"] is first["b"] and len(cache) == 1
    other = cross_continent.train_variants(
        datasets,
        {"a": cross_continent.BASELINE},
        config,
        TrainConfig(epochs=1, seed=1, progress=False),
        16,
        cache=cache,
    )
    assert other["a"] is not first["a"] and len(cache) == 2  # another seed is another model


def test_the_verdict_phrases_take_the_target_region_from_their_argument():
    loro = _loro(0.1, 0.02, 0.2)
    loro.index = ["china"]
    skilled, skill = cross_continent.skill_phrase(loro, "china")
    assert skilled and skill.startswith("keeps skill in China")
    gap, lead = cross_continent.gap_phrases(loro, "china", skilled)
    assert "clearly more than nothing" in gap and lead.endswith("loses 0.100 AUROC in China")
    _, lead = cross_continent.gap_phrases(_loro(0.0, -0.1, 0.1), "india", skilled=False)
    assert lead.startswith("This run cannot settle it")
    weak = {"balanced_accuracy": 0.3, "low": 0.2, "chance_balanced_accuracy": 1 / 3}
    text = cross_continent.catalog_phrase({"transfer": weak, "inregion": {**weak, "low": 0.5}}, "china")
    assert text.startswith("only the local model beats chance") and "cross-validated in China" in text
    ablations = pd.DataFrame({"gap": [0.1], "gap low": [0.02], "Δgap high": [0.0]}, index=["all inputs"])
    mitigation = pd.DataFrame({"gain": [0.0], "gain low": [0.0], "gain high": [0.0]}, index=["transfer"])
    words = cross_continent.answer(loro, ablations, mitigation, {"transfer": weak, "inregion": weak}, "china")
    assert "India" not in " ".join(words.values()) and "india" not in " ".join(words.values())
    assert words["carry"].startswith("no change narrows the gap")
    assert words["mitigation_short"] == "none measurably raises the AUROC at this size"
    assert cross_continent.feature_verdict(0.01) == "measurably"
    assert cross_continent.feature_verdict(0.2) == "not measurably"
    assert cross_continent.place("america") == "America"
