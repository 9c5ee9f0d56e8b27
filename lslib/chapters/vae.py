"""Chapter 3's workflow around the VAE: loaders, training, evaluation, encoding and probes.

Kept here so the notebook only tells the story. Every function takes the patch dictionaries of
:func:`lslib.data.patches.frame_patches`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from lslib.models.probes import linear_probe_accuracy, majority_rate, pca_features
from lslib.models.vae import ConvVAE

__all__ = ["subset", "evaluate_vae", "probe_table"]


def subset(patches: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The patches where ``keep`` is True (every field)."""
    return {key: value[keep] for key, value in patches.items()}


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


