"""Synthetic clouds on model inputs: for training (cloud augmentation) and for the robustness test.

Clouds are thresholded fractal noise, the generator the simulator uses (spectral exponent 4), and are
*flagged*: cloudy pixels get the cloud-mask channel set to 1 and their bands set to 0, exactly as
:class:`lslib.data.dataset.LandslideDataset` encodes clouds that QA_PIXEL flags. The test therefore
asks whether a model can do without the frames clouds took away, not whether it can spot clouds.

:func:`unflagged_haze` is the other test: it adds what CFMask misses, thin haze veils and the shadows they
cast, to the bands of a share of the frames and leaves the cloud-mask channel as it was, so a model is
fed contaminated pixels it is told are clear.

Examples
--------
>>> sample = {"image": torch.zeros(4, 7, 16, 16), "valid": torch.ones(4, dtype=torch.bool),
...           "cloud": torch.zeros(4), "site": torch.tensor(3), "lead": torch.tensor(1)}
>>> clouded = SyntheticClouds(frame_fraction=1.0, cover=(0.5, 0.5), seed=0)(sample)
>>> [round(float(c), 2) for c in clouded["cloud"]]
[0.5, 0.5, 0.5, 0.5]
"""

from __future__ import annotations

import numpy as np
import torch

from lslib.data.sim.sensors import _CLOUD_SPECTRUM, _SHADOW_LOSS, THIN_CLOUD_MIN_ALPHA, _fractal_pairs, _roll
from lslib.data.sim.terrain import fractal_noise

__all__ = ["SyntheticClouds", "unflagged_haze"]

#: Range of the share of a contaminated frame the veil covers (opacity above 0): the veils of
#: :func:`lslib.data.sim.sensors.draw_sky`, a unit-variance field cut at an offset in (-1, 1), cover about
#: Phi(-1) to Phi(1) of a frame.
HAZE_COVER = (0.16, 0.84)
#: Range of the distance (30 m pixels) from a veil to its shadow: 90-240 m, the shadow of a veil about 0.1-0.3 km
#: up under a sun 40-60 degrees high. Closer than the simulator's shadows of 0.6-3 km cloud bases (about 15 pixels
#: or more): the shadow of a small test patch lies next to its veil and overlaps it in part.
HAZE_SHADOW_SHIFT_PX = (3.0, 8.0)
#: Range of the blue reflectance of an opaque cloud of the veil's kind, as in the simulator's skies.
HAZE_BRIGHTNESS = (0.35, 0.75)


class SyntheticClouds:
    """A sample transform that clouds over a share of the valid Landsat frames of a window sample.

    Parameters
    ----------
    frame_fraction : float
        Probability that a valid frame gets a cloud (0.5: half the frames, on average).
    cover : (float, float)
        Range of the clouded share of such a frame (drawn uniformly).
    seed : int
        Seed. With ``per_sample=True`` each sample's clouds depend only on (seed, site, lead), so
        every model of a comparison sees the very same clouds (paired test); otherwise a stream of
        draws, for training.
    per_sample : bool
        Reproducible clouds per sample (test) rather than fresh clouds each epoch (training).
    """

    def __init__(
        self,
        frame_fraction: float = 0.5,
        cover: tuple[float, float] = (0.4, 1.0),
        seed: int = 0,
        per_sample: bool = True,
    ) -> None:
        if not 0.0 <= frame_fraction <= 1.0:
            raise ValueError(f"frame_fraction must be in [0, 1], got {frame_fraction}")
        if not 0.0 < cover[0] <= cover[1] <= 1.0:
            raise ValueError(f"cover must be a range inside (0, 1], got {cover}")
        self.frame_fraction, self.cover, self.seed, self.per_sample = frame_fraction, cover, seed, per_sample
        self._stream = np.random.default_rng(seed)

    def reset(self, seed: int) -> None:
        """Restart the stream of draws (``per_sample=False``) from ``seed``, so two trainings with the
        same seed see the same clouds."""
        self.seed = seed
        self._stream = np.random.default_rng(seed)

    def __call__(self, sample: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        rng = (
            np.random.default_rng([self.seed, int(sample["site"]), int(sample.get("lead", 0))])
            if self.per_sample
            else self._stream
        )
        image = sample["image"].clone()
        frames, bands = image.shape[0], image.shape[1] - 1
        valid = sample["valid"].numpy() if "valid" in sample else np.ones(frames, bool)
        chosen = np.nonzero(valid & (rng.random(frames) < self.frame_fraction))[0]
        for frame in chosen:
            noise = fractal_noise(tuple(image.shape[-2:]), 4.0, rng)
            share = rng.uniform(*self.cover)
            cloudy = (
                torch.from_numpy(noise >= np.quantile(noise, 1.0 - share))
                if share < 1.0
                else torch.ones(image.shape[-2:], dtype=torch.bool)
            )
            image[frame, :bands, cloudy] = 0.0
            image[frame, bands][cloudy] = 1.0
        out = dict(sample, image=image)
        if "cloud" in sample:
            out["cloud"] = torch.where(torch.from_numpy(valid), image[:, bands].mean(dim=(-2, -1)), sample["cloud"])
        return out

    def sites(self, image: torch.Tensor) -> torch.Tensor:
        """Cloud the frames of a batch of whole sites at once, from the stream of draws (training).

        The same clouds as :meth:`__call__` in distribution (each frame clouded with probability
        ``frame_fraction``, its clouded share uniform in ``cover``, the clouds the top of a fractal field of
        spectral exponent 4), drawn for every frame of the batch in one go: a site batch of
        :class:`lslib.data.batches.SiteBatches` is clouded without a loop over frames.

        Parameters
        ----------
        image : torch.Tensor
            ``(site, time, band + 1, H, W)``: the bands and, last, the cloud-mask channel.

        Returns
        -------
        torch.Tensor
            A clouded copy: clouded pixels have their bands at 0 and their mask at 1.
        """
        if image.dim() != 5:
            raise ValueError(f"image must be (site, time, band + 1, H, W), got {tuple(image.shape)}")
        sites, frames, channels, rows, columns = image.shape
        rng = self._stream
        chosen = np.nonzero(rng.random(sites * frames) < self.frame_fraction)[0]
        cloudy = np.zeros((sites * frames, rows * columns), dtype=bool)
        if len(chosen):
            share = rng.uniform(*self.cover, size=len(chosen))
            first, second = _fractal_pairs(-(-len(chosen) // 2), (rows, columns), 4.0, rng)
            field = np.concatenate([first, second])[: len(chosen)].reshape(len(chosen), -1)
            cloudy[chosen] = _top_share(field, share)
        mask = torch.from_numpy(cloudy.reshape(sites, frames, 1, rows, columns)).to(image.device)
        bands = image[:, :, : channels - 1].masked_fill(mask, 0.0)
        flag = torch.where(mask, torch.ones_like(image[:, :, -1:]), image[:, :, -1:])
        return torch.cat([bands, flag], dim=2)


def _top_share(field: np.ndarray, share: np.ndarray) -> np.ndarray:
    """``(k, n)`` bool: the pixels of each row of ``field`` at or above its ``1 - share`` quantile.

    The same pixels as ``field >= np.quantile(field, 1 - share)`` (numpy's default "linear" method) row by
    row, without the loop: the top ``n - ceil((1 - share) (n - 1))`` pixels of each row, by rank."""
    n = field.shape[1]
    keep = n - np.ceil((1.0 - np.asarray(share)) * (n - 1)).astype(np.int64)
    rank = np.empty(field.shape, dtype=np.int64)
    np.put_along_axis(rank, np.argsort(field, axis=1), np.arange(n)[None, :], axis=1)
    return rank >= (n - keep)[:, None]


def _haze_layers(
    n_frames: int, shape: tuple[int, int], frame_share: float, opacity: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The veils and shadows :func:`unflagged_haze` puts on the frames of one site.

    Every frame's layers are drawn whether or not it is chosen, so a frame chosen at one ``frame_share``
    carries the same veil at any other (the draws do not depend on ``frame_share``).

    Returns
    -------
    chosen : numpy.ndarray
        ``(frame,)`` bool, the contaminated frames.
    veil : numpy.ndarray
        ``(frame, H, W)`` opacity of the veil in [0, 1] (0 on frames not chosen).
    cast : numpy.ndarray
        ``(frame, H, W)`` opacity of the veil between each pixel and the sun: the strength of its shadow.
    brightness : numpy.ndarray
        ``(frame,)`` blue reflectance of an opaque cloud of the veil's kind.
    """
    chosen = rng.random(n_frames) < frame_share
    field, _ = _fractal_pairs(n_frames, shape, 4.0, rng)  # the simulator's cloud fields (spectral exponent 4)
    peak = rng.uniform(*opacity, size=n_frames)
    cover = rng.uniform(*HAZE_COVER, size=n_frames)
    brightness = rng.uniform(*HAZE_BRIGHTNESS, size=n_frames)
    distance = rng.uniform(*HAZE_SHADOW_SHIFT_PX, size=n_frames)
    azimuth = rng.uniform(0.0, 2.0 * np.pi, size=n_frames)
    flat = field.reshape(n_frames, -1)
    cut = np.array([np.quantile(values, 1.0 - share) for values, share in zip(flat, cover)])
    ramp = np.clip(field - cut[:, None, None], 0.0, 1.0)  # thin edge rising over one sd of the field
    ramp /= np.maximum(ramp.max(axis=(-2, -1), keepdims=True), 1e-12)  # so the peak opacity is the drawn one
    veil = (chosen * peak)[:, None, None] * ramp
    shifts = np.stack([distance * np.cos(azimuth), distance * np.sin(azimuth)], axis=-1)
    return chosen, veil, _roll(veil, shifts), brightness


def unflagged_haze(
    image: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    frame_share: float = 0.5,
    seed: int = 0,
    opacity: tuple[float, float] = (0.15, 0.5),
) -> tuple[np.ndarray, np.ndarray]:
    """Thin haze veils and their shadows on a share of the frames, left out of the cloud mask.

    Each frame is contaminated, independently, with probability ``frame_share``. Its veil is the
    simulator's cloud field (fractal noise of spectral exponent 4, periodic) over a share of the frame drawn
    in :data:`HAZE_COVER`, rising over one sd of the field to a peak opacity drawn uniformly in
    ``opacity``. As in :func:`lslib.data.sim.sensors.observe`, the veil casts a shadow, the veil moved by
    a distance drawn in :data:`HAZE_SHADOW_SHIFT_PX` (rounded to whole pixels on each axis; it wraps round
    the frame, as the periodic field does) in a random direction, which darkens the surface by
    ``_SHADOW_LOSS`` times the casting opacity, and the veil mixes in the reflectance of a cloud (blue
    reflectance drawn in :data:`HAZE_BRIGHTNESS`, spectrum ``_CLOUD_SPECTRUM``: brighter, and bluer than
    most ground)::

        top = (1 - veil) * surface * (1 - cast * _SHADOW_LOSS) + veil * brightness * spectrum * (0.85 + 0.15 * veil)

    The bands are de-standardised to reflectance, contaminated and standardised again. The mask channel
    and the masked pixels (mask not 0) are left exactly as they were, and so are the frames not chosen
    and the pixels under neither veil nor shadow: the QA does not see the haze.

    Parameters
    ----------
    image : numpy.ndarray
        ``(site, frame, band + 1, H, W)`` float32: the six Landsat bands (blue, green, red, nir08,
        swir16, swir22) standardised per band as ``(reflectance - mean) / std``, and last the QA
        cloud-mask channel (1 = masked; masked pixels are 0 in every band).
    mean, std : numpy.ndarray
        ``(band,)`` per-band standardisation statistics, reflectance (0..1); ``std`` above 0.
    frame_share : float
        Probability in [0, 1] that a frame is contaminated.
    seed : int
        Non-negative seed. Site ``k`` (its index in ``image``) draws from
        ``numpy.random.default_rng([seed, k])``, so its haze does not depend on how many sites are passed,
        and every frame's layers are drawn whatever ``frame_share`` (a frame chosen at a lower share carries
        the same haze at a higher one).
    opacity : (float, float)
        Range ``0 <= low <= high <= 1`` of the veil's peak opacity.

    Returns
    -------
    perturbed : numpy.ndarray
        ``(site, frame, band + 1, H, W)`` float32, a contaminated copy of ``image`` (``image`` is not modified).
    contaminated : numpy.ndarray
        ``(site, frame)`` float32: the share of all ``H * W`` pixels of each frame that are unmasked and under
        veil opacity, or shadow casting opacity, of at least
        :data:`~lslib.data.sim.sensors.THIN_CLOUD_MIN_ALPHA` (0.1); 0 for frames left untouched.

    Raises
    ------
    ValueError
        If ``image`` is not 5-D with six bands and a mask, ``mean`` or ``std`` is not of shape ``(band,)``,
        ``std`` is not positive, ``frame_share`` is not in [0, 1], ``opacity`` is not a range in [0, 1], or
        ``seed`` is negative.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> mean, std = np.full(6, 0.1, np.float32), np.full(6, 0.05, np.float32)
    >>> image = np.zeros((1, 4, 7, 16, 16), np.float32)
    >>> image[:, :, :6] = rng.normal(size=(1, 4, 6, 16, 16))
    >>> hazy, contaminated = unflagged_haze(image, mean, std, frame_share=1.0, seed=0)
    >>> bool((contaminated > 0).all()), bool((hazy[:, :, 6] == image[:, :, 6]).all())
    (True, True)
    """
    image = np.asarray(image)
    if image.ndim != 5:
        raise ValueError(f"image must be 5-D (site, frame, band + 1, H, W), got shape {image.shape}")
    bands = image.shape[2] - 1
    if bands != len(_CLOUD_SPECTRUM):
        raise ValueError(
            f"image must have {len(_CLOUD_SPECTRUM)} bands and a mask channel, got {image.shape[2]} channels"
        )
    mean, std = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    for name, values in (("mean", mean), ("std", std)):
        if values.shape != (bands,):
            raise ValueError(f"{name} must have shape ({bands},), one value per band, got {values.shape}")
    if not (np.isfinite(std).all() and (std > 0.0).all()):
        raise ValueError(f"std must be positive and finite, got {std.tolist()}")
    if not 0.0 <= frame_share <= 1.0:
        raise ValueError(f"frame_share must be in [0, 1], got {frame_share}")
    if len(opacity) != 2 or not 0.0 <= opacity[0] <= opacity[1] <= 1.0:
        raise ValueError(f"opacity must be a range 0 <= low <= high <= 1, got {opacity}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")

    out = image.astype(np.float32, copy=True)
    n_sites, n_frames = image.shape[:2]
    contaminated = np.zeros((n_sites, n_frames), np.float32)
    scale, offset = std[:, None], mean[:, None]
    spectrum = _CLOUD_SPECTRUM[:, 0, 0].astype(np.float64)[:, None]
    loss = _SHADOW_LOSS[:, 0, 0].astype(np.float64)[:, None]
    for site in range(n_sites):
        rng = np.random.default_rng([int(seed), site])
        chosen, veil, cast, brightness = _haze_layers(n_frames, image.shape[-2:], frame_share, opacity, rng)
        clear = out[site, :, bands] == 0.0
        seen = (veil >= THIN_CLOUD_MIN_ALPHA) | (cast >= THIN_CLOUD_MIN_ALPHA)
        contaminated[site] = (seen & clear).mean(axis=(-2, -1))
        for frame in np.nonzero(chosen)[0]:
            touched = clear[frame] & ((veil[frame] > 0.0) | (cast[frame] > 0.0))
            if not touched.any():
                continue
            alpha, shade = veil[frame][touched], cast[frame][touched]
            surface = out[site, frame, :bands][:, touched] * scale + offset  # (band, pixel), reflectance
            cloud = brightness[frame] * spectrum * (0.85 + 0.15 * alpha)
            top = (1.0 - alpha) * surface * (1.0 - shade * loss) + alpha * cloud
            out[site, frame, :bands, touched] = ((top - offset) / scale).T.astype(np.float32)
    return out, contaminated
