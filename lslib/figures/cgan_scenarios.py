"""Figures of chapter 5: cGAN losses, sampled futures per scenario, mining detection, damage extent
and reforestation planning. Every figure says whether it shows real or simulated data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from lslib.figures.common import true_colour
from lslib.figures.provenance import stamp, titled

__all__ = [
    "loss_figure",
    "futures_figure",
    "laid_out_futures_figure",
    "change_profile_figure",
    "damage_figure",
    "planting_figure",
]


def loss_figure(histories: dict, source: str) -> Figure:
    """Every named loss of every variant per epoch (pix2pix's ``loss_names``)."""
    names = [
        n
        for n in ("G_L1", "G_GAN", "G_GAN_random", "KL", "latent", "D_real", "D_fake")
        if any(n in h.train for h in histories.values())
    ]
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names), 3.0), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        for variant, history in histories.items():
            if name in history.train:
                ax.plot(np.arange(1, len(history.train[name]) + 1), history.train[name], lw=1.4, label=variant)
        ax.set(title=name, xlabel="epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0, 0].set_ylabel("loss (training mean)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(titled(source, "cGAN losses per epoch (LSGAN adversarial terms, L1 in normalised units)"))
    return stamp(fig, source)


def futures_figure(examples: list[dict], k: int, source: str) -> Figure:
    """One row per scenario: the input, the true outcome, ``k`` BicycleGAN futures (different z) and
    the single future of pix2pix without z. Each example dict holds ``name``, ``input``, ``truth``,
    ``samples`` (k, 6, H, W) and ``pix2pix`` (6, H, W), all reflectance."""
    columns = 3 + k
    fig, axes = plt.subplots(
        len(examples),
        columns,
        figsize=(1.55 * columns, 1.75 * len(examples) + 0.6),
        layout="constrained",
        squeeze=False,
    )
    for row, example in zip(axes, examples):
        panels = (
            [("input (before)", example["input"]), ("true outcome", example["truth"])]
            + [(f"z sample {j + 1}", example["samples"][j]) for j in range(k)]
            + [("pix2pix, no z", example["pix2pix"])]
        )
        for ax, (label, image) in zip(row, panels):
            ax.imshow(true_colour(image), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(label, fontsize=7)
        row[0].set_ylabel(example["name"].replace("_", " "), fontsize=8)
    fig.suptitle(
        titled(source, "Possible futures per scenario (Landsat true colour, 30 m pixels, 0.96 km across)"), fontsize=10
    )
    return stamp(fig, source)


def laid_out_futures_figure(examples: list[dict], k: int, source: str) -> Figure:
    """One row per held-out mine: the earlier image, the true later image with the true footprint
    outlined, then ``k`` rendered futures, each with the sampled layout it was painted from outlined.
    Each example dict holds ``input``, ``truth`` (6, H, W reflectance), ``truth_layout`` (H, W),
    ``samples`` (k, 6, H, W) and ``layouts`` (k, H, W)."""
    columns = 2 + k
    fig, axes = plt.subplots(
        len(examples),
        columns,
        figsize=(1.55 * columns, 1.75 * len(examples) + 0.6),
        layout="constrained",
        squeeze=False,
    )
    for index, (row, example) in enumerate(zip(axes, examples)):
        panels = [
            ("earlier image", example["input"], None),
            ("true later image", example["truth"], example["truth_layout"]),
        ]
        panels += [(f"layout {j + 1}", example["samples"][j], example["layouts"][j]) for j in range(k)]
        for ax, (label, image, outline) in zip(row, panels):
            ax.imshow(true_colour(image), interpolation="nearest")
            if outline is not None and outline.any():
                ax.contour(outline.astype(float), levels=[0.5], colors="#ffd400", linewidths=0.9)
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(label, fontsize=7)
        row[0].set_ylabel(f"test mine {index + 1}", fontsize=8)
    fig.suptitle(
        titled(source, "Mined futures, laid out then rendered (yellow: footprint; true colour, 30 m pixels)"),
        fontsize=10,
    )
    return stamp(fig, source)


def scar_layouts_figure(examples: list[dict], k: int, source: str) -> Figure:
    """One row per test slide: the pre-event image with the true scar outlined, the layout model's scar
    probability (one colour bar, from 0 to the largest value shown rounded up to a tenth) and ``k`` scars
    sampled from it, each outlined on the pre-event image. Each example dict holds ``input`` (6, H, W
    reflectance), ``scar`` (H, W), ``probability`` (H, W) and ``layouts`` (k, H, W)."""
    columns = 2 + k
    fig, axes = plt.subplots(
        len(examples),
        columns,
        figsize=(1.6 * columns + 0.6, 1.75 * len(examples) + 0.6),
        layout="constrained",
        squeeze=False,
    )
    image = None
    top = max(0.1, np.ceil(10 * max(float(e["probability"].max()) for e in examples)) / 10)  # one scale for all rows
    for index, (row, example) in enumerate(zip(axes, examples)):
        panels = [("pre-event, true scar", example["scar"])]
        panels += [(f"sampled scar {j + 1}", example["layouts"][j]) for j in range(k)]
        for ax, (label, outline) in zip([row[0], *row[2:]], panels):
            ax.imshow(true_colour(example["input"]), interpolation="nearest")
            if outline.any():
                ax.contour(outline.astype(float), levels=[0.5], colors="#ffd400", linewidths=0.9)
            ax.set_title(label, fontsize=7)
        image = row[1].imshow(example["probability"], vmin=0, vmax=top, cmap="magma", interpolation="nearest")
        row[1].set_title("scar probability", fontsize=7)
        for ax in row:
            ax.set_xticks([]), ax.set_yticks([])
        row[0].set_ylabel(f"test slide {index + 1}", fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes[:, 1], shrink=0.8, label="probability of scar")
    fig.suptitle(
        titled(source, "Scars laid out by the layout model (yellow outline; true colour, 30 m pixels)"), fontsize=10
    )
    return stamp(fig, source)


def change_profile_figure(profiles: dict[str, np.ndarray], source: str) -> Figure:
    """Per group, the mean :func:`lslib.chapters.cgan_scenarios.change_profile` (the per-pixel change sorted from the
    largest down) with its interquartile band, against the rank of the pixel on a log axis. Each
    value of ``profiles`` is ``(m, H * W)``: one profile per image of the group."""
    fig, ax = plt.subplots(figsize=(7.2, 4.0), layout="constrained")
    for name, group in profiles.items():
        group = np.asarray(group)
        group = group.reshape(-1, group.shape[-1])  # (k, n, H * W) futures count as k * n images
        rank = np.arange(1, group.shape[1] + 1)
        low, high = np.percentile(group, [25, 75], axis=0)
        (line,) = ax.plot(rank, group.mean(axis=0), lw=1.6, label=f"{name} ({len(group)})")
        ax.fill_between(rank, low, high, color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set(
        xlabel="rank of the pixel by its change (1 = the most changed pixel)",
        ylabel="change from the earlier frame\n(L1 over 6 bands, standard deviations)",
        title=titled(source, "How much each image changed, wherever the change lies"),
    )
    ax.legend(fontsize=7, title="mean and interquartile band (images)", title_fontsize=7)
    return stamp(fig, source)


def damage_figure(examples: list[dict], threshold: float, slope_threshold: float, source: str) -> Figure:
    """Per example: the pre-event image, the cGAN's mean NDVI loss with its thresholded extent, the
    slope baseline's extent and the true scar (outlined on every panel)."""
    fig, axes = plt.subplots(
        len(examples), 4, figsize=(8.4, 2.1 * len(examples) + 0.5), layout="constrained", squeeze=False
    )
    for row, example in zip(axes, examples):
        row[0].imshow(true_colour(example["input"]), interpolation="nearest")
        image = row[1].imshow(example["score"], cmap="magma", vmin=0, vmax=max(0.3, float(example["score"].max())))
        fig.colorbar(image, ax=row[1], shrink=0.8, label="NDVI lost")
        row[1].contour(example["score"] > threshold, levels=[0.5], colors="cyan", linewidths=0.8)
        row[2].imshow(example["slope"] > slope_threshold, cmap="Greys", vmin=0, vmax=1)
        row[3].imshow(example["scar"], cmap="Reds", vmin=0, vmax=1)
        for ax in row:
            ax.contour(example["scar"], levels=[0.5], colors="red", linewidths=0.8)
            ax.set_xticks([]), ax.set_yticks([])
        row[0].set_ylabel(f"IoU cGAN {example['iou']:.2f}\nslope {example['iou_slope']:.2f}", fontsize=7)
    for ax, label in zip(
        axes[0],
        (
            "pre-event",
            "cGAN: mean NDVI lost (cyan: extent)",
            f"baseline: slope > {slope_threshold:.0f}°",
            "true scar (red outline)",
        ),
    ):
        ax.set_title(label, fontsize=8)
    fig.suptitle(titled(source, "Landslide damage extent from the pre-event image"), fontsize=10)
    return stamp(fig, source)


def planting_figure(reductions: dict[str, np.ndarray], example: dict, source: str, share: float = 0.1) -> Figure:
    """Left: the slide-rate reduction per plan on the sites' hidden ground (mean over sites and 95%
    interval), when each plants ``share`` of the open cells. Right: one site's slope with the cells the
    cGAN + physics plan and the random plan would plant."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.8, 4.2), width_ratios=(1.1, 1.2), layout="constrained")
    names = list(reductions)
    means = [100 * np.mean(reductions[n]) for n in names]
    errors = [100 * 1.96 * np.std(reductions[n], ddof=1) / np.sqrt(len(reductions[n])) for n in names]
    colours = ["#1b7837", "#7fbc41", "#8c510a", "#999999"]
    left.bar(range(len(names)), means, yerr=errors, capsize=4, color=colours[: len(names)])
    left.set_xticks(range(len(names)), [n.replace(" + ", "\n+ ") for n in names], fontsize=8)
    left.set(
        ylabel="slide rate reduction (percentage points of cells)",
        title=titled(
            source, f"Planting {share:.0%} of the open cells, judged on hidden soil ({len(reductions[names[0]])} sites)"
        ),
    )
    image = right.imshow(example["slope"], cmap="copper_r")
    fig.colorbar(image, ax=right, shrink=0.85, label="slope (degrees)")
    for cells, marker, colour, label in (
        (example["ranked"], "s", "#00d000", "cGAN + physics"),
        (example["random"], "x", "white", "random"),
    ):
        rows, cols = np.unravel_index(cells, example["slope"].shape)
        right.scatter(cols, rows, marker=marker, s=14, c=colour, label=label, linewidths=0.8)
    right.set(title="One site: where each plan plants", xticks=[], yticks=[])
    right.legend(fontsize=7, loc="lower right")
    return stamp(fig, source)
