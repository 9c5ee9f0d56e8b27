"""The resampling engine: coverage on a known case, the structure of its resamples, and the very numbers
of the hand-written bootstraps it replaced (their loops are kept below as oracles)."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest

from lslib import evaluation
from lslib.evaluation import resampling
from lslib.evaluation.classification import auroc, balanced_accuracy, score_predictions, sigmoid
from lslib.evaluation.trends import bootstrap_slope_ci, theil_sen

# ----------------------------------------------------------------------------------------------------------
# The loops the engine replaced, verbatim but for names: each engine function must give their numbers.
# ----------------------------------------------------------------------------------------------------------


def _old_bootstrap_ci(metric, labels, scores, n_boot, seed, level):
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(labels), len(labels))
        try:
            values.append(metric(labels[pick], scores[pick]))
        except ValueError:
            continue
    low, high = np.percentile(values, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(metric(labels, scores)), float(low), float(high)


def _old_slope_ci(t, y, n_boot, seed, level=0.95):
    rng = np.random.default_rng(seed)
    slopes = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(t), len(t))
        if len(np.unique(t[pick])) >= 2:
            slopes.append(theil_sen(t[pick], y[pick])[0])
    low, high = np.percentile(slopes, [50 * (1 - level), 100 - 50 * (1 - level)])
    return float(low), float(high)


def _old_stratified_interval(true, predicted, n_boot, seed):
    rng = np.random.default_rng(seed)
    members = [np.nonzero(true == c)[0] for c in np.unique(true)]
    draws = [
        balanced_accuracy(true[pick], predicted[pick])
        for pick in (np.concatenate([rng.choice(m, len(m)) for m in members]) for _ in range(n_boot))
    ]
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def _old_paired_site_difference(a, b, n_boot, seed):
    differences = np.asarray(a, float) - np.asarray(b, float)
    rng = np.random.default_rng(seed)
    means = [differences[rng.integers(0, len(differences), len(differences))].mean() for _ in range(n_boot)]
    low, high = np.percentile(means, [2.5, 97.5])
    return {"diff": float(differences.mean()), "low": float(low), "high": float(high)}


def _scored(seed: int, n: int = 120):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    labels[:2] = True, False
    return labels, np.round(labels + rng.normal(0, 1.0, n), 1), rng.integers(0, n // 4, n)


# ----------------------------------------------------------------------------------------------------------
# Coverage on a known case
# ----------------------------------------------------------------------------------------------------------


def _clustered(rng: np.random.Generator, n_clusters: int = 60, size: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Normal data with a shared effect per cluster (intra-cluster correlation 0.5), true mean 0."""
    effects = rng.normal(0, 1, n_clusters)
    return np.repeat(effects, size) + rng.normal(0, 1, n_clusters * size), np.repeat(np.arange(n_clusters), size)


def test_the_cluster_bootstrap_covers_the_true_mean_and_the_case_bootstrap_does_not():
    rng = np.random.default_rng(0)
    covered = {"clusters": 0, "cases": 0}
    repetitions = 200
    for k in range(repetitions):
        data, clusters = _clustered(rng)
        for kind, groups in (("clusters", clusters), ("cases", None)):
            _, low, high = evaluation.bootstrap(
                lambda pick, data=data: data[pick].mean(), len(data), groups=groups, n_boot=300, seed=k
            )
            covered[kind] += low <= 0.0 <= high
    assert 0.90 <= covered["clusters"] / repetitions <= 0.99
    # Ignoring the clusters treats 300 correlated cases as independent: the interval is too narrow
    # (its nominal sd is off by sqrt(1 + 4 * 0.5) = 1.7, so it covers about 74% of the time).
    assert covered["cases"] / repetitions < 0.85


# ----------------------------------------------------------------------------------------------------------
# The resamples
# ----------------------------------------------------------------------------------------------------------


def test_stratified_resamples_keep_every_class_with_its_size():
    strata = np.array(["rain"] * 20 + ["quake"] * 3 + ["mining"] * 1)
    for pick in evaluation.resample_indices(len(strata), strata=strata, n_boot=200, seed=1):
        assert pd.Series(strata[pick]).value_counts().to_dict() == {"rain": 20, "quake": 3, "mining": 1}


def test_grouped_resamples_draw_whole_groups_as_many_as_there_are():
    groups = np.repeat([10, 20, 30, 40], [1, 2, 3, 4])
    for pick in evaluation.resample_indices(len(groups), groups=groups, n_boot=100, seed=2):
        drawn = pd.Series(groups[pick]).value_counts()
        sizes = pd.Series(groups).value_counts()
        assert ((drawn % sizes[drawn.index]) == 0).all()  # a group comes whole, possibly several times
        assert (drawn // sizes[drawn.index]).sum() == 4  # four groups in every resample


def test_resamples_depend_on_the_seed_only():
    a = evaluation.resample_indices(30, groups=np.arange(30) // 3, n_boot=20, seed=5)
    b = evaluation.resample_indices(30, groups=np.arange(30) // 3, n_boot=20, seed=5)
    c = evaluation.resample_indices(30, groups=np.arange(30) // 3, n_boot=20, seed=6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"groups": [0, 1]}, "groups has 2 entries for 3 cases"),
        ({"strata": [0]}, "strata has 1 entries"),
        ({"groups": [0, 0, 1], "strata": [0, 1, 1]}, "not both"),
        ({"n_boot": 0}, "n_boot >= 1"),
    ],
)
def test_bad_resampling_requests_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluation.resample_indices(3, **kwargs)


def test_percentile_interval_tails_and_levels():
    assert evaluation.percentile_interval(np.arange(1001.0)) == (25.0, 975.0)
    assert evaluation.percentile_interval(np.arange(1001.0), level=0.9) == (50.0, 950.0)
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        evaluation.percentile_interval([1.0, 2.0], level=95)


# ----------------------------------------------------------------------------------------------------------
# Paired comparisons
# ----------------------------------------------------------------------------------------------------------


def test_paired_differences_are_antisymmetric():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.6, 0.1, 25), rng.normal(0.5, 0.1, 25)
    forward = evaluation.paired_difference(a, b, n_boot=500, seed=4)
    backward = evaluation.paired_difference(b, a, n_boot=500, seed=4)
    np.testing.assert_allclose(forward, [-backward[0], -backward[2], -backward[1]], rtol=0, atol=1e-12)
    labels, scores, sites = _scored(4)
    other = scores + rng.normal(0, 0.5, len(scores))
    picks = evaluation.resample_indices(len(labels), groups=sites, n_boot=300, seed=0)
    table = evaluation.paired_bootstrap(auroc, labels, {"a": scores, "b": other}, picks, reference="a")
    swapped = evaluation.paired_bootstrap(auroc, labels, {"a": scores, "b": other}, picks, reference="b")
    assert table["b"]["diff"] == -swapped["a"]["diff"]
    np.testing.assert_allclose(
        [table["b"]["diff_low"], table["b"]["diff_high"]],
        [-swapped["a"]["diff_high"], -swapped["a"]["diff_low"]],
        rtol=0,
        atol=1e-12,
    )
    assert table["a"]["diff"] == table["a"]["diff_low"] == table["a"]["diff_high"] == 0.0


def test_paired_difference_refuses_unpaired_arrays_and_paired_bootstrap_an_unknown_reference():
    with pytest.raises(ValueError, match=r"a \(3,\) and b \(2,\)"):
        evaluation.paired_difference([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="reference 'c' is not among the scores"):
        evaluation.paired_bootstrap(auroc, [0, 1], {"a": [0.1, 0.9]}, [np.array([0, 1])], reference="c")


def test_undefined_resamples_are_skipped_and_all_undefined_is_refused():
    labels = np.array([0, 0, 0, 1])
    picks = [np.array([0, 1, 2, 2]), np.array([0, 3, 1, 3])]
    table = evaluation.paired_bootstrap(auroc, labels, {"a": labels.astype(float)}, picks)
    assert table["a"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    with pytest.raises(ValueError, match="undefined on every one of the 1 resamples"):
        evaluation.paired_bootstrap(auroc, labels, {"a": labels.astype(float)}, picks[:1])


# ----------------------------------------------------------------------------------------------------------
# The very numbers of the loops the engine replaced
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_engine_reproduces_the_earlier_bootstraps_bit_for_bit(seed):
    labels, scores, _ = _scored(seed)
    for level in (0.95, 0.9):
        assert evaluation.bootstrap_ci(auroc, labels, scores, 300, seed, level) == _old_bootstrap_ci(
            auroc, labels, scores, 300, seed, level
        )
    t = np.repeat(np.arange(5.0), 2)  # repeated times: some resamples have no slope and are skipped
    y = -0.2 * t + np.random.default_rng(seed).normal(0, 0.3, len(t))
    assert bootstrap_slope_ci(t, y, n_boot=400, seed=seed) == _old_slope_ci(t, y, 400, seed)
    rng = np.random.default_rng(seed)
    true = rng.choice(["rain", "quake", "mining"], 60, p=[0.6, 0.3, 0.1])
    true[:3] = ["rain", "quake", "mining"]
    predicted = np.where(rng.random(60) < 0.6, true, "rain")
    scores_ = score_predictions(pd.DataFrame({"true": true, "predicted": predicted}), n_boot=300, seed=seed)
    assert (scores_["low"], scores_["high"]) == _old_stratified_interval(true, predicted, 300, seed)
    a, b = rng.normal(0.5, 0.2, 17), rng.normal(0.4, 0.2, 17)
    assert dict(
        zip(("diff", "low", "high"), evaluation.paired_difference(a, b, n_boot=700, seed=seed))
    ) == _old_paired_site_difference(a, b, 700, seed)


def test_bootstrap_resamples_is_resample_indices():
    groups = np.arange(24) // 4
    for g in (None, groups):
        old_style = evaluation.bootstrap_resamples(24, g, 30, 3)
        assert all(
            np.array_equal(x, y)
            for x, y in zip(old_style, evaluation.resample_indices(24, groups=g, n_boot=30, seed=3))
        )


# ----------------------------------------------------------------------------------------------------------
# The sigmoid, the interval text, and the package surface
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_the_hand_written_expression_bit_for_bit_and_never_overflows(dtype):
    x = np.random.default_rng(0).normal(0, 8, 10_000).astype(dtype)
    result = sigmoid(x)
    assert result.dtype == dtype and np.array_equal(result, 1.0 / (1.0 + np.exp(-x)))
    with np.errstate(over="raise"):
        extreme = sigmoid(np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=dtype))
    assert extreme[0] == 0.0 and 0.0 <= extreme[1] < 1e-40 and extreme[2] == 0.5 and extreme[-1] == 1.0


def test_interval_text_reads_like_the_chapter_tables():
    table = pd.DataFrame(
        {
            "AUROC": [0.81, 0.7],
            "AUROC low": [0.75, 0.7],
            "AUROC high": [0.87, 0.7],
            "ΔAUROC": [0.11, 0.0],
            "Δ low": [0.02, 0.0],
            "Δ high": [0.2, 0.0],
        },
        index=["a", "b"],
    )
    text = evaluation.interval_text(
        table, ["AUROC", "ΔAUROC"], bounds={"ΔAUROC": ("Δ low", "Δ high")}, blank_degenerate={"ΔAUROC"}
    )
    assert text.to_dict("list") == {"AUROC": ["0.810 [0.750, 0.870]", "0.700"], "ΔAUROC": ["0.110 [0.020, 0.200]", ""]}
    assert evaluation.format_interval(0.1, 0.05, 0.15) == "0.100 [0.050, 0.150]"
    assert evaluation.format_interval(-0.1, -0.2, 0.01, digits=2, signed=True) == "-0.10 [-0.20, +0.01]"


def test_the_package_re_exports_every_public_name_of_every_submodule():
    for info in pkgutil.iter_modules(evaluation.__path__):
        module = importlib.import_module(f"lslib.evaluation.{info.name}")
        missing = [
            name
            for name in getattr(module, "__all__", [])
            if getattr(evaluation, name, None) is not getattr(module, name)
        ]
        assert not missing, f"lslib.evaluation does not re-export {missing} of {info.name}"
    assert resampling.bootstrap is evaluation.bootstrap


def test_a_progress_bar_changes_no_draw(capsys):
    from lslib.evaluation.resampling import resample_draws, resample_indices

    values = np.arange(20.0)
    resamples = resample_indices(20, n_boot=50, seed=3)
    quiet = resample_draws(lambda pick: float(values[pick].mean()), resamples)
    shown = resample_draws(lambda pick: float(values[pick].mean()), resamples, progress="test bootstrap")
    assert quiet == shown
    assert "test bootstrap" in capsys.readouterr().err


def _seeded_scores(rng, n_seeds: int, n_sites: int, seed_sd: float, site_sd: float) -> np.ndarray:
    """``(seed, site)`` metric values with true mean 0: a per-seed offset (training luck) plus site noise."""
    return rng.normal(0.0, seed_sd, (n_seeds, 1)) + rng.normal(0.0, site_sd, (1, n_sites))


def test_the_seed_and_site_interval_covers_training_randomness_that_a_site_bootstrap_misses():
    rng = np.random.default_rng(11)
    covered = {"seed_and_site": 0, "sites_only": 0}
    trials = 120
    for trial in range(trials):
        scores = _seeded_scores(rng, n_seeds=5, n_sites=40, seed_sd=0.05, site_sd=0.1)
        mean = lambda seeds, sites, scores=scores: scores[np.ix_(seeds, sites)].mean()
        pairs = resampling.seed_site_resamples(5, 40, n_boot=300, seed=trial)
        _, low, high = resampling.seed_site_bootstrap(mean, 5, 40, pairs)
        covered["seed_and_site"] += low <= 0.0 <= high
        _, low, high = resampling.bootstrap(lambda sites, s=scores: s[:, sites].mean(), 40, n_boot=300, seed=trial)
        covered["sites_only"] += low <= 0.0 <= high
    # with 5 seeds a percentile interval runs a little short of its nominal 95 % (about 87 % here: the bootstrap
    # variance of a mean of 5 is 4/5 of the true one), but far closer than resampling the sites alone, which
    # takes the seeds' luck as a fact (about 70 %)
    assert covered["seed_and_site"] / trials > 0.82, covered
    assert covered["seed_and_site"] / trials > covered["sites_only"] / trials + 0.1, covered


def test_seed_site_resamples_keep_groups_whole_and_the_case_draws_of_resample_indices():
    groups = np.repeat(np.arange(4), 3)
    pairs = resampling.seed_site_resamples(3, 12, groups=groups, n_boot=20, seed=2)
    plain = resampling.resample_indices(12, groups=groups, n_boot=20, seed=2)
    for (seeds, cases), same in zip(pairs, plain):
        assert seeds.min() >= 0 and seeds.max() < 3 and len(seeds) == 3
        np.testing.assert_array_equal(cases, same)
        counts = np.bincount(groups[cases], minlength=4)
        assert (counts % 3 == 0).all()  # a site's three windows travel together
    assert len({tuple(seeds) for seeds, _ in pairs}) > 1


def test_a_seed_and_site_bootstrap_refuses_one_seed_and_undefined_statistics():
    with pytest.raises(ValueError, match="at least 2 training seeds"):
        resampling.seed_site_resamples(1, 10)

    def only_on_everything(seeds, cases):  # defined on the full data only
        if np.array_equal(cases, np.arange(5)) and np.array_equal(seeds, np.arange(2)):
            return 0.0
        raise ValueError("undefined here")

    with pytest.raises(ValueError, match="undefined on every"):
        resampling.seed_site_bootstrap(only_on_everything, 2, 5, resampling.seed_site_resamples(2, 5, n_boot=5))
