"""Chapter 1's figures: the catalogue's map and counts, the simulated cause gallery, the
comparisons of simulated clouds, NDVI, rain and causes with real data, the coverage of the stack, where
simulated slides start on the slope, and the haze that the simulated QA misses.

Every figure says whether it shows real or simulated data (:mod:`lslib.figures.provenance`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lslib.analysis.slope import SLOPE_BIN_EDGES_DEG, band_share, slope_frequency
from lslib.figures.common import CAUSE_COLOURS, REGION_ORDER, true_colour
from lslib.figures.provenance import stamp, stamp_comparison, titled

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "glc_world_map",
    "glc_counts_figure",
    "glc_region_cause_figure",
    "cause_gallery",
    "cloud_comparison_figure",
    "ndvi_comparison_figure",
    "rain_comparison_figure",
    "cause_share_figure",
    "coverage_figure",
    "slope_frequency_figure",
    "haze_figure",
]


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
        world.scatter(
            x,
            y,
            s=9 if rare else 3,
            c=CAUSE_COLOURS[cause],
            alpha=0.9 if rare else 0.45,
            linewidths=0,
            zorder=3 if rare else 2,
            label=f"{cause.replace('_', ' ')} ({len(subset):,})",
        )
    ax.legend(
        loc="lower left", fontsize=7, markerscale=2.5, title="cause (from GLC trigger)", title_fontsize=7, frameon=True
    )
    ax.set_title(
        titled(source, f"NASA Global Landslide Catalog, {glc['year'].min()}–{glc['year'].max()}: {len(glc):,} events"),
        fontsize=11,
    )
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
    ax.set(
        xlim=(0, 112),
        xlabel="share of the region's events (%)",
        title=titled(source, "Mapped causes per study region, NASA GLC"),
    )
    ax.invert_yaxis()
    ax.legend(ncols=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    return stamp(fig, source)


# ------------------------------------------------------------------------------------------------
# Simulated imagery and its calibration against real data
# ------------------------------------------------------------------------------------------------


def _clearest(cloud_fraction: np.ndarray, candidates: np.ndarray) -> int | None:
    indices = np.nonzero(candidates)[0]
    return int(indices[np.argmin(cloud_fraction[indices])]) if len(indices) else None


def cause_gallery(stack, sites: dict[str, int]) -> Figure:
    """One row per cause: before and after the slide (or reference date) in Landsat RGB, NDVI and
    Sentinel-1 VV, the QA cloud mask of the cloudiest frame, and the scar.

    ``sites`` maps a cause key to a site index of ``stack``; "before" and "after" are the clearest
    frames on each side of the site's reference time, by the true sky (``cloud_truth``) where the stack keeps
    it and by the QA's cloud fraction otherwise.
    """
    source = stack.attrs.get("source", "simulated:lslib.data.sim")
    columns = [
        "RGB before",
        "RGB after",
        "NDVI before",
        "NDVI after",
        "SAR VV before",
        "SAR VV after",
        "QA cloud bit (a partly cloudy frame)",
        "scar (truth)",
    ]
    fig, axes = plt.subplots(
        len(sites), len(columns), figsize=(2.0 * len(columns), 2.05 * len(sites)), layout="constrained", squeeze=False
    )
    for row, (cause, index) in enumerate(sites.items()):
        site = stack.isel(site=index).load()
        for column, (image, cmap, limits, date) in enumerate(_gallery_panels(site)):
            colourbar = None
            if row == len(sites) - 1 and column in (3, 5):
                colourbar = "NDVI (unitless)" if column == 3 else "gamma0 VV, terrain-flattened (dB)"
            _gallery_cell(
                fig, axes[row, column], image, cmap, limits, date, columns[column] if row == 0 else None, colourbar
            )
        label = "slide: " + str(site["landslide"].values).lower()
        axes[row, 0].set_ylabel(f"{cause.replace('_', ' ')}\n{site['region'].values}, {label}", fontsize=8)
    fig.suptitle(titled(source, "one site per cause, 30 m pixels (site is 32 x 32 px = 0.96 km)"), fontsize=11)
    return stamp(fig, source)


def _gallery_panels(site: xr.Dataset) -> list[tuple[np.ndarray, str | None, tuple | None, np.datetime64]]:
    """The eight panels of one gallery row, as ``(image, colour map, limits, date)``."""
    from lslib.data.indices import ndvi

    reference = site["reference_time"].values
    dates, sar_dates = site["date"].values, site["sar_date"].values
    # the frames shown are chosen by the true sky where the simulator kept it (haze the QA misses included),
    # else by the QA's cloud fraction; no model chooses frames this way
    cloud = (
        site["cloud_truth"].mean(dim=("y", "x")).values + np.isnat(dates)
        if "cloud_truth" in site
        else site["cloud_fraction"].values
    )
    before = _clearest(cloud, dates < reference)
    after = _clearest(cloud, dates >= reference)
    after = after if after is not None else len(dates) - 1
    before = before if before is not None else 0
    s_before = int(np.nonzero(sar_dates < reference)[0][-1]) if (sar_dates < reference).any() else 0
    s_after = int(np.nonzero(sar_dates >= reference)[0][0]) if (sar_dates >= reference).any() else len(sar_dates) - 1
    refl = site["reflectance"].values
    partly = int(np.argmin(np.abs(cloud - 0.35)))  # the frame closest to a third cloudy
    return [
        (true_colour(refl[before]), None, None, dates[before]),
        (true_colour(refl[after]), None, None, dates[after]),
        (ndvi(refl[before, 2], refl[before, 3]), "YlGn", (-0.1, 0.9), dates[before]),
        (ndvi(refl[after, 2], refl[after, 3]), "YlGn", (-0.1, 0.9), dates[after]),
        (site["sar"].values[s_before, 0], "gray", (-22, 0), sar_dates[s_before]),
        (site["sar"].values[s_after, 0], "gray", (-22, 0), sar_dates[s_after]),
        (((site["qa_pixel"].values[partly].astype(np.uint32) >> 3) & 1), "Blues", (0, 1), dates[partly]),
        (site["scar_mask"].values.astype(float), "Reds", (0, 1), reference),
    ]


def _gallery_cell(
    fig: Figure,
    ax: plt.Axes,
    image: np.ndarray,
    cmap: str | None,
    limits: tuple | None,
    date: np.datetime64,
    title: str | None,
    colourbar: str | None,
) -> None:
    """One gallery panel: the image without ticks, its date in the corner, a title and a colour bar if asked."""
    shown = ax.imshow(
        image,
        cmap=cmap,
        vmin=None if limits is None else limits[0],
        vmax=None if limits is None else limits[1],
        interpolation="nearest",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=8)
    ax.text(
        0.02,
        0.03,
        str(np.datetime_as_string(date, unit="D")),
        transform=ax.transAxes,
        fontsize=6,
        color="white",
        bbox={"fc": "black", "alpha": 0.5, "pad": 1, "lw": 0},
    )
    if colourbar is not None:
        fig.colorbar(shown, ax=ax, orientation="horizontal", fraction=0.08, pad=0.04, label=colourbar)


def cloud_comparison_figure(samples: dict, stats: dict, simulated: str, real: str) -> Figure:
    """Cloud-fraction distributions and example masks, simulated against the real eo-learn patch."""
    fig = plt.figure(figsize=(12, 3.8), layout="constrained")
    grid = fig.add_gridspec(1, 4, width_ratios=[2.2, 1, 1, 1])
    ax = fig.add_subplot(grid[0])
    bins = np.linspace(0, 1, 21)
    ax.hist(samples["sim_fraction"], bins=bins, density=True, alpha=0.6, color="#b2182b", label="simulated (America)")
    ax.hist(
        samples["real_fraction"],
        bins=bins,
        density=True,
        alpha=0.6,
        color="#2166ac",
        label="real Sentinel-2 (eo-learn)",
    )
    ax.set(
        xlabel="cloud fraction of a frame (unitless)",
        ylabel="density",
        title=f"Cloud fraction per frame (KS distance {stats['cloud_ks']:.2f})",
    )
    ax.legend(fontsize=8)
    partly = lambda masks: [m for m in masks if 0.2 < m.mean() < 0.6]
    for position, (masks, name) in enumerate(
        (
            (partly(samples["sim_masks"]), "simulated mask"),
            (partly(samples["real_masks"]), "real mask"),
            (partly(samples["real_masks"])[1:], "real mask"),
        )
    ):
        axis = fig.add_subplot(grid[position + 1])
        if masks:
            axis.imshow(masks[0], cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(f"{name} (30 m px)", fontsize=9)
    fig.suptitle(
        f"SIMULATED vs REAL — clouds: lag-1 autocorrelation {stats['cloud_autocorr_sim']:.2f} "
        f"simulated, {stats['cloud_autocorr_real']:.2f} real",
        fontsize=11,
    )
    return stamp_comparison(fig, simulated, real)


def ndvi_comparison_figure(samples: dict, simulated: str, real: str, n_sites: int = 6) -> Figure:
    """NDVI through the year: real eo-learn and Mud Creek series beside simulated American sites."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained", width_ratios=[2.2, 1])
    doy = lambda dates: (np.asarray(dates, "datetime64[D]") - np.asarray(dates, "datetime64[Y]")).astype(int)
    for dates, series, marker, color, label in (
        ("real_dates", "real_series", "o", "#2166ac", "real: eo-learn Sentinel-2, Slovenia (median of clear pixels)"),
        ("mud_dates", "mud_series", "s", "#4393c3", "real: PrecLand Mud Creek, outside the slide"),
    ):
        axes[0].plot(doy(samples[dates]), samples[series], marker, color=color, ms=4, label=label)
    for index in range(min(n_sites, len(samples["sim_series"]))):
        axes[0].plot(
            doy(samples["sim_dates"][index]),
            samples["sim_series"][index],
            "o",
            color="#b2182b",
            alpha=0.55,
            ms=3,
            label="simulated American sites (no slide)" if index == 0 else None,
        )
    axes[0].set(
        xlabel="day of year", ylabel="NDVI (unitless)", xlim=(0, 366), ylim=(-0.1, 1.0), title="Seasonal course of NDVI"
    )
    axes[0].legend(fontsize=7, loc="lower left")
    bins = np.linspace(-0.2, 1.0, 49)
    axes[1].hist(samples["sim_pixels"], bins=bins, density=True, alpha=0.6, color="#b2182b", label="simulated")
    axes[1].hist(samples["real_pixels"], bins=bins, density=True, alpha=0.6, color="#2166ac", label="real (eo-learn)")
    axes[1].set(xlabel="NDVI of clear pixels (unitless)", ylabel="density", title="NDVI of clear pixels")
    axes[1].legend(fontsize=8)
    fig.suptitle("SIMULATED vs REAL — vegetation", fontsize=11)
    return stamp_comparison(fig, simulated, real)


def rain_comparison_figure(rain: dict, simulated: str, real: str) -> Figure:
    """Monthly rain of the simulated India sites beside the IMD normals of Pune district."""
    fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
    months = np.arange(12)
    ax.bar(months - 0.2, rain["imd_mm"], width=0.4, color="#2166ac", label="real: IMD district normal, Pune")
    ax.bar(months + 0.2, rain["sim_mm"], width=0.4, color="#b2182b", label="simulated India sites (mean)")
    ax.set_xticks(months, [m.title() for m in rain["months"]])
    ax.set(
        ylabel="rain (mm per month)",
        title=f"SIMULATED vs REAL — monthly rain (annual ratio "
        f"{rain['rain_annual_ratio']:.2f}, correlation {rain['rain_monthly_corr']:.3f})",
    )
    ax.legend(fontsize=8)
    return stamp_comparison(fig, simulated, real)


def cause_share_figure(shares: pd.DataFrame, simulated: str, real: str) -> Figure:
    """Share of each cause among slides per region: simulated beside the NASA GLC."""
    regions = list(dict.fromkeys(shares["region"]))
    fig, axes = plt.subplots(1, len(regions), figsize=(13, 3.4), layout="constrained", sharey=True)
    for ax, region in zip(np.atleast_1d(axes), regions):
        part = shares[shares["region"] == region]
        positions = np.arange(len(part))
        ax.bar(positions - 0.2, part["glc_share"] * 100, width=0.4, color="#2166ac", label="real: NASA GLC triggers")
        ax.bar(positions + 0.2, part["simulated_share"] * 100, width=0.4, color="#b2182b", label="simulated slides")
        ax.set_xticks(positions, [c.replace("_", "\n") for c in part["cause"]], fontsize=7)
        ax.set_title(region)
    np.atleast_1d(axes)[0].set_ylabel("share of slides (%)")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle("SIMULATED vs REAL — causes: the simulator oversamples the rare causes on purpose", fontsize=11)
    return stamp_comparison(fig, simulated, real)


def coverage_figure(stack) -> Figure:
    """Per site: when Landsat 8 saw it (colour: cloud fraction) and when Sentinel-1 did, through time.

    June to September is shaded for Indian sites: the monsoon, when Landsat is mostly blind.
    """
    source = stack.attrs.get("source", "simulated:lslib.data.sim")
    n = stack.sizes["site"]
    fig, ax = plt.subplots(figsize=(12, 0.55 * n + 1.6), layout="constrained")
    cmap = plt.get_cmap("Blues")
    monsoon_labelled = False
    for row in range(n):
        site = stack.isel(site=row)
        dates, cloud = site["date"].values, site["cloud_fraction"].values
        valid = ~np.isnat(dates)
        shown = ax.scatter(
            dates[valid],
            np.full(valid.sum(), row + 0.12),
            c=cloud[valid],
            cmap=cmap,
            vmin=0,
            vmax=1,
            marker="s",
            s=30,
            edgecolor="#333333",
            linewidth=0.3,
        )
        sar = site["sar_date"].values
        sar = sar[~np.isnat(sar)]
        ax.scatter(sar, np.full(len(sar), row - 0.18), marker="^", s=18, color="#b35806")
        if str(site["region"].values) == "india" and valid.any():
            first, last = dates[valid].min(), dates[valid].max()
            for year in pd.DatetimeIndex(dates[valid]).year.unique():
                start = max(np.datetime64(f"{year}-06-01"), first)
                end = min(np.datetime64(f"{year}-09-30"), last)
                if start < end:
                    ax.fill_betweenx(
                        [row - 0.42, row + 0.42],
                        start,
                        end,
                        color="#d9f0d3",
                        zorder=0,
                        label="monsoon (June-September)" if not monsoon_labelled else None,
                    )
                    monsoon_labelled = True
        event = site["event_time"].values
        if not np.isnat(event):
            ax.plot([event, event], [row - 0.4, row + 0.4], color="#d7301f", lw=2)
    ax.set_yticks(range(n), [f"{stack['region'].values[i]} {i}" for i in range(n)], fontsize=8)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("acquisition date")
    ax.scatter([], [], marker="s", color=cmap(0.6), label="Landsat 8 (colour: cloud fraction)")
    ax.scatter([], [], marker="^", color="#b35806", label="Sentinel-1")
    ax.plot([], [], color="#d7301f", lw=2, label="catalogued slide")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, frameon=False)
    fig.colorbar(shown, ax=ax, label="Landsat cloud fraction (unitless)", fraction=0.03)
    ax.set_title(titled(source, "what each sensor saw: Landsat is blind under cloud, Sentinel-1 is not"))
    return stamp(fig, source)


def _stretched(patch: np.ndarray) -> np.ndarray:
    """A patch scaled to its own 2nd-98th percentiles, for display (the texture statistic ignores gain)."""
    low, high = np.percentile(patch, [2, 98])
    return np.clip((patch - low) / max(high - low, 1e-9), 0, 1)


def texture_figure(
    stats: dict,
    simulated: dict[str, np.ndarray],
    real: dict[str, np.ndarray],
    simulated_source: str,
    real_source: str,
    band: str = "red",
) -> Figure:
    """Spatial autocorrelation against pixel lag per band, simulated against real Landsat 8, with two
    example patches of each (each stretched to its own range)."""
    fig = plt.figure(figsize=(12, 4.2), layout="constrained")
    grid = fig.add_gridspec(2, 4, width_ratios=[2.4, 1, 1, 0.05])
    ax = fig.add_subplot(grid[:, 0])
    colours = {"blue": "#2166ac", "green": "#1b7837", "red": "#b2182b"}
    for name, values in stats["per_band"].items():
        lags = sorted(values["real"])
        ax.plot(lags, [values["real"][k] for k in lags], "-o", color=colours.get(name, "k"), label=f"{name}, real")
        ax.plot(
            lags,
            [values["sim"][k] for k in lags],
            "--s",
            color=colours.get(name, "k"),
            alpha=0.7,
            label=f"{name}, simulated",
        )
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.minorticks_off()
    ax.set(
        xticks=lags,
        xticklabels=[str(k) for k in lags],
        ylim=(-0.1, 1),
        xlabel="lag (pixels of 30 m)",
        ylabel="median spatial autocorrelation (unitless)",
        title="Texture of 32 x 32 px patches",
    )
    ax.legend(fontsize=7, ncol=2)
    for row, (patches, name) in enumerate(((real[band], "real L1 (DN)"), (simulated[band], "simulated"))):
        for column in range(2):
            axis = fig.add_subplot(grid[row, column + 1])
            image = axis.imshow(
                _stretched(patches[column * (len(patches) // 2)]), cmap="gray", vmin=0, vmax=1, interpolation="nearest"
            )
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(f"{name}, {band} (30 m px)", fontsize=8)
    fig.colorbar(image, cax=fig.add_subplot(grid[:, 3]), label=f"{band}, stretched to the patch's 2-98 % range")
    fig.suptitle(
        f"SIMULATED vs REAL — texture: lag-1 autocorrelation {stats['texture_lag1_sim']:.2f} simulated, "
        f"{stats['texture_lag1_real']:.2f} real; lag 4 {stats['texture_lag4_sim']:.2f} against "
        f"{stats['texture_lag4_real']:.2f}",
        fontsize=11,
    )
    return stamp_comparison(fig, simulated_source, real_source)


# ------------------------------------------------------------------------------------------------
# Where simulated slides start, and the haze the simulated QA misses
# ------------------------------------------------------------------------------------------------

#: The band of slope where real shallow slides concentrate (SIMULATOR.md), in degrees.
_REAL_BAND_DEG = (25.0, 45.0)
#: Below about this slope (degrees) real shallow slides are rare (SIMULATOR.md: 15-20).
_REAL_RARE_BELOW_DEG = 20.0


def slope_frequency_figure(stack: xr.Dataset, bin_edges: np.ndarray = SLOPE_BIN_EDGES_DEG) -> Figure:
    """Slide frequency against slope, over the land pixels of every site of ``stack``.

    Left: initiation cells (``initiation_mask``) per 1000 land pixels in each slope bin, the count of
    initiation cells over each bar. Right: the slope distribution (density per degree) of all land pixels
    and of the initiation cells. Both shade 25-45 degrees, where real shallow slides concentrate, and mark
    the slopes below 20 degrees, where real ones are rare (SIMULATOR.md).

    Parameters
    ----------
    stack : xarray.Dataset
        Needs ``slope (site, y, x)`` in degrees, ``initiation_mask (site, y, x)`` and, to leave water out,
        ``qa_pixel``; the counts are :func:`lslib.analysis.slope.slope_frequency`.
    bin_edges : numpy.ndarray
        Slope bin edges in degrees (default 0-60 by 5); pixels outside them are counted in the caption.

    Returns
    -------
    matplotlib.figure.Figure
        Titled and stamped with the stack's provenance.
    """
    source = stack.attrs.get("source", "simulated:lslib.data.sim")
    table = slope_frequency(stack, bin_edges)
    low, high = _REAL_BAND_DEG
    edges = np.append(table["slope_low_deg"].to_numpy(), table["slope_high_deg"].to_numpy()[-1])
    centres = (table["slope_low_deg"] + table["slope_high_deg"]).to_numpy() / 2
    widths = (table["slope_high_deg"] - table["slope_low_deg"]).to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    for ax in axes:
        _slope_bands(ax, edges)
    peak = _initiation_panel(axes[0], table, centres, widths)
    _slope_density_panel(axes[1], table, edges, widths)
    _slope_captions(fig, stack, table, edges, peak, source)
    return stamp(fig, source)


def _slope_bands(ax: plt.Axes, edges: np.ndarray) -> None:
    """The 25-45 degree band of real shallow slides, the hatched slopes where they are rare, and the x axis."""
    low, high = _REAL_BAND_DEG
    ax.axvspan(
        low, high, color="#fee8c8", zorder=0, label=f"{low:.0f}-{high:.0f}°: where real shallow slides mostly start"
    )
    ax.axvspan(
        edges[0],
        _REAL_RARE_BELOW_DEG,
        facecolor="none",
        edgecolor="#bdbdbd",
        hatch="///",
        lw=0,
        zorder=0,
        label=f"< {_REAL_RARE_BELOW_DEG:.0f}°: real ones rare",
    )
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xticks(edges[:: max(1, len(edges) // 7)] if len(edges) > 13 else edges)
    ax.set_xlabel("slope (degrees)")


def _initiation_panel(ax: plt.Axes, table: pd.DataFrame, centres: np.ndarray, widths: np.ndarray) -> pd.Series | None:
    """Panel (a): initiation cells per 1000 land pixels per slope bin; returns the bin of the highest rate."""
    per_1000 = table["initiation_per_1000"].fillna(0.0).to_numpy()
    ax.bar(centres, per_1000, width=widths * 0.9, color="#b2182b", zorder=2)
    for x, y, n in zip(centres, per_1000, table["initiation_pixels"]):
        ax.text(x, y, f"{n}", ha="center", va="bottom", fontsize=7, color="#67001f")
    peak = table.loc[table["initiation_per_1000"].idxmax()] if table["initiation_pixels"].sum() else None
    ax.set_ylim(0, max(per_1000.max(), 1e-9) * 1.15)
    ax.set(
        ylabel="initiation cells per 1000 land pixels",
        title="(a) How often a land pixel started a slide (numbers: initiation cells)",
    )
    ax.legend(fontsize=8, loc="upper left")
    return peak


def _slope_density_panel(ax: plt.Axes, table: pd.DataFrame, edges: np.ndarray, widths: np.ndarray) -> None:
    """Panel (b): the slope density (1/degree) of all land pixels and of the initiation cells."""
    low, high = _REAL_BAND_DEG
    density_all = table["pixel_share"].to_numpy() / widths
    density_started = table["initiation_share"].to_numpy() / widths
    ax.set_ylim(0, max(density_all.max(), density_started.max(), 1e-9) * 1.35)
    ax.stairs(density_all, edges, fill=True, color="#969696", alpha=0.6, label="all land pixels", zorder=2)
    ax.stairs(density_started, edges, color="#b2182b", lw=2, label="slide-initiation cells", zorder=3)
    shares = band_share(table, low, high)
    ax.text(
        0.98,
        0.97,
        f"on {low:.0f}-{high:.0f}°: {shares['initiation_share']:.0%} of initiation cells,\n"
        f"{shares['pixel_share']:.0%} of land pixels",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"fc": "white", "ec": "#cccccc", "lw": 0.6},
    )
    ax.set(
        ylabel="share per degree of slope (1/degree)",
        title="(b) Slope of all land pixels and of initiation cells",
    )
    ax.legend(fontsize=8, loc="upper left")


def _slope_captions(
    fig: Figure, stack: xr.Dataset, table: pd.DataFrame, edges: np.ndarray, peak: pd.Series | None, source: str
) -> None:
    """The figure's title (counts, the peak bin and the bin with most initiation cells) and its footnote."""
    attrs = table.attrs
    n_sites = int(stack.sizes["site"])
    n_slid = int((np.asarray(stack["initiation_mask"].values).reshape(n_sites, -1).any(axis=1)).sum())
    outside = (
        f"; {attrs['pixels_outside']:,} land pixels ({attrs['initiation_outside']} initiation cells) lie outside "
        f"{edges[0]:.0f}-{edges[-1]:.0f}° and are not shown"
        if attrs["pixels_outside"]
        else ""
    )
    most = table.loc[table["initiation_pixels"].idxmax()]
    peak_text = (
        f"\nhighest frequency on {peak['slope_low_deg']:.0f}-{peak['slope_high_deg']:.0f}° "
        f"({peak['initiation_per_1000']:.1f} per 1000 pixels); most initiation cells on "
        f"{most['slope_low_deg']:.0f}-{most['slope_high_deg']:.0f}° ({int(most['initiation_pixels'])})"
        if peak is not None
        else ""
    )
    fig.suptitle(
        titled(
            source,
            f"where slides start on the slope: {attrs['initiation_total']:,} initiation cells of "
            f"{n_slid} slides on {attrs['land_pixels']:,} land pixels of {n_sites} sites{peak_text}",
        ),
        fontsize=11,
    )
    fig.text(
        0.005,
        0.005,
        f"30 m pixels of all sites pooled, water (QA water bit) left out{outside}.",
        ha="left",
        va="bottom",
        fontsize=7,
        color="#444444",
    )


def _hazy_frame(stack: xr.Dataset, min_clear_share: float = 0.1) -> tuple[int, int]:
    """``(site, time)`` of the frame with most unflagged true cloud among frames with at least
    ``min_clear_share`` of pixels truly clear and unflagged (the first such frame on a tie)."""
    from lslib.data.qa import flagged

    qa = stack["qa_pixel"].transpose("site", "time", "y", "x").values
    truth = stack["cloud_truth"].transpose("site", "time", "y", "x").values.astype(bool)
    usable = (qa.astype(np.uint32) & 1) == 0
    flag = flagged(qa)
    missed = (truth & ~flag & usable).sum(axis=(2, 3))
    clear = (~truth & ~flag & usable).sum(axis=(2, 3)) / (qa.shape[2] * qa.shape[3])
    valid = ~np.isnat(stack["date"].transpose("site", "time").values)
    score = np.where(valid & (clear >= min_clear_share), missed, -1)
    if score.max() <= 0:
        raise ValueError(
            f"no frame of the stack has unflagged true cloud and at least {min_clear_share:.0%} clear pixels"
        )
    site, time = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(site), int(time)


def _clearest_comparison(site: xr.Dataset, hazy: int) -> int:
    """The frame of ``site`` (one site of a stack) with least true cloud and shadow, other than ``hazy``,
    on the same side of the site's reference time where it can be (so the ground has not slid in between);
    a tie goes to the frame nearest in date."""
    dates = site["date"].values
    dirty = (site["cloud_truth"].values | site["shadow_truth"].values).sum(axis=(1, 2))
    candidates = ~np.isnat(dates) & (np.arange(len(dates)) != hazy)
    reference = site["reference_time"].values
    if not np.isnat(reference):
        same_side = candidates & ((dates < reference) == (dates[hazy] < reference))
        candidates = same_side if same_side.any() else candidates
    indices = np.nonzero(candidates)[0]
    apart = np.abs((dates[indices] - dates[hazy]).astype("timedelta64[D]").astype(np.int64))
    return int(indices[np.lexsort((apart, dirty[indices]))[0]])


#: Categories of the true-cloud-against-QA map: (name, colour).
_QA_CATEGORIES = (
    ("clear (no cloud, not flagged)", "#f0f0f0"),
    ("flagged cloud (hit)", "#4575b4"),
    ("missed cloud / haze (omission)", "#fdae61"),
    ("false flag (commission)", "#d73027"),
)


def haze_figure(
    stack: xr.Dataset, site: int | None = None, time: int | None = None, min_clear_share: float = 0.1
) -> Figure:
    """Thin cloud and haze that the QA mask misses, on one simulated frame.

    Four panels: the true-colour composite of the frame, the same site's clearest frame, a map of the
    true cloud (``cloud_truth``, thick or thin) against the QA cloud flag (:data:`lslib.data.qa.CLOUD_FLAG_BITS`:
    cloud, dilated cloud, cirrus) in four classes (clear, flagged cloud, missed cloud or haze, false flag),
    and the blue reflectance of the frame minus that of the clear frame (haze brightens blue most).
    The title gives the frame's omission (share of true cloud pixels not flagged) and commission (share
    of flagged pixels not cloud) and the same for the whole stack. Cloud shadow is not scored here.

    Parameters
    ----------
    stack : xarray.Dataset
        Needs ``reflectance``, ``qa_pixel``, ``cloud_truth``, ``shadow_truth``, ``date`` and
        ``reference_time`` (a simulated stack: real data have no ``cloud_truth``).
    site, time : int, optional
        The frame to show; by default the frame with the most unflagged true-cloud pixels among those with
        at least ``min_clear_share`` of pixels clear and unflagged (deterministic: the first on a tie).
    min_clear_share : float
        Least share (0-1) of clear, unflagged pixels for a frame to be chosen by default.

    Returns
    -------
    matplotlib.figure.Figure
        Titled and stamped with the stack's provenance.

    Raises
    ------
    KeyError
        If the stack has no ``cloud_truth`` (the message lists what it has).
    ValueError
        If only one of ``site`` and ``time`` is given, or no frame qualifies.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from lslib.data.qa import flagged, qa_error_rates

    if "cloud_truth" not in stack:
        raise KeyError(f"haze_figure needs cloud_truth (simulated stacks); the stack has {sorted(stack.data_vars)}")
    if (site is None) != (time is None):
        raise ValueError(f"give both site and time or neither, got site={site!r}, time={time!r}")
    if site is None:
        site, time = _hazy_frame(stack, min_clear_share)
    source = stack.attrs.get("source", "simulated:lslib.data.sim")
    one = stack.isel(site=site).load()
    clear_time = _clearest_comparison(one, time)
    dates = one["date"].values
    refl = one["reflectance"].values
    qa = one["qa_pixel"].values[time]
    truth = one["cloud_truth"].values[time].astype(bool)
    flag = flagged(qa)
    category = np.select([truth & flag, truth & ~flag, ~truth & flag], [1, 2, 3], default=0)
    frame_rates = qa_error_rates(qa, truth)
    stack_rates = qa_error_rates(stack["qa_pixel"].values, stack["cloud_truth"].values)
    day = lambda t: str(np.datetime_as_string(dates[t], unit="D"))
    true_share = lambda t: float(one["cloud_truth"].values[t].mean())
    qa_share = lambda t: float(flagged(one["qa_pixel"].values[t]).mean())

    fig, axes = plt.subplots(1, 4, figsize=(14, 4.4), layout="constrained")
    axes[0].imshow(true_colour(refl[time]), interpolation="nearest")
    axes[0].set_title(
        f"(a) hazy frame {day(time)}\ntrue cloud {true_share(time):.0%}, QA cloud flag {qa_share(time):.0%}",
        fontsize=9,
    )
    axes[1].imshow(true_colour(refl[clear_time]), interpolation="nearest")
    axes[1].set_title(
        f"(b) clearest frame {day(clear_time)}\n"
        f"true cloud {true_share(clear_time):.0%}, QA cloud flag {qa_share(clear_time):.0%}",
        fontsize=9,
    )
    colours = ListedColormap([colour for _, colour in _QA_CATEGORIES])
    axes[2].imshow(category, cmap=colours, norm=BoundaryNorm(np.arange(-0.5, 4.5), 4), interpolation="nearest")
    counts = np.bincount(category.ravel(), minlength=4)
    # A figure legend below the panels: an axes legend outside an image with a colour bar beside it
    # breaks the constrained layout (the panels then run into the title).
    fig.legend(
        handles=[
            Patch(facecolor=colour, edgecolor="#666666", lw=0.5, label=f"{name}: {count} px")
            for (name, colour), count in zip(_QA_CATEGORIES, counts)
        ],
        loc="outside lower center",
        ncols=4,
        title="(c) true cloud (thick or thin) against the QA cloud flag (cloud, dilated cloud, cirrus bits)",
        title_fontsize=8,
        fontsize=8,
        frameon=False,
    )
    axes[2].set_title(f"(c) true cloud against QA cloud flag\n{day(time)}", fontsize=9)
    difference = refl[time, 0] - refl[clear_time, 0]
    limit = float(max(np.abs(difference).max(), 1e-3))
    shown = axes[3].imshow(difference, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    fig.colorbar(shown, ax=axes[3], fraction=0.046, pad=0.03, label="blue reflectance difference (unitless)")
    axes[3].set_title(f"(d) blue reflectance,\n{day(time)} minus {day(clear_time)}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel(f"site {site}, {one['region'].values}\n32 x 32 px of 30 m", fontsize=8)
    fig.suptitle(
        titled(
            source,
            f"thin cloud and haze the QA misses: site {site} ({one['region'].values}), {day(time)}\n"
            f"QA cloud omission {frame_rates['omission']:.0%} and commission {frame_rates['commission']:.0%} on "
            f"this frame; {stack_rates['omission']:.0%} and {stack_rates['commission']:.0%} over the whole stack",
        ),
        fontsize=11,
    )
    return stamp(fig, source)
