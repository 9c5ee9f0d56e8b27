"""Figure parts that several chapters use: the cause colours, the region order, true-colour
composites and ROC curves.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from lslib.causes import OTHER_UNKNOWN, Cause
from lslib.figures.provenance import stamp, titled

__all__ = ["CAUSE_COLOURS", "REGION_ORDER", "true_colour", "roc_figure"]


CAUSE_COLOURS: dict[str, str] = {
    Cause.VOLCANIC_ERUPTION.key: "#7f3b08",
    Cause.EARTHQUAKE.key: "#d7301f",
    Cause.DEFORESTATION.key: "#e08214",
    Cause.HEAVY_RAINFALL.key: "#2166ac",
    Cause.MINING.key: "#542788",
    Cause.CONSTRUCTION.key: "#4d4d4d",
    Cause.THRIVING_FOREST.key: "#1b7837",
    OTHER_UNKNOWN: "#bababa",
}


REGION_ORDER = ("america", "china", "india", "other")


def true_colour(reflectance: np.ndarray) -> np.ndarray:
    """True-colour composite (H, W, 3) from reflectance (band, H, W), brightened for display."""
    rgb = np.stack([reflectance[2], reflectance[1], reflectance[0]], axis=-1)
    return np.clip(rgb * 3.5, 0, 1)


def roc_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], aurocs: dict[str, float], source: str, title: str
) -> Figure:
    """ROC curves of several scores, with their AUROC in the legend."""
    fig, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
    for name, (fpr, tpr) in curves.items():
        ax.plot(fpr, tpr, lw=1.6, label=f"{name.replace('_', ' ')} (AUROC {aurocs[name]:.2f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="chance")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=titled(source, title), aspect="equal")
    ax.legend(fontsize=8, loc="lower right")
    return stamp(fig, source)
