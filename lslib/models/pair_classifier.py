"""A supervised detector of change between two images: is this (before, after) pair a mine?

Chapter 5 scores it twice. Trained on every labelled training pair, it is the *ceiling* of the mining
detectors, since it sees what they see (both images and the terrain) and learns from the labels.
Trained on a few real mines, with or without generated mined futures beside them, it tests whether
generated futures help when real examples are scarce.

The network is small on purpose: three strided 3 x 3 convolutions over the earlier image, the later
image, their difference and the terrain, then the mean *and* the maximum of the last features over the
image (a pit covers a few per cent of a patch, and an average alone would dilute it), and a linear
logit. Each sample may carry a ``weight``, so that a class with few members weighs as much as the other.
:mod:`lslib.training.pair_classifier` trains it.

Examples
--------
>>> model = PairClassifier(PairClassifierConfig(size=16, width=8))
>>> x = torch.zeros(2, 6, 16, 16)
>>> tuple(model(x, x, torch.zeros(2, 3, 16, 16)).shape)
(2,)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["PairClassifierConfig", "PairClassifier", "balanced_weights"]


@dataclass(frozen=True)
class PairClassifierConfig:
    """Shape of :class:`PairClassifier`.

    Attributes
    ----------
    bands : int
        Bands of each image (normalised).
    n_terrain : int
        Terrain channels (:data:`lslib.data.pairs.TERRAIN_CHANNELS`).
    size : int
        Pixels per side, a multiple of 8.
    width : int
        Channels of the first convolution (doubling at each of the next two).
    """

    bands: int = 6
    n_terrain: int = 3
    size: int = 32
    width: int = 16

    def __post_init__(self) -> None:
        if self.size < 8 or self.size % 8:
            raise ValueError(f"size must be a positive multiple of 8, got {self.size}")
        if self.width < 1 or self.bands < 1 or self.n_terrain < 0:
            raise ValueError(f"bands, width must be >= 1 and n_terrain >= 0, got {self}")


class PairClassifier(nn.Module):
    """A logit that a (before, after) pair shows the positive class (see the module docstring)."""

    def __init__(self, config: PairClassifierConfig) -> None:
        super().__init__()
        self.config = config
        width, channels = config.width, 3 * config.bands + config.n_terrain
        layers: list[nn.Module] = []
        for cin, cout in ((channels, width), (width, 2 * width), (2 * width, 4 * width)):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.GroupNorm(1, cout), nn.SiLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * width, 1)

    def forward(self, source: Tensor, target: Tensor, terrain: Tensor) -> Tensor:
        """Logits ``(n,)`` of ``(n, bands, H, W)`` images and ``(n, n_terrain, H, W)`` terrain."""
        if source.shape != target.shape or source.shape[1] != self.config.bands:
            raise ValueError(
                f"source and target must both be (n, {self.config.bands}, H, W), got "
                f"{tuple(source.shape)} and {tuple(target.shape)}"
            )
        features = self.features(torch.cat([source, target, target - source, terrain], dim=1))
        pooled = torch.cat([features.mean(dim=(2, 3)), features.amax(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(1)

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Weighted binary cross-entropy of ``batch["label"]`` (1: positive), the weights normalised to mean 1."""
        logits = self(batch["source"], batch["target"], batch["terrain"])
        weight = batch.get("weight", torch.ones_like(logits))
        loss = F.binary_cross_entropy_with_logits(logits, batch["label"].float(), weight=weight / weight.mean())
        return {"loss": loss}

    def config_dict(self) -> dict:
        return asdict(self.config)


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Per-sample weights that give both classes the same total weight (mean 1).

    Examples
    --------
    >>> balanced_weights(np.array([1, 0, 0, 0])).tolist()
    [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]

    Raises
    ------
    ValueError
        One class is absent.
    """
    labels = np.asarray(labels).astype(bool)
    n_pos, n = int(labels.sum()), len(labels)
    if not 0 < n_pos < n:
        raise ValueError(f"balanced weights need both classes, got {n_pos} positives of {n}")
    return np.where(labels, n / (2 * n_pos), n / (2 * (n - n_pos)))
