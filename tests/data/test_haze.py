"""Unflagged haze: veils and shadows on the bands that the cloud-mask channel does not see."""

from __future__ import annotations

import numpy as np
import pytest

from lslib.data.augment import _haze_layers, unflagged_haze

SITES, FRAMES, BANDS, SIZE = 3, 6, 6, 32
MEAN = np.array([0.06, 0.08, 0.09, 0.25, 0.20, 0.12], np.float32)
STD = np.array([0.02, 0.025, 0.03, 0.06, 0.05, 0.04], np.float32)


def _image(sites: int = SITES, frames: int = FRAMES, seed: int = 1) -> np.ndarray:
    """Standardised bands of positive reflectance and a mask channel with a few masked pixels (bands 0 there)."""
    rng = np.random.default_rng(seed)
    reflectance = rng.uniform(0.5, 1.5, size=(sites, frames, BANDS, SIZE, SIZE)) * MEAN[:, None, None]
    masked = rng.random((sites, frames, SIZE, SIZE)) < 0.05
    masked[0, 0, :4, :4] = True
    bands = np.where(masked[:, :, None], 0.0, (reflectance - MEAN[:, None, None]) / STD[:, None, None])
    return np.concatenate([bands, masked[:, :, None]], axis=2).astype(np.float32)


def _reflectance(image: np.ndarray) -> np.ndarray:
    return image[:, :, :BANDS] * STD[:, None, None] + MEAN[:, None, None]


def test_mask_and_masked_pixels_are_unchanged_and_input_is_not_modified():
    image = _image()
    before = image.copy()
    hazy, _ = unflagged_haze(image, MEAN, STD, frame_share=1.0, seed=3)
    assert hazy.dtype == np.float32 and hazy.shape == image.shape
    np.testing.assert_array_equal(image, before)
    np.testing.assert_array_equal(hazy[:, :, BANDS], image[:, :, BANDS])
    masked = np.broadcast_to(image[:, :, BANDS:] != 0, hazy[:, :, :BANDS].shape)
    np.testing.assert_array_equal(hazy[:, :, :BANDS][masked], image[:, :, :BANDS][masked])
    assert not np.array_equal(hazy, image)


def test_no_frame_share_leaves_the_image_identical():
    image = _image()
    hazy, contaminated = unflagged_haze(image, MEAN, STD, frame_share=0.0, seed=3)
    np.testing.assert_array_equal(hazy, image)
    np.testing.assert_array_equal(contaminated, np.zeros((SITES, FRAMES), np.float32))


def test_every_frame_hazy_veils_brighten_blue_and_shadows_darken_it():
    image = _image()
    hazy, contaminated = unflagged_haze(image, MEAN, STD, frame_share=1.0, seed=5)
    assert contaminated.shape == (SITES, FRAMES) and contaminated.dtype == np.float32
    assert (contaminated > 0).all() and (contaminated <= 1).all()
    before, after = _reflectance(image)[:, :, 0], _reflectance(hazy)[:, :, 0]  # blue
    clear = image[:, :, BANDS] == 0
    for site in range(SITES):
        chosen, veil, cast, _ = _haze_layers(FRAMES, (SIZE, SIZE), 1.0, (0.15, 0.5), np.random.default_rng([5, site]))
        assert chosen.all()
        seen = ((veil >= 0.1) | (cast >= 0.1)) & clear[site]
        np.testing.assert_allclose(contaminated[site], seen.mean(axis=(-2, -1)), atol=1e-6)
        for frame in range(FRAMES):
            veiled = clear[site, frame] & (veil[frame] >= 0.1)
            shadow_only = clear[site, frame] & (veil[frame] == 0) & (cast[frame] >= 0.1)
            assert veiled.any() and shadow_only.any()
            assert after[site, frame][veiled].mean() > before[site, frame][veiled].mean() + 0.01
            assert after[site, frame][shadow_only].mean() < before[site, frame][shadow_only].mean()
            assert (after[site, frame][shadow_only] <= before[site, frame][shadow_only] + 1e-6).all()
            untouched = clear[site, frame] & (veil[frame] == 0) & (cast[frame] == 0)
            np.testing.assert_array_equal(
                hazy[site, frame, :BANDS][:, untouched], image[site, frame, :BANDS][:, untouched]
            )


def test_seed_reproduces_and_another_seed_differs():
    image = _image()
    first, share = unflagged_haze(image, MEAN, STD, seed=7)
    again, share_again = unflagged_haze(image, MEAN, STD, seed=7)
    other, _ = unflagged_haze(image, MEAN, STD, seed=8)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(share, share_again)
    assert not np.array_equal(first, other)


def test_a_site_is_the_same_alone_or_among_others():
    image = _image()
    together, share = unflagged_haze(image, MEAN, STD, frame_share=0.7, seed=2)
    for site in range(SITES):
        alone, share_alone = unflagged_haze(image[: site + 1], MEAN, STD, frame_share=0.7, seed=2)
        np.testing.assert_array_equal(alone[site], together[site])
        np.testing.assert_array_equal(share_alone[site], share[site])
    first, _ = unflagged_haze(image[:1], MEAN, STD, frame_share=0.7, seed=2)
    np.testing.assert_array_equal(first[0], together[0])


@pytest.mark.parametrize("frame_share", [0.2, 0.5, 0.9])
def test_share_of_contaminated_frames_follows_frame_share(frame_share):
    sites, frames = 40, 25
    image = np.zeros((sites, frames, BANDS + 1, 8, 8), np.float32)
    _, contaminated = unflagged_haze(image, MEAN, STD, frame_share=frame_share, seed=11)
    n = sites * frames
    observed = float((contaminated > 0).mean())
    assert abs(observed - frame_share) < 4.0 * np.sqrt(frame_share * (1.0 - frame_share) / n)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image": np.zeros((2, 7, 32, 32), np.float32)}, "5-D"),
        ({"image": np.zeros((1, 2, 5, 8, 8), np.float32)}, "6 bands"),
        ({"mean": MEAN[:5]}, "mean must have shape"),
        ({"std": np.ones((6, 1), np.float32)}, "std must have shape"),
        ({"std": np.zeros(6, np.float32)}, "positive"),
        ({"frame_share": -0.1}, "frame_share"),
        ({"frame_share": 1.5}, "frame_share"),
        ({"opacity": (0.6, 0.4)}, "opacity"),
        ({"opacity": (-0.1, 0.4)}, "opacity"),
        ({"opacity": (0.2, 1.2)}, "opacity"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_inputs_raise(kwargs, match):
    arguments = {"image": _image(1, 2), "mean": MEAN, "std": STD} | kwargs
    with pytest.raises(ValueError, match=match):
        unflagged_haze(**arguments)
