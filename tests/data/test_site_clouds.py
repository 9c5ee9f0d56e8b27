"""Clouds for whole site batches (:meth:`lslib.data.augment.SyntheticClouds.sites`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lslib.data.augment import SyntheticClouds, _top_share


def _image(sites: int = 6, frames: int = 20, size: int = 16) -> torch.Tensor:
    image = torch.randn(sites, frames, 7, size, size, generator=torch.Generator().manual_seed(0))
    image[:, :, -1] = 0.0
    return image


def test_top_share_is_the_quantile_rule():
    rng = np.random.default_rng(3)
    field = rng.standard_normal((300, 256))
    share = rng.uniform(0.05, 1.0, size=300)
    expected = np.stack([row >= np.quantile(row, 1.0 - s) for row, s in zip(field, share)])
    np.testing.assert_array_equal(_top_share(field, share), expected)


def test_clouded_pixels_are_flagged_and_zeroed_and_the_rest_untouched():
    image = _image()
    out = SyntheticClouds(0.5, cover=(0.4, 0.9), seed=1, per_sample=False).sites(image)
    assert out.shape == image.shape and out.dtype == image.dtype
    cloudy = out[:, :, -1] > 0
    assert torch.all(out[:, :, :-1].permute(0, 1, 3, 4, 2)[cloudy] == 0)
    assert torch.equal(out[:, :, :-1].permute(0, 1, 3, 4, 2)[~cloudy], image[:, :, :-1].permute(0, 1, 3, 4, 2)[~cloudy])
    assert torch.equal(image[:, :, -1], torch.zeros_like(image[:, :, -1]))  # the input is not modified


def test_frame_share_and_cover_follow_the_parameters():
    clouds = SyntheticClouds(0.3, cover=(0.4, 0.8), seed=2, per_sample=False)
    shares = torch.cat([clouds.sites(_image(size=16))[:, :, -1].mean(dim=(-2, -1)).flatten() for _ in range(20)])
    clouded = shares[shares > 0]
    assert abs(len(clouded) / len(shares) - 0.3) < 0.03  # 2,400 frames: the binomial sd is about 0.009
    n = 16 * 16
    assert clouded.min() >= 0.4 - 1 / n and clouded.max() <= 0.8 + 1 / n
    assert abs(float(clouded.mean()) - 0.6) < 0.02


def test_the_same_seed_gives_the_same_clouds_and_reset_restarts_them():
    clouds = SyntheticClouds(0.5, seed=4, per_sample=False)
    first = clouds.sites(_image())
    second = clouds.sites(_image())
    assert not torch.equal(first, second)
    clouds.reset(4)
    assert torch.equal(clouds.sites(_image()), first)
    assert torch.equal(SyntheticClouds(0.5, seed=4, per_sample=False).sites(_image()), first)


def test_no_clouds_and_full_cover():
    image = _image()
    assert torch.equal(SyntheticClouds(0.0, seed=0, per_sample=False).sites(image), image)
    out = SyntheticClouds(1.0, cover=(1.0, 1.0), seed=0, per_sample=False).sites(image)
    assert torch.all(out[:, :, -1] == 1) and torch.all(out[:, :, :-1] == 0)


def test_a_window_batch_is_refused():
    with pytest.raises(ValueError, match="site, time"):
        SyntheticClouds(0.5, per_sample=False).sites(torch.zeros(4, 7, 16, 16))
