"""A convolutional beta-VAE over multi-band image patches, with cloud-masked reconstruction.

Kingma and Welling (2013) with the beta weighting of the KL term. Pixels flagged by QA_PIXEL
(cloud, shadow, ...) are excluded from the reconstruction loss, so the model is never asked to
reproduce clouds and never rewarded for it.

Shapes: ``x`` is ``(B, C, H, W)`` with ``H == W == size`` (a power of two, at least 16), ``mask``
is ``(B, H, W)`` with 1 for usable pixels; the latent is ``(B, latent_dim)``.

Examples
--------
>>> model = ConvVAE(VAEConfig(in_channels=6, size=16, latent_dim=4))
>>> out = model(torch.zeros(2, 6, 16, 16))
>>> tuple(out["reconstruction"].shape), tuple(out["mu"].shape)
((2, 6, 16, 16), (2, 4))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

__all__ = ["VAEConfig", "ConvVAE", "kl_divergence", "masked_mse"]


@dataclass
class VAEConfig:
    """Hyper-parameters of :class:`ConvVAE`.

    Attributes
    ----------
    in_channels : int
        Bands per patch (6 Landsat bands, 8 with SAR, 1 for NDVI only).
    size : int
        Patch side in pixels (power of two, >= 16).
    latent_dim : int
        Size of the latent code.
    beta : float
        Weight of the KL term (1 is the plain VAE).
    width : int
        Channels of the first convolution (doubled at each of the three downsamplings).
    """

    in_channels: int = 6
    size: int = 32
    latent_dim: int = 8
    beta: float = 1.0
    width: int = 16

    def __post_init__(self) -> None:
        if self.in_channels < 1:
            raise ValueError(f"in_channels must be >= 1, got {self.in_channels}")
        if self.size < 16 or self.size & (self.size - 1):
            raise ValueError(f"size must be a power of two >= 16, got {self.size}")
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {self.latent_dim}")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) || N(0, I)) per sample, ``(B,)``; never negative.

    Examples
    --------
    >>> float(kl_divergence(torch.zeros(1, 3), torch.zeros(1, 3))[0])
    0.0
    """
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar, dim=1)


def masked_mse(x: Tensor, reconstruction: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """Squared error summed over usable pixels and bands per sample ``(B,)``, and per band ``(C,)`` means."""
    error = (reconstruction - x).pow(2)
    if mask is not None:
        error = error * mask.unsqueeze(1)
        count = mask.sum(dim=(1, 2)).clamp(min=1.0)
        per_band = error.sum(dim=(0, 2, 3)) / mask.sum().clamp(min=1.0)
    else:
        count = torch.full((x.shape[0],), float(x.shape[2] * x.shape[3]), device=x.device)
        per_band = error.mean(dim=(0, 2, 3))
    # scale to a full patch so that masked and unmasked samples weigh alike
    per_sample = error.sum(dim=(1, 2, 3)) * (x.shape[2] * x.shape[3]) / count
    return per_sample, per_band


class ConvVAE(nn.Module):
    """Convolutional VAE: three stride-2 convolutions down, three transposed convolutions up."""

    loss_names = ("loss", "reconstruction", "kl")

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.encoder = nn.Sequential(
            nn.Conv2d(config.in_channels, w, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1),
            nn.GELU(),
        )
        self.bottom = config.size // 8
        flat = 4 * w * self.bottom * self.bottom
        self.to_mu = nn.Linear(flat, config.latent_dim)
        self.to_logvar = nn.Linear(flat, config.latent_dim)
        self.from_latent = nn.Linear(config.latent_dim, flat)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
            nn.GELU(),
            nn.ConvTranspose2d(w, config.in_channels, 4, stride=2, padding=1),
        )

    def _check(self, x: Tensor) -> None:
        expected = (self.config.in_channels, self.config.size, self.config.size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"ConvVAE expects input of shape (B, {expected[0]}, {expected[1]}, {expected[2]}) "
                f"(bands, height, width), got {tuple(x.shape)}"
            )
        if not torch.isfinite(x).all():
            raise ValueError("ConvVAE input contains NaN or infinite values: fill masked pixels (e.g. with 0) first")

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of q(z|x), each ``(B, latent_dim)``."""
        self._check(x)
        hidden = self.encoder(x).flatten(1)
        return self.to_mu(hidden), self.to_logvar(hidden).clamp(-12.0, 8.0)

    def decode(self, z: Tensor) -> Tensor:
        """Reconstruction ``(B, C, H, W)`` from latent codes ``(B, latent_dim)``."""
        hidden = self.from_latent(z).view(z.shape[0], 4 * self.config.width, self.bottom, self.bottom)
        return self.decoder(hidden)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return {"reconstruction": self.decode(z), "mu": mu, "logvar": logvar, "z": z}

    def losses(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Named losses of a batch (``image`` (B, C, H, W) and optional ``mask`` (B, H, W))."""
        x = batch["image"]
        out = self(x)
        reconstruction, per_band = masked_mse(x, out["reconstruction"], batch.get("mask"))
        kl = kl_divergence(out["mu"], out["logvar"])
        # ELBO under a unit-variance Gaussian likelihood, constant term omitted
        elbo = -(0.5 * reconstruction + kl)
        loss = (0.5 * reconstruction + self.config.beta * kl).mean()
        return {
            "loss": loss,
            "reconstruction": reconstruction.mean(),
            "kl": kl.mean(),
            "elbo": elbo.mean(),
            "per_band_mse": per_band.detach(),
        }

    def training_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """The losses the training loop optimises (``loss``) and logs (the others)."""
        return self.losses(batch)

    def config_dict(self) -> dict:
        return asdict(self.config)
