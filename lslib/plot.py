"""Figures of the study. Every figure says whether it shows real or simulated data.

Data carry their origin in ``attrs["source"]``: ``"registry:<key>"`` and ``"stac:<collection>"``
are real, ``"simulated:<generator>"`` is simulated. :func:`titled` prefixes a title with
"REAL —" or "SIMULATED —" and :func:`stamp` adds a corner tag naming the source, so a figure cut
out of the book still tells the truth about itself.

Examples
--------
>>> provenance("registry:glc/nasa_glc_export_2018.csv")
'real'
>>> titled("simulated:lslib.data.sim", "NDVI before and after")
'SIMULATED — NDVI before and after'
"""

from __future__ import annotations

from typing import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lslib.causes import OTHER_UNKNOWN, Cause

__all__ = [
    "provenance",
    "titled",
    "stamp",
    "CAUSE_COLOURS",
    "glc_world_map",
    "glc_counts_figure",
    "glc_region_cause_figure",
]

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


def provenance(source: str) -> str:
    """``"real"`` or ``"simulated"`` for a data source string; raises on an unlabelled source."""
    kind = str(source).split(":", 1)[0]
    if kind in ("registry", "stac", "file"):
        return "real"
    if kind == "simulated":
        return "simulated"
    raise ValueError(f"Data source {source!r} says neither real (registry:, stac:, file:) nor simulated:")


def titled(source: str, title: str) -> str:
    """Prefix ``title`` with ``REAL —`` or ``SIMULATED —`` according to ``source``."""
    return f"{provenance(source).upper()} — {title}"


def stamp(fig: Figure, source: str) -> Figure:
    """Write a corner tag (``REAL DATA · <source>`` or ``SIMULATED DATA · <source>``) on ``fig``."""
    kind = provenance(source)
    colour = "#1a4d1a" if kind == "real" else "#8b1a1a"
    fig.text(0.995, 0.005, f"{kind.upper()} DATA · {source}", ha="right", va="bottom", fontsize=7,
             color=colour, alpha=0.85, bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=colour, lw=0.6))
    return fig


def _cause_order(causes: Iterable[str]) -> list[str]:
    present = set(causes)
    return [c for c in CAUSE_COLOURS if c in present]


def glc_world_map(glc: pd.DataFrame, *, figsize: tuple[float, float] = (11, 5.6)) -> Figure:
    """World map of catalogued landslides, coloured by cause (Robinson projection, offline coastlines).

    Parameters
    ----------
    glc : pandas.DataFrame
        Output of :func:`lslib.data.catalog.load_glc` (needs ``lat``, ``lon``, ``cause``).
    """
    from mpl_toolkits.basemap import Basemap

    source = glc.attrs.get("source", "registry:glc")
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    world = Basemap(projection="robin", lon_0=0, resolution="c", ax=ax)
    world.drawmapboundary(fill_color="#eef4f8", linewidth=0.5)
    world.fillcontinents(color="#f4f1ea", lake_color="#eef4f8", zorder=0)
    world.drawcoastlines(linewidth=0.4, color="#666666")
    world.drawcountries(linewidth=0.2, color="#999999")
    world.drawparallels(np.arange(-60, 61, 30), labels=[1, 0, 0, 0], linewidth=0.2, fontsize=7, fmt="%d")
    world.drawmeridians(np.arange(-180, 181, 60), labels=[0, 0, 0, 1], linewidth=0.2, fontsize=7, fmt="%d")
    # Rain-triggered events first, so the rarer causes are drawn on top.
    order = sorted(_cause_order(glc["cause"]), key=lambda c: -int((glc["cause"] == c).sum()))
    for cause in order:
        subset = glc[glc["cause"] == cause]
        x, y = world(subset["lon"].to_numpy(), subset["lat"].to_numpy())
        rare = len(subset) < 200
        world.scatter(x, y, s=9 if rare else 3, c=CAUSE_COLOURS[cause], alpha=0.9 if rare else 0.45,
                      linewidths=0, zorder=3 if rare else 2, label=f"{cause.replace('_', ' ')} ({len(subset):,})")
    ax.legend(loc="lower left", fontsize=7, markerscale=2.5, title="cause (from GLC trigger)",
              title_fontsize=7, frameon=True)
    ax.set_title(titled(source, f"NASA Global Landslide Catalog, {glc['year'].min()}–{glc['year'].max()}: "
                                f"{len(glc):,} events"), fontsize=11)
    return stamp(fig, source)


def glc_counts_figure(glc: pd.DataFrame, top_n_countries: int = 15) -> Figure:
    """Three panels: events per year by region, events per trigger, and the most affected countries."""
    source = glc.attrs.get("source", "registry:glc")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")

    per_year = glc.groupby(["year", "region"]).size().unstack(fill_value=0)
    bottom = np.zeros(len(per_year))
    for region, colour in zip(REGION_ORDER, ("#2166ac", "#d6604d", "#4dac26", "#bababa")):
        if region in per_year.columns:
            axes[0].bar(per_year.index, per_year[region], bottom=bottom, width=0.8, color=colour, label=region)
            bottom += per_year[region].to_numpy()
    axes[0].set(xlabel="year of event", ylabel="events per year", title="Events per year, by study region")
    axes[0].legend(title="region", fontsize=8)

    triggers = glc["trigger"].value_counts()
    colours = [CAUSE_COLOURS.get(glc.loc[glc["trigger"] == t, "cause"].iloc[0], "#bababa") for t in triggers.index]
    axes[1].barh(triggers.index[::-1], triggers.to_numpy()[::-1], color=colours[::-1])
    axes[1].set_xscale("log")
    axes[1].set(xlabel="events (log scale)", title="Events per GLC trigger (colour: mapped cause)")
    axes[1].tick_params(axis="y", labelsize=7)

    countries = glc.loc[glc["country"] != "", "country"].value_counts().head(top_n_countries)
    axes[2].barh(countries.index[::-1], countries.to_numpy()[::-1], color="#5e81ac")
    axes[2].set(xlabel="events", title=f"The {len(countries)} countries with most events")
    axes[2].tick_params(axis="y", labelsize=7)
    fig.suptitle(titled(source, "What the NASA Global Landslide Catalog records"), fontsize=11)
    return stamp(fig, source)


def glc_region_cause_figure(glc: pd.DataFrame) -> Figure:
    """Share of each mapped cause within each study region (100 % stacked bars, counts annotated)."""
    source = glc.attrs.get("source", "registry:glc")
    table = glc.groupby(["region", "cause"]).size().unstack(fill_value=0)
    table = table.loc[[r for r in REGION_ORDER if r in table.index], _cause_order(table.columns)]
    share = table.div(table.sum(axis=1), axis=0) * 100
    fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    left = np.zeros(len(share))
    for cause in share.columns:
        ax.barh(share.index, share[cause], left=left, color=CAUSE_COLOURS[cause], label=cause.replace("_", " "))
        left += share[cause].to_numpy()
    for row, region in enumerate(share.index):
        ax.text(101, row, f"n = {int(table.loc[region].sum()):,}", va="center", fontsize=8)
    ax.set(xlim=(0, 112), xlabel="share of the region's events (%)",
           title=titled(source, "Mapped causes per study region, NASA GLC"))
    ax.invert_yaxis()
    ax.legend(ncols=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    return stamp(fig, source)


def enable_interactive() -> None:
    """Set up hvplot/HoloViews so interactive figures render with no network.

    Loads Bokeh and Panel's JavaScript into the notebook itself (``inline=True``) and makes Panel
    inline its stylesheets instead of linking them from a CDN, so the executed notebook and the
    book page carry everything the figures need. Call it before ``import hvplot.pandas``.
    """
    import holoviews as hv
    import panel as pn

    pn.config.inline = True
    hv.extension("bokeh", inline=True, logo=False)
