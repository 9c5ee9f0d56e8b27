"""Seeds trained at once (torch.func) equal seeds trained one by one."""

from __future__ import annotations

import pytest
import torch

from lslib.data.batches import SiteBatches
from lslib.models.predictor import PredictorConfig
from lslib.training.forecast import train_seeds
from lslib.training.loop import TrainConfig
from tests.conftest import horizon_datasets


@pytest.fixture(scope="module")
def datasets():
    return horizon_datasets(["india", "america"], n_sites=16, n_times=12, seed=2)


def test_vectorised_seeds_match_seeds_trained_one_by_one(datasets):
    config = PredictorConfig(size=16, width=8, dropout=0.0)
    train = TrainConfig(epochs=2, lr=3e-3, progress=False, grad_clip=0.5)  # a clip that bites
    together = train_seeds(
        datasets, config, train, [3, 4, 5], sites_per_batch=4, clouds=0.3, order_seed=9, vectorised=True
    )
    alone = train_seeds(datasets, config, train, [3, 4, 5], sites_per_batch=4, clouds=0.3, order_seed=9)
    for vectorised, single in zip(together, alone):
        assert vectorised.seed == single.seed and vectorised.history.best_epoch == single.history.best_epoch
        assert vectorised.history.val["loss"] == pytest.approx(single.history.val["loss"], rel=1e-4)
        # Adam divides by the gradient's root mean square, so float rounding in a near-zero gradient becomes a
        # step of up to the learning rate: weights agree to a few steps of lr, the losses to rounding.
        for name, value in single.model.state_dict().items():
            torch.testing.assert_close(vectorised.model.state_dict()[name], value, rtol=0.0, atol=1e-2)
        batch = next(iter(SiteBatches(datasets["val"], sites_per_batch=8)))
        with torch.no_grad():
            logits = vectorised.model(batch)["logit"]
            torch.testing.assert_close(logits, single.model(batch)["logit"], atol=5e-3, rtol=0)
            other = alone[(alone.index(single) + 1) % len(alone)].model(batch)["logit"]
        assert float((logits - other).abs().max()) > 0.05  # another seed is far outside that tolerance
    first, second = (m.model.state_dict()["landslide_head.weight"] for m in together[:2])
    assert not torch.equal(first, second)  # the seeds stay different models


def test_vectorised_seeds_must_differ(datasets):
    with pytest.raises(ValueError, match="all be different"):
        train_seeds(datasets, PredictorConfig(size=16, width=8), TrainConfig(epochs=1), [1, 1], vectorised=True)
