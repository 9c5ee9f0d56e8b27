"""The forecasting task on a stack: which frames a model may see (how hard the task is lives in
:mod:`lslib.analysis.difficulty`).

A site's *reference time* is its slide's event time, or a matched date for a site that did not
slide. Forecasting windows end before it: a frame acquired on or after the reference time would
leak the outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from lslib.causes import Cause
from lslib.data.schema import require

__all__ = [
    "frames_before_reference",
    "reference_day_index",
    "assert_no_leak",
    "horizon_windows",
    "horizon_label_shares",
    "forecast_table",
]


def frames_before_reference(stack: xr.Dataset, lead_days: float = 0.0) -> np.ndarray:
    """``(site, time)`` True for frames acquired more than ``lead_days`` before the reference time."""
    limit = stack["reference_time"].values[:, None] - np.timedelta64(int(round(lead_days * 86400)), "s")
    return stack["date"].values < limit


def reference_day_index(stack: xr.Dataset) -> np.ndarray:
    """Index of each site's reference day on the ``day`` calendar."""
    return ((stack["reference_time"].values - stack["day"].values[0]) / np.timedelta64(1, "D")).astype(int)


def assert_no_leak(window_dates: np.ndarray, reference_time) -> None:
    """Refuse a window with a frame acquired on or after the reference (event) time: it would leak the outcome."""
    late = np.asarray(window_dates) >= np.datetime64(reference_time, "ns")
    if late.any():
        raise ValueError(
            f"The window ends after the event ({str(np.asarray(window_dates)[late][0])[:10]} >= "
            f"{str(np.datetime64(reference_time, 'D'))}): frames on or after it would leak the outcome"
        )


# ----------------------------------------------------------------- fixed-horizon labels
_HORIZON_COLUMNS = ("site", "start", "end", "end_date", "frames", "label", "days_to_event")


def _check_horizon_parameters(horizon_days, window_frames, min_frames, stride) -> None:
    """Raise a ValueError naming the first bad parameter of :func:`horizon_windows`."""

    def whole(name: str, value) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        return int(value)

    if isinstance(horizon_days, bool) or not isinstance(horizon_days, (int, float, np.integer, np.floating)):
        raise ValueError(f"horizon_days must be a number of days, got {horizon_days!r}")
    if not (np.isfinite(horizon_days) and horizon_days > 0):
        raise ValueError(f"horizon_days must be finite and > 0 (days), got {horizon_days!r}")
    if whole("window_frames", window_frames) < 1:
        raise ValueError(f"window_frames must be >= 1, got {window_frames!r}")
    if not 1 <= whole("min_frames", min_frames) <= window_frames:
        raise ValueError(f"min_frames must be in [1, window_frames={window_frames}], got {min_frames!r}")
    if whole("stride", stride) < 1:
        raise ValueError(f"stride must be >= 1, got {stride!r}")


def horizon_windows(
    stack: xr.Dataset, horizon_days: float = 32.0, window_frames: int = 8, min_frames: int = 2, stride: int = 1
) -> pd.DataFrame:
    """Every fixed-length window of every site, labelled by whether a slide follows within a horizon.

    A window ends on a valid (non-NaT) frame and holds the last ``window_frames`` valid frames up
    to and including it (fewer near the start of the series). Its label is 1 when the site's slide
    happens in ``(end_date, end_date + horizon_days]`` and 0 otherwise, so the early windows of a
    site that slides later are negatives and site identity alone cannot separate the classes.

    Parameters
    ----------
    stack : xarray.Dataset
        A stack in the study's layout (:mod:`lslib.data.schema`); only ``date (site, time)``,
        ``landslide (site)`` and ``event_time (site)`` are read. Valid dates of a site must
        increase along ``time``; NaT marks a missing acquisition and is skipped.
    horizon_days : float, default 32.0
        Length H of the forecast horizon, in days (32 days: two Landsat 8 revisits of 16 days).
    window_frames : int, default 8
        Number of valid frames a window holds at most.
    min_frames : int, default 2
        Windows with fewer valid frames than this (at the start of a series) are not produced.
    stride : int, default 1
        Step between consecutive window ends, in valid frames. Ends are counted from each site's
        first eligible window (its ``min_frames``-th valid frame), never from the event, so which
        windows exist does not depend on the label.

    Returns
    -------
    pandas.DataFrame
        One row per window, ordered by ``site`` then ``end``, with columns

        ``site`` (int)
            Position of the site along the stack's ``site`` dimension.
        ``start``, ``end`` (int)
            Indices on the ``time`` axis of the window's first and last valid frame
            (``stack.isel(site=site, time=slice(start, end + 1))`` minus its NaT frames).
        ``end_date`` (datetime64[ns])
            Acquisition date of the last frame.
        ``frames`` (int)
            Number of valid frames in the window, ``min_frames <= frames <= window_frames``.
        ``label`` (int, 0 or 1)
            1 when ``end_date < event_time <= end_date + horizon_days``.
        ``days_to_event`` (float, days)
            ``event_time - end_date``; NaN for a site without a slide.

    Rules
    -----
    * A window whose end date is on or after the site's event is dropped (it would leak the
      outcome; the lower bound of the horizon is exclusive).
    * A negative window whose horizon end, ``end_date + horizon_days``, is after the site's last
      valid acquisition date is dropped: it is censored, we cannot observe that the site stays
      quiet. The same rule applies to sites with and without a slide, so the end of the series
      looks alike in both classes.
    * A positive window is kept even when its horizon runs past the last acquisition: the slide
      inside the horizon is observed (it is in the catalogue), so its label is known.
    * Sites with ``landslide == False`` contribute negatives only; their ``event_time`` (and
      ``reference_time``) is not read.

    Raises
    ------
    ValueError
        A parameter is out of range (the message names it); a sliding site has no event time;
        a site's valid dates do not increase. :class:`lslib.data.schema.SchemaError` (a
        ValueError) when ``stack`` lacks ``date``, ``landslide`` or ``event_time``.

    Examples
    --------
    One site with five acquisitions 16 days apart (days 0, 16, 32, 48, 64) and a slide on day 52:
    the windows ending on days 0 and 16 are negatives, those ending on days 32 and 48 positives,
    and the one ending on day 64, after the slide, is dropped.

    >>> dates = np.datetime64("2020-01-01") + np.arange(5) * np.timedelta64(16, "D")
    >>> stack = xr.Dataset(
    ...     {
    ...         "date": (("site", "time"), dates[None]),
    ...         "landslide": ("site", [True]),
    ...         "event_time": ("site", [dates[0] + np.timedelta64(52, "D")]),
    ...     }
    ... )
    >>> table = horizon_windows(stack, horizon_days=32.0, window_frames=2, min_frames=1)
    >>> print(table[["start", "end", "frames", "label", "days_to_event"]].to_string(index=False))
     start  end  frames  label  days_to_event
         0    0       1      0           52.0
         0    1       2      0           36.0
         1    2       2      1           20.0
         2    3       2      1            4.0
    >>> horizon_windows(stack, horizon_days=0)
    Traceback (most recent call last):
    ...
    ValueError: horizon_days must be finite and > 0 (days), got 0
    """
    _check_horizon_parameters(horizon_days, window_frames, min_frames, stride)
    require(stack, ["date", "landslide", "event_time"])
    horizon = np.timedelta64(int(round(float(horizon_days) * 86400)), "s").astype("timedelta64[ns]")
    all_dates = np.asarray(stack["date"].values).astype("datetime64[ns]")
    slid = np.asarray(stack["landslide"].values).astype(bool)
    events = np.asarray(stack["event_time"].values).astype("datetime64[ns]")
    columns: dict[str, list] = {name: [] for name in _HORIZON_COLUMNS}
    for site in range(all_dates.shape[0]):
        valid = np.nonzero(~np.isnat(all_dates[site]))[0]
        if len(valid) < min_frames:
            continue
        dates = all_dates[site, valid]
        if np.any(np.diff(dates) <= np.timedelta64(0, "ns")):
            raise ValueError(f"Site {site}: valid dates must increase along 'time'")
        event = events[site] if slid[site] else np.datetime64("NaT", "ns")
        if slid[site] and np.isnat(event):
            raise ValueError(f"Site {site} has landslide=True but no event_time")
        ends = np.arange(min_frames - 1, len(valid), stride)
        end_dates = dates[ends]
        if np.isnat(event):
            positive = np.zeros(len(ends), bool)
            keep = end_dates + horizon <= dates[-1]
            to_event = np.full(len(ends), np.nan)
        else:
            positive = (end_dates < event) & (event <= end_dates + horizon)
            keep = (end_dates < event) & (positive | (end_dates + horizon <= dates[-1]))
            to_event = (event - end_dates) / np.timedelta64(1, "D")
        ends, positive, to_event = ends[keep], positive[keep], to_event[keep]
        firsts = np.maximum(ends - window_frames + 1, 0)
        columns["site"].extend([site] * len(ends))
        columns["start"].extend(valid[firsts].tolist())
        columns["end"].extend(valid[ends].tolist())
        columns["end_date"].extend(dates[ends].tolist())
        columns["frames"].extend((ends - firsts + 1).tolist())
        columns["label"].extend(positive.astype(int).tolist())
        columns["days_to_event"].extend(to_event.tolist())
    return pd.DataFrame(
        {
            "site": np.asarray(columns["site"], dtype=np.int64),
            "start": np.asarray(columns["start"], dtype=np.int64),
            "end": np.asarray(columns["end"], dtype=np.int64),
            "end_date": np.asarray(columns["end_date"], dtype="datetime64[ns]"),
            "frames": np.asarray(columns["frames"], dtype=np.int64),
            "label": np.asarray(columns["label"], dtype=np.int64),
            "days_to_event": np.asarray(columns["days_to_event"], dtype=np.float64),
        }
    )


def horizon_label_shares(table: pd.DataFrame) -> dict[str, float]:
    """Counts and shares of a :func:`horizon_windows` table.

    Returns ``windows``, ``positives``, ``positive_share`` (positives / windows), ``sites`` (sites
    with a window), ``positive_sites`` (sites with a positive window) and ``mixed_share``: the
    share of positive sites that also have a negative window (1.0 means site identity never
    separates the classes; NaN without positives).

    Examples
    --------
    >>> table = pd.DataFrame({"site": [0, 0, 1, 2], "label": [0, 1, 1, 0]})
    >>> horizon_label_shares(table)
    {'windows': 4, 'positives': 2, 'positive_share': 0.5, 'sites': 3, 'positive_sites': 2, 'mixed_share': 0.5}
    """
    labels = table["label"].to_numpy().astype(int)
    per_site = table.assign(label=labels).groupby("site")["label"].agg(["min", "max"])
    positive_sites = per_site[per_site["max"] == 1]
    return {
        "windows": int(len(labels)),
        "positives": int(labels.sum()),
        "positive_share": float(labels.mean()) if len(labels) else float("nan"),
        "sites": int(len(per_site)),
        "positive_sites": int(len(positive_sites)),
        "mixed_share": float((positive_sites["min"] == 0).mean()) if len(positive_sites) else float("nan"),
    }


def forecast_table(
    stack: xr.Dataset,
    horizon_days: float = 32.0,
    window_frames: int = 8,
    sar_frames: int = 8,
    revisit_days: float = 16.0,
) -> pd.DataFrame:
    """Chapter 4's forecasting windows: full fixed-length windows of both sensors, with a fixed horizon.

    :func:`horizon_windows` with ``min_frames = window_frames`` (every window holds exactly ``window_frames``
    valid Landsat frames, so no window is padded and its length says nothing of its label), keeping only
    the windows with at least ``sar_frames`` valid Sentinel-1 acquisitions on or before their last Landsat
    frame; both rules read the dates alone, never the label.

    Parameters
    ----------
    stack : xarray.Dataset
        A stack in the study's layout; reads ``date``, ``sar_date``, ``landslide``, ``event_time`` and ``cause``.
    horizon_days : float, default 32.0
        The forecast horizon H, days: a window is positive when the slide falls in (its end, its end + H].
    window_frames, sar_frames : int, default 8
        Landsat and Sentinel-1 frames per window.
    revisit_days : float, default 16.0
        The Landsat revisit, days, that counts a positive window's lead.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`horizon_windows`, and ``sar_start``, ``sar_end`` (indices on ``sar_time`` of
        the window's first and last radar frame: the last ``sar_frames`` valid acquisitions up to ``end_date``),
        ``lead`` (int: ``ceil(days_to_event / revisit_days)`` for a positive window, the revisits from its last
        frame to the slide; 0 for a negative) and ``cause`` (int: the site's cause for a positive window, the
        thriving-forest class for a negative one).

    Examples
    --------
    >>> dates = np.datetime64("2020-01-01") + np.arange(6) * np.timedelta64(16, "D")
    >>> stack = xr.Dataset({"date": (("site", "time"), dates[None]), "landslide": ("site", [True]),
    ...                     "event_time": ("site", [dates[0] + np.timedelta64(70, "D")]), "cause": ("site", [3]),
    ...                     "sar_date": (("site", "sar_time"), (dates - np.timedelta64(1, "D"))[None])})
    >>> table = forecast_table(stack, window_frames=3, sar_frames=2)
    >>> table[["start", "end", "sar_start", "sar_end", "label", "lead", "cause"]].values.tolist()
    [[0, 2, 1, 2, 0, 0, 6], [1, 3, 2, 3, 1, 2, 3], [2, 4, 3, 4, 1, 1, 3]]
    """
    if isinstance(sar_frames, bool) or not isinstance(sar_frames, (int, np.integer)) or sar_frames < 1:
        raise ValueError(f"sar_frames must be an integer >= 1, got {sar_frames!r}")
    if not (np.isfinite(revisit_days) and revisit_days > 0):
        raise ValueError(f"revisit_days must be finite and > 0 (days), got {revisit_days!r}")
    require(stack, ["sar_date", "cause"])
    table = horizon_windows(stack, horizon_days, window_frames, min_frames=window_frames)
    sar_dates = np.asarray(stack["sar_date"].values).astype("datetime64[ns]")
    sar_start = np.full(len(table), -1, dtype=np.int64)
    sar_end = np.full(len(table), -1, dtype=np.int64)
    for row, (site, end_date) in enumerate(zip(table["site"].to_numpy(), table["end_date"].to_numpy())):
        seen = np.nonzero(~np.isnat(sar_dates[site]) & (sar_dates[site] <= end_date))[0]
        if len(seen) >= sar_frames:
            sar_start[row], sar_end[row] = seen[-sar_frames], seen[-1]
    keep = sar_end >= 0
    table = table[keep].reset_index(drop=True)
    table["sar_start"], table["sar_end"] = sar_start[keep], sar_end[keep]
    positive = table["label"].to_numpy() == 1
    days = table["days_to_event"].to_numpy()
    table["lead"] = np.where(positive, np.ceil(np.where(positive, days, 0.0) / revisit_days), 0).astype(np.int64)
    causes = np.asarray(stack["cause"].values).astype(np.int64)[table["site"].to_numpy()]
    table["cause"] = np.where(positive, causes, int(Cause.THRIVING_FOREST)).astype(np.int64)
    return table
