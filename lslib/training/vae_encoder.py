"""Training, loading and applying the chapter-3 VAE encoder, shared by chapters 3, 5 and 6."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from lslib.data.patches import PatchDataset
from lslib.models.vae import ConvVAE, VAEConfig
from lslib.training.checkpoints import load_checkpoint
from lslib.training.loop import History, TrainConfig, fit

__all__ = ["loaders", "train_vae", "encode", "chapter3_encoder"]


def loaders(train: dict, val: dict, batch_size: int, seed: int) -> dict[str, DataLoader]:
    """Shuffled (seeded) training loader and ordered validation loader."""
    generator = torch.Generator().manual_seed(seed)
    return {
        "train": DataLoader(PatchDataset(train), batch_size=batch_size, shuffle=True, generator=generator),
        "val": DataLoader(PatchDataset(val), batch_size=batch_size),
    }


def train_vae(
    train: dict, val: dict, model_config: VAEConfig, train_config: TrainConfig, batch_size: int = 64
) -> tuple[ConvVAE, History]:
    """Build a :class:`ConvVAE` for the patches' channels and train it with :func:`lslib.training.loop.fit`."""
    if train["image"].shape[1] != model_config.in_channels:
        raise ValueError(
            f"Patches have {train['image'].shape[1]} channels but the VAE expects {model_config.in_channels}"
        )
    torch.manual_seed(train_config.seed)
    model = ConvVAE(model_config)
    history = fit(model, loaders(train, val, batch_size, train_config.seed), train_config)
    return model, history


@torch.no_grad()
def encode(model: ConvVAE, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Latent means ``(N, latent_dim)`` of ``images`` ``(N, C, H, W)``."""
    model.eval()
    device = next(model.parameters()).device
    codes = [
        model.encode(torch.from_numpy(images[i : i + batch_size]).to(device))[0].cpu().numpy()
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(codes) if codes else np.zeros((0, model.config.latent_dim), np.float32)


def chapter3_encoder(
    directory: str | Path,
    fallback_images: np.ndarray,
    seed: int,
    epochs: int = 8,
    fallback_directory: str | Path = "models/cgan_vae",
    fallback_mask: np.ndarray | None = None,
) -> tuple[ConvVAE, str]:
    """The chapter-3 VAE, loaded from its checkpoint in the run directory (``models/vae``) when
    chapter 3 ran there; otherwise trained here with chapter 3's settings on ``fallback_images``
    (checkpointed in ``fallback_directory``, never where chapter 3's model belongs), with
    ``fallback_mask`` (N, H, W; 1 usable) as the loss mask when given. Returns the model and a
    sentence saying which."""
    directory = Path(directory)
    if (directory / "best.pt").exists() and (directory / "config.json").exists():
        config = VAEConfig(**json.loads((directory / "config.json").read_text())["model"])
        model = ConvVAE(config)
        load_checkpoint(model, directory / "best.pt")
        return model.eval(), f"the chapter-3 VAE loaded from {directory / 'best.pt'}"
    n = len(fallback_images)
    order = np.random.default_rng(seed).permutation(n)
    mask = np.ones((n, *fallback_images.shape[-2:]), np.float32) if fallback_mask is None else fallback_mask
    patches = {"image": fallback_images, "mask": mask}
    train = {key: value[order[: int(0.85 * n)]] for key, value in patches.items()}
    val = {key: value[order[int(0.85 * n) :]] for key, value in patches.items()}
    model, _ = train_vae(
        train,
        val,
        VAEConfig(in_channels=fallback_images.shape[1], size=fallback_images.shape[-1]),
        TrainConfig(epochs=epochs, lr=2e-3, seed=seed, checkpoint_dir=str(fallback_directory), progress=False),
    )
    return model.eval(), (
        f"a VAE with chapter 3's settings trained here on {n} frames of this chapter "
        "(chapter 3 had not run in this directory)"
    )
