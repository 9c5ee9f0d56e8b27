"""Seeds fanned out over worker processes equal seeds trained one by one in this process."""

from __future__ import annotations

import pytest
import torch

from lslib.models.predictor import PredictorConfig, SpatioTemporalPredictor
from lslib.training.forecast import intra_op_threads, train_seeds
from lslib.training.loop import TrainConfig
from tests.conftest import horizon_datasets


@pytest.fixture(scope="module")
def datasets():
    return horizon_datasets(["india", "china"], n_sites=12, n_times=10, seed=4)


def test_two_seeds_fanned_out_have_the_weights_of_two_seeds_trained_one_by_one(datasets):
    config = PredictorConfig(size=16, width=8)
    train = TrainConfig(epochs=2, lr=3e-3, progress=False)
    with intra_op_threads(2):  # each of the two workers gets one of these threads
        fanned = train_seeds(datasets, config, train, [1, 2], sites_per_batch=4, clouds=0.3, workers=2)
    with intra_op_threads(1):  # bitwise identity holds at the same intra-op thread count
        alone = train_seeds(datasets, config, train, [1, 2], sites_per_batch=4, clouds=0.3)
    assert [m.seed for m in fanned] == [1, 2]
    for single, worker in zip(alone, fanned):
        assert worker.history.val["loss"] == single.history.val["loss"]
        for name, value in single.model.state_dict().items():
            assert torch.equal(worker.model.state_dict()[name], value), name
    assert not torch.equal(fanned[0].model.state_dict()["landslide_head.weight"],
                           fanned[1].model.state_dict()["landslide_head.weight"])  # fmt: skip


def test_fanning_out_refuses_a_closure_and_bad_worker_counts(datasets):
    config, train = PredictorConfig(size=16, width=8), TrainConfig(epochs=1, progress=False)
    with pytest.raises(ValueError, match="picklable build"):
        train_seeds(datasets, config, train, [1, 2], workers=2, build=lambda c: SpatioTemporalPredictor(c))
    with pytest.raises(ValueError, match="workers must be an integer >= 1, got 0"):
        train_seeds(datasets, config, train, [1, 2], workers=0)
    with pytest.raises(ValueError, match="not with workers > 1"):
        train_seeds(datasets, config, train, [1, 2], workers=2, vectorised=True)
