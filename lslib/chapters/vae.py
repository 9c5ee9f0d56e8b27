"""Chapter 3's workflow around the VAE: loaders, training, evaluation, encoding and probes.

Kept here so the notebook only tells the story. Every function takes the patch dictionaries of
:func:`lslib.data.patches.frame_patches`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from lslib.book.report import Answer, Finding, answers, needs, value_of
from lslib.models.probes import linear_probe_accuracy, majority_rate, pca_features
from lslib.models.vae import ConvVAE

__all__ = ["subset", "evaluate_vae", "probe_table", "SIM2REAL_TRACKS", "summary"]

#: Absolute correlation from which real frames count as moving through the simulated latent space with their NDVI.
SIM2REAL_TRACKS = 0.5


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
        x = torch.from_numpy(patches["image"][start : start + batch_size]).to(device)
        mask = torch.from_numpy(patches["mask"][start : start + batch_size]).to(device)
        losses = model.losses({"image": x, "mask": mask})
        totals["elbo"] += float(losses["elbo"]) * len(x)
        totals["kl"] += float(losses["kl"]) * len(x)
        reconstruction = model(x)["reconstruction"]
        totals["squared"] += ((reconstruction - x).pow(2) * mask[:, None]).sum(dim=(0, 2, 3)).cpu().numpy()
        totals["pixels"] += float(mask.sum())
    count = len(patches["image"])
    per_band = totals["squared"] / max(totals["pixels"], 1.0)
    return {
        "elbo": totals["elbo"] / count,
        "kl": totals["kl"] / count,
        "recon_mse": float(per_band.mean()),
        "recon_mse_per_band": dict(zip(band_names, per_band.round(5).tolist())),
    }


def probe_table(
    train_latent: np.ndarray,
    test_latent: np.ndarray,
    train: dict,
    test: dict,
    targets=("region", "season", "cause"),
    seed: int = 0,
) -> pd.DataFrame:
    """Linear-probe accuracy from the VAE latent, from PCA of raw pixels with the same dimension,
    and of always guessing the majority class, for each target."""
    dim = train_latent.shape[1]
    pca_train, pca_test = pca_features(train["image"], test["image"], dim, seed=seed)
    rows = []
    for target in targets:
        rows.append(
            {
                "target": target,
                "vae_latent": linear_probe_accuracy(train_latent, train[target], test_latent, test[target], seed=seed),
                "pca_pixels": linear_probe_accuracy(pca_train, train[target], pca_test, test[target], seed=seed),
                "chance": majority_rate(test[target]),
                "classes": int(len(np.unique(train[target]))),
            }
        )
    return pd.DataFrame(rows).set_index("target")


@answers("What does a VAE of simulated Landsat frames keep?", "simulated", "reconstruction MSE, band variances")
def _reconstruction_finding(metrics: Mapping[str, Any]) -> Answer:
    mse = value_of(metrics, "vae_recon_mse")
    if math.isnan(mse):
        answer = "Not measured in this run."
    elif mse < 1.0:
        answer = (
            f"Part of each frame: the test frames come back with a mean squared error of {mse:.2f} of a band's "
            f"variance (it keeps {1 - mse:.0%} of it), better than predicting every band's mean."
        )
    else:
        answer = (
            f"Little: the test frames come back with a mean squared error of {mse:.2f} of a band's variance, "
            "no better than predicting every band's mean (1)."
        )
    return Answer(answer, mse)


_LABELS = {"region": "the region", "season": "the season of acquisition", "cause": "the site's cause"}


def _probe_finding(metrics: Mapping[str, Any], target: str) -> Finding:
    latent, pca = value_of(metrics, f"probe_{target}_acc_latent"), value_of(metrics, f"probe_{target}_acc_pca")
    chance = value_of(metrics, f"probe_{target}_chance")
    label = _LABELS[target]
    if math.isnan(latent) or math.isnan(chance):
        answer = "Not measured in this run."
    elif latent > chance:
        answer = (
            f"Yes, above chance: a linear probe reads {label} from the latent code {latent:.0%} of the time, "
            f"against {chance:.0%} for always guessing the commonest class (PCA of pixels: {pca:.0%})."
        )
    else:
        answer = (
            f"No: a linear probe reads {label} from the latent code {latent:.0%} of the time, not above "
            f"{chance:.0%} for always guessing the commonest class (PCA of pixels: {pca:.0%})."
        )
    return Finding(f"Does the latent space know {label}, unasked?", answer, latent, None, "simulated", "probe accuracy")


@answers("Do real frames move through the simulated latent space with their seasons?", "real", "correlation with NDVI")
@needs("sim2real_latent_ndvi_corr", missing="Not measured: the real Sentinel-2 patch was unavailable in this run.")
def _sim2real_finding(metrics: Mapping[str, Any]) -> Answer:
    correlation, frames = value_of(metrics, "sim2real_latent_ndvi_corr"), value_of(metrics, "sim2real_frames")
    tracks = abs(correlation) >= SIM2REAL_TRACKS
    answer = (
        f"{'Yes' if tracks else 'No'}: along the first latent axis of the simulated NDVI space, {frames:.0f} real "
        f"Sentinel-2 frames {'follow' if tracks else 'hardly follow'} their greenness (|correlation| "
        f"{abs(correlation):.2f} with their median NDVI; {SIM2REAL_TRACKS} reads as following)."
    )
    return Answer(answer, correlation)


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 3's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`), with the probe
        accuracies ``probe_<target>_acc_latent``, ``probe_<target>_acc_pca`` and
        ``probe_<target>_chance`` for region, season and cause.

    Returns
    -------
    list of Finding
        What the VAE keeps, whether its latent space knows region, season and cause (a flip at
        chance), all simulated, and the sim-to-real check on real frames.
    """
    probes = [_probe_finding(metrics, target) for target in _LABELS]
    return [_reconstruction_finding(metrics), *probes, _sim2real_finding(metrics)]
