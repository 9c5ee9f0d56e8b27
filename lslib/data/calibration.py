"""Calibration of the simulator against real data, each comparison reduced to a number.

* Clouds: the per-frame cloud fraction and the lag-1 spatial autocorrelation of cloud masks,
  against the real eo-learn Sentinel-2 patch (Slovenia, ``mask/CLM.npy``).
* Vegetation: the NDVI range and seasonal amplitude, against the same patch and the PrecLand
  Mud Creek series (outside the slide).
* Rain: the monthly climatology of the simulated India sites, against the IMD district normals of
  Pune.
* Causes: the share of each cause per region, against the NASA GLC triggers.

Real files come through :func:`lslib.data.registry.fetch`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from lslib.causes import CAUSE_KEYS
from lslib.data.distributions import ks_distance, lag1_autocorrelation
from lslib.data.indices import ndvi_stack
from lslib.data.qa import cloud_fraction as qa_cloud_fraction
from lslib.data.registry import fetch
from lslib.data.sim.landcover import Cover
from lslib.data.sim.regions import get_region

__all__ = [
    "eolearn_patch",
    "cloud_samples",
    "cloud_statistics",
    "ndvi_samples",
    "ndvi_statistics",
    "rain_climatology",
    "cause_shares",
    "mud_creek_series",
    "pune_normals",
    "stable_ndvi_noise",
    "eolearn_stable_ndvi_noise",
    "simulated_stable_ndvi_noise",
    "ndvi_amplitude_by_cover",
    "SNOW_FREE_MONTHS",
    "EOLEARN_FOREST_CLASS",
    "LEAF_ON_MONTHS",
]

#: Land-cover class of forest in the eo-learn patch's ``mask_timeless/LULC.npy`` (eo-learn's example classes:
#: 1 cultivated land, 2 forest, 3 grassland, 4 shrubland, ..., 8 artificial surface).
EOLEARN_FOREST_CLASS = 2
#: Calendar months without snow on the eo-learn patch (its December to March dates read NDVI near 0 under snow,
#: a process the simulator does not model).
SNOW_FREE_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11)
#: Months when the Slovenian forest of the eo-learn patch is in leaf and its NDVI stays high (median about 0.7);
#: winter dates carry snow and leaf fall, which are not noise.
LEAF_ON_MONTHS = (5, 6, 7, 8, 9)
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def eolearn_patch() -> dict[str, np.ndarray]:
    """The real eo-learn Sentinel-2 patch: ``ndvi`` and ``cloud`` (time, y, x), ``valid``, ``dates``."""
    ndvi = np.load(fetch("eolearn_s2_patch/data/NDVI.npy"))[..., 0]
    cloud = np.load(fetch("eolearn_s2_patch/mask/CLM.npy"))[..., 0].astype(bool)
    valid = np.load(fetch("eolearn_s2_patch/mask/IS_DATA.npy"))[..., 0].astype(bool)
    with open(fetch("eolearn_s2_patch/timestamps.json"), encoding="utf-8") as handle:
        dates = pd.to_datetime(json.load(handle)).values
    return {"ndvi": ndvi, "cloud": cloud, "valid": valid, "dates": dates}


def _to_30m(masks: np.ndarray) -> np.ndarray:
    """Aggregate 10 m Sentinel-2 masks to the 30 m Landsat grid (3 x 3 blocks, majority)."""
    rows, cols = (masks.shape[1] // 3) * 3, (masks.shape[2] // 3) * 3
    blocks = masks[:, :rows, :cols].reshape(len(masks), rows // 3, 3, cols // 3, 3)
    return blocks.mean(axis=(2, 4)) >= 0.5


def _partly_cloudy_autocorrelation(masks: np.ndarray, low: float = 0.05, high: float = 0.95) -> float:
    fractions = masks.reshape(len(masks), -1).mean(axis=1)
    values = [lag1_autocorrelation(m.astype(float)) for m, f in zip(masks, fractions) if low < f < high]
    return float(np.nanmean(values)) if values else float("nan")


def cloud_samples(stack: xr.Dataset, region: str | None = None) -> dict[str, np.ndarray]:
    """Per-frame cloud fractions and cloud masks, simulated (one region or all) and real (eo-learn, 30 m)."""
    real = eolearn_patch()
    subset = stack if region is None else stack.isel(site=np.nonzero(stack["region"].values == region)[0])
    qa = subset["qa_pixel"].values
    return {
        "sim_fraction": qa_cloud_fraction(qa).ravel(),
        "real_fraction": real["cloud"].reshape(len(real["cloud"]), -1).mean(axis=1),
        "sim_masks": ((qa.astype(np.uint32) >> 3) & 1).astype(bool).reshape(-1, *qa.shape[-2:]),
        "real_masks": _to_30m(real["cloud"]),
    }


def cloud_statistics(stack: xr.Dataset, region: str | None = None, samples: dict | None = None) -> dict[str, float]:
    """Cloud fraction distribution and cloud-mask autocorrelation, simulated against real.

    Returns ``cloud_ks`` (KS distance between the per-frame cloud fractions), the shares of frames
    more than half cloudy and under 5 % cloudy in each, and the mean lag-1 autocorrelation of
    partly cloudy masks in each (the real 10 m masks aggregated to 30 m first, so both are measured
    at the Landsat pixel size).
    """
    samples = samples or cloud_samples(stack, region)  # pass the figure's samples to read the data once
    sim, real = samples["sim_fraction"], samples["real_fraction"]
    return {
        "cloud_ks": ks_distance(sim, real),
        "cloud_share_over_half_sim": float((sim > 0.5).mean()),
        "cloud_share_over_half_real": float((real > 0.5).mean()),
        "cloud_share_under_5pct_sim": float((sim < 0.05).mean()),
        "cloud_share_under_5pct_real": float((real < 0.05).mean()),
        "cloud_autocorr_sim": _partly_cloudy_autocorrelation(samples["sim_masks"]),
        "cloud_autocorr_real": _partly_cloudy_autocorrelation(samples["real_masks"]),
    }


def mud_creek_series() -> pd.DataFrame:
    """PrecLand Sentinel-2 index series of Mud Creek, inside (``_in``) and outside (``_out``) the slide."""
    frame = pd.read_excel(fetch("precland/samples/mud_creek_index_series.xlsx"))
    frame["Date"] = pd.to_datetime(frame["Date"])
    return frame.set_index("Date")


def _amplitude(series: np.ndarray) -> float:
    finite = series[np.isfinite(series)]
    return float(np.percentile(finite, 95) - np.percentile(finite, 5)) if len(finite) > 2 else float("nan")


def ndvi_samples(stack: xr.Dataset, region: str = "america") -> dict[str, object]:
    """Clear-pixel NDVI: real eo-learn pixels and per-date medians, Mud Creek (outside the slide),
    and per-frame site medians of the simulated sites of ``region`` that did not slide."""
    real = eolearn_patch()
    clear = real["valid"] & ~real["cloud"]
    real_series = np.array(
        [np.median(frame[mask]) if mask.mean() > 0.5 else np.nan for frame, mask in zip(real["ndvi"], clear)]
    )
    keep = (stack["region"].values == region) & ~stack["landslide"].values
    subset = stack.isel(site=np.nonzero(keep)[0])
    ndvi = ndvi_stack(subset).values  # (site, time, y, x), NaN where masked
    flat = ndvi.reshape(ndvi.shape[0], ndvi.shape[1], -1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clear_share = np.isfinite(flat).mean(axis=-1)
        site_series = np.where(clear_share > 0.5, np.nanmedian(flat, axis=-1), np.nan)
    mud = mud_creek_series()["NDVI_out"]
    return {
        "real_pixels": real["ndvi"][clear],
        "real_dates": real["dates"],
        "real_series": real_series,
        "mud_dates": mud.index.values,
        "mud_series": mud.to_numpy(dtype=float),
        "sim_pixels": ndvi[np.isfinite(ndvi)],
        "sim_dates": subset["date"].values,
        "sim_series": site_series,
    }


def ndvi_statistics(stack: xr.Dataset, region: str = "america", samples: dict | None = None) -> dict[str, float]:
    """NDVI range (5th-95th percentile of clear pixels) and seasonal amplitude (5th-95th percentile
    of a site's per-frame medians), simulated ``region`` against the real eo-learn and Mud Creek series."""
    samples = samples or ndvi_samples(stack, region)  # pass the figure's samples to compute them once
    sim_amplitude = float(np.nanmedian([_amplitude(s) for s in samples["sim_series"]]))
    real_amplitude = _amplitude(samples["real_series"])
    return {
        "ndvi_p05_sim": float(np.percentile(samples["sim_pixels"], 5)),
        "ndvi_p95_sim": float(np.percentile(samples["sim_pixels"], 95)),
        "ndvi_p05_real": float(np.percentile(samples["real_pixels"], 5)),
        "ndvi_p95_real": float(np.percentile(samples["real_pixels"], 95)),
        "ndvi_amplitude_sim": sim_amplitude,  # whole scenes, all dates (snow on the real patch included)
        "ndvi_amplitude_eolearn": real_amplitude,
        "ndvi_amplitude_mud_creek": _amplitude(samples["mud_series"]),
        "ndvi_amplitude_ratio_eolearn_scene": sim_amplitude / real_amplitude,
    }


def pune_normals() -> pd.Series:
    """IMD district normal monthly rainfall of Pune, mm (JAN..DEC)."""
    normals = pd.read_csv(fetch("imd_rainfall/imd_district_rainfall_normals.csv"))
    row = normals[(normals["STATE_UT_NAME"].str.upper() == "MAHARASHTRA") & (normals["DISTRICT"].str.upper() == "PUNE")]
    if len(row) != 1:
        raise ValueError("The IMD normals file has no single Pune (Maharashtra) row")
    return row.iloc[0][_MONTHS].astype(float)


def rain_climatology(stack: xr.Dataset, region: str = "india") -> dict[str, object]:
    """Monthly rain of the simulated ``region`` against the Pune normals.

    Returns the two monthly series (mm/month), the ratio of annual totals and the Pearson
    correlation of the monthly pattern.
    """
    subset = stack["rain_daily"].isel(site=np.nonzero(stack["region"].values == region)[0])
    days = pd.DatetimeIndex(stack["day"].values)
    daily = subset.values.mean(axis=0)
    monthly = (
        pd.Series(daily, index=days).groupby(days.month).mean()
        * pd.Series(days.days_in_month, index=days).groupby(days.month).first()
    )
    monthly = monthly.reindex(range(1, 13))
    normals = pune_normals()
    sim = monthly.to_numpy()
    real = normals.to_numpy()
    valid = np.isfinite(sim)
    return {
        "months": _MONTHS,
        "sim_mm": sim.tolist(),
        "imd_mm": real.tolist(),
        "rain_annual_ratio": float(np.nansum(sim) / real[valid].sum()),
        "rain_monthly_corr": float(np.corrcoef(sim[valid], real[valid])[0, 1]),
    }


def cause_shares(stack: xr.Dataset, glc: pd.DataFrame) -> pd.DataFrame:
    """Share of each cause among slides, per region: simulated beside the NASA GLC (catalogued triggers)."""
    rows = []
    for region in ("america", "china", "india"):
        sim = stack.isel(site=np.nonzero((stack["region"].values == region) & stack["landslide"].values)[0])
        sim_counts = pd.Series([CAUSE_KEYS[c] for c in sim["cause"].values]).value_counts()
        real = glc[(glc["region"] == region) & (glc["cause"] != "other_unknown")]["cause"].value_counts()
        for cause in CAUSE_KEYS[:-1]:
            rows.append(
                {
                    "region": region,
                    "cause": cause,
                    "simulated_share": float(sim_counts.get(cause, 0) / max(sim_counts.sum(), 1)),
                    "glc_share": float(real.get(cause, 0) / max(real.sum(), 1)),
                }
            )
    return pd.DataFrame(rows)


def stable_ndvi_noise(
    ndvi: np.ndarray,
    clear: np.ndarray,
    stable: np.ndarray | None = None,
    min_clear: int = 6,
    days: np.ndarray | None = None,
) -> float:
    """Clear-sky NDVI noise of stable pixels: how much one observation of an unchanging pixel strays, NDVI units.

    For each stable pixel the clear observations are taken in time order, and each is compared with the
    straight line through its clear neighbours, at their real spacing ``h1``, ``h2`` (days): the residual
    ``x1 - (h2 x0 + h1 x2) / (h1 + h2)``. A smooth seasonal term (locally linear between neighbouring clear
    dates) cancels even across a cloudy gap, while independent date-to-date noise of sd sigma gives residuals
    of sd ``sigma * sqrt(1 + (h1**2 + h2**2) / (h1 + h2)**2)``, by which each residual is divided (for evenly
    spaced dates this is the plain second difference over sqrt(6)).
    The pixel's noise is the robust sd of its scaled residuals (1.4826 MAD); the statistic is
    the median over stable pixels with at least ``min_clear`` clear observations. Being robust, it reflects
    the typical date (atmospheric residual, sensor noise, misregistration, unflagged haze) rather than the
    rare missed cloud. Compare patches at the same pixel size (aggregate 10 m Sentinel-2 to 30 m first, as
    :func:`eolearn_stable_ndvi_noise` does).

    Parameters
    ----------
    ndvi : numpy.ndarray
        ``(..., time, y, x)`` NDVI (NaN allowed where not clear).
    clear : numpy.ndarray
        Bool, same shape: clear-sky observations (e.g. ``~lslib.data.qa.invalid_mask(qa)``).
    stable : numpy.ndarray or None
        Bool ``(..., y, x)``: the pixels to score (e.g. forest that never changed); None for all.
    min_clear : int
        Fewest clear observations a pixel needs (at least 4).
    days : numpy.ndarray or None
        Acquisition times in days, ``(time,)`` or ``(..., time)`` like ``ndvi`` without its pixel axes (NaN
        for missing dates); None for frames evenly spaced along the time axis (the gaps left by cloudy or
        missing frames still count).

    Returns
    -------
    float
        Median per-pixel noise sd, NDVI units; NaN when no pixel qualifies.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> season = 0.7 + 0.1 * np.sin(np.linspace(0, 2 * np.pi, 40))[:, None, None]
    >>> ndvi = season + rng.normal(0, 0.02, size=(40, 8, 8))
    >>> round(stable_ndvi_noise(ndvi, np.ones(ndvi.shape, bool)), 2)
    0.02
    """
    ndvi = np.asarray(ndvi, dtype=float)
    clear = np.asarray(clear, bool) & np.isfinite(ndvi)
    n_time = ndvi.shape[-3]
    stable = np.ones(ndvi.shape[:-3] + ndvi.shape[-2:], bool) if stable is None else np.asarray(stable, bool)
    stable = np.broadcast_to(stable, ndvi.shape[:-3] + ndvi.shape[-2:])
    times = np.arange(n_time, dtype=float) if days is None else np.asarray(days, dtype=float)
    times = np.broadcast_to(times[..., None, None], ndvi.shape)
    values = np.moveaxis(ndvi, -3, -1).reshape(-1, n_time)[stable.ravel()]
    usable = np.moveaxis(clear & np.isfinite(times), -3, -1).reshape(-1, n_time)[stable.ravel()]
    when = np.moveaxis(times, -3, -1).reshape(-1, n_time)[stable.ravel()]
    order = np.argsort(~usable, axis=1, kind="stable")  # each pixel's clear dates first, in time order
    series = np.take_along_axis(np.where(usable, values, np.nan), order, axis=1)
    when = np.take_along_axis(np.where(usable, when, np.nan), order, axis=1)
    keep = usable.sum(axis=1) >= max(min_clear, 4)
    if not keep.any():
        return float("nan")
    x0, x1, x2 = series[keep, :-2], series[keep, 1:-1], series[keep, 2:]  # NaN past each pixel's last
    h1, h2 = np.diff(when[keep], axis=1)[:, :-1], np.diff(when[keep], axis=1)[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        residual = (x1 - (h2 * x0 + h1 * x2) / (h1 + h2)) / np.sqrt(1.0 + (h1**2 + h2**2) / (h1 + h2) ** 2)
        mad = np.nanmedian(np.abs(residual - np.nanmedian(residual, axis=1, keepdims=True)), axis=1)
    return float(np.median(1.4826 * mad))


def eolearn_stable_ndvi_noise() -> float:
    """:func:`stable_ndvi_noise` of the real eo-learn Sentinel-2 patch, at 30 m.

    Stable pixels are forest (:data:`EOLEARN_FOREST_CLASS` of the patch's land-cover map) observed in the
    leaf-on months :data:`LEAF_ON_MONTHS` (2015-2017), when its NDVI stays high. The 10 m NDVI is averaged
    over 3 x 3 blocks to the Landsat pixel size; a block counts where all nine pixels are forest, and an
    observation where all nine are valid and not flagged by the patch's cloud mask (``CLM``). The patch's
    NDVI comes from Sentinel-2 Level-1C (top of atmosphere), so its noise includes the whole atmosphere's
    day-to-day change and the orbit-to-orbit view-angle effects, which a Level-2 product reduces.
    """
    real = eolearn_patch()
    land_cover = np.load(fetch("eolearn_s2_patch/mask_timeless/LULC.npy"))[..., 0]
    leaf_on = pd.DatetimeIndex(real["dates"]).month.isin(LEAF_ON_MONTHS)
    clear = real["valid"][leaf_on] & ~real["cloud"][leaf_on]
    forest = land_cover == EOLEARN_FOREST_CLASS
    days = (pd.DatetimeIndex(real["dates"][leaf_on]) - pd.Timestamp("2015-01-01")).days.to_numpy(dtype=float)
    return stable_ndvi_noise(
        _blocks_30m(real["ndvi"][leaf_on], np.mean),
        _blocks_30m(clear, np.all),
        _blocks_30m(forest[None], np.all)[0],
        days=days,
    )


def _blocks_30m(frames: np.ndarray, reduce) -> np.ndarray:
    """``(time, y, x)`` 10 m frames reduced over 3 x 3 blocks (``np.mean`` or ``np.all``) to 30 m."""
    rows, cols = (frames.shape[1] // 3) * 3, (frames.shape[2] // 3) * 3
    blocks = frames[:, :rows, :cols].reshape(len(frames), rows // 3, 3, cols // 3, 3)
    return reduce(blocks, axis=(2, 4))


def _cover_series(ndvi: np.ndarray, clear: np.ndarray, cover: np.ndarray, min_pixels: int) -> np.ndarray:
    """``(time,)`` median NDVI of the clear pixels of one cover, per frame (NaN where under half of that cover's
    pixels are clear or fewer than ``min_pixels`` are)."""
    series = np.full(len(ndvi), np.nan)
    for frame in range(len(ndvi)):
        pixels = cover[frame] if cover.ndim == 3 else cover
        seen = pixels & clear[frame] & np.isfinite(ndvi[frame])
        if pixels.sum() >= min_pixels and seen.sum() >= max(min_pixels, 0.5 * pixels.sum()):
            series[frame] = np.median(ndvi[frame][seen])
    return series


def _monthly_medians(months: np.ndarray, values: np.ndarray, keep: Sequence[int], min_values: int) -> dict[int, float]:
    """Median of ``values`` per calendar month of ``keep`` that has at least ``min_values`` finite values."""
    medians = {}
    for month in keep:
        inside = (months == month) & np.isfinite(values)
        if inside.sum() >= min_values:
            medians[int(month)] = float(np.median(values[inside]))
    return medians


def ndvi_amplitude_by_cover(
    stack: xr.Dataset, months: tuple[int, ...] = SNOW_FREE_MONTHS, min_pixels: int = 20, min_values: int = 2
) -> pd.DataFrame:
    """Seasonal NDVI amplitude of forest, simulated per region beside the real eo-learn patch, like with like.

    The patch is three-quarters forest (its land-cover map has 7,601 forest pixels of 10,100 and 11 cultivated
    ones), and its winter dates are snow-covered (NDVI near 0), which the simulator does not model; a whole-scene
    comparison over all dates measures snow and the mix of covers, not the vegetation season. So both sides are
    the NDVI of clear **forest**: a median over a scene's clear forest pixels per date, then a median per
    calendar month (over dates, and for the simulation over a region's sites), on the ``months`` (snow-free by
    default) where both the patch and the region's frames have at least ``min_values`` clear forest values. The
    amplitude is the 5th-95th percentile range of those monthly medians. Binning by month first makes the two
    sides comparable however many clear dates each has: a range over a few scattered dates reads low for cloudy
    regions.

    Returns
    -------
    pandas.DataFrame
        One row per region: ``region``, ``sim_amplitude``, ``real_amplitude``, ``ratio`` (simulated / real),
        ``n_values`` (simulated site-dates used), ``months`` (the calendar months compared); NaN amplitudes
        where fewer than three months can be compared.
    """
    real = eolearn_patch()
    real_forest = np.load(fetch("eolearn_s2_patch/mask_timeless/LULC.npy"))[..., 0] == EOLEARN_FOREST_CLASS
    real_clear = real["valid"] & ~real["cloud"]
    real_months = pd.DatetimeIndex(real["dates"]).month.to_numpy()
    real_series = _cover_series(real["ndvi"], real_clear, real_forest, min_pixels)
    ndvi = ndvi_stack(stack).values  # (site, time, y, x), NaN where QA masks the pixel
    forest = stack["land_cover"].values == Cover.FOREST
    regions = stack["region"].values.astype(str)
    dates = stack["date"].values
    sim_months = np.where(np.isnat(dates), 0, pd.DatetimeIndex(dates.ravel()).month.to_numpy().reshape(dates.shape))
    rows = []
    for region in sorted(set(regions)):
        sites = np.nonzero(regions == region)[0]
        common = sorted(set(months) & set(np.unique(sim_months[sites])) & set(np.unique(real_months)))
        series = np.stack(
            [_cover_series(ndvi[site], np.isfinite(ndvi[site]), forest[site], min_pixels) for site in sites]
        )
        sim = _monthly_medians(sim_months[sites].ravel(), series.ravel(), common, min_values)
        observed = _monthly_medians(real_months, real_series, common, min_values)
        common = [month for month in common if month in sim and month in observed]  # both sides measured
        enough = len(common) >= 3
        sim_amplitude = _amplitude(np.array([sim[m] for m in common])) if enough else float("nan")
        real_amplitude = _amplitude(np.array([observed[m] for m in common])) if enough else float("nan")
        rows.append(
            {
                "region": region,
                "sim_amplitude": sim_amplitude,
                "real_amplitude": real_amplitude,
                "ratio": sim_amplitude / real_amplitude,
                "n_values": int(np.isfinite(series).sum()),
                "months": ",".join(str(m) for m in common),
            }
        )
    return pd.DataFrame(rows)


def simulated_stable_ndvi_noise(stack: xr.Dataset, season_days: float = 75.0) -> float:
    """:func:`stable_ndvi_noise` of a simulated stack's stable forest, in each region's leaf-on season.

    Stable pixels are forest on every frame that neither the disturbance nor a slide touched (oracle
    ``land_cover`` and ``disturbed_mask``), observed where QA_PIXEL leaves them clear, as a model would
    (unflagged haze stays in), on dates within ``season_days`` of the region's green peak: about five months,
    as the real patch is scored in its five leaf-on months (:data:`LEAF_ON_MONTHS`).
    """
    ndvi = ndvi_stack(stack).values
    dates = stack["date"].values
    days = (dates - np.datetime64("2000-01-01")) / np.timedelta64(1, "D")  # NaN where the date is missing
    peak = np.array([get_region(str(name)).green_peak_doy for name in stack["region"].values], dtype=float)
    doy = np.where(np.isnat(dates), np.nan, pd.DatetimeIndex(dates.ravel()).dayofyear.to_numpy().reshape(dates.shape))
    offset = np.abs((doy - peak[:, None] + 182.5) % 365.25 - 182.5)
    in_season = offset <= season_days
    stable = (stack["land_cover"].values == Cover.FOREST).all(axis=1) & ~stack["disturbed_mask"].values.any(axis=1)
    clear = np.isfinite(ndvi) & in_season[:, :, None, None]
    return stable_ndvi_noise(ndvi, clear, stable, days=days)
