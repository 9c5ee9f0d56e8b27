"""Chapter 3's workflow around the VAE: loaders, training, evaluation, encoding and probes.

Kept here so the notebook only tells the story. Every function takes the patch dictionaries of
:func:`lslib.data.patches.frame_patches`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from lslib.models.probes import linear_probe_accuracy, majority_rate, pca_features
from lslib.models.vae import ConvVAE, VAEConfig
from lslib.train import History, TrainConfig, fit, load_checkpoint, resolve_device

__all__ = ["PatchDataset", "loaders", "train_vae", "encode", "evaluate_vae", "probe_table", "subset",
           "chapter3_encoder"]


class PatchDataset(Dataset):
    """Patches as dict samples: ``image`` (C, H, W) and ``mask`` (H, W)."""

    def __init__(self, patches: dict[str, np.ndarray]) -> None:
        self.image = torch.from_numpy(patches["image"])
        self.mask = torch.from_numpy(patches["mask"])

    def __len__(self) -> int:
        return len(self.image)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": self.image[index], "mask": self.mask[index]}


def subset(patches: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The patches where ``keep`` is True (every field)."""
    return {key: value[keep] for key, value in patches.items()}


def loaders(train: dict, val: dict, batch_size: int, seed: int) -> dict[str, DataLoader]:
    """Shuffled (seeded) training loader and ordered validation loader."""
    generator = torch.Generator().manual_seed(seed)
    return {"train": DataLoader(PatchDataset(train), batch_size=batch_size, shuffle=True, generator=generator),
            "val": DataLoader(PatchDataset(val), batch_size=batch_size)}


def train_vae(train: dict, val: dict, model_config: VAEConfig, train_config: TrainConfig,
              batch_size: int = 64) -> tuple[ConvVAE, History]:
    """Build a :class:`ConvVAE` for the patches' channels and train it with :func:`lslib.train.fit`."""
    if train["image"].shape[1] != model_config.in_channels:
        raise ValueError(f"Patches have {train['image'].shape[1]} channels but the VAE expects {model_config.in_channels}")
    torch.manual_seed(train_config.seed)
    model = ConvVAE(model_config)
    history = fit(model, loaders(train, val, batch_size, train_config.seed), train_config)
    return model, history


@torch.no_grad()
def encode(model: ConvVAE, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Latent means ``(N, latent_dim)`` of ``images`` ``(N, C, H, W)``."""
    model.eval()
    device = next(model.parameters()).device
    codes = [model.encode(torch.from_numpy(images[i:i + batch_size]).to(device))[0].cpu().numpy()
             for i in range(0, len(images), batch_size)]
    return np.concatenate(codes) if codes else np.zeros((0, model.config.latent_dim), np.float32)


@torch.no_grad()
def evaluate_vae(model: ConvVAE, patches: dict, band_names: list[str], batch_size: int = 256) -> dict[str, Any]:
    """ELBO, reconstruction error (mean squared error of usable, normalised pixels, per band and
    overall) and KL on ``patches``, with the model in evaluation mode (z = mean)."""
    model.eval()
    device = next(model.parameters()).device
    totals = {"elbo": 0.0, "kl": 0.0, "squared": np.zeros(len(band_names)), "pixels": 0.0}
    for start in range(0, len(patches["image"]), batch_size):
        x = torch.from_numpy(patches["image"][start:start + batch_size]).to(device)
        mask = torch.from_numpy(patches["mask"][start:start + batch_size]).to(device)
        losses = model.losses({"image": x, "mask": mask})
        totals["elbo"] += float(losses["elbo"]) * len(x)
        totals["kl"] += float(losses["kl"]) * len(x)
        reconstruction = model(x)["reconstruction"]
        totals["squared"] += ((reconstruction - x).pow(2) * mask[:, None]).sum(dim=(0, 2, 3)).cpu().numpy()
        totals["pixels"] += float(mask.sum())
    count = len(patches["image"])
    per_band = totals["squared"] / max(totals["pixels"], 1.0)
    return {"elbo": totals["elbo"] / count, "kl": totals["kl"] / count, "recon_mse": float(per_band.mean()),
            "recon_mse_per_band": dict(zip(band_names, per_band.round(5).tolist()))}


def probe_table(train_latent: np.ndarray, test_latent: np.ndarray, train: dict, test: dict,
                targets=("region", "season", "cause"), seed: int = 0) -> pd.DataFrame:
    """Linear-probe accuracy from the VAE latent, from PCA of raw pixels with the same dimension,
    and of always guessing the majority class, for each target."""
    dim = train_latent.shape[1]
    pca_train, pca_test = pca_features(train["image"], test["image"], dim, seed=seed)
    rows = []
    for target in targets:
        rows.append({
            "target": target,
            "vae_latent": linear_probe_accuracy(train_latent, train[target], test_latent, test[target], seed=seed),
            "pca_pixels": linear_probe_accuracy(pca_train, train[target], pca_test, test[target], seed=seed),
            "chance": majority_rate(test[target]),
            "classes": int(len(np.unique(train[target]))),
        })
    return pd.DataFrame(rows).set_index("target")


def device_name() -> str:
    """Where training runs: ``cuda`` when a GPU is present, else ``cpu``."""
    return str(resolve_device("auto"))


def chapter3_encoder(directory: str | Path, fallback_images: np.ndarray, seed: int, epochs: int = 8,
                     fallback_directory: str | Path = "models/cgan_vae",
                     fallback_mask: np.ndarray | None = None) -> tuple[ConvVAE, str]:
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
    val = {key: value[order[int(0.85 * n):]] for key, value in patches.items()}
    model, _ = train_vae(train, val, VAEConfig(in_channels=fallback_images.shape[1], size=fallback_images.shape[-1]),
                         TrainConfig(epochs=epochs, lr=2e-3, seed=seed, checkpoint_dir=str(fallback_directory),
                                     progress=False))
    return model.eval(), (f"a VAE with chapter 3's settings trained here on {n} frames of this chapter "
                          "(chapter 3 had not run in this directory)")
