"""The supervised pair classifier: the ceiling and the few-shot arms of chapter 5's mining detection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lslib.evaluation import auroc
from lslib.models.pair_classifier import PairClassifier, PairClassifierConfig, balanced_weights
from lslib.training.pair_classifier import pair_scores, train_pair_classifier


def _toy(n: int, seed: int, size: int = 16):
    """Pairs of noise; in the positives a bright 3 x 3 pit appears in the later image, anywhere."""
    rng = np.random.default_rng(seed)
    source = rng.normal(size=(n, 6, size, size)).astype(np.float32)
    target = source + 0.3 * rng.normal(size=source.shape).astype(np.float32)
    label = np.arange(n) % 2 == 0
    for i in np.nonzero(label)[0]:
        r, c = rng.integers(0, size - 3, 2)
        target[i, :, r : r + 3, c : c + 3] += 3.0
    return source, target, np.zeros((n, 3, size, size), np.float32), label


def test_the_classifier_learns_to_find_a_new_pit_anywhere_and_repeats_with_its_seed():
    config = PairClassifierConfig(size=16, width=8)
    train, test = _toy(64, 0), _toy(64, 1)
    model = train_pair_classifier(*train, config, epochs=6, seed=3)
    assert auroc(test[3], pair_scores(model, *test[:3])) > 0.9
    again = train_pair_classifier(*train, config, epochs=6, seed=3)
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)
    other = train_pair_classifier(*train, config, epochs=6, seed=4)
    assert not np.allclose(pair_scores(other, *test[:3]), pair_scores(model, *test[:3]))


def test_balanced_weights_give_both_classes_the_same_weight_and_refuse_one_class():
    labels = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    weights = balanced_weights(labels)
    assert weights[labels == 1].sum() == pytest.approx(weights[labels == 0].sum()) and weights.mean() == 1
    with pytest.raises(ValueError, match="both classes"):
        balanced_weights(np.zeros(4))


def test_shapes_are_checked_with_a_clear_message():
    model = PairClassifier(PairClassifierConfig(size=16, width=4))
    with pytest.raises(ValueError, match="source and target"):
        model(torch.zeros(1, 6, 16, 16), torch.zeros(1, 5, 16, 16), torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="multiple of 8"):
        PairClassifierConfig(size=12)
    assert pair_scores(model, *(np.zeros((0, c, 16, 16)) for c in (6, 6, 3))).shape == (0,)
