"""The gradient-boosting baseline and its validation tuner (:mod:`lslib.models.baselines`)."""

from __future__ import annotations

import numpy as np
import pytest

from lslib import evaluation
from lslib.models.baselines import GBM_GRID, gradient_boosting_baseline, tuned_gradient_boosting

FAST = {"max_iter": 40, "min_samples_leaf": 10}


def separable(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten features, two of them informative: the label is 1 when their sum (plus a little noise) is positive."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10))
    y = (x[:, 0] + x[:, 3] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return x, y


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    train_x, train_y = separable(600, 0)
    val_x, val_y = separable(300, 1)
    test_x, test_y = separable(300, 2)
    return {"train_x": train_x, "train_y": train_y, "val_x": val_x, "val_y": val_y, "test_x": test_x, "test_y": test_y}


def test_it_separates_a_separable_problem(data):
    model = gradient_boosting_baseline(data["train_x"], data["train_y"], seed=0)
    assert evaluation.auroc(data["test_y"], model.predict_proba(data["test_x"])[:, 1]) > 0.9


def test_the_number_of_trees_is_the_parameter(data):
    model = gradient_boosting_baseline(data["train_x"], data["train_y"], max_iter=25)
    assert model.n_iter_ == 25 and model.max_leaf_nodes == 15 and model.early_stopping is False


def test_seeds_differ_and_a_seed_repeats(data):
    fit = lambda seed: gradient_boosting_baseline(data["train_x"], data["train_y"], seed=seed, **FAST)
    first, again, other = (fit(s).predict_proba(data["test_x"])[:, 1] for s in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_one_class_is_refused(data):
    with pytest.raises(ValueError, match="needs both classes"):
        gradient_boosting_baseline(data["train_x"], np.zeros(len(data["train_x"]), int))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"learning_rate": 0.0}, "learning_rate must be finite and > 0, got 0.0"),
        ({"max_leaf_nodes": 1}, "max_leaf_nodes must be an integer >= 2, got 1"),
        ({"max_iter": 2.5}, "max_iter must be an integer >= 1, got 2.5"),
        ({"max_features": 1.5}, "max_features must be a share of the features in \\(0, 1\\], got 1.5"),
        ({"min_samples_leaf": 0}, "min_samples_leaf must be an integer >= 1, got 0"),
        ({"n_trees": 50}, "'n_trees' is not a parameter of gradient_boosting_baseline"),
    ],
)
def test_bad_parameters_are_named(data, parameters, message):
    with pytest.raises(ValueError, match=message):
        gradient_boosting_baseline(data["train_x"], data["train_y"], **parameters)


def test_mismatched_lengths_are_refused(data):
    with pytest.raises(ValueError, match="train_x has 600 rows but train_y has 10 labels"):
        gradient_boosting_baseline(data["train_x"], data["train_y"][:10])


def test_the_tuner_returns_a_grid_setting_and_its_best_validation_auroc(data):
    model, chosen, scores = tuned_gradient_boosting(
        data["train_x"], data["train_y"], data["val_x"], data["val_y"], seed=0, **FAST
    )
    assert set(scores) == {(lr, leaves) for lr in GBM_GRID["learning_rate"] for leaves in GBM_GRID["max_leaf_nodes"]}
    assert set(chosen) == {"learning_rate", "max_leaf_nodes"}
    assert chosen["learning_rate"] in GBM_GRID["learning_rate"]
    assert chosen["max_leaf_nodes"] in GBM_GRID["max_leaf_nodes"]
    key = (chosen["learning_rate"], chosen["max_leaf_nodes"])
    assert scores[key] == max(scores.values())
    assert (model.learning_rate, model.max_leaf_nodes, model.max_iter) == (*key, FAST["max_iter"])
    assert scores[key] == pytest.approx(evaluation.auroc(data["val_y"], model.predict_proba(data["val_x"])[:, 1]))


def test_the_tuner_takes_a_grid_and_a_score(data):
    calls = []

    def score(labels, probabilities):
        calls.append(len(labels))
        return evaluation.auroc(labels, probabilities)

    _, chosen, scores = tuned_gradient_boosting(
        data["train_x"], data["train_y"], data["val_x"], data["val_y"], 0, {"max_leaf_nodes": (3, 7)}, score, **FAST
    )
    assert set(scores) == {(3,), (7,)} and chosen["max_leaf_nodes"] in (3, 7) and calls == [300, 300]


@pytest.mark.parametrize(
    ("grid", "fixed", "message"),
    [
        ({}, {}, "grid is empty"),
        ({"max_leaf_nodes": ()}, {}, "grid\\['max_leaf_nodes'\\] must be a non-empty sequence"),
        ({"depth": (2, 3)}, {}, "'depth' is not a parameter of gradient_boosting_baseline"),
        ({"max_iter": (5,)}, {"max_iter": 5}, "'max_iter' is both in the grid and fixed"),
        (None, {"max_depth": 3}, "'max_depth' is not a parameter"),
    ],
)
def test_the_tuner_refuses_a_bad_grid(data, grid, fixed, message):
    with pytest.raises(ValueError, match=message):
        tuned_gradient_boosting(data["train_x"], data["train_y"], data["val_x"], data["val_y"], 0, grid, **fixed)
