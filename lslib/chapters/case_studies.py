"""Chapter 2's case studies: Malin 2014 (the seed's Figure 1) and Mud Creek 2017, and real clouds.

Every function returns numbers or arrays; figures live in :mod:`lslib.figures.case_studies`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lslib.book.report import Answer, Finding, answers, needs, value_of
from lslib.data.imd import MONTHS, subdivision_monthly
from lslib.data.indices import ndvi_stack
from lslib.data.sim import SOURCE, _stack, normalisation_statistics
from lslib.data.sim.regions import REGIONS
from lslib.data.sim.site import SiteHistory, simulate_site
from lslib.evaluation.trends import (
    block_bootstrap_slope_ci,
    block_length,
    block_permutation_test,
    bootstrap_slope_ci,
    mann_kendall,
    modified_mann_kendall,
    seasonal_permutation_test,
    theil_sen,
)

__all__ = [
    "MALIN_SEED_DATES",
    "MALIN_EVENT",
    "malin_frame_dates",
    "imd_totals",
    "simulate_malin",
    "nearest_clear",
    "area_series",
    "mudcreek_trend",
    "trend_verdict",
    "eolearn_cloud_bias",
    "big_sur_rain",
    "scar_aoi",
    "real_or_note",
    "EXTREME_PERCENTILE",
    "VISIBLE_NDVI_GAP",
    "CLOUD_BIAS_MATTERS",
    "summary",
]

#: Percentile of 1901-2015 Julys from which a month's rain counts as extreme.
EXTREME_PERCENTILE = 90.0
#: Inside-minus-outside NDVI below which a slide area reads as visibly browner than its surroundings.
VISIBLE_NDVI_GAP = -0.05
#: Size of a cloud-blind NDVI bias (NDVI units) that matters next to the vegetation changes studied here.
CLOUD_BIAS_MATTERS = 0.05

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


def simulate_malin(
    monthly_rain_mm: dict | None, seed: int = 0, size: int = 32, storm_mm: float = 250.0, tries: int = 300
) -> tuple[xr.Dataset, dict]:
    """A simulated Malin: the India region's physics on a forested slope at Malin's coordinates, a third
    of it cleared from January to March 2014, the 2013-2015 monsoons scaled to the IMD monthly totals, a local
    storm ending on 2014-07-30, and the seed's three scenes cloud-free. Site draws are tried in turn
    (deterministically from ``seed``) until the physics fails the slope on 2014-07-28 to 30; the first such
    draw is returned.

    Raises
    ------
    RuntimeError
        No draw slid within those days in ``tries`` attempts.
    """
    dates = malin_frame_dates()
    history = SiteHistory(
        lat=MALIN_LAT,
        lon=MALIN_LON,
        place="Malin, Pune district (simulated)",
        frame_dates=dates,
        monthly_rain_mm=monthly_rain_mm,
        storm=(MALIN_EVENT, storm_mm, 4),
        clear_dates=list(MALIN_SEED_DATES),
    )
    start = pd.Timestamp("2013-06-01")
    # The record's setting is a deforested slope: a forested site whose slope is cleared between the
    # seed's first two scenes (January to March 2014), a third of it in all.
    history.scenario_overrides = {
        "forest_share": 0.95,
        "start_day": (pd.Timestamp("2014-01-10") - start).days,
        "duration_days": 70.0,
        "final_share": 0.35,
    }
    for attempt in range(tries):
        arrays, truth = simulate_site(
            attempt, REGIONS["india"], "deforestation", len(dates), size, start, seed, history=history
        )
        event = arrays["event_time"]
        if not np.isnat(event) and pd.Timestamp("2014-07-28") <= pd.Timestamp(event) <= pd.Timestamp(MALIN_EVENT):
            stack = _stack(
                [arrays],
                len(dates),
                size,
                str(start.date()),
                {
                    "source": SOURCE,
                    "provenance": f'{{"case": "malin", "seed": {seed}, "draw": {attempt}}}',
                    "schema_version": "1",
                    "title": "Simulated Malin, 2013-2015",
                },
            )
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
        raise ValueError(
            f"{date} is outside the frames' range {str(dates[valid].min())[:10]} to {str(dates[valid].max())[:10]}"
        )
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
        rows.append(
            {
                "date": pd.Timestamp(date),
                "ndvi_in": float(np.nanmedian(inside)) if np.isfinite(inside).mean() > 0.5 else np.nan,
                "ndvi_out": float(np.nanmedian(outside)) if np.isfinite(outside).mean() > 0.5 else np.nan,
                "rain_30d_mm": float(stack["rain_30d"].values[site, frame]),
            }
        )
    return pd.DataFrame(rows).set_index("date")


def mudcreek_trend(
    series: pd.DataFrame,
    failure: str = "2017-05-20",
    months_before: int = 8,
    n_boot: int = 2000,
    n_perm: int = 5000,
    seed: int = 0,
) -> dict[str, float]:
    """Did the inside-minus-outside NDVI difference change in the months before failure?

    Neighbouring dates of the series are serially correlated, so every test here allows for it: the
    Theil-Sen slope of the difference over the ``months_before`` months up to the failure (NDVI per
    year) with a moving-block bootstrap 95 % interval, the Mann-Kendall tau with the Hamed-Rao
    corrected p, and a block-permutation p of the deseasonalised slope over the whole pre-failure
    record. The uncorrected interval and p-values are returned beside them (``*_naive``) to show what
    treating the dates as independent would have claimed.
    """
    before = series[series.index < pd.Timestamp(failure)]
    difference = (before["NDVI_in"] - before["NDVI_out"]).dropna()
    window = difference[difference.index >= pd.Timestamp(failure) - pd.DateOffset(months=months_before)]
    if len(window) < 4:
        raise ValueError(f"Only {len(window)} dates in the {months_before} months before {failure}")
    years = (window.index - window.index[0]).days.to_numpy() / 365.25
    values = window.to_numpy()
    slope, _ = theil_sen(years, values)
    low, high = block_bootstrap_slope_ci(years, values, n_boot=n_boot, seed=seed)
    naive_low, naive_high = bootstrap_slope_ci(years, values, n_boot=n_boot, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pymannkendall on a variance it rounds to 0
        kendall = modified_mann_kendall(values)
    all_years = (difference.index - difference.index[0]).days.to_numpy() / 365.25
    args = (all_years, difference.index.day_of_year.to_numpy(), difference.to_numpy())
    permutation = block_permutation_test(*args, n_perm=n_perm, seed=seed)
    return {
        "slope_per_year": slope,
        "ci_low": low,
        "ci_high": high,
        "n_dates": int(len(window)),
        "block_dates": block_length(len(window)),
        "mk_tau": kendall["tau"],
        "mk_p": kendall["p"],
        "perm_slope_per_year": permutation["slope"],
        "perm_p": permutation["p"],
        "ci_low_naive": naive_low,
        "ci_high_naive": naive_high,
        "mk_p_naive": mann_kendall(values)["p"],
        "perm_p_naive": seasonal_permutation_test(*args, n_perm=n_perm, seed=seed)["p"],
    }


def trend_verdict(trend: dict[str, float], alpha: float = 0.05) -> str:
    """The Mud Creek trend in words, from the serially corrected numbers of :func:`mudcreek_trend`."""
    covers_zero = trend["ci_low"] <= 0 <= trend["ci_high"]
    rejects = trend["mk_p"] < alpha
    if covers_zero and not rejects:
        window = "this short series cannot tell a change in the last months from noise"
    elif not covers_zero and rejects:
        window = "the difference changed in the last months beyond what serially correlated noise explains"
    else:
        window = (
            f"the evidence for a change in the last months is mixed: the slope's interval "
            f"{'includes' if covers_zero else 'excludes'} zero, but the corrected Mann-Kendall test "
            f"{'rejects' if rejects else 'does not reject'} no trend (p {trend['mk_p']:.3g})"
        )
    drift = (
        "the slow drift over the whole record is distinguishable from the seasonal pattern and noise"
        if trend["perm_p"] < alpha
        else "the drift over the whole record is not distinguishable from the seasonal pattern and noise"
    )
    naive = (
        f" (treating the dates as independent would have given p {trend['mk_p_naive']:.3g} and "
        f"{trend['perm_p_naive']:.3g})"
        if "mk_p_naive" in trend
        else ""
    )
    return f"{window}, and {drift}{naive}"


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
    return {
        "dates": patch["dates"],
        "cloud_fraction": fraction,
        "raw_series": raw_series,
        "clear_series": clear_series,
        "cloudy_fraction": float((fraction > 0.5).mean()),
        "naive_mean_bias": float(np.nanmean(naive - clean)),
    }


def big_sur_rain() -> pd.Series:
    """Daily rain (mm) at Big Sur station (GHCN-D USC00040790), September 2015 to July 2017.

    The PrecLand file holds the *cumulative* precipitation since 1 September of each water year, in
    inches (it rises monotonically, resets to 0 on 2016-09-01, and its yearly totals, 40 and 73, are
    Big Sur's in inches). Differencing it gives the rain between recorded days (a few gaps of 2-7 days
    carry their total on the next recorded day), converted to mm.
    """
    from lslib.data.registry import fetch

    frame = pd.read_csv(
        fetch("precland/precipitation/ghcnd_USC00040790_daily_2015-2017.csv"),
        sep=";",
        encoding="utf-8-sig",
        decimal=",",
    )  # European decimal commas
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
        aoi[
            max(rows.min() - margin, 0) : rows.max() + margin + 1, max(cols.min() - margin, 0) : cols.max() + margin + 1
        ] = True
    else:
        middle = scar.shape[0] // 2
        aoi[middle - 5 : middle + 5, middle - 5 : middle + 5] = True
    return aoi


def real_or_note(load, what: str):
    """``(load(), None)``, or ``(None, a sentence for a visible admonition)`` when real data are unavailable."""
    from lslib.errors import ChecksumError, DataUnavailable

    try:
        return load(), None
    except (DataUnavailable, ChecksumError) as error:
        return None, f"{what} could not be read, so this part is skipped: {error}"


@answers("Was Malin's July 2014 monsoon extreme for its subdivision?", "real", "percentile of Julys")
def _malin_rain_finding(metrics: Mapping[str, Any]) -> Answer:
    percentile, rain = value_of(metrics, "malin_july2014_rain_percentile"), value_of(metrics, "malin_july2014_rain_mm")
    if math.isnan(percentile):
        answer = "Not measured: the IMD rainfall could not be read in this run."
    elif percentile >= EXTREME_PERCENTILE:
        answer = (
            f"Yes: July 2014 brought {rain:.0f} mm to Madhya Maharashtra, at percentile {percentile:.0f} of "
            "the 1901-2015 Julys."
        )
    else:
        answer = (
            f"No: July 2014 brought {rain:.0f} mm to Madhya Maharashtra, only at percentile {percentile:.0f} "
            "of the 1901-2015 Julys; the trigger was local and short, which monthly totals cannot show."
        )
    return Answer(answer, percentile)


def _malin_cue_finding(metrics: Mapping[str, Any]) -> Finding:
    gap = value_of(metrics, "malin_ndvi_gap_before_slide")
    real = str(metrics.get("malin_imagery_source", "simulated")).startswith("stac")
    caveat = "" if real else " In the simulated Malin that cue is there by construction, so it is not evidence."
    if math.isnan(gap):
        answer = "Not measured in this run."
    elif gap < VISIBLE_NDVI_GAP:
        answer = (
            f"Yes: over the last three frames before the slide its area's NDVI lay {-gap:.2f} below its "
            f"surroundings'.{caveat}"
        )
    else:
        answer = (
            f"No: over the last three frames before the slide its area's NDVI differed from its surroundings' "
            f"by only {gap:+.2f}.{caveat}"
        )
    return Finding(
        "Did Malin's slide area look browner than its surroundings before the slide?",
        answer,
        gap,
        None,
        "real" if real else "simulated",
        "NDVI inside - outside",
    )


@answers(
    "Did the Mud Creek slide area lose vegetation in the months before it failed?", "real", "NDVI difference per year"
)
def _mud_creek_finding(metrics: Mapping[str, Any]) -> Answer:
    slope = value_of(metrics, "mudcreek_ndvi_diff_trend")
    low, high = (value_of(metrics, "mudcreek_ndvi_diff_trend_ci", i) for i in (0, 1))
    if math.isnan(slope):
        answer, interval = "Not measured: the PrecLand Mud Creek series could not be read in this run.", None
    else:
        interval = (low, high)
        mk_p = value_of(metrics, "mudcreek_mk_p")
        if (high < 0 or low > 0) and not mk_p < 0.05:
            answer = (
                f"Mixed: the inside-minus-outside NDVI changed by {slope:+.3f} per year, its block-bootstrap 95 % "
                f"interval ({low:+.3f} to {high:+.3f}) excludes zero, but the Mann-Kendall test corrected for "
                f"serial correlation does not reject no trend (p {mk_p:.2f})."
            )
        elif high < 0:
            answer = (
                f"Yes: the slide area's NDVI, relative to its surroundings, fell by {-slope:.3f} per year in the "
                f"months before failure, its 95 % interval ({low:+.3f} to {high:+.3f}) below zero."
            )
        elif low > 0:
            answer = (
                f"No, it greened: the inside-minus-outside NDVI rose by {slope:.3f} per year, its 95 % interval "
                f"({low:+.3f} to {high:+.3f}) above zero."
            )
        else:
            answer = (
                f"Cannot tell: the inside-minus-outside NDVI changed by {slope:+.3f} per year, but its 95 % "
                f"interval ({low:+.3f} to {high:+.3f}) includes zero."
            )
    return Answer(answer, slope, interval)


@answers("Do real clouds bias a cloud-blind NDVI time series?", "real", "NDVI bias of a naive mean")
@needs(
    "eolearn_naive_mean_ndvi_bias", missing="Not measured: the eo-learn Sentinel-2 patch could not be read in this run."
)
def _cloud_bias_finding(metrics: Mapping[str, Any]) -> Answer:
    bias, cloudy = value_of(metrics, "eolearn_naive_mean_ndvi_bias"), value_of(metrics, "eolearn_cloudy_fraction")
    dates = f"{cloudy:.0%} of the real dates are more than half cloudy"
    if abs(bias) < CLOUD_BIAS_MATTERS:
        return Answer(f"Hardly: {dates}, but a naive temporal mean of NDVI is off by only {bias:+.2f}.", bias)
    answer = (
        f"Yes: {dates}, and a naive temporal mean of NDVI is off by {bias:+.2f}, more than the vegetation "
        "changes this study looks for: clouds must be masked."
    )
    return Answer(answer, bias)


def summary(metrics: Mapping[str, Any]) -> list[Finding]:
    """Chapter 2's findings, generated from the numbers it recorded.

    Parameters
    ----------
    metrics : mapping
        The chapter's recorded metrics (:func:`lslib.book.report.recorded`); a section whose real
        data were unavailable reads as not measured.

    Returns
    -------
    list of Finding
        Malin's July rain (real), its vegetation cue (simulated offline), the Mud Creek trend (real)
        and the bias real clouds give a cloud-blind series (real).
    """
    return [
        _malin_rain_finding(metrics),
        _malin_cue_finding(metrics),
        _mud_creek_finding(metrics),
        _cloud_bias_finding(metrics),
    ]
