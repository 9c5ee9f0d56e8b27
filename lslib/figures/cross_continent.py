"""Figures of chapter 6: the leave-one-region-out matrix, the shift between regions, the ablations
and mitigations on the target region, and the real-catalog cause model.

Every figure says whether it shows real or simulated data (see :mod:`lslib.figures.provenance`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lslib.figures.common import CAUSE_COLOURS
from lslib.figures.provenance import stamp, titled

__all__ = ["transfer_figure", "shift_figure", "mitigation_figure", "catalog_recall_figure"]

_PROTOCOL_COLOURS = {"in-region": "#1b7837", "transfer": "#b2182b"}


def _errorbars(ax, positions, values, lows, highs, colour, label, horizontal=False, **kw):
    values, lows, highs = (np.asarray(v, float) for v in (values, lows, highs))
    error = np.clip(np.vstack([values - lows, highs - values]), 0, None)  # a percentile interval may miss the estimate
    if horizontal:
        ax.errorbar(values, positions, xerr=error, fmt="o", color=colour, label=label, capsize=3, **kw)
    else:
        ax.errorbar(positions, values, yerr=error, fmt="o", color=colour, label=label, capsize=3, **kw)


def transfer_figure(table: pd.DataFrame, source: str) -> Figure:
    """Per held-out region: the AUROC of the in-region and the transfer ensembles on the region's test-only sites,
    and the gap between them, each with its seed-and-site 95 % interval (:func:`lslib.chapters.cross_continent.
    transfer_table`)."""
    regions = list(table.index)
    x = np.arange(len(regions))
    fig, (ax, gap) = plt.subplots(1, 2, figsize=(10, 4.2), width_ratios=(3, 2), layout="constrained")
    for offset, protocol in zip((-0.12, 0.12), ("in-region", "transfer")):
        column = f"{protocol} AUROC"
        label = "trained in the region" if protocol == "in-region" else "trained on the other two regions"
        _errorbars(
            ax, x + offset, table[column], table[f"{column} low"], table[f"{column} high"],
            _PROTOCOL_COLOURS[protocol], label, ms=7,
        )  # fmt: skip
    ax.axhline(0.5, ls=":", color="grey", lw=1)
    ax.set_xticks(x, [f"test: {r}" for r in regions])
    ax.set(
        ylabel="AUROC of the seed ensemble, test-only sites",
        ylim=(0.3, 1.0),
        title=titled(source, "Leave-one-region-out: same test sites, same training size"),
    )
    ax.legend(fontsize=8, loc="upper left")
    _errorbars(gap, x, table["gap"], table["gap low"], table["gap high"], "#2d004b", None, horizontal=True, ms=7)
    gap.axvline(0.0, ls=":", color="grey", lw=1)
    gap.set_yticks(x, regions)
    gap.invert_yaxis()
    gap.set(xlabel="gap = in-region − transfer AUROC", title="Cost of training elsewhere\n(seed-and-site 95 % CI)")
    return stamp(fig, source)


def shift_figure(region_mmd: pd.DataFrame, features: pd.DataFrame, target: str, source: str) -> Figure:
    """Left: squared MMD between the regions' frames in the chapter-3 VAE latent space. Right: the
    Kolmogorov-Smirnov distance of each raw input between the target region and the others."""
    fig, (heat, bars) = plt.subplots(1, 2, figsize=(10.5, 4.2), width_ratios=(1, 1.3), layout="constrained")
    values = region_mmd.to_numpy(float)
    image = heat.imshow(values, cmap="magma_r", vmin=0)
    for (i, j), value in np.ndenumerate(values):
        heat.text(
            j,
            i,
            f"{value:.3f}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if value > 0.6 * np.nanmax(values) else "black",
        )
    heat.set_xticks(range(len(region_mmd.columns)), region_mmd.columns)
    heat.set_yticks(range(len(region_mmd.index)), region_mmd.index)
    heat.set_title(titled(source, "Shift between regions: VAE latent"), fontsize=10)
    fig.colorbar(image, ax=heat, shrink=0.8, label="squared MMD (Gaussian kernel, median bandwidth)")
    order = features.sort_values("KS")
    colours = ["#b2182b" if v > 0 else "#2166ac" for v in order["SMD"]]
    bars.barh(np.arange(len(order)), order["KS"], color=colours)
    labels = [f"{name} ({unit})" if unit else name for name, unit in zip(order.index, order["unit"])]
    bars.set_yticks(np.arange(len(order)), labels, fontsize=8)
    bars.set(
        xlabel="Kolmogorov–Smirnov distance (0 = same distribution)",
        xlim=(0, 1),
        title=f"Raw inputs: {target} against the other regions\n(red: higher in {target}, blue: lower)",
    )
    return stamp(fig, source)


def mitigation_figure(ablations: pd.DataFrame, mitigations: pd.DataFrame, target: str, source: str) -> Figure:
    """Left: the change of the gap (Δgap) when one input is changed for both forecasters; negative narrows it.
    Right: each mitigation's AUROC gain over the plain transfer ensemble on the target's test-only sites, with its
    Holm-adjusted p-value. Both with seed-and-site 95 % intervals."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.0), layout="constrained")
    changed = ablations.drop(index="all inputs", errors="ignore")
    y = np.arange(len(changed))
    _errorbars(
        left, y, changed["Δgap"], changed["Δgap low"], changed["Δgap high"], "#2d004b", None, horizontal=True, ms=7
    )
    left.axvline(0.0, ls=":", color="grey", lw=1)
    left.set_yticks(y, changed.index)
    left.invert_yaxis()
    left.set(
        xlabel="Δgap, AUROC (negative: the change narrows the gap)",
        title=titled(source, f"Which input carries the shift to {target}"),
    )
    y = np.arange(len(mitigations))
    _errorbars(
        right, y, mitigations["gain"], mitigations["gain low"], mitigations["gain high"], "#4393c3", None,
        horizontal=True, ms=7,
    )  # fmt: skip
    right.axvline(0.0, ls=":", color="grey", lw=1)
    right.set_yticks(y, [f"{name}\n(Holm p = {p:.2f})" for name, p in zip(mitigations.index, mitigations["p (Holm)"])])
    right.invert_yaxis()
    right.set(
        xlabel=f"AUROC gain over the plain transfer ensemble, {target}", title="Mitigations of the transfer forecaster"
    )
    return stamp(fig, source)


def catalog_recall_figure(scores: dict[str, dict], source: str, title: str) -> Figure:
    """Recall of each cause for each way of training the catalog cause model (bars), with the
    number of records of the cause and each model's balanced accuracy in the legend."""
    names = list(scores)
    causes = list(next(iter(scores.values()))["recall"])
    counts = next(iter(scores.values()))["count"]
    fig, ax = plt.subplots(figsize=(11.5, 4.2), layout="constrained")
    width = 0.8 / len(names)
    for k, (name, colour) in enumerate(zip(names, ("#b2182b", "#1b7837", "#a6dba0", "#999999", "#d6604d"))):
        s = scores[name]
        ax.bar(
            np.arange(len(causes)) + (k - (len(names) - 1) / 2) * width,
            [s["recall"][c] for c in causes],
            width,
            color=colour,
            label=f"{name}: balanced accuracy {s['balanced_accuracy']:.2f} [{s['low']:.2f}, {s['high']:.2f}]",
        )
    ax.axhline(1.0 / len(causes), ls=":", color="grey", lw=1, label="chance (always one cause)")
    ax.set_xticks(np.arange(len(causes)), [f"{c.replace('_', ' ')}\n(n={counts[c]})" for c in causes])
    for tick, cause in zip(ax.get_xticklabels(), causes):
        tick.set_color(CAUSE_COLOURS.get(cause, "black"))
    ax.set(ylabel="recall (share of the cause's records found)", ylim=(0, 1.05), title=titled(source, title))
    fig.legend(fontsize=8, loc="outside right upper")
    return stamp(fig, source)
