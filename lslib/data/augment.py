"""Synthetic clouds on model inputs: for training (cloud augmentation) and for the robustness test.

Clouds are thresholded fractal noise, the generator the simulator uses (spectral exponent 4), and are
*flagged*: cloudy pixels get the cloud-mask channel set to 1 and their bands set to 0, exactly as
:class:`lslib.data.dataset.LandslideDataset` encodes clouds that QA_PIXEL flags. The test therefore
asks whether a model can do without the frames clouds took away, not whether it can spot clouds.

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

from lslib.data.sim.terrain import fractal_noise

__all__ = ["SyntheticClouds"]


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
