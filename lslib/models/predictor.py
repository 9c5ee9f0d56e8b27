"""Spatio-temporal landslide predictor: per-frame CNN, temporal attention on real day offsets,
a Sentinel-1 branch, an LSTM over the weather metadata, and two heads (landslide, cause).

In the spirit of L-TAE / U-TAE (Garnot & Landrieu): frames are encoded independently, their
acquisition dates (in days, so irregular revisits and missing frames are handled) are added as a
sinusoidal positional encoding, and a learned query attends over the valid frames. Padding frames get
exactly zero weight. Metadata follows Christie et al. (2018): an LSTM (Hochreiter & Schmidhuber 1997)
encodes the per-frame weather sequence and its output is fused with the image features.

Shapes (B sites, T Landsat frames, S Sentinel-1 frames, H x W pixels):
``image`` (B, T, C, H, W) with C = bands + 1 cloud-mask channel; ``time`` (B, T) days;
``valid`` (B, T) bool; ``sar`` (B, S, 2, H, W); ``sar_time`` (B, S); ``sar_valid`` (B, S);
``meta`` (B, T, M). Outputs: ``logit`` (B,), ``cause_logits`` (B, n_causes), ``attention`` (B, T).

Examples
--------
>>> model = SpatioTemporalPredictor(PredictorConfig(size=16, use_sar=False))
>>> batch = {"image": torch.zeros(2, 5, 7, 16, 16), "time": torch.arange(5.0).repeat(2, 1) * 16,
...          "valid": torch.ones(2, 5, dtype=torch.bool), "meta": torch.zeros(2, 5, 8)}
>>> out = model(batch)
>>> tuple(out["logit"].shape), tuple(out["cause_logits"].shape), tuple(out["attention"].shape)
((2,), (2, 7), (2, 5))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lslib.causes import N_CAUSES

__all__ = ["PredictorConfig", "SpatioTemporalPredictor", "day_encoding", "masked_attention"]


@dataclass
class PredictorConfig:
    """Hyper-parameters of :class:`SpatioTemporalPredictor`.

    ``pooling`` is ``"attention"`` or ``"mean"`` (the ablation); ``use_sar`` and ``use_meta`` switch
    the Sentinel-1 branch and the metadata encoder off for the ablations.
    """

    bands: int = 6
    size: int = 32
    meta_features: int = 8
    width: int = 32
    pooling: str = "attention"
    use_sar: bool = True
    use_meta: bool = True
    n_causes: int = N_CAUSES
    dropout: float = 0.1
    cause_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.pooling not in ("attention", "mean"):
            raise ValueError(f"pooling must be 'attention' or 'mean', got {self.pooling!r}")
        if self.width % 2:
            raise ValueError(f"width must be even (sinusoidal encoding), got {self.width}")
        if self.size < 8:
            raise ValueError(f"size must be >= 8 pixels, got {self.size}")


def day_encoding(days: Tensor, dim: int, period: float = 1000.0) -> Tensor:
    """Sinusoidal encoding ``(..., dim)`` of acquisition times in days (not frame indices).

    Examples
    --------
    >>> day_encoding(torch.tensor([0.0, 16.0]), 4).shape
    torch.Size([2, 4])
    """
    frequencies = torch.exp(-math.log(period) * torch.arange(0, dim, 2, device=days.device) / dim)
    angles = days.unsqueeze(-1) * frequencies
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


def masked_attention(scores: Tensor, valid: Tensor) -> Tensor:
    """Softmax over the last axis restricted to ``valid`` entries: padding gets exactly 0.

    Raises
    ------
    ValueError
        A row has no valid entry.
    """
    if not valid.any(dim=-1).all():
        raise ValueError("Every sample needs at least one valid frame (a window with no usable frame)")
    scores = scores.masked_fill(~valid, float("-inf"))
    return torch.softmax(scores, dim=-1).masked_fill(~valid, 0.0)


def _encoder(in_channels: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, width // 2, 3, stride=2, padding=1), nn.GELU(),
        nn.Conv2d(width // 2, width, 3, stride=2, padding=1), nn.GELU(),
        nn.Conv2d(width, width, 3, padding=1), nn.GELU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class _TemporalPool(nn.Module):
    """Attention (learned query over day-encoded frames) or mean pooling over valid frames."""

    def __init__(self, width: int, pooling: str) -> None:
        super().__init__()
        self.pooling = pooling
        self.query = nn.Parameter(torch.randn(width) / math.sqrt(width))
        self.key = nn.Linear(width, width)

    def forward(self, features: Tensor, days: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        encoded = features + day_encoding(days - days.max(dim=1, keepdim=True).values, features.shape[-1])
        if self.pooling == "mean":
            weights = valid.float() / valid.float().sum(dim=1, keepdim=True).clamp(min=1.0)
        else:
            scores = self.key(encoded) @ self.query / math.sqrt(features.shape[-1])
            weights = masked_attention(scores, valid)
        return (weights.unsqueeze(-1) * encoded).sum(dim=1), weights


class SpatioTemporalPredictor(nn.Module):
    """Landslide probability (logit) and a distribution over causes from a site's past frames."""

    loss_names = ("loss", "landslide", "cause")

    def __init__(self, config: PredictorConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.optical = _encoder(config.bands + 1, w)
        self.optical_pool = _TemporalPool(w, config.pooling)
        self.radar = _encoder(2, w) if config.use_sar else None
        self.radar_pool = _TemporalPool(w, config.pooling) if config.use_sar else None
        self.meta = nn.LSTM(config.meta_features, w, batch_first=True) if config.use_meta else None
        fused = w * (1 + int(config.use_sar) + int(config.use_meta))
        self.trunk = nn.Sequential(nn.Linear(fused, w), nn.GELU(), nn.Dropout(config.dropout))
        self.landslide_head = nn.Linear(w, 1)
        self.cause_head = nn.Linear(w, config.n_causes)

    def _check(self, batch: dict[str, Tensor]) -> None:
        image = batch["image"]
        expected = self.config.bands + 1
        if image.dim() != 5 or image.shape[2] != expected:
            raise ValueError(f"image must be (B, T, {expected}, H, W) - {self.config.bands} bands and a cloud mask - "
                             f"got {tuple(image.shape)}")
        needed = ["image", "time"] + (["sar", "sar_time"] if self.config.use_sar else []) + \
            (["meta"] if self.config.use_meta else [])
        missing = [key for key in needed if key not in batch]
        if missing:
            raise ValueError(f"The batch lacks {missing} (it has {sorted(batch)})")
        for key in ("image", "time", "meta", "sar", "sar_time"):
            if key in batch and not torch.isfinite(batch[key]).all():
                raise ValueError(f"{key!r} contains NaN or infinite values")

    def _frames(self, encoder: nn.Module, frames: Tensor) -> Tensor:
        b, t = frames.shape[:2]
        return encoder(frames.flatten(0, 1)).view(b, t, -1)

    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        self._check(batch)
        valid = batch.get("valid", torch.ones(batch["image"].shape[:2], dtype=torch.bool, device=batch["image"].device))
        optical, attention = self.optical_pool(self._frames(self.optical, batch["image"]), batch["time"], valid)
        parts = [optical]
        if self.radar is not None:
            sar_valid = batch.get("sar_valid", torch.ones(batch["sar"].shape[:2], dtype=torch.bool, device=optical.device))
            radar, _ = self.radar_pool(self._frames(self.radar, batch["sar"]), batch["sar_time"], sar_valid)
            parts.append(radar)
        if self.meta is not None:
            sequence, _ = self.meta(batch["meta"])
            last = (valid.long().cumsum(dim=1).argmax(dim=1))  # index of the last valid frame
            parts.append(sequence[torch.arange(len(last)), last])
        hidden = self.trunk(torch.cat(parts, dim=-1))
        return {"logit": self.landslide_head(hidden).squeeze(-1), "cause_logits": self.cause_head(hidden),
                "attention": attention}

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        out = self(batch)
        landslide = F.binary_cross_entropy_with_logits(out["logit"], batch["label"].float())
        cause = F.cross_entropy(out["cause_logits"], batch["cause"].long())
        return {"loss": landslide + self.config.cause_weight * cause, "landslide": landslide, "cause": cause}

    def config_dict(self) -> dict:
        return asdict(self.config)
