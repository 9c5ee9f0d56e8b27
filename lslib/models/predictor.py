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
``meta`` (B, T, M). Outputs: ``logit`` (B,), ``trigger_logits`` (B, n_causes - 1) for the six triggers,
``cause_probs`` (B, n_causes), the distribution over all seven causes, and ``attention`` (B, T).

Examples
--------
>>> model = SpatioTemporalPredictor(PredictorConfig(size=16, use_sar=False))
>>> batch = {"image": torch.zeros(2, 5, 7, 16, 16), "time": torch.arange(5.0).repeat(2, 1) * 16,
...          "valid": torch.ones(2, 5, dtype=torch.bool), "meta": torch.zeros(2, 5, 9)}
>>> out = model(batch)
>>> tuple(out["logit"].shape), tuple(out["cause_probs"].shape), tuple(out["attention"].shape)
((2,), (2, 7), (2, 5))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lslib.causes import N_CAUSES, Cause

if Cause.THRIVING_FOREST != N_CAUSES - 1:  # cause_distribution puts "no landslide" last
    raise ImportError("lslib.causes must keep THRIVING_FOREST as the last cause")

__all__ = [
    "PredictorConfig",
    "SpatioTemporalPredictor",
    "cause_distribution",
    "day_encoding",
    "masked_attention",
    "gather_frames",
]


@dataclass
class PredictorConfig:
    """Hyper-parameters of :class:`SpatioTemporalPredictor`.

    ``pooling`` is ``"attention"`` or ``"mean"`` (the ablation); ``use_sar`` and ``use_meta`` switch
    the Sentinel-1 branch and the metadata encoder off for the ablations. ``norm="batch"`` puts a
    BatchNorm after each convolution of the frame encoders (what test-time BatchNorm adaptation
    re-estimates); ``meta_dropout`` is the probability, during training only, that a window's
    metadata summary is replaced by zeros (so the model cannot lean on it alone). ``clear_prior``
    adds the learned ``clear_weight * log(clear share + 0.05)`` to the attention score of each Landsat
    frame (see :class:`_TemporalPool`); False leaves the attention to find cloudy frames on its own.
    ``radar_width`` is the feature width of the Sentinel-1 branch (default ``width``): two speckled
    polarisations need fewer features than seven optical channels, and a site has more radar frames.
    """

    bands: int = 6
    size: int = 32
    meta_features: int = 9
    width: int = 32
    pooling: str = "attention"
    use_sar: bool = True
    use_meta: bool = True
    n_causes: int = N_CAUSES
    dropout: float = 0.1
    cause_weight: float = 0.5
    norm: str = "none"
    meta_dropout: float = 0.0
    clear_prior: bool = True
    radar_width: int | None = None

    def __post_init__(self) -> None:
        if self.norm not in ("none", "batch"):
            raise ValueError(f"norm must be 'none' or 'batch', got {self.norm!r}")
        if not 0.0 <= self.meta_dropout < 1.0:
            raise ValueError(f"meta_dropout must be in [0, 1), got {self.meta_dropout}")
        if self.pooling not in ("attention", "mean"):
            raise ValueError(f"pooling must be 'attention' or 'mean', got {self.pooling!r}")
        if self.width % 2:
            raise ValueError(f"width must be even (sinusoidal encoding), got {self.width}")
        if self.radar_width is not None and (self.radar_width < 4 or self.radar_width % 2):
            raise ValueError(f"radar_width must be an even number >= 4, got {self.radar_width}")
        if self.size < 8:
            raise ValueError(f"size must be >= 8 pixels, got {self.size}")


def cause_distribution(logit: Tensor, trigger_logits: Tensor) -> Tensor:
    """The distribution over the seven causes: P(slide) times P(trigger | slide) for the six
    triggers, and 1 - P(slide) for the last class, no landslide (thriving forest).

    Examples
    --------
    >>> probs = cause_distribution(torch.zeros(1), torch.zeros(1, 6))
    >>> [round(float(p), 3) for p in probs[0]]
    [0.083, 0.083, 0.083, 0.083, 0.083, 0.083, 0.5]
    """
    slide = torch.sigmoid(logit).unsqueeze(-1)
    return torch.cat([slide * torch.softmax(trigger_logits, dim=-1), 1.0 - slide], dim=-1)


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


def masked_attention(scores: Tensor, valid: Tensor, allow_empty: bool = False) -> Tensor:
    """Softmax over the last axis restricted to ``valid`` entries: padding gets exactly 0.

    With ``allow_empty`` a row without any valid entry gets all-zero weights (a window without a
    Sentinel-1 acquisition); otherwise such a row is an error.

    Raises
    ------
    ValueError
        A row has no valid entry (and ``allow_empty`` is False).
    """
    empty = ~valid.any(dim=-1, keepdim=True)
    if empty.any() and not allow_empty:
        raise ValueError("Every sample needs at least one valid frame (a window with no usable frame)")
    scores = scores.masked_fill(~valid, float("-inf")).masked_fill(empty, 0.0)
    return torch.softmax(scores, dim=-1).masked_fill(~valid, 0.0)


def gather_frames(per_site: Tensor, position: Tensor, frame: Tensor) -> Tensor:
    """The frames of each window, ``per_site[position[:, None], frame]``, gathered so that training is reproducible.

    Windows share their site's frames, so the backward pass sums several gradients into one frame. Advanced
    indexing would do it with ``index_put_(accumulate=True)``, which on a multi-threaded CPU adds with atomics
    once a batch is large enough (about 32,768 values): the order of the sums, and the last bits of the weights,
    then change from run to run. ``index_select`` backs up through ``index_add_``, which sums in index order.

    Parameters
    ----------
    per_site : Tensor
        ``(P, T, D)`` features of the ``T`` frames of ``P`` sites.
    position : Tensor
        ``(N,)`` the site of each window (an index into ``P``).
    frame : Tensor
        ``(N, F)`` the frames of each window (indices into ``T``).

    Returns
    -------
    Tensor
        ``(N, F, D)``.

    Examples
    --------
    >>> per_site = torch.arange(12.0).view(2, 3, 2)
    >>> gather_frames(per_site, torch.tensor([1, 0]), torch.tensor([[0, 2], [1, 1]]))[:, :, 0]
    tensor([[ 6., 10.],
            [ 2.,  2.]])
    """
    sites, frames = per_site.shape[:2]
    flat = (position[:, None] * frames + frame).reshape(-1)
    return per_site.reshape(sites * frames, -1).index_select(0, flat).view(*frame.shape, -1)


def _encoder(in_channels: int, width: int, norm: str = "none") -> nn.Sequential:
    """Per-frame CNN: a 4 x 4 patch embedding (120 m cells), two 3 x 3 convolutions, global average;
    with ``norm="batch"`` a BatchNorm follows each convolution."""

    def block(conv: nn.Conv2d) -> list[nn.Module]:
        return [conv] + ([nn.BatchNorm2d(conv.out_channels)] if norm == "batch" else []) + [nn.GELU()]

    return nn.Sequential(
        *block(nn.Conv2d(in_channels, width // 2, 4, stride=4)),
        *block(nn.Conv2d(width // 2, width, 3, padding=1)),
        *block(nn.Conv2d(width, width, 3, stride=2, padding=1)),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


class _TemporalPool(nn.Module):
    """Attention (learned query over day-encoded frames) or mean pooling over valid frames.

    The keys see each frame's features and its date (relative to the latest valid frame). For
    Landsat the score also gets ``clear_weight * log(clear share + 0.05)``: a prior that a frame's
    evidence grows with its clear pixels (the soft form of dropping cloudy dates, as time-series
    pipelines do). ``clear_weight`` starts at 1 and is learned, so training can keep, strengthen or
    undo the prior; the chapter reports its final value.
    """

    def __init__(self, width: int, pooling: str, allow_empty: bool = False, with_cloud: bool = False) -> None:
        super().__init__()
        self.pooling = pooling
        self.allow_empty = allow_empty
        self.with_cloud = with_cloud
        self.query = nn.Parameter(torch.randn(width) / math.sqrt(width))
        self.key = nn.Linear(width, width)
        self.clear_weight = nn.Parameter(torch.ones(())) if with_cloud else None

    def forward(
        self, features: Tensor, days: Tensor, valid: Tensor, cloud: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        latest = days.masked_fill(~valid, float("-inf")).max(dim=1, keepdim=True).values
        latest = torch.where(torch.isfinite(latest), latest, torch.zeros_like(latest))
        encoded = features + day_encoding((days - latest).masked_fill(~valid, 0.0), features.shape[-1])
        if self.pooling == "mean":
            weights = valid.float() / valid.float().sum(dim=1, keepdim=True).clamp(min=1.0)
        else:
            scores = self.key(encoded) @ self.query / math.sqrt(features.shape[-1])
            if self.clear_weight is not None:
                scores = scores + self.clear_weight * torch.log(1.0 - cloud + 0.05)
            weights = masked_attention(scores, valid, self.allow_empty)
        return (weights.unsqueeze(-1) * encoded).sum(dim=1), weights


def _all_finite(values: Tensor) -> bool:
    """Whether every entry is finite: a sum first (one pass, no boolean copy), the entrywise test if it is not."""
    if not values.is_floating_point():
        return True
    return bool(torch.isfinite(values.sum())) or bool(torch.isfinite(values).all())


class SpatioTemporalPredictor(nn.Module):
    """Landslide probability (logit) and a distribution over causes from a site's past frames."""

    loss_names = ("loss", "landslide", "cause")

    def __init__(self, config: PredictorConfig) -> None:
        super().__init__()
        w, rw = config.width, config.radar_width or config.width  # optical and radar channels
        self.config = config
        self.optical = _encoder(config.bands + 1, w, config.norm)
        self.optical_pool = _TemporalPool(w, config.pooling, with_cloud=config.clear_prior)
        self.radar = _encoder(2, rw, config.norm) if config.use_sar else None
        self.radar_pool = _TemporalPool(rw, config.pooling, allow_empty=True) if config.use_sar else None
        self.meta = nn.LSTM(config.meta_features, w, batch_first=True) if config.use_meta else None
        fused = w * (1 + int(config.use_meta)) + rw * int(config.use_sar)
        self.trunk = nn.Sequential(nn.Linear(fused, w), nn.GELU(), nn.Dropout(config.dropout))
        self.landslide_head = nn.Linear(w, 1)
        self.cause_head = nn.Linear(w, config.n_causes - 1)  # the triggers; the last class is "no landslide"

    def _check(self, batch: dict[str, Tensor]) -> None:
        image = batch["image"]
        expected = self.config.bands + 1
        if image.dim() != 5 or image.shape[2] != expected:
            raise ValueError(
                f"image must be (B, T, {expected}, H, W) - {self.config.bands} bands and a cloud mask - "
                f"got {tuple(image.shape)}"
            )
        needed = (
            ["image", "time"]
            + (["sar", "sar_time"] if self.config.use_sar else [])
            + (["meta"] if self.config.use_meta else [])
        )
        missing = [key for key in needed if key not in batch]
        if missing:
            raise ValueError(f"The batch lacks {missing} (it has {sorted(batch)})")
        if "valid" in batch and not batch["valid"].any(dim=1).all():
            raise ValueError("Every sample needs at least one valid frame (a window with no usable frame)")
        for key in ("image", "time", "meta", "sar", "sar_time"):
            # one reduction first (a NaN or an infinity makes the sum non-finite); the full test only then, so
            # an overflowing sum of finite values is not mistaken for one
            if key in batch and not _all_finite(batch[key]):
                raise ValueError(f"{key!r} contains NaN or infinite values")

    def _frames(self, encoder: nn.Module, frames: Tensor, valid: Tensor) -> Tensor:
        """Encode the valid frames only (padding gets zero features and never enters BatchNorm)."""
        if not valid.any():
            width = self.config.radar_width or self.config.width if encoder is self.radar else self.config.width
            return frames.new_zeros(frames.shape[:2] + (width,))
        encoded = encoder(frames[valid])
        out = encoded.new_zeros(frames.shape[:2] + (encoded.shape[-1],))
        out[valid] = encoded
        return out

    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """The outputs for a batch of window samples, or for a site batch of
        :class:`lslib.data.batches.SiteBatches` (recognised by its ``position`` key): there each site's frames
        are encoded once and every window gathers its frames from them."""
        self._check(batch)
        if "position" in batch:
            return self._forward_sites(batch)
        valid = batch.get("valid", torch.ones(batch["image"].shape[:2], dtype=torch.bool, device=batch["image"].device))
        cloud = batch["image"][:, :, -1].mean(dim=(-2, -1))  # masked share of each frame, from the mask channel
        optical = self._frames(self.optical, batch["image"], valid)
        radar = sar_valid = None
        if self.radar is not None:
            sar_valid = batch.get(
                "sar_valid", torch.ones(batch["sar"].shape[:2], dtype=torch.bool, device=optical.device)
            )
            radar = self._frames(self.radar, batch["sar"], sar_valid)
        return self._pool_and_heads(
            optical, batch["time"], valid, cloud, radar, batch.get("sar_time"), sar_valid, batch.get("meta")
        )

    def _forward_sites(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Site batches: encode the ``(P, T)`` frames once, gather the ``(N, F)`` frames of each window, and give
        every window its days relative to its own last frame."""
        position, frame = batch["position"], batch["frame"]
        sites, frames = batch["image"].shape[:2]
        optical = gather_frames(self.optical(batch["image"].flatten(0, 1)).view(sites, frames, -1), position, frame)
        cloud = batch["image"][:, :, -1].mean(dim=(-2, -1))[position[:, None], frame]
        end = batch["time"][position, frame[:, -1]][:, None]
        time = batch["time"][position[:, None], frame] - end
        valid = torch.ones(frame.shape, dtype=torch.bool, device=frame.device)
        radar = sar_time = sar_valid = None
        if self.radar is not None:
            sar_frame = batch["sar_frame"]
            n_sar = batch["sar"].shape[1]
            radar = gather_frames(self.radar(batch["sar"].flatten(0, 1)).view(sites, n_sar, -1), position, sar_frame)
            sar_time = batch["sar_time"][position[:, None], sar_frame] - end
            sar_valid = torch.ones(sar_frame.shape, dtype=torch.bool, device=frame.device)
        meta = batch["meta"][position[:, None], frame] if self.meta is not None else None
        return self._pool_and_heads(optical, time, valid, cloud, radar, sar_time, sar_valid, meta)

    def _pool_and_heads(
        self,
        optical: Tensor,
        time: Tensor,
        valid: Tensor,
        cloud: Tensor,
        radar: Tensor | None,
        sar_time: Tensor | None,
        sar_valid: Tensor | None,
        meta: Tensor | None,
    ) -> dict[str, Tensor]:
        """Temporal pooling of the encoded frames, the weather LSTM, the trunk and both heads."""
        optical, attention = self.optical_pool(optical, time, valid, cloud)
        parts = [optical]
        if self.radar is not None:
            radar, _ = self.radar_pool(radar, sar_time, sar_valid)
            parts.append(radar)
        if self.meta is not None:
            sequence, _ = self.meta(meta)
            last = valid.long().cumsum(dim=1).argmax(dim=1)  # index of the last valid frame
            summary = sequence[torch.arange(len(last)), last]
            if self.training and self.config.meta_dropout > 0:
                keep = torch.rand(len(summary), 1, device=summary.device) >= self.config.meta_dropout
                summary = summary * keep
            parts.append(summary)
        hidden = self.trunk(torch.cat(parts, dim=-1))
        logit = self.landslide_head(hidden).squeeze(-1)
        trigger_logits = self.cause_head(hidden)
        return {
            "logit": logit,
            "trigger_logits": trigger_logits,
            "cause_probs": cause_distribution(logit, trigger_logits),
            "attention": attention,
            "hidden": hidden,
        }

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Binary cross-entropy of the landslide head plus ``cause_weight`` times the cross-entropy of
        the trigger head on the windows that did slide (the cause of a slide that never happened is
        not a target)."""
        return self.losses(self(batch), batch)

    def losses(self, out: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """The losses of :meth:`training_step` from outputs ``out`` of this model on ``batch``."""
        label = batch["label"].float()
        landslide = F.binary_cross_entropy_with_logits(out["logit"], label)
        slid = label > 0.5
        cause = (
            F.cross_entropy(out["trigger_logits"][slid], batch["cause"].long()[slid])
            if slid.any()
            else out["trigger_logits"].sum() * 0.0
        )
        return {"loss": landslide + self.config.cause_weight * cause, "landslide": landslide, "cause": cause}

    def config_dict(self) -> dict:
        return asdict(self.config)
