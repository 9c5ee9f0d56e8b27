"""Figures of chapter 4: calibration, attention against clouds, cause confusion, skill against lead
time and the side-by-side comparison of models.

Every figure says whether it shows real or simulated data (see :mod:`lslib.figures.provenance`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lslib import evaluation
from lslib.causes import Cause
from lslib.figures.provenance import stamp, titled

__all__ = [
    "reliability_figure",
    "attention_cloud_figure",
    "confusion_figure",
    "lead_figure",
    "comparison_figure",
    "training_figure",
]


def reliability_figure(
    labels: np.ndarray, curves: dict[str, np.ndarray], floor: float, source: str, n_bins: int = 10
) -> Figure:
    """Reliability diagram (observed frequency against predicted probability, per bin) of each set of
    probabilities in ``curves``, with the ECE in the legend and a histogram of the predictions."""
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5.6, 6.2), height_ratios=(3, 1), sharex=True, layout="constrained")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfect calibration")
    for (name, probabilities), colour in zip(curves.items(), ("#999999", "#2166ac", "#d6604d")):
        table = evaluation.reliability(labels, probabilities, n_bins)
        used = table["count"] > 0
        ece = evaluation.expected_calibration_error(labels, probabilities, n_bins)
        ax.plot(
            table["predicted"][used],
            table["observed"][used],
            "o-",
            color=colour,
            lw=1.6,
            ms=4,
            label=f"{name} (ECE {ece:.3f})",
        )
        hist.hist(probabilities, bins=table["edges"], histtype="step", color=colour, lw=1.4)
    ax.set(
        ylabel="observed landslide frequency",
        xlim=(0, 1),
        ylim=(0, 1),
        title=titled(source, "Reliability of the forecast probability (test windows)"),
    )
    ax.legend(fontsize=8, loc="upper left", title=f"ECE noise floor (p90): {floor:.3f}", title_fontsize=8)
    hist.set(xlabel="predicted probability of a landslide", ylabel="windows", yscale="log")
    return stamp(fig, source)


def attention_cloud_figure(
    attention: np.ndarray, cloud: np.ndarray, valid: np.ndarray, spearman: float, clear_weight: float, source: str
) -> Figure:
    """Attention against the masked share of each frame: relative weight (weight x valid frames, so 1
    is an even share) per cloud-fraction bin, over every valid frame of the test windows."""
    relative = (attention * valid.sum(axis=1, keepdims=True))[valid]
    masked = cloud[valid]
    edges = np.array([0.0, 0.02, 0.2, 0.4, 0.6, 0.8, 1.0001])
    groups = [relative[(masked >= lo) & (masked < hi)] for lo, hi in zip(edges[:-1], edges[1:])]
    labels = [f"{lo:.0%}–{min(hi, 1):.0%}\n(n={len(g)})" for lo, hi, g in zip(edges[:-1], edges[1:], groups)]
    fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
    keep = [i for i, g in enumerate(groups) if len(g)]
    ax.boxplot([groups[i] for i in keep], tick_labels=[labels[i] for i in keep], showfliers=False, widths=0.6)
    ax.axhline(1.0, ls=":", color="grey", lw=1)
    ax.set(
        xlabel="masked share of the frame (cloud, shadow, cirrus from QA_PIXEL)",
        ylabel="relative attention weight (1 = even share)",
        title=titled(
            source,
            f"Attention against clouds (mean Spearman ρ = {spearman:.2f}, learned clear weight {clear_weight:.2f})",
        ),
    )
    return stamp(fig, source)


def confusion_figure(matrix: np.ndarray, accuracy: float, majority: float, source: str) -> Figure:
    """Row-normalised confusion matrix of the six triggers on the test windows that slid, with counts."""
    names = [Cause(i).label for i in range(matrix.shape[0])]
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.6, 5.6), layout="constrained")
    image = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color="white" if rows[i, j] > 0.55 else "black")
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(
        xlabel="predicted cause",
        ylabel="true cause (counterfactual attribution)",
        title=titled(source, f"Causes of the test slides: accuracy {accuracy:.2f} (majority {majority:.2f})"),
    )
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true cause's windows")
    return stamp(fig, source)


def lead_figure(
    leads: pd.DataFrame,
    revisit_days: float,
    source: str,
    bands: tuple[str, ...] = ("attention ensemble", "random forest"),
) -> Figure:
    """AUROC against lead time (revisits before the event) per model; shaded 95% intervals for the
    models named in ``bands`` (the others would hide each other)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.3), layout="constrained")
    for name, rows in leads.groupby("model", sort=False):
        (line,) = ax.plot(
            rows["lead"],
            rows["AUROC"],
            "o-",
            lw=2.2 if name in bands else 1.2,
            ms=4,
            label=name + (" (95% interval)" if name in bands else ""),
        )
        if name in bands:
            ax.fill_between(rows["lead"], rows["low"], rows["high"], color=line.get_color(), alpha=0.15)
    ax.axhline(0.5, ls=":", color="grey", lw=1)
    lead_values = sorted(leads["lead"].unique())
    ax.set_xticks(lead_values, [f"{int(v)}\n~{int(v * revisit_days)} d" for v in lead_values])
    ax.set(
        xlabel="lead: the window ends this many Landsat revisits (about days) before the event",
        ylabel="AUROC (test windows)",
        title=titled(source, "Forecast skill against lead time"),
    )
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    return stamp(fig, source)


def comparison_figure(table: pd.DataFrame, drops: dict[str, float], source: str) -> Figure:
    """AUROC of every model with its 95% interval (left) and the AUROC lost when clouds cover half the
    test frames (right)."""
    names = list(table.index)[::-1]
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10.4, 0.45 * len(names) + 1.8), sharey=True, width_ratios=(2, 1), layout="constrained"
    )
    y = np.arange(len(names))
    values = table.loc[names, "AUROC"].to_numpy(float)
    errors = np.abs(table.loc[names, ["AUROC low", "AUROC high"]].to_numpy(float).T - values)
    left.errorbar(values, y, xerr=errors, fmt="o", color="#2166ac", capsize=3)
    left.axvline(0.5, ls=":", color="grey", lw=1)
    left.set_yticks(y, names)
    left.set(
        xlabel="AUROC on the test windows (95% site-bootstrap interval)", title=titled(source, "Models side by side")
    )
    drop = [drops.get(n, np.nan) for n in names]
    interval = None
    if {"drop low", "drop high"} <= set(table.columns):
        bounds = table.loc[names, ["drop low", "drop high"]].to_numpy(float).T
        interval = np.nan_to_num(np.abs(bounds - np.nan_to_num(drop)))
    right.barh(
        y,
        np.nan_to_num(drop),
        xerr=interval,
        capsize=3,
        ecolor="black",
        color=["#d6604d" if d > 0 else "#4393c3" for d in np.nan_to_num(drop)],
    )
    for yi, d in zip(y, drop):
        if not np.isfinite(d):
            right.text(0, yi, "not re-run", va="center", fontsize=7, color="grey")
    right.axvline(0, color="black", lw=0.8)
    right.set(xlabel="AUROC lost (clouds on 50% of frames)", title="Cloud robustness (95% interval)")
    return stamp(fig, source)


def training_figure(histories: dict, source: str) -> Figure:
    """Training and validation loss per epoch of every trained model."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8), layout="constrained")
    for name, history in histories.items():
        epochs = np.arange(1, len(history.train["loss"]) + 1)
        (line,) = ax.plot(epochs, history.val["loss"], lw=1.5, label=f"{name} (validation)")
        ax.plot(epochs, history.train["loss"], ls="--", lw=1, color=line.get_color())
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set(
        xlabel="epoch",
        ylabel="loss (BCE + 0.5 × cause CE)",
        title=titled(source, "Training (dashed) and validation (solid) loss"),
    )
    ax.legend(fontsize=7, ncol=2)
    return stamp(fig, source)
