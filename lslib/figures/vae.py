"""Figures of chapter 3: VAE training, reconstructions, traversals, probes and latent embeddings.

Every figure says whether it shows real or simulated data (see :mod:`lslib.figures.provenance`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from lslib.figures.provenance import stamp, stamp_comparison, titled

__all__ = ["training_curves", "reconstructions", "traversals", "probe_bars", "latent_embedding", "sim_to_real"]


def _display_rgb(image: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Normalised (6, H, W) patch back to a true-colour (H, W, 3) picture."""
    reflectance = image[:3] * std[:3, None, None] + mean[:3, None, None]
    return np.clip(np.stack([reflectance[2], reflectance[1], reflectance[0]], axis=-1) * 3.5, 0, 1)


def training_curves(history, source: str) -> Figure:
    """Loss, reconstruction term and KL per epoch, training and validation."""
    names = [n for n in ("loss", "reconstruction", "kl") if n in history.train]
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.2), layout="constrained")
    for ax, name in zip(np.atleast_1d(axes), names):
        epochs = np.arange(1, len(history.train[name]) + 1)
        ax.plot(epochs, history.train[name], "o-", label="training")
        if name in history.val:
            ax.plot(epochs, history.val[name], "s-", label="validation")
        ax.set(xlabel="epoch", ylabel=f"{name} (nats per patch)", title=name)
        ax.legend(fontsize=8)
    fig.suptitle(titled(source, "VAE training"), fontsize=11)
    return stamp(fig, source)


@torch.no_grad()
def reconstructions(model, patches: dict, mean, std, source: str, n: int = 6, seed: int = 0) -> Figure:
    """Input patches, their QA masks and the VAE's reconstructions, in true colour."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(patches["image"]), size=min(n, len(patches["image"])), replace=False)
    model.eval()
    device = next(model.parameters()).device
    recon = model(torch.from_numpy(patches["image"][picks]).to(device))["reconstruction"].cpu().numpy()
    mean, std = np.asarray(mean), np.asarray(std)
    fig, axes = plt.subplots(3, len(picks), figsize=(2.0 * len(picks), 6.3), layout="constrained", squeeze=False)
    for column, index in enumerate(picks):
        axes[0, column].imshow(_display_rgb(patches["image"][index], mean, std))
        axes[1, column].imshow(patches["mask"][index], cmap="gray", vmin=0, vmax=1)
        axes[2, column].imshow(_display_rgb(recon[column], mean, std))
        axes[0, column].set_title(f"{patches['region'][index]}, {patches['season'][index]}", fontsize=8)
        for row in range(3):
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
    for row, label in enumerate(("input (masked pixels black)", "usable pixels (white)", "reconstruction")):
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(titled(source, "VAE reconstructions of held-out frames (32 x 32 px, 30 m)"), fontsize=11)
    return stamp(fig, source)


@torch.no_grad()
def traversals(model, latent: np.ndarray, mean, std, source: str, n_dims: int = 4, steps: int = 7) -> Figure:
    """Decode the mean code while one latent dimension sweeps from -2.5 to 2.5 standard deviations;
    the dimensions shown are the ones whose codes vary most across the data."""
    model.eval()
    device = next(model.parameters()).device
    centre = latent.mean(axis=0)
    spread = latent.std(axis=0)
    order = np.argsort(-spread)[:n_dims]
    offsets = np.linspace(-2.5, 2.5, steps)
    fig, axes = plt.subplots(
        len(order), steps, figsize=(1.6 * steps, 1.7 * len(order)), layout="constrained", squeeze=False
    )
    for row, dim in enumerate(order):
        codes = np.repeat(centre[None], steps, axis=0)
        codes[:, dim] += offsets * spread[dim]
        images = model.decode(torch.from_numpy(codes.astype(np.float32)).to(device)).cpu().numpy()
        for column in range(steps):
            ax = axes[row, column]
            ax.imshow(_display_rgb(images[column], np.asarray(mean), np.asarray(std)))
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{offsets[column]:+.1f} sd", fontsize=8)
        axes[row, 0].set_ylabel(f"z[{dim}]", fontsize=9)
    fig.suptitle(titled(source, "latent traversals (decoded true colour)"), fontsize=11)
    return stamp(fig, source)


def probe_bars(table: pd.DataFrame, source: str) -> Figure:
    """Probe accuracy per target: VAE latent, PCA of pixels (same dimension), majority-class chance."""
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    positions = np.arange(len(table))
    for offset, column, colour in (
        (-0.27, "vae_latent", "#1b7837"),
        (0.0, "pca_pixels", "#762a83"),
        (0.27, "chance", "#bababa"),
    ):
        ax.bar(positions + offset, table[column] * 100, width=0.27, color=colour, label=column.replace("_", " "))
    ax.set_xticks(positions, [f"{t}\n({c} classes)" for t, c in zip(table.index, table["classes"])])
    ax.set(ylabel="test accuracy (%)", ylim=(0, 100), title=titled(source, "linear probes on held-out sites"))
    ax.legend(fontsize=8, ncols=3, loc="upper left")
    return stamp(fig, source)


def latent_embedding(latent: np.ndarray, patches: dict, source: str) -> Figure:
    """The latent codes projected on their first two principal components, coloured three ways."""
    centred = latent - latent.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ components[:2].T
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
    for ax, key in zip(axes[:2], ("region", "season")):
        for value in np.unique(patches[key]):
            chosen = patches[key] == value
            ax.scatter(xy[chosen, 0], xy[chosen, 1], s=5, alpha=0.6, label=value)
        ax.legend(fontsize=8, markerscale=3, title=key)
        ax.set(xlabel="latent PC 1", ylabel="latent PC 2", title=f"coloured by {key}")
    shown = axes[2].scatter(xy[:, 0], xy[:, 1], s=5, c=np.log1p(patches["rain_30d"]), cmap="viridis", alpha=0.7)
    fig.colorbar(shown, ax=axes[2], label="log(1 + rain in the last 30 days, mm)")
    axes[2].set(xlabel="latent PC 1", ylabel="latent PC 2", title="coloured by antecedent rain")
    fig.suptitle(
        titled(source, "the VAE latent space of held-out frames (first two principal components)"), fontsize=11
    )
    return stamp(fig, source)


def sim_to_real(
    sim_latent: np.ndarray, real_latent: np.ndarray, real: dict, simulated: str, real_source: str
) -> Figure:
    """Real Sentinel-2 NDVI frames encoded by the NDVI-only VAE trained on simulated frames: their
    path through the latent plane (fitted on simulated codes) and latent PC 1 through the year."""
    mean = sim_latent.mean(axis=0)
    _, _, components = np.linalg.svd(sim_latent - mean, full_matrices=False)
    sim_xy = (sim_latent - mean) @ components[:2].T
    real_xy = (real_latent - mean) @ components[:2].T
    order = np.argsort(real["date"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    axes[0].scatter(sim_xy[:, 0], sim_xy[:, 1], s=3, color="#cccccc", label="simulated frames")
    axes[0].plot(real_xy[order, 0], real_xy[order, 1], "-", color="#555555", lw=0.7, alpha=0.6)
    shown = axes[0].scatter(
        real_xy[:, 0],
        real_xy[:, 1],
        c=real["day_of_year"],
        cmap="twilight",
        s=28,
        edgecolor="black",
        linewidth=0.3,
        vmin=1,
        vmax=366,
        label="real eo-learn frames",
    )
    fig.colorbar(shown, ax=axes[0], label="day of year of the real frame")
    axes[0].set(xlabel="latent PC 1", ylabel="latent PC 2", title="real frames (dots, joined in time order)")
    axes[0].legend(fontsize=8, loc="best")
    axes[1].plot(real["day_of_year"], real_xy[:, 0], "o", color="#2166ac", label="latent PC 1")
    axes[1].set(xlabel="day of year", ylabel="latent PC 1", title="through the year")
    twin = axes[1].twinx()
    twin.plot(real["day_of_year"], real["median_ndvi"], "s", color="#1b7837", ms=4, alpha=0.6, label="median NDVI")
    twin.set_ylabel("median NDVI of the frame (unitless)")
    axes[1].legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    fig.suptitle(
        "REAL frames in a SIMULATED latent space — Sentinel-2 NDVI (eo-learn, Slovenia) encoded by an "
        "NDVI-only VAE trained on simulated frames",
        fontsize=10,
    )
    return stamp_comparison(fig, simulated, real_source)
