"""Chapter 2's case studies: Malin 2014 (the seed's Figure 1) and Mud Creek 2017, and real clouds.

Every function returns numbers or arrays; figures live in :mod:`lslib.figures.case_studies`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from lslib.data.imd import MONTHS, subdivision_monthly
from lslib.data.indices import ndvi_stack
from lslib.data.sim import SOURCE, _stack, normalisation_statistics
from lslib.data.sim.regions import REGIONS
from lslib.data.sim.site import SiteHistory, simulate_site
from lslib.evaluation.trends import bootstrap_slope_ci, mann_kendall, seasonal_permutation_test, theil_sen

__all__ = ["MALIN_SEED_DATES", "MALIN_EVENT", "malin_frame_dates", "imd_totals", "simulate_malin", "nearest_clear", "area_series", "mudcreek_trend", "eolearn_cloud_bias", "big_sur_rain", "scar_aoi", "real_or_note"]

MALIN_SEED_DATES = ("2013-12-14", "2014-06-08", "2015-01-08")
MALIN_EVENT = "2014-07-30"
MALIN_LAT, MALIN_LON = 19.162, 73.6873


def malin_frame_dates() -> list[str]:
    """Landsat 8 dates over Malin: the 16-day cycle of 2013-12-14 from October 2013 to December 2014,
    plus 2015-01-08 (the seed's third scene)."""
    cycle = pd.date_range("2013-10-11", "2014-12-31", freq="16D")
    return sorted({d.strftime("%Y-%m-%d") for d in cycle} | set(MALIN_SEED_DATES))


def imd_totals(subdivision: str, first: str, last: str) -> dict[tuple[int, int], float]:
    """``{(year, month): mm}`` of an IMD subdivision between two dates (months the record holds)."""
    monthly = subdivision_monthly(subdivision)
    totals = {}
    for month in pd.period_range(first, last, freq="M"):
        if month.year in monthly.index:
            totals[(month.year, month.month)] = float(monthly.loc[month.year, MONTHS[month.month - 1]])
    return totals


def simulate_malin(monthly_rain_mm: dict | None, seed: int = 0, size: int = 32, storm_mm: float = 250.0,
                   tries: int = 300) -> tuple[xr.Dataset, dict]:
    """A simulated Malin: the India region's physics on a forested slope at Malin's coordinates, a third
    of it cleared from January to March 2014, the 2013-2015 monsoons scaled to the IMD monthly totals, a local storm ending on 2014-07-30, and the
    seed's three scenes cloud-free. Site draws are tried in turn (deterministically from ``seed``)
    until the physics fails the slope on 2014-07-28 to 30; the first such draw is returned.

    Raises
    ------
    RuntimeError
        No draw slid within those days in ``tries`` attempts.
    """
    dates = malin_frame_dates()
    history = SiteHistory(lat=MALIN_LAT, lon=MALIN_LON, place="Malin, Pune district (simulated)", frame_dates=dates,
                          monthly_rain_mm=monthly_rain_mm, storm=(MALIN_EVENT, storm_mm, 4),
                          clear_dates=list(MALIN_SEED_DATES))
    start = pd.Timestamp("2013-06-01")
    # The record's setting is a deforested slope: a forested site whose slope is cleared between the
    # seed's first two scenes (January to March 2014), a third of it in all.
    history.scenario_overrides = {"forest_share": 0.95, "start_day": (pd.Timestamp("2014-01-10") - start).days,
                                  "duration_days": 70.0, "final_share": 0.35}
    for attempt in range(tries):
        arrays, truth = simulate_site(attempt, REGIONS["india"], "deforestation", len(dates), size, start, seed,
                                      history=history)
        event = arrays["event_time"]
        if not np.isnat(event) and pd.Timestamp("2014-07-28") <= pd.Timestamp(event) <= pd.Timestamp(MALIN_EVENT):
            stack = _stack([arrays], len(dates), size, str(start.date()),
                           {"source": SOURCE, "provenance": f'{{"case": "malin", "seed": {seed}, "draw": {attempt}}}',
                            "schema_version": "1", "title": "Simulated Malin, 2013-2015"})
            stack.attrs.update(normalisation_statistics(stack))
            truth["draw"] = attempt
            return stack, truth
    raise RuntimeError(f"No simulated Malin slid on 2014-07-28..30 in {tries} draws (seed {seed})")


def nearest_clear(stack: xr.Dataset, date: str, max_cloud: float = 0.2, site: int = 0) -> int:
    """Index of the frame nearest to ``date`` with at most ``max_cloud`` cloud.

    Raises
    ------
    ValueError
        ``date`` lies outside the frames' range, or no frame is clear enough.
    """
    dates = stack["date"].values[site]
    valid = ~np.isnat(dates)
    target = np.datetime64(pd.Timestamp(date))
    if not (dates[valid].min() - np.timedelta64(60, "D") <= target <= dates[valid].max() + np.timedelta64(60, "D")):
        raise ValueError(f"{date} is outside the frames' range {str(dates[valid].min())[:10]} to {str(dates[valid].max())[:10]}")
    clear = valid & (stack["cloud_fraction"].values[site] <= max_cloud)
    if not clear.any():
        raise ValueError(f"No frame with at most {max_cloud:.0%} cloud")
    distance = np.where(clear, np.abs((dates - target) / np.timedelta64(1, "D")), np.inf)
    return int(np.argmin(distance))


def area_series(stack: xr.Dataset, aoi: np.ndarray, site: int = 0) -> pd.DataFrame:
    """Median clear-pixel NDVI inside ``aoi`` and in the rest of the site, per frame, with the rain of the
    30 days before each frame."""
    ndvi = ndvi_stack(stack.isel(site=[site])).values[0]
    rows = []
    for frame, date in enumerate(stack["date"].values[site]):
        if np.isnat(date):
            continue
        inside, outside = ndvi[frame][aoi], ndvi[frame][~aoi]
        rows.append({"date": pd.Timestamp(date),
                     "ndvi_in": float(np.nanmedian(inside)) if np.isfinite(inside).mean() > 0.5 else np.nan,
                     "ndvi_out": float(np.nanmedian(outside)) if np.isfinite(outside).mean() > 0.5 else np.nan,
                     "rain_30d_mm": float(stack["rain_30d"].values[site, frame])})
    return pd.DataFrame(rows).set_index("date")


def mudcreek_trend(series: pd.DataFrame, failure: str = "2017-05-20", months_before: int = 8,
                   n_boot: int = 2000, n_perm: int = 5000, seed: int = 0) -> dict[str, float]:
    """Did the inside-minus-outside NDVI difference change in the months before failure?

    Returns the Theil-Sen slope of the difference over the ``months_before`` months up to the
    failure (NDVI per year) with its bootstrap 95 % interval, the Mann-Kendall tau and p, and a
    permutation p-value of the deseasonalised slope over the whole pre-failure record.
    """
    before = series[series.index < pd.Timestamp(failure)]
    difference = (before["NDVI_in"] - before["NDVI_out"]).dropna()
    window = difference[difference.index >= pd.Timestamp(failure) - pd.DateOffset(months=months_before)]
    if len(window) < 4:
        raise ValueError(f"Only {len(window)} dates in the {months_before} months before {failure}")
    years = (window.index - window.index[0]).days.to_numpy() / 365.25
    slope, _ = theil_sen(years, window.to_numpy())
    low, high = bootstrap_slope_ci(years, window.to_numpy(), n_boot=n_boot, seed=seed)
    kendall = mann_kendall(window.to_numpy())
    all_years = (difference.index - difference.index[0]).days.to_numpy() / 365.25
    permutation = seasonal_permutation_test(all_years, difference.index.dayofyear.to_numpy(), difference.to_numpy(),
                                            n_perm=n_perm, seed=seed)
    return {"slope_per_year": slope, "ci_low": low, "ci_high": high, "n_dates": int(len(window)),
            "mk_tau": kendall["tau"], "mk_p": kendall["p"], "perm_slope_per_year": permutation["slope"],
            "perm_p": permutation["p"]}


def eolearn_cloud_bias(patch: dict) -> dict[str, object]:
    """Real clouds in the eo-learn Sentinel-2 patch: NDVI per date raw and cloud-masked, the share of
    cloudy dates (more than half the patch flagged), and the bias of a naive temporal mean (all dates,
    clouds included) against the mean of clear observations, averaged over pixels."""
    ndvi, cloud = patch["ndvi"], patch["cloud"] | ~patch["valid"]
    fraction = cloud.reshape(len(cloud), -1).mean(axis=1)
    masked = np.where(cloud, np.nan, ndvi)
    with np.errstate(all="ignore"):
        raw_series = np.median(ndvi.reshape(len(ndvi), -1), axis=1)
        clear_series = np.array([np.nanmedian(m) if np.isfinite(m).mean() > 0.5 else np.nan for m in masked])
        naive = ndvi.mean(axis=0)
        clean = np.nanmean(masked, axis=0)
    return {"dates": patch["dates"], "cloud_fraction": fraction, "raw_series": raw_series,
            "clear_series": clear_series, "cloudy_fraction": float((fraction > 0.5).mean()),
            "naive_mean_bias": float(np.nanmean(naive - clean))}


def big_sur_rain() -> pd.Series:
    """Daily rain (mm) at Big Sur station (GHCN-D USC00040790), September 2015 to July 2017.

    The PrecLand file holds the *cumulative* precipitation since 1 September of each water year, in
    inches (it rises monotonically, resets to 0 on 2016-09-01, and its yearly totals, 40 and 73, are
    Big Sur's in inches). Differencing it gives the rain between recorded days (a few gaps of 2-7 days
    carry their total on the next recorded day), converted to mm.
    """
    from lslib.data.registry import fetch

    frame = pd.read_csv(fetch("precland/precipitation/ghcnd_USC00040790_daily_2015-2017.csv"), sep=";",
                        encoding="utf-8-sig", decimal=",")  # European decimal commas
    frame["date"] = pd.to_datetime(frame["date"], format="%d.%m.%Y")
    cumulative = frame.set_index("date")["precipitation"].astype(float)
    step = cumulative.diff()
    daily = step.where(step >= 0, cumulative)  # a reset starts the new water year from its own value
    daily.iloc[0] = cumulative.iloc[0]
    return (daily * 25.4).rename("rain_mm")


def scar_aoi(stack: xr.Dataset, site: int = 0, margin: int = 2) -> np.ndarray:
    """The area of interest of a simulated slide: the scar's bounding box grown by ``margin`` pixels;
    for a real site (no scar known), the central 10 x 10 pixels (300 m) around the catalogued point."""
    scar = stack["scar_mask"].values[site].astype(bool)
    aoi = np.zeros_like(scar)
    if scar.any():
        rows, cols = np.nonzero(scar)
        aoi[max(rows.min() - margin, 0):rows.max() + margin + 1, max(cols.min() - margin, 0):cols.max() + margin + 1] = True
    else:
        middle = scar.shape[0] // 2
        aoi[middle - 5:middle + 5, middle - 5:middle + 5] = True
    return aoi


def real_or_note(load, what: str):
    """``(load(), None)``, or ``(None, a sentence for a visible admonition)`` when real data are unavailable."""
    from lslib.errors import ChecksumError, DataUnavailable

    try:
        return load(), None
    except (DataUnavailable, ChecksumError) as error:
        return None, f"{what} could not be read, so this part is skipped: {error}"
