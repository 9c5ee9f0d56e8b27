"""The spatio-temporal predictor: shapes with irregular dates and padding, attention, learning, errors, and the
reproducible gather of site batches."""

import pytest
import torch

from lslib.models.predictor import (
    PredictorConfig,
    SpatioTemporalPredictor,
    _all_finite,
    day_encoding,
    gather_frames,
    masked_attention,
)
from lslib.training.forecast import intra_op_threads
from lslib.training.loop import TrainConfig, fit


def _batch(b=4, t=6, s=5, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    days = torch.cumsum(torch.tensor([16.0, 16.0, 48.0, 16.0, 32.0, 16.0])[:t], 0).repeat(b, 1)  # missing dates
    valid = torch.ones(b, t, dtype=torch.bool)
    valid[0, :2] = False  # a site with fewer frames: padded at the start
    return {
        "image": torch.randn(b, t, 7, size, size, generator=g),
        "time": days,
        "valid": valid,
        "sar": torch.randn(b, s, 2, size, size, generator=g),
        "sar_time": torch.arange(s).float().repeat(b, 1) * 12,
        "meta": torch.randn(b, t, 9, generator=g),
        "label": torch.tensor([1.0, 0.0, 1.0, 0.0])[:b],
        "cause": torch.tensor([3, 6, 2, 6])[:b],
    }


def test_shapes_with_irregular_dates_and_padding():
    model = SpatioTemporalPredictor(PredictorConfig(size=16))
    out = model(_batch())
    assert out["logit"].shape == (4,) and out["cause_probs"].shape == (4, 7) and out["attention"].shape == (4, 6)


def test_attention_sums_to_one_over_valid_frames_and_ignores_padding():
    model = SpatioTemporalPredictor(PredictorConfig(size=16))
    batch = _batch()
    weights = model(batch)["attention"]
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    assert torch.all(weights[0, :2] == 0)
    changed = dict(batch)
    changed["image"] = batch["image"].clone()
    changed["image"][0, :2] = 100.0  # whatever sits in padding frames ...
    model.eval()
    torch.testing.assert_close(model(changed)["logit"][0], model(batch)["logit"][0])  # ... never matters


def test_real_day_offsets_matter_not_frame_indices():
    assert not torch.allclose(day_encoding(torch.tensor([16.0]), 8), day_encoding(torch.tensor([48.0]), 8))
    model = SpatioTemporalPredictor(PredictorConfig(size=16, use_sar=False, use_meta=False))
    model.eval()
    batch = _batch()
    shifted = dict(batch, time=batch["time"] * 2)
    assert not torch.allclose(model(batch)["logit"], model(shifted)["logit"])


def test_mean_pooling_and_ablations_build_and_run():
    for config in (
        PredictorConfig(size=16, pooling="mean"),
        PredictorConfig(size=16, use_sar=False),
        PredictorConfig(size=16, use_meta=False),
    ):
        out = SpatioTemporalPredictor(config)(_batch())
        assert torch.isfinite(out["logit"]).all()


def test_the_loss_falls_on_tiny_data():
    batch = _batch(seed=3)
    batch["image"][batch["label"] == 1, :, 0] += 2.0  # a learnable signal in the first band
    loader = [batch] * 4
    model = SpatioTemporalPredictor(PredictorConfig(size=16, width=16))
    history = fit(model, {"train": loader}, TrainConfig(epochs=8, lr=3e-3, seed=0, progress=False))
    assert history.train["loss"][-1] < 0.7 * history.train["loss"][0]


def test_bad_inputs_give_clear_errors():
    model = SpatioTemporalPredictor(PredictorConfig(size=16))
    batch = _batch()
    with pytest.raises(ValueError, match=r"image must be \(B, T, 7, H, W\)"):
        model(dict(batch, image=batch["image"][:, :, :5]))
    with pytest.raises(ValueError, match="'meta' contains NaN"):
        model(dict(batch, meta=torch.full_like(batch["meta"], float("nan"))))
    one_inf = batch["image"].clone()
    one_inf[0, 0, 0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="'image' contains NaN"):
        model(dict(batch, image=one_inf))
    no_frames = batch["valid"].clone()
    no_frames[1] = False
    with pytest.raises(ValueError, match="at least one valid frame"):
        model(dict(batch, valid=no_frames))
    with pytest.raises(ValueError, match="pooling must be"):
        PredictorConfig(pooling="max")
    with pytest.raises(ValueError, match="at least one valid frame"):
        masked_attention(torch.zeros(1, 3), torch.zeros(1, 3, dtype=torch.bool))


def test_the_finite_check_takes_an_overflowing_sum_of_finite_values_for_finite():
    assert _all_finite(torch.full((10,), 3e38))  # the sum is inf, every entry is finite
    assert not _all_finite(torch.tensor([1.0, float("nan")]))
    assert not _all_finite(torch.tensor([1.0, float("-inf")]))
    assert _all_finite(torch.arange(5))  # integers are always finite


def test_gather_frames_matches_advanced_indexing_and_its_gradient_is_reproducible():
    """Many windows share few frames (as in a site batch, where windows overlap): the gradient sums about ten
    contributions per frame, over 40,960 values, past the size at which advanced indexing's backward adds with
    atomics on a multi-threaded CPU and changes from call to call."""
    g = torch.Generator().manual_seed(3)
    per_site = torch.randn(6, 10, 64, generator=g)
    position = torch.randint(0, 6, (80,), generator=g)
    frame = torch.randint(0, 10, (80, 8), generator=g)
    upstream = torch.randn(80, 8, 64, generator=g)
    assert torch.equal(gather_frames(per_site, position, frame), per_site[position[:, None], frame])

    def gradient():
        leaf = per_site.clone().requires_grad_(True)
        (gather_frames(leaf, position, frame) * upstream).sum().backward()
        return leaf.grad

    with intra_op_threads(2):
        first = gradient()
        assert all(torch.equal(gradient(), first) for _ in range(20))
    expected = torch.zeros(60, 64, dtype=torch.float64).index_add_(
        0, (position[:, None] * 10 + frame).reshape(-1), upstream.double().reshape(-1, 64)
    )
    assert torch.allclose(first.double().reshape(60, 64), expected, atol=1e-5)
