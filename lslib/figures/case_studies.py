"""Figures of chapter 2 (case studies). Every figure says whether it shows real or simulated data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lslib.data.indices import ndvi
from lslib.figures.provenance import stamp, titled

__all__ = [
    "location_map",
    "monsoon_figure",
    "figure_one",
    "area_series_figure",
    "mud_creek_figure",
    "real_clouds_figure",
]


def location_map(lat: float, lon: float, label: str, source: str) -> Figure:
    """Where a place is: western India with state borders, drawn offline (Basemap's coastlines)."""
    from mpl_toolkits.basemap import Basemap

    fig, ax = plt.subplots(figsize=(5.5, 5.5), layout="constrained")
    world = Basemap(projection="merc", llcrnrlon=67, llcrnrlat=8, urcrnrlon=82, urcrnrlat=24, resolution="i", ax=ax)
    world.drawmapboundary(fill_color="#eef4f8")
    world.fillcontinents(color="#f4f1ea", lake_color="#eef4f8")
    world.drawcoastlines(linewidth=0.5)
    world.drawcountries(linewidth=0.5)
    world.drawstates(linewidth=0.2, color="#999999")
    world.drawparallels(np.arange(8, 25, 4), labels=[1, 0, 0, 0], fontsize=7, linewidth=0.2)
    world.drawmeridians(np.arange(68, 83, 4), labels=[0, 0, 0, 1], fontsize=7, linewidth=0.2)
    for name, (y, x), marker, offset in (
        (label, (lat, lon), "*", (8, 4)),
        ("Pune", (18.52, 73.86), "o", (6, -10)),
        ("Mumbai", (19.08, 72.88), "o", (-42, -3)),
    ):
        px, py = world(x, y)
        world.plot(px, py, marker, color="#d7301f" if marker == "*" else "#333333", ms=14 if marker == "*" else 4)
        ax.annotate(name, (px, py), xytext=offset, textcoords="offset points", fontsize=8)
    ax.set_title(titled(source, f"{label}, {lat:.3f} N {lon:.4f} E"), fontsize=10)
    return stamp(fig, source)


def monsoon_figure(tables: dict[str, pd.DataFrame], source: str, year: int = 2014) -> Figure:
    """Monthly rain of ``year`` against the 1901-2015 mean, per subdivision, with percentile ranks."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 3.6), layout="constrained", squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items()):
        months = np.arange(12)
        ax.bar(months - 0.2, table["mean_mm"], width=0.4, color="#bababa", label="1901-2015 mean")
        ax.bar(months + 0.2, table["rain_mm"], width=0.4, color="#2166ac", label=str(year))
        for m in months:
            if table["mean_mm"].iloc[m] > 50:
                ax.text(
                    m + 0.2,
                    table["rain_mm"].iloc[m] + 8,
                    f"{table['percentile'].iloc[m]:.0f}th",
                    ha="center",
                    fontsize=7,
                )
        ax.set_xticks(months, [m.title() for m in table.index], fontsize=8)
        ax.set(ylabel="rain (mm per month)", title=name)
        ax.legend(fontsize=8)
    fig.suptitle(
        titled(source, f"IMD monthly rain in {year} against the 1901-2015 mean (labels: percentile rank)"), fontsize=11
    )
    return stamp(fig, source)


def figure_one(stack, frames: list[int], aoi: np.ndarray, site: int = 0) -> Figure:
    """The seed's Figure 1: NDVI on three dates, the two differences, and the area of interest."""
    source = stack.attrs.get("source", "simulated:lslib.data.sim")
    refl = stack["reflectance"].values[site]
    dates = stack["date"].values[site]
    maps = [ndvi(refl[f, 2], refl[f, 3]) for f in frames]
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.9), layout="constrained")
    rows, cols = np.nonzero(aoi)
    box = (cols.min() - 0.5, rows.min() - 0.5, cols.max() - cols.min() + 1, rows.max() - rows.min() + 1)
    for ax, image, title in zip(axes[:3], maps, [str(dates[f])[:10] for f in frames]):
        shown = ax.imshow(image, cmap="YlGn", vmin=0, vmax=0.9)
        ax.set_title(f"NDVI {title}", fontsize=9)
    fig.colorbar(shown, ax=axes[2], label="NDVI (unitless)", fraction=0.046)
    for ax, (a, b) in zip(axes[3:], ((0, 1), (1, 2))):
        shown = ax.imshow(maps[b] - maps[a], cmap="RdBu", vmin=-0.6, vmax=0.6)
        ax.set_title(f"difference {str(dates[frames[b]])[:10]} - {str(dates[frames[a]])[:10]}", fontsize=9)
    fig.colorbar(shown, ax=axes[4], label="NDVI change (unitless)", fraction=0.046)
    for ax in axes:
        ax.add_patch(Rectangle(box[:2], box[2], box[3], fill=False, edgecolor="#d7301f", lw=1.4))
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel(f"{stack.sizes['y'] * 30 / 1000:.2f} km (30 m pixels)", fontsize=8)
    fig.suptitle(
        titled(
            source, "Malin: NDVI before the slide, during the monsoon build-up, and after (red box: area of interest)"
        ),
        fontsize=11,
    )
    return stamp(fig, source)


def area_series_figure(series: pd.DataFrame, event: str, source: str) -> Figure:
    """NDVI of the area of interest against its surroundings, with 30-day rain on a second axis."""
    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    rain = ax.twinx()
    rain.bar(
        series.index, series["rain_30d_mm"], width=10, color="#9ecae1", alpha=0.6, label="rain, 30 days before (mm)"
    )
    rain.set_ylabel("rain in the 30 days before the frame (mm)")
    ax.set_zorder(rain.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(series.index, series["ndvi_in"], "o-", color="#d7301f", label="area of interest (slide)")
    ax.plot(series.index, series["ndvi_out"], "s-", color="#1b7837", label="surroundings")
    ax.axvline(pd.Timestamp(event), color="black", ls="--", lw=1)
    ax.text(pd.Timestamp(event), 0.95, " slide", transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set(ylabel="median NDVI of clear pixels (unitless)", xlabel="acquisition date", ylim=(0, 1))
    lines = ax.get_legend_handles_labels()[0] + rain.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + rain.get_legend_handles_labels()[1]
    ax.legend(lines, labels, fontsize=8, loc="upper left")
    ax.set_title(titled(source, "NDVI of the slide area against its surroundings, and rain"))
    return stamp(fig, source)


def mud_creek_figure(series: pd.DataFrame, rain: pd.Series, trend: dict, failure: str, source: str) -> Figure:
    """Mud Creek: Sentinel-2 indices inside and outside the slide, their difference with the fitted
    pre-failure trend, and daily rain at Big Sur."""
    fig, axes = plt.subplots(3, 1, figsize=(11, 8.5), layout="constrained", sharex=True)
    for index, colour in (("NDVI", "#1b7837"), ("NDMI", "#2166ac")):
        axes[0].plot(series.index, series[f"{index}_in"], "o-", color=colour, label=f"{index} inside")
        axes[0].plot(series.index, series[f"{index}_out"], "s--", color=colour, alpha=0.6, label=f"{index} outside")
    axes[0].set(ylabel="index (unitless)", title="Sentinel-2 indices, averaged inside and outside the slide")
    axes[0].legend(fontsize=7, ncols=4)
    difference = series["NDVI_in"] - series["NDVI_out"]
    axes[1].plot(series.index, difference, "o-", color="#762a83", label="NDVI inside - outside")
    start = pd.Timestamp(failure) - pd.DateOffset(months=trend.get("months_before", 8))
    window = difference[(difference.index >= start) & (difference.index < pd.Timestamp(failure))]
    years = (window.index - window.index[0]).days / 365.25
    intercept = np.median(window.to_numpy() - trend["slope_per_year"] * years)
    axes[1].plot(
        window.index,
        intercept + trend["slope_per_year"] * years,
        color="black",
        label=(
            f"Theil-Sen {trend['slope_per_year']:+.3f}/yr (95 % CI {trend['ci_low']:+.3f} to {trend['ci_high']:+.3f})"
        ),
    )
    axes[1].set(ylabel="NDVI difference (unitless)", title="Did the slide area lose vegetation before failing?")
    axes[1].legend(fontsize=8)
    axes[2].bar(rain.index, rain.to_numpy(), width=1.0, color="#2166ac")
    axes[2].set(ylabel="rain (mm per day)", title="Daily rain at Big Sur (GHCN-D USC00040790)", xlabel="date")
    for ax in axes:
        ax.axvline(pd.Timestamp(failure), color="#d7301f", ls="--", lw=1)
    axes[0].text(
        pd.Timestamp(failure), 0.95, " failure 2017-05-20", transform=axes[0].get_xaxis_transform(), fontsize=8
    )
    fig.suptitle(titled(source, "Mud Creek, Big Sur (PrecLand)"), fontsize=11)
    return stamp(fig, source)


def real_clouds_figure(bias: dict, source: str) -> Figure:
    """A real place's NDVI per date, raw and cloud-masked, with the cloud fraction of each date."""
    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    dates = pd.to_datetime(bias["dates"])
    ax.plot(dates, bias["raw_series"], "x-", color="#999999", label="raw NDVI (clouds included)")
    ax.plot(dates, bias["clear_series"], "o-", color="#1b7837", label="cloud-masked NDVI (CLM)")
    cloudiness = ax.twinx()
    cloudiness.bar(dates, bias["cloud_fraction"], width=8, color="#2166ac", alpha=0.25, label="cloud fraction")
    cloudiness.set_ylabel("cloud fraction of the date (unitless)")
    ax.set_zorder(cloudiness.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set(ylabel="median NDVI (unitless)", xlabel="acquisition date")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(titled(source, "Sentinel-2 NDVI of a Slovenian patch: clouds pull the raw series down"))
    return stamp(fig, source)
